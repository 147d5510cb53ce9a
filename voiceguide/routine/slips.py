"""The common YAML slips of people writing routines, each explained with its real fix and the line as it should be.

A comma or colon inside the plain text of a ``{say: …, pause: …}`` mapping, a line such as
``- Note: keep it light.`` read as a key, a tab in the indentation, a ``#`` that starts a
comment in the middle of a line of speech, ``yes``/``no``/``on``/``off``/``null`` read as
values instead of words, and a quote never closed. Each function here returns the message
and the hint, or None when the text does not look like that slip; the caller locates it.
"""

from __future__ import annotations

import difflib
import re

from yaml.nodes import MappingNode, Node, ScalarNode

Slip = tuple[str, str]  # (message, hint)
SENTENCE_END = (".", "!", "?", "…", ":", ";", ",", ")", '"', "'")
_FLOW_KEY = re.compile(r"(?:^|[{,])\s*([A-Za-z_][\w-]*)\s*:\s")  # a key inside a { mapping }: "{say: " or ", pause: "
WORDS_YAML_READS = {"true": "true", "false": "false", "null": "nothing (null)"}


def _plain(node: Node) -> bool:
    """Written without quotes (libyaml says '' where PyYAML says None)."""
    return isinstance(node, ScalarNode) and not node.style


def quoted(text: str) -> str:
    """``text`` as a double-quoted YAML scalar."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def line_of(lines: list[str], index: int) -> str:
    return lines[index] if 0 <= index < len(lines) else ""


def with_quotes(line: str, start: int, end: int) -> str:
    """``line`` with its characters from ``start`` to ``end`` quoted, without its indentation."""
    return (line[:start] + quoted(line[start:end].rstrip()) + line[end:]).strip()


def flow_comma(lines: list[str], mapping: MappingNode, stray: Node) -> Slip | None:
    """``{say: Breathe in, and out., pause: 2s}``: the comma ended the text, and ``and out.`` became a key."""
    if not mapping.flow_style or not isinstance(stray, ScalarNode) or not _plain(stray):
        return None
    pairs = mapping.value
    index = next((i for i, (k, _) in enumerate(pairs) if k is stray), 0)
    if index == 0 or not isinstance(pairs[index][1], ScalarNode) or pairs[index][1].value != "":
        return None  # a stray key has no value of its own; the text before it is the previous value
    before = pairs[index - 1][1]
    line = line_of(lines, before.start_mark.line)
    if not isinstance(before, ScalarNode) or not _plain(before) or stray.start_mark.line != before.start_mark.line:
        return None
    nxt = pairs[index + 1][0] if index + 1 < len(pairs) else None
    end = nxt.start_mark.column if nxt is not None and nxt.start_mark.line == before.start_mark.line else line.rfind("}")
    end = line.rfind(",", 0, end) if nxt is not None else end
    if end <= before.start_mark.column:
        return None
    text = line[before.start_mark.column : end].strip()
    return (
        f"the comma in '{text}' ends the text inside {{ }}, so YAML reads '{stray.value}' as another key",
        f"put the text in quotes: {with_quotes(line, before.start_mark.column, end)}",
    )


def word_key(lines: list[str], node: MappingNode, allowed: tuple[str, ...]) -> Slip | None:
    """``- Note: keep the pressure light.``: a line of speech whose first word ends with a colon, read as a key."""
    if len(node.value) != 1 or node.flow_style:
        return None
    key, value = node.value[0]
    if not isinstance(key, ScalarNode) or not _plain(key) or key.value in allowed:
        return None
    if difflib.get_close_matches(key.value, allowed, n=1, cutoff=0.6):
        return None  # a misspelt key: did-you-mean says more
    if not isinstance(value, ScalarNode) or not _plain(value) or not value.value or value.start_mark.line != key.start_mark.line:
        return None
    line = line_of(lines, key.start_mark.line)
    said = line[key.start_mark.column : value.end_mark.column]
    return (
        f"'{said}' is read as the key '{key.value}' because of the colon after it",
        f"put the line in quotes to say it: {with_quotes(line, key.start_mark.column, value.end_mark.column)}",
    )


def comment_in_speech(lines: list[str], node: ScalarNode) -> Slip | None:
    """``- Press with thumb #2 gently.``: the ``#`` started a comment, and only the words before it would be said."""
    if not _plain(node) or node.end_mark.line != node.start_mark.line:
        return None
    line = line_of(lines, node.end_mark.line)
    rest = line[node.end_mark.column :]
    typed = re.match(r"(\s+)#(.?)", rest)
    if typed is None or node.value.endswith(SENTENCE_END):
        return None  # a comment after a whole sentence is a comment
    if len(typed.group(1)) > 1 and typed.group(2) in (" ", ""):
        return None  # "Breathe in   # slowly": set apart like a comment, so meant as one
    full = line[node.start_mark.column :].rstrip()
    return (
        f"the '#' starts a comment, so only '{node.value}' would be said",
        f"put the line in quotes to say all of it: {with_quotes(line, node.start_mark.column, len(full) + node.start_mark.column)}",
    )


def word_read_as_value(lines: list[str], node: ScalarNode, value: object) -> Slip | None:
    """``- Yes`` or ``say: off``: YAML reads these words as true, false or null, not as text."""
    if not _plain(node) or not node.value or not isinstance(value, bool | type(None)):
        return None
    kind = WORDS_YAML_READS["null" if value is None else str(value).lower()]
    line = line_of(lines, node.start_mark.line)
    start, end = node.start_mark.column, node.end_mark.column
    fixed = with_quotes(line, start, end) if line[start:end] == node.value else quoted(node.value)
    return f"YAML reads the word '{node.value}' as {kind}, not as words to say", f"put it in quotes: {fixed}"


def tab_in_indentation(lines: list[str], index: int) -> Slip | None:
    """A tab before the first character of a line: YAML indents with spaces only.

    The line as it should be is indented like the line above, two spaces more after a key that opens a block.
    """
    line = line_of(lines, index)
    indent = line[: len(line) - len(line.lstrip(" \t"))]
    if "\t" not in indent:
        return None
    above = next((lines[i] for i in range(index - 1, -1, -1) if lines[i].strip() and "\t" not in lines[i]), "")
    spaces = len(above) - len(above.lstrip(" ")) + (2 if above.rstrip().endswith(":") else 0)
    spaces += 2 if above.lstrip().startswith("- ") and not above.rstrip().endswith(":") else 0  # a key beside the dash
    return (
        "a tab in the indentation (YAML indents with spaces only)",
        f"indent with spaces, not tabs: '{' ' * spaces}{line.strip()}' (most editors can insert spaces for the Tab key)",
    )


def colon_in_flow(line: str, column: int) -> Slip | None:
    """``{say: Breathe in: slowly., pause: 2s}``: a colon inside a flow mapping's plain text."""
    keys = [m for m in _FLOW_KEY.finditer(line) if m.end() <= column]
    if not keys or line.find("{") < 0:
        return None
    start = keys[-1].end()
    following = _FLOW_KEY.search(line, column + 1)
    end = following.start() if following else line.rfind("}")
    if end <= start:
        return None
    text = line[start:end].strip()
    return (
        f"the colon in '{text}' is read as the start of another key inside {{ }}",
        f"put the text in quotes: {with_quotes(line, start, end)}",
    )


def colon_in_block(line: str) -> Slip | None:
    """``- Note: this: breaks`` or ``say: Note: slowly``: a second ': ' in a line YAML already reads as key: value."""
    body = line.strip()
    dash = body.startswith("- ")
    body = body[2:].lstrip() if dash else body
    key = re.match(r"[a-z_]+:\s", body)
    if key is None and not dash:
        return None
    start = len(line) - len(line.lstrip()) + (len(line.strip()) - len(body)) + (key.end() if key else 0)
    end = len(line.rstrip())
    if ": " not in line[start:end]:
        return None  # the colon is the key's own: something else is wrong (the indentation, most often)
    return (
        f"the colon in '{line[start:end].strip()}' makes YAML read it as another key: value",
        f"put the {'text' if key else 'line'} in quotes: {with_quotes(line, start, end)}",
    )


def unclosed_quote(line: str, column: int) -> Slip | None:
    """A quote opened at ``column`` and never closed: the fix closes it at the end of its line."""
    quote = line[column : column + 1]
    if quote not in ("'", '"'):
        return None
    body = line[column:].rstrip()
    return (
        f"the quote {quote} opened here is never closed, so the rest of the file is read as part of this text",
        f"close it at the end of the line: {(line[:column] + body + quote).strip()}",
    )
