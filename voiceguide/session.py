"""From a routine argument to a timed plan: load, script, narrate, plan.

This is the front half of every command that needs real timings (plan, build).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from voiceguide.errors import Problem, RoutineError
from voiceguide.narration import DEFAULT_ENGINE, narrate, voice_speaks
from voiceguide.narration.base import Clip
from voiceguide.narration.checks import narration_problems
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


def narrator_settings(routine: Routine, voice: str | None, rate: int | None, engine: str | None) -> tuple[Narration, Narration]:
    """(overrides from the command line, the user's own defaults) as ``script`` takes them."""
    mine = user_defaults()
    chosen = mine.engine_for(engine, routine.narration.engine)
    own = mine.voice_for(chosen)
    if own is not None and not voice_speaks(own, routine.language, chosen):
        own = None  # this person's voice does not speak the routine's language: the language's own voice instead
    defaults = Narration(engine=mine.engine, voice=own)
    return Narration(voice=voice, rate=rate, engine=engine), defaults


def check_narration(routine: Routine, voice: str | None = None, rate: int | None = None, engine: str | None = None) -> list[Problem]:
    """The routine's engine, voice and rate problems, located, as ``prepare`` would meet them (nothing is synthesised)."""
    return narration_problems(routine, *narrator_settings(routine, voice, rate, engine))


def prepare(
    routine_arg: str | Path | Routine,
    *,
    voice: str | None = None,
    rate: int | None = None,
    engine: str | None = None,
    progress: Progress | None = None,
) -> Session:
    """Load the routine, check its engines and voices, synthesise (or fetch from cache) every line, and lay out the plan.

    Command-line ``voice``, ``rate`` and ``engine`` win over the routine; the routine's win
    over the user's own defaults (``user_defaults``), which win over voiceguide's.
    Raises RoutineError with located problems before anything is synthesised.
    """
    routine = routine_arg if isinstance(routine_arg, Routine) else load_routine(find_routine(str(routine_arg)))
    problems = check_narration(routine, voice, rate, engine)
    if problems:
        raise RoutineError(problems)
    overrides, defaults = narrator_settings(routine, voice, rate, engine)
    events = script(routine, overrides, defaults)
    lines = utterances(events)
    stats: dict[str, int] = {}

    def report(done: int, total: int) -> None:
        if progress:
            progress.update("narrating", done, total)

    clips = narrate(lines, engine=defaults.engine or DEFAULT_ENGINE, progress=report, stats=stats)
    if progress:
        progress.done()
    plan = build_plan(routine, events, {u: clip.duration_s for u, clip in clips.items()})
    return Session(routine, plan, clips, stats.get("synthesised", 0), stats.get("cached", 0))
