"""Small located checks over YAML nodes; each failure becomes a Problem, never an exception."""

from __future__ import annotations

import difflib
import math
import string
import unicodedata
from collections.abc import Mapping
from pathlib import Path

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from voiceguide.durations import format_duration, parse_duration
from voiceguide.errors import Problem
from voiceguide.routine.slips import flow_comma, word_read_as_value
from voiceguide.routine.yamlsafe import LINE_BREAK, scalar_value
from voiceguide.text import printable

_INVISIBLE = {"Cf", "Zs", "Zl", "Zp", "Cc"}  # format characters (zero-width space, …) and spaces
_KINDS = {MappingNode: "a mapping (key: value lines)", SequenceNode: "a list (lines starting with -)", ScalarNode: "a single value"}


def describe(node: Node) -> str:
    if isinstance(node, ScalarNode):
        value = scalar_value(node)
        if value is None:
            return "empty"
        if isinstance(value, bool):
            return f"{str(value).lower()} (a yes/no value)"
        if isinstance(value, (int, float)):
            return f"the number {shown(node.value)}"
        return f"the text '{shown(str(value))}'"
    return _KINDS[type(node)]


def shown(text: str, limit: int = 40) -> str:
    """``text`` for a one-line message: invisible and control characters escaped, at most ``limit`` characters."""
    out = printable(text[: limit + 1])
    return out if len(out) <= limit else out[: limit - 1] + "…"


MAX_PROBLEMS = 100  # listed per file; a hostile file can hold tens of thousands


class Checker:
    """Collects every problem of one file in one pass (the first ``MAX_PROBLEMS``, then a count of the rest)."""

    def __init__(self, path: Path | str, text: str = "") -> None:
        self.path = path
        self.lines = LINE_BREAK.split(text) if text else []  # the file's lines, to show one as it should be
        self.problems: list[Problem] = []
        self._unlisted = 0

    @property
    def listing(self) -> bool:
        """Whether a new problem is still listed (if not, it is only counted: skip costly hints)."""
        return len(self.problems) < MAX_PROBLEMS

    def problem(self, node: Node, message: str, hint: str = "") -> None:
        mark = node.start_mark
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(self.path, mark.line + 1, mark.column + 1, message, hint))
            return
        if not self._unlisted:
            self.problems.append(Problem(self.path, mark.line + 1, mark.column + 1, "", "fix the problems above and check again"))
        self._unlisted += 1
        first = self.problems[-1]
        more = f"and {self._unlisted:,} more problem{'s' if self._unlisted > 1 else ''} from here on, not listed"
        self.problems[-1] = Problem(first.path, first.line, first.column, more, first.hint)

    def mapping(self, node: Node, where: str, allowed: tuple[str, ...], required: tuple[str, ...] = ()) -> dict[str, Node]:
        """The keys of a mapping node; reports duplicates, unknown keys (with did-you-mean) and missing ones."""
        if not isinstance(node, MappingNode):
            self.problem(
                node,
                f"{where} should be a mapping of keys, got {describe(node)}",
                f"write it as key: value lines; allowed keys: {', '.join(allowed)}",
            )
            return {}
        found: dict[str, Node] = {}
        for key_node, value_node in node.value:
            key = scalar_value(key_node) if isinstance(key_node, ScalarNode) else None
            if not isinstance(key, str):
                self.problem(key_node, f"a key in {where} must be a word, got {describe(key_node)}", f"allowed keys: {', '.join(allowed)}")
                continue
            if key in found:
                first = found[key].start_mark.line + 1
                self.problem(key_node, f"'{shown(key)}' appears twice in {where} (first on line {first})", "keep one of them")
                continue
            slip = flow_comma(self.lines, node, key_node) if key not in allowed else None
            if slip:
                self.problem(key_node, *slip)
                continue
            if key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6) if self.listing else []
                hint = f"did you mean '{close[0]}'?" if close else f"allowed keys: {', '.join(allowed)}"
                self.problem(key_node, f"unknown key '{shown(key)}' in {where}", hint)
                continue
            found[key] = value_node
        for key in required:
            if key not in found:
                self.problem(node, f"{where} has no '{key}'", f"add a line '{key}: …'")
        return found

    def sequence(self, node: Node, where: str) -> list[Node]:
        if isinstance(node, SequenceNode):
            return list(node.value)
        self.problem(node, f"{where} should be a list, got {describe(node)}", "write each item on its own line starting with '- '")
        return []

    def text(self, node: Node, where: str, max_len: int = 1000, allow_empty: bool = False) -> str | None:
        value = scalar_value(node) if isinstance(node, ScalarNode) else None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = node.value  # a bare number is fine as text ("5")
        slip = word_read_as_value(self.lines, node, value) if isinstance(node, ScalarNode) else None
        if slip:
            self.problem(node, *slip)
            return None
        if not isinstance(value, str):
            self.problem(
                node,
                f"{where} should be text, got {describe(node)}",
                "write the words after the colon, in quotes if they contain ': ' or start with a symbol",
            )
            return None
        value = value.strip()
        if not value and not allow_empty:
            self.problem(node, f"{where} is empty", "write the words, or remove the line")
            return None
        if len(value) > max_len:
            self.problem(node, f"{where} is {len(value)} characters long, more than {max_len}", "split it into several shorter steps")
            return None
        if any(unicodedata.category(c) in ("Cc", "Cs") and c not in "\n\t" for c in value):
            self.problem(node, f"{where} contains control characters", "remove them; write plain text")
            return None
        if not allow_empty and all(unicodedata.category(c) in _INVISIBLE for c in value):
            self.problem(node, f"{where} has no visible characters", "write the words, or remove the line")
            return None
        return " ".join(value.split())

    def integer(self, node: Node, where: str, low: int, high: int) -> int | None:
        value = scalar_value(node) if isinstance(node, ScalarNode) else None
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool):
            self.problem(node, f"{where} should be a whole number, got {describe(node)}", f"write a number from {low} to {high}")
            return None
        if not low <= value <= high:
            self.problem(node, f"{where} is {value}, outside {low}–{high}", f"write a number from {low} to {high}")
            return None
        return value

    def number(self, node: Node, where: str, low: float, high: float, unit: str = "") -> float | None:
        value = scalar_value(node) if isinstance(node, ScalarNode) else None
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
            self.problem(node, f"{where} should be a number, got {describe(node)}", f"write a number from {low:g} to {high:g}{unit}")
            return None
        if not low <= value <= high:
            self.problem(node, f"{where} is {value:g}, outside {low:g} to {high:g}{unit}", f"write a number from {low:g} to {high:g}{unit}")
            return None
        return float(value)

    def duration(self, node: Node, where: str, max_s: float = 7200.0) -> float | None:
        value = scalar_value(node) if isinstance(node, ScalarNode) else None
        try:
            seconds = parse_duration(value if isinstance(node, ScalarNode) else object())
        except ValueError as err:
            got = describe(node) if not isinstance(value, str) else f"'{shown(value)}'"
            hint = str(err).split("; ")[-1] if "; " in str(err) else "write it as 5s, 1m30s, 2m or plain seconds"
            self.problem(node, f"{where} should be a duration, got {got}", shown(hint, 120))
            return None
        if seconds > max_s:
            self.problem(
                node,
                f"{where} is {format_duration(seconds)}, longer than {format_duration(max_s)}",
                f"write a duration from 0s to {format_duration(max_s)}",
            )
            return None
        return seconds

    def boolean(self, node: Node, where: str) -> bool | None:
        value = scalar_value(node) if isinstance(node, ScalarNode) else None
        if not isinstance(value, bool):
            self.problem(node, f"{where} should be true or false, got {describe(node)}", "write true or false")
            return None
        return value

    def choice(self, node: Node, where: str, options: tuple[str, ...]) -> str | None:
        value = scalar_value(node) if isinstance(node, ScalarNode) else None
        if not isinstance(value, str) or value not in options:
            got = f"'{shown(value)}'" if isinstance(value, str) else describe(node)
            close = difflib.get_close_matches(str(value), options, n=1, cutoff=0.5) if isinstance(value, str) else []
            hint = f"did you mean '{close[0]}'?" if close else f"write one of: {', '.join(options)}"
            self.problem(node, f"{where} is {got}, not one of {', '.join(options)}", hint)
            return None
        return value

    def template(self, node: Node, where: str, allowed: Mapping[str, int], max_len: int = 1000) -> str | None:
        """Text with {placeholders}; only ``allowed`` names (name → longest value), written bare.

        A format spec (``{n:>99999}``) would make a huge string, and many placeholders a
        line far longer than written: the line as said, filled with the longest values,
        must fit in ``max_len`` characters.
        """
        value = self.text(node, where, max_len)
        if value is None:
            return None
        try:
            parsed = list(string.Formatter().parse(value))
            fields = [(f, spec, conversion) for _, f, spec, conversion in parsed if f is not None]
        except ValueError:
            self.problem(
                node, f"{where} has an unmatched {{ or }}", "write placeholders as {n}; double a brace ({{ or }}) to say it literally"
            )
            return None
        for name, spec, conversion in fields:
            if spec or conversion:
                written = "{" + name + ("!" + conversion if conversion else "") + (":" + spec if spec else "") + "}"
                self.problem(
                    node, f"{where} has the formatted placeholder {shown(written)}", f"write the placeholder alone, as {{{shown(name)}}}"
                )
                return None
            if name not in allowed:
                known = ", ".join("{" + f + "}" for f in allowed)
                self.problem(node, f"{where} uses the unknown placeholder {{{shown(name)}}}", f"use {known}")
                return None
        filled = sum(len(literal) for literal, _, _, _ in parsed) + sum(allowed[name] for name, _, _ in fields)
        if filled > max_len:
            self.problem(
                node,
                f"{where} can be {filled} characters long once its placeholders are filled in, more than {max_len}",
                "use fewer placeholders or shorter text",
            )
            return None
        return value
