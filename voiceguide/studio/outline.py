"""Where a routine's fields are written in its text, so the editor's form can show and change them in place.

Only what a form field can change without touching anything else: single-line scalars (a name, a number of
repetitions, a hold) and lists of steps written one step a line (``intro``, ``precautions``, a technique's
``steps``). The rest of the text stays as written.
"""

from __future__ import annotations

import json
import re

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from voiceguide.routine.yamlsafe import YamlReject, compose

FIELDS = ("name", "repetitions", "hold", "rest", "sides", "switch", "cue", "chime", "release", "pause_after")
TOP_LISTS = ("intro", "precautions")
_STEP_KEYS = ("say", "pause", "chime")
_LOOKS_LIKE_A_KEY = re.compile(r"^(say|pause|chime)\s*:|^\{")
_PLAIN_VALUE = re.compile(r"^[\w.]+$")


def outline(text: str) -> list[dict[str, object]]:
    """For each technique: where its mapping starts and ends (``indent``, ``line``, ``last``) and each field's place.

    Empty when the text is not YAML that holds a list of techniques (the problems say why).
    """
    root = _root(text)
    techniques = _value(root, "techniques")
    if not isinstance(techniques, SequenceNode):
        return []
    lines = text.split("\n")
    found = []
    for item in techniques.value:
        if not isinstance(item, MappingNode) or not item.value:
            continue
        first_key = item.value[0][0]
        entry: dict[str, object] = {
            "line": first_key.start_mark.line + 1,
            "last": _last_line(item, lines),
            "indent": first_key.start_mark.column,
            "flow": bool(item.flow_style),
        }
        fields: dict[str, object] = {}
        for key, value in item.value:
            if isinstance(key, ScalarNode) and key.value in FIELDS and isinstance(value, ScalarNode):
                single = value.start_mark.line == value.end_mark.line
                fields[key.value] = {
                    "value": value.value, "line": value.start_mark.line + 1, "column": value.start_mark.column + 1,
                    "end": value.end_mark.column + 1, "editable": single and not item.flow_style and value.style in (None, "", '"', "'"),
                }  # fmt: skip
            elif isinstance(key, ScalarNode) and key.value == "steps" and not item.flow_style:
                fields["steps"] = _step_list(key, value, lines)
        entry["fields"] = fields
        found.append(entry)
    return found


def lists(text: str) -> dict[str, object]:
    """The routine's ``intro`` and ``precautions`` as step lists, and the last line of its techniques (to add one after)."""
    root = _root(text)
    if not isinstance(root, MappingNode) or root.flow_style:
        return {}
    lines = text.split("\n")
    found: dict[str, object] = {}
    for key, value in root.value:
        if isinstance(key, ScalarNode) and key.value in TOP_LISTS:
            found[key.value] = _step_list(key, value, lines)
        elif isinstance(key, ScalarNode) and key.value == "techniques":
            found["techniques"] = {"line": key.start_mark.line + 1, "last": _last_line(value, lines)}
    return found


def _step_list(key: Node, value: Node, lines: list[str]) -> dict[str, object]:
    """A list of steps as text, one step a line, and the lines it takes (its key's line to its last)."""
    steps = value.value if isinstance(value, SequenceNode) else None
    shown = [_step_line(step) for step in steps] if steps is not None else []
    return {
        "value": "\n".join(s or "" for s in shown), "line": key.start_mark.line + 1, "last": _last_line(value, lines),
        "indent": key.start_mark.column, "editable": steps is not None and all(s is not None for s in shown),
    }  # fmt: skip


def _step_line(step: Node) -> str | None:
    """One step as a line of the form: its words; ``pause: 2s``; or ``{say: "…", pause: 2s}``. None: not on one line."""
    if isinstance(step, ScalarNode):
        single = step.start_mark.line == step.end_mark.line and step.style in (None, "", '"', "'")
        return step.value if single and step.value and not _LOOKS_LIKE_A_KEY.match(step.value) else None
    if not isinstance(step, MappingNode) or not step.value:
        return None
    parts = []
    for key, value in step.value:
        if not (isinstance(key, ScalarNode) and key.value in _STEP_KEYS and isinstance(value, ScalarNode)) or "\n" in value.value:
            return None
        written = value.value if _PLAIN_VALUE.match(value.value) else json.dumps(value.value, ensure_ascii=False)
        parts.append(f"{key.value}: {written}")
    if len(parts) == 1 and not parts[0].startswith("say:"):
        return parts[0]
    return "{" + ", ".join(parts) + "}"


def _last_line(node: Node, lines: list[str]) -> int:
    """The last line (from 1) a node's text takes, leaving out blank and comment lines after it."""
    leaf = node
    while isinstance(leaf, (MappingNode, SequenceNode)) and not leaf.flow_style and leaf.value:
        leaf = leaf.value[-1][1] if isinstance(leaf, MappingNode) else leaf.value[-1]
    end = leaf.end_mark  # a block collection's own end is where the next token starts
    last = end.line if end.column == 0 else end.line + 1
    first = node.start_mark.line + 1
    while last > first and (not lines[last - 1].strip() or lines[last - 1].lstrip().startswith("#")):
        last -= 1
    return last


def _root(text: str) -> Node | None:
    try:
        return compose(text)
    except (YamlReject, yaml.YAMLError, RecursionError):
        return None


def _value(node: Node | None, key: str) -> Node | None:
    if not isinstance(node, MappingNode):
        return None
    return next((v for k, v in node.value if isinstance(k, ScalarNode) and k.value == key), None)
