"""Fitting a routine to a length: the pauses and repetitions that make the session last as long as asked.

Pure: a routine, how long each spoken line lasts and a target go in; a routine with
chosen values comes out, and the planner lays it out as usual. What changes is what
is not speech: every pause of the steps, each hold, rest and pause after a technique,
all by one factor, each within its bounds (a range the routine gives, such as
``hold: 5s..12s``; else anything above 0 s up to the pause limit; a value written as 0
stays 0). Repetitions change only where a range is given (``repetitions: 6..10``),
following the same factor, rounded. Speech is never sped up, and the breath between
lines, chimes and the time to change feet keep their length.

A line a new number of repetitions needs ("Nine, last one.") may not have been
narrated: its length is then estimated from lines of the same voice, the result lists
it in ``missing``, and the caller narrates it and fits again (``session.prepare``).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from voiceguide.durations import format_duration
from voiceguide.errors import LimitError
from voiceguide.plan.planner import Event, Utterance, chapter_titles, script, utterances
from voiceguide.routine.limits import MAX_PAUSE_S, MAX_SESSION_S
from voiceguide.routine.model import Routine, Step, Technique

TOLERANCE_S = 1.0  # a fitted session lasts its target to within this
ESTIMATE_S_PER_CHAR = 0.065  # a line's length when no line of any voice has been measured yet
STRETCH_WARNING = 3.0  # a value without a range stretched past this many times what is written, or squeezed under its inverse, is told
MIN_FACTOR = 0.001  # pauses shrink to a thousandth at most: one of 0 s would leave the plan, and a breath take its place
EventsOf = Callable[[Routine], list[Event]]


@dataclass(frozen=True)
class Change:
    """One value the fit changed: ``what`` of ``part`` went from ``before`` (written ``bounds``, if a range) to ``after``."""

    part: str
    what: str  # "repetitions", "hold", "rest", "pause after", "pauses" (the steps' pauses, added up)
    before: float
    after: float
    bounds: tuple[float, float] | None = None

    def __str__(self) -> str:
        unit = "" if self.what == "repetitions" else "s"
        written = f"{_num(self.bounds[0])}{unit}..{_num(self.bounds[1])}{unit}" if self.bounds else f"{_num(self.before)}{unit}"
        return f"{self.what} {written} → {_num(self.after)}{unit}"


@dataclass(frozen=True)
class Fitted:
    """A routine fitted to ``target_s``: its values chosen, what changed, and what the routine allows."""

    routine: Routine
    target_s: float
    length_s: float  # what the chosen values make, with the lengths given (estimates for ``missing``)
    factor: float  # every pause that stretches was multiplied by this, within its bounds
    repetitions: tuple[int, ...]  # per technique
    shortest_s: float
    longest_s: float
    changes: tuple[Change, ...]
    missing: tuple[Utterance, ...]  # lines of the fitted session whose length was estimated
    stretched: tuple[Change, ...] = ()  # values without a range stretched or squeezed past STRETCH_WARNING (see warnings)

    def warnings(self) -> list[str]:
        """One line for each value without a range the fit stretched past 3× or squeezed under a third."""
        lines = []
        for c in self.stretched:
            grew = c.after >= c.before
            times = _num(c.after / c.before) if grew else "1/" + _num(c.before / max(c.after, 1e-9))
            low, high = (c.before, c.before * STRETCH_WARNING) if grew else (c.before / STRETCH_WARNING, c.before)
            lines.append(
                f"{c.part}: {c} ({times}× as written, and it has no range to bound it)"
                f" — give it one, such as {c.what.replace(' ', '_')}: {_num(low)}s..{_num(high)}s"
            )
        return lines

    def to_json(self) -> dict[str, Any]:
        return {
            "target_s": round(self.target_s, 6),
            "length_s": round(self.length_s, 6),
            "factor": round(self.factor, 6),
            "shortest_s": round(self.shortest_s, 6),
            "longest_s": round(self.longest_s, 6),
            "warnings": self.warnings(),
            "changes": [
                {"part": c.part, "what": c.what, "from": round(c.before, 6), "to": round(c.after, 6)}
                | ({"range": list(c.bounds)} if c.bounds else {})
                for c in self.changes
            ],
        }


def fit(
    routine: Routine,
    target_s: float,
    durations: Mapping[Utterance, float],
    events_of: EventsOf = script,
    repetitions: tuple[int, ...] | None = None,
) -> Fitted:
    """``routine`` with the values that make it last ``target_s``; LimitError if no values can.

    ``durations``: each narrated line's length in seconds; ``events_of``: the script of a
    routine with the narration settings in force. ``repetitions`` (one per technique)
    keeps the repetitions as given and fits the pauses alone.
    """
    lengths = _Lengths(durations)
    steps = _Steps(routine, repetitions)
    models: dict[tuple[int, ...], _Model] = {}

    def model(reps: tuple[int, ...]) -> _Model:
        if reps not in models:
            models[reps] = _Model.of(routine, reps, events_of, lengths)
        return models[reps]

    shortest, longest = model(steps.at(0)).low, min(model(steps.at(len(steps.edges) - 1)).high, MAX_SESSION_S)
    say = _Refusal(routine, target_s, shortest, longest)
    if target_s < shortest - TOLERANCE_S or target_s > longest + TOLERANCE_S:
        raise say.out_of_range()
    # the first span of factors whose repetitions reach the target by its end
    last = len(steps.edges) - 1
    j = min(last, bisect.bisect_left(range(last + 1), True, key=lambda i: model(steps.at(i)).length(steps.end(i)) >= target_s))
    start = steps.edges[j]
    chosen = model(steps.at(j))
    if chosen.length(start) <= target_s:
        factor = chosen.solve(target_s, start, steps.end(j))
    else:  # a step: one repetition more or less, with the pauses making up the rest
        candidates = [model(steps.at(j - 1))] if j else []
        solved = [(m, m.solve(target_s, MIN_FACTOR, math.inf)) for m in (*candidates, chosen)]
        feasible = [(m, k) for m, k in solved if abs(m.length(k) - target_s) <= TOLERANCE_S]
        if not feasible:
            raise say.between(solved[0][0].high, chosen.low)
        chosen, factor = min(
            feasible, key=lambda mk: (abs(mk[0].length(mk[1]) - target_s) > 1e-6, abs(math.log(mk[1] / max(start, MIN_FACTOR))))
        )
    fitted = _with_values(routine, chosen.reps, factor)
    events = events_of(fitted)
    length = sum(lengths(e.utterance) if e.utterance is not None else e.seconds for e in events)
    return Fitted(
        routine=fitted, target_s=target_s, length_s=length, factor=factor, repetitions=chosen.reps,
        shortest_s=shortest, longest_s=longest, changes=tuple(_changes(routine, fitted)),
        missing=tuple(u for u in utterances(events) if u not in durations),
        stretched=tuple(_stretched(routine, fitted)) if not 1 / STRETCH_WARNING <= factor <= STRETCH_WARNING else (),
    )  # fmt: skip


def first_lines(routine: Routine, events_of: EventsOf = script) -> list[Utterance]:
    """The lines to narrate before fitting: those of the routine as written, at its fewest and at its most repetitions."""
    versions = [routine, at_repetitions(routine, 0), at_repetitions(routine, 1)]
    return list(dict.fromkeys(u for version in versions for u in utterances(events_of(version))))


def at_repetitions(routine: Routine, end: int) -> Routine:
    """``routine`` with every range of repetitions at its low (``end`` 0) or high (1) end."""
    techniques = tuple(replace(t, repetitions=t.repetitions_range[end]) if t.repetitions_range else t for t in routine.techniques)
    return replace(routine, techniques=techniques)


def scaled(value: float, bounds: tuple[float, float] | None, factor: float) -> float:
    """A pause of ``value`` seconds stretched by ``factor`` within its bounds; one written as 0 stays 0."""
    if value <= 0:
        return value
    low, high = bounds or (0.0, MAX_PAUSE_S)
    return min(high, max(low, value * factor))


class _Lengths:
    """Each line's measured length, or an estimate from the lines measured in the same voice."""

    def __init__(self, durations: Mapping[Utterance, float]) -> None:
        self.known = durations
        self._rates: dict[tuple[str, int, float] | None, float] = {}
        chars: dict[tuple[str, int, float] | None, list[float]] = {}
        for u, seconds in durations.items():
            for key in ((u.voice, u.rate, u.volume), None):
                totals = chars.setdefault(key, [0.0, 0.0])
                totals[0] += seconds
                totals[1] += len(u.spoken)
        self._rates = {key: s / n for key, (s, n) in chars.items() if n}

    def __call__(self, u: Utterance) -> float:
        if u in self.known:
            return self.known[u]
        rate = self._rates.get((u.voice, u.rate, u.volume), self._rates.get(None, ESTIMATE_S_PER_CHAR))
        return rate * len(u.spoken)


@dataclass(frozen=True)
class _Slot:
    """A value that stretches: its written value, its bounds, and how many times the session holds it."""

    base: float
    low: float
    high: float
    count: int

    def at(self, factor: float) -> float:
        return self.count * min(self.high, max(self.low, self.base * factor))


@dataclass(frozen=True)
class _Model:
    """The session's length with these repetitions, as a function of the factor: fixed part plus slots."""

    reps: tuple[int, ...]
    fixed: float
    slots: tuple[_Slot, ...]

    @staticmethod
    def of(routine: Routine, reps: tuple[int, ...], events_of: EventsOf, lengths: _Lengths) -> _Model:
        version = _with_values(routine, reps, 1.0)
        total = sum(lengths(e.utterance) if e.utterance is not None else e.seconds for e in events_of(version))
        slots = tuple(_slots(version))
        return _Model(reps, total - sum(s.count * s.base for s in slots), slots)

    def length(self, factor: float) -> float:
        if math.isinf(factor):
            return self.high
        return self.fixed + sum(s.at(factor) for s in self.slots)

    @property
    def low(self) -> float:
        return self.length(MIN_FACTOR)

    @property
    def high(self) -> float:
        return self.fixed + sum(s.count * s.high for s in self.slots)

    def solve(self, target: float, low: float, high: float) -> float:
        """The factor in [low, high] whose length is nearest ``target`` (the length only grows with the factor)."""
        low = max(low, MIN_FACTOR)
        if math.isinf(high):
            high = max([low, *(s.high / s.base for s in self.slots)])
        if self.length(low) >= target:
            return low
        if self.length(high) <= target:
            return high
        for _ in range(200):
            middle = (low + high) / 2
            if self.length(middle) < target:
                low = middle
            else:
                high = middle
            if high - low <= 1e-12 * high:
                break
        return high


class _Steps:
    """Repetitions along the factor: each range follows round(factor × its middle), so they change at fixed factors."""

    def __init__(self, routine: Routine, fixed: tuple[int, ...] | None) -> None:
        self.low = fixed or tuple(t.repetitions_range[0] if t.repetitions_range else t.repetitions for t in routine.techniques)
        where: dict[float, list[int]] = {}
        if fixed is None:
            for i, t in enumerate(routine.techniques):
                if t.repetitions_range:
                    for n in range(t.repetitions_range[0] + 1, t.repetitions_range[1] + 1):
                        where.setdefault((n - 0.5) / t.repetitions, []).append(i)
        self.edges = [0.0, *sorted(where)]
        self._reps = [self.low]
        for edge in self.edges[1:]:
            reps = list(self._reps[-1])
            for i in where[edge]:
                reps[i] += 1
            self._reps.append(tuple(reps))

    def at(self, i: int) -> tuple[int, ...]:
        return self._reps[i]

    def end(self, i: int) -> float:
        return self.edges[i + 1] if i + 1 < len(self.edges) else math.inf


def _slots(routine: Routine) -> Iterable[_Slot]:
    """Every value that stretches, with how often the session holds it (as the planner lays it out)."""

    def slot(value: float, bounds: tuple[float, float] | None, count: int) -> list[_Slot]:
        if value <= 0 or count <= 0:
            return []
        low, high = bounds or (0.0, MAX_PAUSE_S)
        return [_Slot(value, low, high, count)]

    for step in (*routine.intro, *routine.precautions, *routine.outro, *(s for t in routine.techniques for s in t.steps)):
        if step.kind != "chime":
            yield from slot(step.seconds, step.pause_range, 1)
    for t in routine.techniques:
        sides = 2 if t.sides == "each" else 1
        yield from slot(t.hold_s, t.hold_range, t.repetitions * sides)
        yield from slot(t.rest_s, t.rest_range, (t.repetitions - 1) * sides)
        yield from slot(t.pause_after_s, t.pause_after_range, 1)


def _with_values(routine: Routine, reps: tuple[int, ...], factor: float) -> Routine:
    def steps(items: tuple[Step, ...]) -> tuple[Step, ...]:
        return tuple(s if s.kind == "chime" else replace(s, seconds=scaled(s.seconds, s.pause_range, factor)) for s in items)

    def technique(t: Technique, n: int) -> Technique:
        return replace(
            t, steps=steps(t.steps), repetitions=n, hold_s=scaled(t.hold_s, t.hold_range, factor),
            rest_s=scaled(t.rest_s, t.rest_range, factor), pause_after_s=scaled(t.pause_after_s, t.pause_after_range, factor),
        )  # fmt: skip

    return replace(
        routine, intro=steps(routine.intro), precautions=steps(routine.precautions), outro=steps(routine.outro),
        techniques=tuple(technique(t, n) for t, n in zip(routine.techniques, reps, strict=True)),
    )  # fmt: skip


def _changes(before: Routine, after: Routine) -> Iterable[Change]:
    titles = chapter_titles(before)

    def pauses(steps: Iterable[Step]) -> float:
        return sum(s.seconds for s in steps if s.kind != "chime")

    def differs(a: float, b: float) -> bool:
        return abs(a - b) >= 0.005

    opening = (*before.intro, *before.precautions), (*after.intro, *after.precautions)
    if differs(pauses(opening[0]), pauses(opening[1])):
        yield Change(titles[0], "pauses", pauses(opening[0]), pauses(opening[1]))
    for t, u, title in zip(before.techniques, after.techniques, titles[1:], strict=False):
        if u.repetitions != t.repetitions:
            bounds = (float(t.repetitions_range[0]), float(t.repetitions_range[1])) if t.repetitions_range else None
            yield Change(title, "repetitions", t.repetitions, u.repetitions, bounds)
        for what, old, new, bounds in (
            ("hold", t.hold_s, u.hold_s, t.hold_range),
            ("rest", t.rest_s, u.rest_s, t.rest_range),
            ("pause after", t.pause_after_s, u.pause_after_s, t.pause_after_range),
            ("pauses", pauses(t.steps), pauses(u.steps), None),
        ):
            if differs(old, new) and (what != "rest" or u.repetitions > 1):
                yield Change(title, what, old, new, bounds)
    if differs(pauses(before.outro), pauses(after.outro)):
        yield Change(titles[-1], "pauses", pauses(before.outro), pauses(after.outro))


def _stretched(before: Routine, after: Routine) -> Iterable[Change]:
    """Each value without a range, one by one, as written and as fitted (the caller knows the factor passed the bounds)."""
    titles = chapter_titles(before)

    def steps(title: str, old: tuple[Step, ...], new: tuple[Step, ...]) -> Iterable[Change]:
        for a, b in zip(old, new, strict=True):
            if a.kind != "chime" and a.pause_range is None and a.seconds > 0:
                yield Change(title, "pause", a.seconds, b.seconds)

    yield from steps(titles[0], (*before.intro, *before.precautions), (*after.intro, *after.precautions))
    for t, u, title in zip(before.techniques, after.techniques, titles[1:], strict=False):
        yield from steps(title, t.steps, u.steps)
        for what, old, new, bounds in (
            ("hold", t.hold_s, u.hold_s, t.hold_range),
            ("rest", t.rest_s, u.rest_s, t.rest_range if u.repetitions > 1 else (0.0, 0.0)),
            ("pause after", t.pause_after_s, u.pause_after_s, t.pause_after_range),
        ):
            if bounds is None and old > 0:
                yield Change(title, what, old, new)
    yield from steps(titles[-1], before.outro, after.outro)


class _Refusal:
    """The one line that says a target cannot be met, with the shortest and longest lengths possible."""

    def __init__(self, routine: Routine, target_s: float, shortest: float, longest: float) -> None:
        self.where = str(routine.source)
        self.target = format_duration(target_s)
        self.span = f"from {format_duration(math.ceil(shortest))} to {format_duration(math.floor(longest))}"

    def out_of_range(self) -> LimitError:
        return LimitError(
            f"{self.where}: cannot fit the session into {self.target}: with this voice and rate it can last {self.span}",
            hint="choose a length in that range, or widen the routine's ranges (hold: 5s..20s, repetitions: 6..12)",
        )

    def between(self, below: float, above: float) -> LimitError:
        return LimitError(
            f"{self.where}: cannot fit the session into {self.target}: with this voice and rate it can last {self.span},"
            f" but not between {format_duration(below)} and {format_duration(above)}",
            hint="choose another length, or give holds or pauses a range to take up the difference",
        )


def _num(x: float) -> str:
    return f"{x:.2f}".rstrip("0").rstrip(".")
