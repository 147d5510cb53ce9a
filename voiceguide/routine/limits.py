"""What voiceguide accepts: the bounds of a routine file and of the session it makes.

Field bounds are checked where each field is read (``builder``); the session as a whole
is checked here, right after loading and before anything is narrated.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from voiceguide.durations import format_duration
from voiceguide.errors import LimitError, Problem, RoutineError
from voiceguide.narration.engines import Engine
from voiceguide.routine.checks import shown
from voiceguide.routine.model import Routine
from voiceguide.routine.pronounce import speakable

if TYPE_CHECKING:  # the planner imports this package
    from voiceguide.plan import Event

MAX_FILE_BYTES = 1024 * 1024
MAX_TEXT = 1000  # characters in one spoken line
MAX_NAME = 200  # characters in a title or a technique's name
MAX_PAUSE_S = 2 * 3600.0
MAX_COVER_BYTES = 16 * 1024 * 1024
RATE_RANGE = Engine.rate_range  # words per minute: the widest any engine takes (each engine checks its own)
REPETITIONS_RANGE = (1, 1000)
MAX_SESSION_S = 4 * 3600.0
MAX_CUES = 100_000  # far more than a 4 h session holds; keeps planning a hostile file fast
MAX_PRONUNCIATIONS = 1000  # entries in a routine's list
MAX_SPOKEN = 2 * MAX_TEXT  # characters in one line as the narrator is given it, after respelling
MIN_VOLUME = 0.1  # narration volume: below this a narrator says next to nothing (0 is silence)


class RoutineLimitError(RoutineError, LimitError):
    """A routine certainly beyond the session limits: a located problem of the file and a limit at once."""


def session_size_problem(routine: Routine, with_silence: bool = True) -> Problem | None:
    """A problem if the routine is certainly beyond the session limits, found before anything is narrated.

    Walks the planner's own events, adding up the silence they
    certainly hold (pauses, holds, rests, chimes: speech only adds to it) and the cues.
    A 16 KB file can ask for millions of cues, so the walk stops at the first bound
    passed, and the problem points at the part of the routine where that happens. Every
    line must have something to say once respelled, and not have grown past ``MAX_SPOKEN``.
    ``with_silence=False`` counts the cues alone (for the routine with its repetitions at the
    top of their ranges, which a fit to a length may choose).
    """
    from voiceguide.plan import iter_script  # the planner imports this package

    silence = 0.0
    said = False
    for count, event in enumerate(iter_script(routine), start=1):
        silence += event.seconds
        if event.utterance is not None:
            said = True
            unsaid = _unsayable(event.utterance.text, event.utterance.spoken)
            if unsaid:
                return Problem(routine.source, chapter_line(routine, event.chapter), 1, *unsaid)
        if count > MAX_CUES:
            return Problem(
                routine.source, chapter_line(routine, event.chapter), 1,
                f"the session passes the limit of {MAX_CUES:,} cues in this part",
                "lower repetitions here or before, or split the routine",
            )  # fmt: skip
        if with_silence and silence > MAX_SESSION_S:
            return Problem(
                routine.source, chapter_line(routine, event.chapter), 1,
                f"the pauses, holds and rests up to this part already pass the {format_duration(MAX_SESSION_S)} session limit",
                "lower repetitions, holds or pauses here or before, or split the routine",
            )  # fmt: skip
    if with_silence and not said and silence <= 0:
        return Problem(
            routine.source, chapter_line(routine, 1), 1, "the session says nothing and holds no pause: it would last 0 s",
            "add words to say, or a pause",
        )  # fmt: skip
    return None


def _unsayable(text: str, spoken: str) -> tuple[str, str] | None:
    """Why a line cannot be said as the routine asks (message, hint), or None."""
    if not speakable(spoken):
        return (
            f"the line '{shown(text)}' has nothing to say once respelled (no letters or digits)",
            "write words, or use pause: for silence",
        )
    if len(spoken) > MAX_SPOKEN:
        return (
            f"the line '{shown(text)}' is {len(spoken):,} characters long once respelled, more than {MAX_SPOKEN:,}",
            "shorten the pronunciations it uses, or split the line",
        )
    return None


def spoken_line(routine: Routine, events: Iterable[Event], spoken: str) -> int:
    """The line of the routine where the line the narrator was given as ``spoken`` is written (its step, else its part)."""
    for event in events:
        if event.utterance is not None and event.utterance.spoken == spoken:
            if 1 <= event.chapter <= len(routine.techniques):
                steps = routine.techniques[event.chapter - 1].steps
            else:
                steps = routine.outro if event.chapter else (*routine.intro, *routine.precautions)
            written = event.utterance.text
            return next(
                (step.line for step in steps if step.kind == "say" and step.text == written and step.line),
                chapter_line(routine, event.chapter),
            )
    return 1


def chapter_line(routine: Routine, chapter: int) -> int:
    """The line where a chapter of the plan starts: a technique's, or the intro's or outro's first step."""
    if 1 <= chapter <= len(routine.techniques):
        return max(1, routine.techniques[chapter - 1].line)
    steps = routine.outro if chapter else (routine.intro or routine.precautions)
    return max(1, steps[0].line) if steps else 1
