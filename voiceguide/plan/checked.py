"""A routine read and checked whole: its fields (the routine package), then the session it makes.

The session as a whole is checked right after loading and before anything is narrated:
the planner's own events are walked (``session_size_problem``), so a routine whose
session is certainly too long, has too many cues or a line with nothing to say is
refused with a located problem.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from voiceguide import registry
from voiceguide.durations import format_duration
from voiceguide.errors import Problem
from voiceguide.plan.fit import at_repetitions
from voiceguide.plan.planner import Event, iter_script
from voiceguide.routine import Routine, read_routine
from voiceguide.routine.checks import shown
from voiceguide.routine.limits import MAX_CUES, MAX_SESSION_S, MAX_SPOKEN, RoutineLimitError, chapter_line, unsayable


def load_routine(path: Path | str) -> Routine:
    """Read and check a routine file and the session it makes; raise RoutineError listing every problem found."""
    return checked_session(read_routine(path))


def checked_session(routine: Routine, formats: Iterable[str] = ()) -> Routine:
    """The routine, once the session it makes is known to be within the limits and its chapters fit the chapter
    tables of ``formats`` (else of the format that holds most); RoutineLimitError otherwise."""
    size_problem = session_size_problem(routine)
    if size_problem is None and any(t.repetitions_range for t in routine.techniques):
        size_problem = session_size_problem(at_repetitions(routine, 1), with_silence=False)
    if size_problem is None:
        size_problem = chapters_problem(routine, formats)
    if size_problem is not None:
        raise RoutineLimitError([size_problem])
    return routine


def chapters_problem(routine: Routine, formats: Iterable[str] = ()) -> Problem | None:
    """A problem, at the first chapter too many, if the session has more chapters than a format's chapter table holds.

    ``formats``: names from the registry; none: only what the roomiest format holds (a routine no format can carry).
    """
    tables = [(name, *registry.FORMATS[name].chapter_table) for name in formats if name in registry.FORMATS]
    if not tables:
        tables = [max(((n, *f.chapter_table) for n, f in registry.FORMATS.items()), key=lambda t: t[2])]
    name, table, most = min(tables, key=lambda t: t[2])
    if len(routine.techniques) + 2 <= most:  # an opening, the techniques, a closing: the most a session has
        return None
    used = sorted({event.chapter for event in iter_script(routine, respelled=False)})
    if len(used) <= most:
        return None
    roomier = sorted({f"{n.upper()} ({f.chapter_table[1]:,})" for n, f in registry.FORMATS.items() if f.chapter_table[1] > most})
    return Problem(
        routine.source, chapter_line(routine, used[most]), 1,
        f"the session has {len(used):,} chapters, more than {name.upper()}'s chapter table ({table}) holds ({most:,}):"
        f" this is chapter {most + 1:,}",
        "join techniques or split the routine" + (f"; formats that hold more: {', '.join(roomier)}" if roomier else ""),
    )  # fmt: skip


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
    why = unsayable(spoken)
    if why == "silent":
        return (
            f"the line '{shown(text)}' has nothing to say once respelled (no letters or digits)",
            "write words, or use pause: for silence",
        )
    if why == "long":
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
