"""Pronunciations: the routine's respellings applied to what the narrator is given (captions keep the written words).

Whole words, case-insensitive, in one pass over the text with one pattern for the whole
list: a respelling is literal text and is not respelled again, so a line can grow by one
entry's respelling per word at most, never by a chain of entries.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Any


def respell(text: str, pronunciations: tuple[tuple[str, str], ...]) -> str:
    """Apply the routine's pronunciation list: whole words, case-insensitive, in one pass.

    A respelling is literal text (``\\1`` or ``\\g<0>`` in it is said as written) and is
    not respelled again, so no chain of entries can make a line grow more than one entry
    can; where words overlap, the longest wins.
    """
    if not pronunciations:
        return text
    pattern, says = _respeller(pronunciations)
    return pattern.sub(lambda m: says.get(m.group(0).lower()) or _say(m.group(0), pronunciations), text)


@functools.lru_cache(maxsize=16)
def _respeller(pronunciations: tuple[tuple[str, str], ...]) -> tuple[re.Pattern[str], dict[str, str]]:
    """One pattern for every word (a trie, so matching costs the text's length, not the list's) and the respellings."""
    trie: dict[str, Any] = {}
    for word, _ in pronunciations:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}  # a word ends here
    return re.compile(rf"(?<!\w){_alternatives(trie)}(?!\w)", re.IGNORECASE), {w.lower(): say for w, say in pronunciations}


def _alternatives(node: dict[str, Any]) -> str:
    """The regular expression of a trie node: its branches, the longest first through greedy matching."""
    branches = [re.escape(ch) + _alternatives(child) for ch, child in node.items() if ch]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    return f"(?:{body})?" if "" in node else body


def _say(found: str, pronunciations: tuple[tuple[str, str], ...]) -> str:
    """The respelling of a match whose lower case differs from its entry's (case rules outside ASCII)."""
    return next((say for word, say in pronunciations if re.fullmatch(re.escape(word), found, re.IGNORECASE)), found)


def speakable(text: str) -> bool:
    """Whether ``text`` has anything a narrator can say: a letter or a digit (punctuation and marks alone are silence)."""
    return any(unicodedata.category(ch)[0] in "LN" for ch in text)
