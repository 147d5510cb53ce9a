"""Reading YAML text into located nodes, refusing what a routine never needs.

Only the plain data of YAML is accepted: no anchors or aliases (they can blow a small
file up to gigabytes), no tags beyond the standard scalar ones, no deep nesting and a
single document. Nothing is ever constructed into Python objects here.
"""

from __future__ import annotations

import yaml
from yaml.events import AliasEvent, NodeEvent
from yaml.nodes import Node

MAX_DEPTH = 32
PLAIN_TAGS = {f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null", "map", "seq", "timestamp")}


class YamlReject(Exception):
    """A YAML feature a routine may not use, with where it stands."""

    def __init__(self, line: int, column: int, message: str, hint: str) -> None:
        super().__init__(message)
        self.line, self.column, self.message, self.hint = line, column, message, hint


class _Loader(yaml.SafeLoader):
    def __init__(self, text: str) -> None:
        super().__init__(text)
        self._depth = 0

    def compose_node(self, parent: Node | None, index: object) -> Node:  # type: ignore[override]
        event = self.peek_event()
        if isinstance(event, AliasEvent) or (isinstance(event, NodeEvent) and event.anchor):
            mark = event.start_mark
            raise YamlReject(mark.line + 1, mark.column + 1, "YAML anchors and aliases (& and *) are not allowed", "write the value out in full")
        self._depth += 1
        if self._depth > MAX_DEPTH:
            mark = event.start_mark
            raise YamlReject(mark.line + 1, mark.column + 1, f"nested more than {MAX_DEPTH} levels deep", "a routine needs only a few levels; remove the extra brackets or indentation")
        try:
            node = super().compose_node(parent, index)  # type: ignore[arg-type]
        finally:
            self._depth -= 1
        if node.tag not in PLAIN_TAGS:
            mark = node.start_mark
            raise YamlReject(mark.line + 1, mark.column + 1, f"the YAML tag '{node.tag}' is not allowed", "remove the tag (the part starting with !) and write plain text, numbers, lists or mappings")
        return node


def compose(text: str) -> Node | None:
    """Parse one YAML document into nodes. Raises ``YamlReject`` or ``yaml.YAMLError``."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
    finally:
        loader.dispose()
    return node


def scalar_value(node: yaml.ScalarNode) -> object:
    """The plain value of a scalar node (str, int, float, bool or None); timestamps stay text."""
    tag = node.tag.rsplit(":", 1)[-1]
    if tag in ("str", "timestamp"):
        return str(node.value)
    constructor = yaml.constructor.SafeConstructor()
    return constructor.construct_object(node, deep=False)
