"""From a routine argument to a timed plan: load, script, narrate, plan.

This is the front half of every command that needs real timings (plan, build).
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from voiceguide.errors import Problem, RoutineError, SilentLineError
from voiceguide.narration import default_engine, narrate, narrator_of, voice_speaks
from voiceguide.narration.base import Clip
from voiceguide.narration.preflight import narration_problems
from voiceguide.plan import Event, Narrator, Plan, Utterance, build_plan, load_routine, script, spoken_line, utterances
from voiceguide.plan.fit import Fitted, first_lines, fit
from voiceguide.progress import Progress
from voiceguide.registry import DEFAULT_ENGINE
from voiceguide.routine import Narration, Routine, find_routine
from voiceguide.user_defaults import user_defaults


@dataclass(frozen=True)
class Session:
    routine: Routine
    plan: Plan
    clips: dict[Utterance, Clip]
    synthesised: int
    cached: int
    fit: Fitted | None = None  # when fitted to a length: what was chosen (``routine`` holds the chosen values)

    def to_json(self) -> dict[str, object]:
        """The timeline as ``plan --json`` prints it (and the studio's ``/api/plan`` answers): the plan, and the fit if any."""
        return self.plan.to_json() | ({"fit": self.fit.to_json()} if self.fit else {})


FIT_ROUNDS = 3  # fits with estimates for lines a new number of repetitions needs; the last keeps the repetitions


def narrator_settings(routine: Routine, voice: str | None, rate: int | None, engine: str | None) -> tuple[Narration, Narration]:
    """(overrides from the command line, the user's own defaults) as ``script`` takes them."""
    mine = user_defaults()
    if mine.engine is None and mine.voice is None:  # nothing of this person's: Kokoro where it is installed and speaks the routine
        spec = voice or routine.narration.voice or routine.language
        mine = replace(mine, engine=default_engine(spec, rate or routine.narration.rate))
    chosen = mine.engine_for(engine, routine.narration.engine)
    own = mine.voice_for(chosen)
    if own is not None and not voice_speaks(own, routine.language, chosen):
        own = None  # this person's voice does not speak the routine's language: the language's own voice instead
    defaults = Narration(engine=mine.engine, voice=own)
    return Narration(voice=voice, rate=rate, engine=engine), defaults


def say(text: str, voice: str | None = None, rate: int | None = None, engine: str | None = None) -> tuple[Clip, Utterance, str]:
    """One line spoken as ``voiceguide say`` speaks it: (its clip, the line as said, the engine). The person's defaults
    apply, else Kokoro where it is installed, else pyttsx3."""
    from dataclasses import replace

    from voiceguide.narration import default_engine
    from voiceguide.routine.model import DEFAULT_RATE, DEFAULT_VOLUME

    mine = user_defaults()
    if mine.engine is None and mine.voice is None:
        mine = replace(mine, engine=default_engine(voice or "en", rate))
    chosen = mine.engine_for(engine)
    line = Utterance(text, text, voice or mine.voice_for(chosen) or "en", rate or DEFAULT_RATE, DEFAULT_VOLUME)
    return narrate([line], engine=chosen)[line], line, chosen


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
    length_s: float | None = None,
) -> Session:
    """Load the routine, check its engines and voices, synthesise (or fetch from cache) every line, and lay out the plan.

    Command-line ``voice``, ``rate`` and ``engine`` win over the routine; the routine's win
    over the user's own defaults (``user_defaults``), which win over voiceguide's.
    ``length_s`` (else the routine's ``length:``) fits the session to that length (``voiceguide.plan.fit``).
    Raises RoutineError with located problems before anything is synthesised.
    """
    routine = routine_arg if isinstance(routine_arg, Routine) else load_routine(find_routine(str(routine_arg)))
    problems = check_narration(routine, voice, rate, engine)
    if problems:
        raise RoutineError(problems)
    overrides, defaults = narrator_settings(routine, voice, rate, engine)
    clips: dict[Utterance, Clip] = {}
    counts = {"synthesised": 0, "cached": 0}

    def report(done: int, total: int) -> None:
        if progress:
            progress.update("narrating", done, total)

    def narrated(lines: list[Utterance]) -> Mapping[Utterance, float]:
        stats: dict[str, int] = {}
        try:
            made = narrate([u for u in lines if u not in clips], engine=defaults.engine or DEFAULT_ENGINE, progress=report, stats=stats)
        except SilentLineError as err:  # a line the narrator says nothing for: the routine's line, located
            line = spoken_line(routine, events_of(routine), err.spoken)
            raise RoutineError([Problem(routine.source, line, 1, err.message, err.hint)]) from None
        clips.update(made)
        for key in counts:
            counts[key] += stats.get(key, 0)
        return {u: clip.duration_s for u, clip in clips.items()}

    def events_of(r: Routine) -> list[Event]:
        return script(r, overrides, defaults)

    routine, events, fitted = drive(planned(routine, length_s, events_of), narrated)
    if progress:
        progress.done()
    return Session(routine, lay_out(routine, events, clips, defaults.engine), clips, counts["synthesised"], counts["cached"], fitted)


def lay_out(routine: Routine, events: list[Event], clips: Mapping[Utterance, Clip], engine: str | None) -> Plan:
    """The plan of ``events`` with the lengths of their ``clips`` (``engine``: the default one, recorded with each line)."""
    return build_plan(routine, events, {u: clip.duration_s for u, clip in clips.items()}, narrators(events, engine))


def narrators(events: list[Event], engine: str | None) -> dict[Utterance, Narrator]:
    """Who says each line of ``events`` (``engine``: the default one), for the plan to record."""
    return {u: Narrator(*narrator_of(u, engine or DEFAULT_ENGINE)) for u in utterances(events)}


Planned = tuple[Routine, list[Event], Fitted | None]
Planning = Generator[list[Utterance], Mapping[Utterance, float], Planned]


def planned(routine: Routine, length_s: float | None, events_of: Callable[[Routine], list[Event]]) -> Planning:
    """The lines a session needs, asked for in rounds: it yields the lines it needs next and is sent the durations of
    every line narrated so far; it returns the routine (fitted to ``length_s``, else the routine's ``length:``, if any),
    its events and the fit. Many sessions planned side by side can share each round's narration (``voiceguide batch``)."""
    target = length_s if length_s is not None else routine.length_s
    if target is None:
        events = events_of(routine)
        yield utterances(events)
        return routine, events, None
    durations = yield first_lines(routine, events_of)
    fitted = fit(routine, target, durations, events_of)
    for round_ in range(1, FIT_ROUNDS):
        if not fitted.missing:
            break
        durations = yield list(fitted.missing)
        fitted = fit(routine, target, durations, events_of, fitted.repetitions if round_ == FIT_ROUNDS - 1 else None)
    return fitted.routine, events_of(fitted.routine), fitted


def drive(steps: Planning, narrated: Callable[[list[Utterance]], Mapping[Utterance, float]]) -> Planned:
    """Run one planning to its end, narrating each round's lines with ``narrated`` (which returns every duration so far)."""
    try:
        lines = next(steps)
        while True:
            lines = steps.send(narrated(lines))
    except StopIteration as done:
        return done.value
