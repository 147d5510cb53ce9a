"""The plan stage: a routine becomes a timeline of cues, fitted to a length when asked, and checked whole.

``planner`` lays out the events and the timeline (pure: no files, no audio), ``fit``
chooses holds, pauses and repetitions within their ranges to reach a length, and
``checked`` reads a routine and refuses a session beyond the limits before anything is
narrated. Loads nothing of narration or rendering, and no command line.
"""

from voiceguide.plan.checked import chapters_problem, load_routine, session_size_problem, spoken_line
from voiceguide.plan.planner import (
    NO_OVERRIDES,
    Chapter,
    ChimeSound,
    Cue,
    CueKind,
    Event,
    Mark,
    Narrator,
    PauseRole,
    Plan,
    Sound,
    Utterance,
    build_plan,
    chapter_titles,
    iter_script,
    repetition_cue,
    script,
    speech_of,
    utterances,
)

__all__ = [
    "NO_OVERRIDES",
    "Chapter",
    "ChimeSound",
    "Cue",
    "CueKind",
    "Event",
    "Mark",
    "Narrator",
    "PauseRole",
    "Plan",
    "Sound",
    "Utterance",
    "build_plan",
    "chapter_titles",
    "chapters_problem",
    "iter_script",
    "load_routine",
    "repetition_cue",
    "script",
    "session_size_problem",
    "speech_of",
    "spoken_line",
    "utterances",
]  # fmt: skip
