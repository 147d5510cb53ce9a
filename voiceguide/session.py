"""From a routine argument to a timed plan: load, script, narrate, plan.

This is the front half of every command that needs real timings (plan, build).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from voiceguide.narration import narrate, voice_speaks
from voiceguide.narration.base import Clip
from voiceguide.plan import Plan, Utterance, build_plan, script, utterances
from voiceguide.progress import Progress
from voiceguide.routine import Narration, Routine, find_routine, load_routine
from voiceguide.user_defaults import user_defaults


@dataclass(frozen=True)
class Session:
    routine: Routine
    plan: Plan
    clips: dict[Utterance, Clip]
    synthesised: int
    cached: int


def prepare(
    routine_arg: str | Path | Routine,
    *,
    voice: str | None = None,
    rate: int | None = None,
    engine: str | None = None,
    progress: Progress | None = None,
) -> Session:
    """Load the routine, synthesise (or fetch from cache) every line, and lay out the plan.

    ``engine`` None: the user's default engine (see ``user_defaults``), else voiceguide's.
    """
    routine = routine_arg if isinstance(routine_arg, Routine) else load_routine(find_routine(str(routine_arg)))
    mine = user_defaults()
    engine = mine.engine_for(engine)
    own = mine.voice_for(engine)
    if own is not None and not voice_speaks(own, routine.language, engine):
        own = None  # this person's voice does not speak the routine's language: the language's own voice instead
    events = script(routine, Narration(voice=voice, rate=rate), Narration(voice=own))
    lines = utterances(events)
    stats: dict[str, int] = {}

    def report(done: int, total: int) -> None:
        if progress:
            progress.update("narrating", done, total)

    clips = narrate(lines, engine=engine, progress=report, stats=stats)
    if progress:
        progress.done()
    plan = build_plan(routine, events, {u: clip.duration_s for u, clip in clips.items()})
    return Session(routine, plan, clips, stats.get("synthesised", 0), stats.get("cached", 0))
