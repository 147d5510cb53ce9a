"""Where each technique's fields are written in a routine's text, so the editor's form can show and change them in place.

Only what a form field can change without touching anything else: single-line scalars
(a name, a number of repetitions, a hold). The rest of the text stays as written.
"""

from __future__ import annotations

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from voiceguide.routine.yamlsafe import YamlReject, compose

FIELDS = ("name", "repetitions", "hold", "rest", "sides", "cue")


def outline(text: str) -> list[dict[str, object]]:
    """For each technique: where its mapping's keys start (``indent``, ``line``) and each field's value and place, if written.

    Empty when the text is not YAML that holds a list of techniques (the problems say why).
    """
    try:
        root = compose(text)
    except (YamlReject, yaml.YAMLError, RecursionError):
        return []
    techniques = _value(root, "techniques")
    if not isinstance(techniques, SequenceNode):
        return []
    found = []
    for item in techniques.value:
        if not isinstance(item, MappingNode) or not item.value:
            continue
        first_key = item.value[0][0]
        entry: dict[str, object] = {
            "line": first_key.start_mark.line + 1,
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
        entry["fields"] = fields
        found.append(entry)
    return found


def _value(node: Node | None, key: str) -> Node | None:
    if not isinstance(node, MappingNode):
        return None
    return next((v for k, v in node.value if isinstance(k, ScalarNode) and k.value == key), None)
