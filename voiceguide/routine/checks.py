"""Small located checks over YAML nodes; each failure becomes a Problem, never an exception."""

from __future__ import annotations

import difflib
import math
import string
from pathlib import Path

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from voiceguide.durations import format_duration, parse_duration
from voiceguide.errors import Problem
from voiceguide.routine.yamlsafe import scalar_value

_KINDS = {MappingNode: "a mapping (key: value lines)", SequenceNode: "a list (lines starting with -)", ScalarNode: "a single value"}


def describe(node: Node) -> str:
    if isinstance(node, ScalarNode):
        value = scalar_value(node)
        if value is None:
            return "empty"
        if isinstance(value, bool):
            return f"{str(value).lower()} (a yes/no value)"
        if isinstance(value, (int, float)):
            return f"the number {node.value}"
        return f"the text '{_short(str(value))}'"
    return _KINDS[type(node)]


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class Checker:
    """Collects every problem of one file in one pass."""

    def __init__(self, path: Path | str) -> None:
        self.path = path
        self.problems: list[Problem] = []

    def problem(self, node: Node, message: str, hint: str = "") -> None:
        mark = node.start_mark
        self.problems.append(Problem(self.path, mark.line + 1, mark.column + 1, message, hint))

    def mapping(self, node: Node, where: str, allowed: tuple[str, ...], required: tuple[str, ...] = ()) -> dict[str, Node]:
        """The keys of a mapping node; reports duplicates, unknown keys (with did-you-mean) and missing ones."""
        if not isinstance(node, MappingNode):
            self.problem(node, f"{where} should be a mapping of keys, got {describe(node)}", f"write it as key: value lines; allowed keys: {', '.join(allowed)}")
            return {}
        found: dict[str, Node] = {}
        for key_node, value_node in node.value:
            key = scalar_value(key_node) if isinstance(key_node, ScalarNode) else None
            if not isinstance(key, str):
                self.problem(key_node, f"a key in {where} must be a word, got {describe(key_node)}", f"allowed keys: {', '.join(allowed)}")
                continue
            if key in found:
                first = found[key].start_mark.line + 1
                self.problem(key_node, f"'{key}' appears twice in {where} (first on line {first})", "keep one of them")
                continue
            if key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
                hint = f"did you mean '{close[0]}'?" if close else f"allowed keys: {', '.join(allowed)}"
                self.problem(key_node, f"unknown key '{key}' in {where}", hint)
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
        if not isinstance(value, str):
            self.problem(node, f"{where} should be text, got {describe(node)}", "write the words after the colon, in quotes if they contain ': ' or start with a symbol")
            return None
        value = value.strip()
        if not value and not allow_empty:
            self.problem(node, f"{where} is empty", "write the words, or remove the line")
            return None
        if len(value) > max_len:
            self.problem(node, f"{where} is {len(value)} characters long, more than {max_len}", "split it into several shorter steps")
            return None
        if any(ord(c) < 32 and c not in "\n\t" for c in value):
            self.problem(node, f"{where} contains control characters", "remove them; write plain text")
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
            shown = describe(node) if not isinstance(value, str) else f"'{_short(value)}'"
            self.problem(node, f"{where} should be a duration, got {shown}", str(err).split("; ")[-1] if "; " in str(err) else "write it as 5s, 1m30s, 2m or plain seconds")
            return None
        if seconds > max_s:
            self.problem(node, f"{where} is {format_duration(seconds)}, longer than {format_duration(max_s)}", f"write a duration from 0s to {format_duration(max_s)}")
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
            shown = f"'{value}'" if isinstance(value, str) else describe(node)
            close = difflib.get_close_matches(str(value), options, n=1, cutoff=0.5) if isinstance(value, str) else []
            hint = f"did you mean '{close[0]}'?" if close else f"write one of: {', '.join(options)}"
            self.problem(node, f"{where} is {shown}, not one of {', '.join(options)}", hint)
            return None
        return value

    def template(self, node: Node, where: str, fields: tuple[str, ...]) -> str | None:
        """Text with {placeholders}; only ``fields`` may be named."""
        value = self.text(node, where)
        if value is None:
            return None
        try:
            names = [f for _, f, _, _ in string.Formatter().parse(value) if f is not None]
        except ValueError:
            self.problem(node, f"{where} has an unmatched {{ or }}", "write placeholders as {n}; double a brace ({{ or }}) to say it literally")
            return None
        for name in names:
            if name not in fields:
                known = ", ".join("{" + f + "}" for f in fields)
                self.problem(node, f"{where} uses the unknown placeholder {{{name}}}", f"use {known}")
                return None
        return value
