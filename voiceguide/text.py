"""Text made safe to show: control characters escaped, every message one line; and counts said right.

File names and routine text can hold anything a file system or a YAML file allows:
escape sequences that clear the screen or set the window title, a carriage return that
hides what came before it, a newline that makes one message look like two, bidirectional
overrides that show text backwards. Whatever voiceguide prints goes through ``printable``
first, so such characters are shown as escapes (``\\x1b``, ``\\n``, ``\\u202e``) — on a
terminal and in a pipe alike, since a pipe often ends on a terminal (``| less -R``, logs).
Pure functions: the routine loader and the library use them without the command line.
"""

from __future__ import annotations

import json
import unicodedata

# Control (Cc), format (Cf: bidi overrides, zero-width characters), surrogate (Cs: bytes of a
# file name that are not UTF-8), private-use (Co) and unassigned (Cn) characters, and the
# line and paragraph separators (Zl, Zp). Spaces (Zs) stay as they are.
_HIDDEN = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(ch: str) -> str:
    if ch in _NAMED:
        return _NAMED[ch]
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def printable(text: object) -> str:
    """``text`` (or ``str(text)``) as one line in which every control or invisible character is shown escaped."""
    text = str(text)
    if text.isprintable():  # the usual case, and fast
        return text
    return "".join(_escape(ch) if unicodedata.category(ch) in _HIDDEN else ch for ch in text)


def json_text(value: object) -> str:
    """``value`` as one line of JSON whose strings show every control or invisible character as a ``\\u`` escape (same data)."""
    text = json.dumps(value, ensure_ascii=False)
    if text.isprintable():
        return text
    return "".join(_json_escape(ch) if unicodedata.category(ch) in _HIDDEN else ch for ch in text)


def _json_escape(ch: str) -> str:
    code = ord(ch)
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000  # JSON writes characters past the BMP as a surrogate pair
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def counted(n: int, noun: str) -> str:
    """``n`` and the noun, plural unless one: "1 chapter", "19 chapters" (for the English the command line speaks)."""
    return f"{n} {noun}{'' if n == 1 else 's'}"
