"""Ranges a routine may give instead of one value: ``hold: 5s..12s``, ``repetitions: 6..10``.

A range bounds the value when the session is fitted to a length (``voiceguide.plan.fit``);
without a length the session uses the middle of the range. Each reader returns the
value and the range (None when one value was written), and reports bad syntax as a
located problem.
"""

from __future__ import annotations

from yaml.nodes import Node, ScalarNode

from voiceguide.durations import format_duration, parse_duration
from voiceguide.routine.checks import Checker, shown
from voiceguide.routine.yamlsafe import scalar_value

SEPARATOR = ".."


def _halves(node: Node) -> tuple[str, str, str] | None:
    """``a..b`` as written in ``node`` and its two ends, or None if it is not written as a range."""
    value = scalar_value(node) if isinstance(node, ScalarNode) else None
    if not isinstance(value, str) or SEPARATOR not in value:
        return None
    low, _, high = value.partition(SEPARATOR)
    return shown(value), low.strip(), high.strip()


def duration_range(c: Checker, node: Node, where: str, max_s: float) -> tuple[float | None, tuple[float, float] | None]:
    """A duration (``5s``) or a range of durations (``5s..12s``): the value and its bounds."""
    halves = _halves(node)
    if halves is None:
        return c.duration(node, where, max_s), None
    hint = "write a range as shortest..longest, such as 5s..12s"
    written, *text = halves
    ends: list[float] = []
    for end in text:
        try:
            ends.append(parse_duration(end))
        except ValueError:
            c.problem(node, f"{where} '{written}' is not a duration or a range of durations", hint)
            return None, None
    low, high = ends
    if low > high:
        c.problem(
            node,
            f"{where} {format_duration(low)}..{format_duration(high)} goes from longer to shorter",
            f"write the shorter length first: {format_duration(high)}..{format_duration(low)}",
        )
        return None, None
    if high > max_s:
        c.problem(node, f"{where} ends at {format_duration(high)}, longer than {format_duration(max_s)}", hint)
        return None, None
    return (low + high) / 2, (low, high)


def count_range(c: Checker, node: Node, where: str, low: int, high: int) -> tuple[int | None, tuple[int, int] | None]:
    """A whole number (``8``) or a range of them (``6..10``): the value (the middle of a range) and its bounds."""
    halves = _halves(node)
    if halves is None:
        return c.integer(node, where, low, high), None
    hint = f"write a whole number from {low} to {high}, or a range such as 6..10"
    written, *text = halves
    if not all(end.isascii() and end.isdigit() for end in text):
        c.problem(node, f"{where} '{written}' is not a whole number or a range of them", hint)
        return None, None
    first, last = (int(end) for end in text)
    if first > last:
        c.problem(node, f"{where} {first}..{last} goes from more to fewer", f"write the smaller number first: {last}..{first}")
        return None, None
    if first < low or last > high:
        c.problem(node, f"{where} {first}..{last} is outside {low}–{high}", hint)
        return None, None
    return (first + last) // 2, (first, last)
