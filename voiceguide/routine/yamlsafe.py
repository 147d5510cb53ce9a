"""Reading YAML text into located nodes, refusing what a routine never needs.

Only the plain data of YAML is accepted: no anchors or aliases (they can blow a small
file up to gigabytes), no tags beyond the standard scalar ones, no deep nesting and a
single document. Nothing is ever constructed into Python objects here, and every scalar
is checked as it is read, so a value that cannot be read (``!!int ten``, a number of
5,000 digits) is a located problem rather than an exception later.

Events come from libyaml when PyYAML has it (five to ten times faster on a 1 MiB file);
a file libyaml refuses is read again by the pure-Python parser, whose messages are the
ones users see. Both give the same nodes; only where an empty value (``title:``) is
said to stand can differ by a position, which no routine problem depends on.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.events import AliasEvent, NodeEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.parser import Parser
from yaml.reader import Reader, ReaderError
from yaml.resolver import Resolver
from yaml.scanner import Scanner

from voiceguide.errors import Problem, RoutineError
from voiceguide.routine.slips import colon_in_block, colon_in_flow, line_of, tab_in_indentation, unclosed_quote

CParser: Any
try:
    from yaml.cyaml import CParser  # type: ignore[attr-defined]
except ImportError:  # PyYAML without libyaml
    CParser = None

MAX_DEPTH = 32
PY_ERRORS_MAX_CHARS = 256 * 1024
_TAG = "tag:yaml.org,2002:"
SCALAR_TAGS = {_TAG + t for t in ("str", "int", "float", "bool", "null", "timestamp")}
PLAIN_TAGS = SCALAR_TAGS | {_TAG + "map", _TAG + "seq"}
_KIND_TAGS: dict[type[Node], str] = {MappingNode: _TAG + "map", SequenceNode: _TAG + "seq"}


class YamlReject(Exception):
    """A YAML feature a routine may not use, with where it stands."""

    def __init__(self, line: int, column: int, message: str, hint: str) -> None:
        super().__init__(message)
        self.line, self.column, self.message, self.hint = line, column, message, hint


class _Checked(Composer, Resolver):
    """Composition with the routine's rules; the events come from either parser."""

    def __init__(self) -> None:
        Composer.__init__(self)
        Resolver.__init__(self)
        self._depth = 0

    def compose_node(self, parent: Node | None, index: object) -> Node:
        event = self.peek_event()  # type: ignore[attr-defined]
        mark = event.start_mark
        if isinstance(event, AliasEvent) or (isinstance(event, NodeEvent) and event.anchor):
            raise YamlReject(
                mark.line + 1, mark.column + 1, "YAML anchors and aliases (& and *) are not allowed", "write the value out in full"
            )
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise YamlReject(
                mark.line + 1,
                mark.column + 1,
                f"nested more than {MAX_DEPTH} levels deep",
                "a routine needs only a few levels; remove the extra brackets or indentation",
            )
        try:
            node = super().compose_node(parent, index)  # type: ignore[arg-type]
        finally:
            self._depth -= 1
        assert node is not None  # composing at an event always makes a node
        _check_node(node)
        return node


def _check_node(node: Node) -> None:
    mark = node.start_mark
    where = (mark.line + 1, mark.column + 1)
    if node.tag not in PLAIN_TAGS:
        raise YamlReject(
            *where,
            f"the YAML tag '{_short(node.tag)}' is not allowed",
            "remove the tag (the part starting with !) and write plain text, numbers, lists or mappings",
        )
    if isinstance(node, ScalarNode):
        if node.tag not in SCALAR_TAGS:
            raise YamlReject(*where, f"the tag !!{node.tag.rsplit(':', 1)[-1]} is on a single value", "remove the tag")
        try:
            scalar_value(node)
        except (ValueError, LookupError, ArithmeticError, TypeError, yaml.YAMLError):
            kind = node.tag.rsplit(":", 1)[-1]
            digits = sum(ch.isdigit() for ch in node.value)
            if kind == "int" and digits > 100:
                raise YamlReject(
                    *where, f"the number has {digits} digits", "write a number a routine can use (repetitions are at most 1000)"
                ) from None
            raise YamlReject(
                *where, f"'{_short(node.value)}' is not a valid {kind} value", f"remove the !!{kind} tag or write a valid {kind}"
            ) from None
    elif node.tag != _KIND_TAGS[type(node)]:
        raise YamlReject(
            *where,
            f"the tag !!{node.tag.rsplit(':', 1)[-1]} is on a {'list' if isinstance(node, SequenceNode) else 'mapping'}",
            "remove the tag",
        )


def _short(text: str, limit: int = 40) -> str:
    shown = "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text[: limit + 1])
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


class _PyLoader(Reader, Scanner, Parser, _Checked):
    def __init__(self, text: str) -> None:
        Reader.__init__(self, text)
        Scanner.__init__(self)
        Parser.__init__(self)
        _Checked.__init__(self)


if CParser is not None:

    class _CLoader(_Checked, CParser):  # type: ignore[misc]  # _Checked first: its composition, libyaml's events
        def __init__(self, text: str) -> None:
            CParser.__init__(self, text)
            _Checked.__init__(self)


def compose(text: str, fast: bool = True) -> Node | None:
    """Parse one YAML document into checked nodes. Raises ``YamlReject`` or ``yaml.YAMLError``.

    ``fast`` uses libyaml's parser when available. A YAML error it reports in a text of
    up to ``PY_ERRORS_MAX_CHARS`` is read again with the pure-Python parser, so the
    message does not depend on libyaml; in a larger text (re-reading 1 MiB in pure
    Python takes seconds) libyaml's own located message is kept.
    """
    if fast and CParser is not None and "\ufeff" not in text:  # libyaml skips a BOM anywhere; Python reads it as text
        try:
            loader = _CLoader(text)
        except UnicodeEncodeError:  # a lone surrogate: the pure-Python reader names it
            pass
        else:
            try:
                return loader.get_single_node()
            except yaml.YAMLError:
                if len(text) > PY_ERRORS_MAX_CHARS:
                    raise
            finally:
                loader.dispose()
    slow = _PyLoader(text)
    try:
        return slow.get_single_node()
    finally:
        slow.dispose()


_CONVERT = SafeConstructor()  # its scalar methods keep no state between calls
_SCALARS = {
    "int": SafeConstructor.construct_yaml_int,
    "float": SafeConstructor.construct_yaml_float,
    "bool": SafeConstructor.construct_yaml_bool,
    "null": SafeConstructor.construct_yaml_null,
}


def scalar_value(node: yaml.ScalarNode) -> object:
    """The plain value of a scalar node (str, int, float, bool or None); timestamps stay text."""
    kind = node.tag.rsplit(":", 1)[-1]
    convert = _SCALARS.get(kind)
    if convert is None:
        return str(node.value)
    return convert(_CONVERT, node)


LINE_BREAK = re.compile("\r\n|[\n\r\x85\u2028\u2029]")  # what YAML counts as a line break


def _line_column(text: str, position: int) -> tuple[int, int]:
    """1-based line and column of a character position, counting lines as YAML does."""
    line, start = 1, 0
    for match in LINE_BREAK.finditer(text, 0, position):
        line, start = line + 1, match.end()
    return line, position - start + 1


_OPENED = {"a quoted scalar": "a quoted text", "a flow sequence": "a [ list", "a flow mapping": "a { mapping"}


def _one_line(text: str) -> str:
    return " ".join(text.split())


def parse(path: Path | str, text: str) -> Node | None:
    """``text`` (the content of ``path``) as checked nodes; every YAML error becomes a located RoutineError."""
    try:
        return compose(text)
    except YamlReject as err:
        raise RoutineError([Problem(path, err.line, err.column, err.message, err.hint)]) from None
    except ReaderError as err:
        line, column = _line_column(text, err.position)
        code = err.character if isinstance(err.character, int) else ord(str(err.character)[:1] or "?")
        message = f"the file contains the character U+{code:04X}, which YAML does not allow"
        raise RoutineError(
            [Problem(path, line, column, message, "remove it (inside double quotes, write control characters as \\t or \\n)")]
        ) from None
    except yaml.MarkedYAMLError as err:
        what = _one_line(err.problem or err.context or "invalid YAML")
        hint = _yaml_hint(what)
        mark = err.problem_mark or err.context_mark
        if ("end of stream" in what or "<stream end>" in what) and err.context_mark is not None:
            mark = err.context_mark  # point at what was left open, not at the end of the file
            opened = _one_line(err.context or "").removeprefix("while scanning ").removeprefix("while parsing ")
            what = f"{_OPENED.get(opened, opened)} that is never closed"
            hint = "close the quote or bracket that starts here"
        if "found another document" in what:
            what, hint = "a second document starts here", "a routine is one YAML document: remove this '---' line, or split the file in two"
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        slip = _slip(err, text, mark.line if mark else 0)
        message = slip[0] if slip else f"this is not valid YAML: {what}"
        raise RoutineError([Problem(path, line, column, message, slip[1] if slip else hint)]) from None
    except (yaml.YAMLError, RecursionError) as err:
        raise RoutineError(
            [Problem(path, 1, 1, f"this is not valid YAML: {_one_line(str(err))}", "check the indentation and quoting")]
        ) from None


def _slip(err: yaml.MarkedYAMLError, text: str, line: int) -> tuple[str, str] | None:
    """The slip a person most likely made, when the error looks like one (see slips.py)."""
    lines = LINE_BREAK.split(text)
    source = line_of(lines, line)
    problem, context = err.problem or "", err.context or ""
    if "'\\t'" in problem or "\t" in problem or "tab" in problem:
        return tab_in_indentation(lines, line)
    if "quoted scalar" in context and err.context_mark is not None:
        return unclosed_quote(source, err.context_mark.column)
    if "expected ',' or '}', but got ':'" in problem and err.problem_mark is not None:
        return colon_in_flow(source, err.problem_mark.column)
    if "mapping values are not allowed here" in problem:
        return colon_in_block(source)
    return None


def _yaml_hint(what: str) -> str:
    if "tab" in what:
        return "indent with spaces, not tabs"
    if "mapping values are not allowed" in what:
        return "put text containing ': ' in quotes"
    if "expected <block end>" in what or "indentation" in what:
        return "line up the keys of one level at the same indentation"
    if "found character" in what or "found unexpected" in what:
        return "put the text in quotes"
    return "check the indentation and quoting near this place"
