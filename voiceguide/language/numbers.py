"""Numbers as words in one language, from the table in its phrase file: counts are spoken and captioned alike.

A phrase file lists 0–99 in full (ten rows of ten, as said when counting aloud), the
hundreds, how a hundred joins what follows, and the thousand. Everything from 1 to
1000 follows from that, so a new language needs a file and no code. A table instead
of rules: every language has its own exceptions below a hundred (French 71 and 80,
Italian 21 and 28, Dutch 22), and a table shows them as they are written.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

HIGHEST = 1000


@dataclass(frozen=True)
class Numbers:
    """How one language says the numbers from 0 to 1000."""

    below_100: tuple[str, ...]  # 0–99
    hundreds: tuple[str, ...]  # 100, 200, … 900 said alone
    hundreds_before: tuple[str, ...]  # the same, followed by the rest (Spanish ciento, French deux cent)
    hundreds_join: str  # "{hundreds} and {rest}"
    last_forms: tuple[tuple[int, str], ...]  # a number's form as the last part of a longer one (Dutch 101 honderdeen)
    fixes: tuple[tuple[str, str], ...]  # spelling fixes where two parts meet (Italian cento + ottanta → centottanta)
    thousand: str

    def words(self, n: int) -> str:
        """``n`` (0–1000) as said when counting aloud."""
        if not 0 <= n <= HIGHEST:
            raise ValueError(f"{n} is outside 0–{HIGHEST}")
        if n < 100:
            return self.below_100[n]
        if n == HIGHEST:
            return self.thousand
        hundreds, rest = divmod(n, 100)
        if not rest:
            return self.hundreds[hundreds - 1]
        said = self.hundreds_join.format(
            hundreds=self.hundreds_before[hundreds - 1], rest=dict(self.last_forms).get(rest, self.below_100[rest])
        )
        for written, fixed in self.fixes:
            said = said.replace(written, fixed)
        return said

    def longest(self, up_to: int = HIGHEST) -> int:
        """The length of the longest word from 1 to ``up_to``: how long a ``{n}`` can make a line."""
        return _longest(self, up_to)


@functools.lru_cache(maxsize=64)
def _longest(numbers: Numbers, up_to: int) -> int:
    """Found once per language and bound: every technique with a count asks (a routine of 15: 15,000 words said before)."""
    return max(len(numbers.words(n)) for n in range(1, up_to + 1))


def numbers_from(data: Mapping[str, Any], where: str) -> Numbers:
    """The ``numbers`` section of a phrase file; ValueError naming ``where`` if it is malformed."""
    rows = data.get("below_100")
    if not (isinstance(rows, list) and len(rows) == 10 and all(isinstance(r, list) and len(r) == 10 for r in rows)):
        raise ValueError(f"{where}: numbers.below_100 must be ten rows of ten words (0–99)")
    below = tuple(_word(w, where) for row in rows for w in row)
    hundreds = _nine(data.get("hundreds"), "hundreds", where)
    before = _nine(data["hundreds_before"], "hundreds_before", where) if "hundreds_before" in data else hundreds
    join = data.get("hundreds_join")
    if not isinstance(join, str) or "{hundreds}" not in join or "{rest}" not in join:
        raise ValueError(f"{where}: numbers.hundreds_join must be a text with {{hundreds}} and {{rest}}")
    last = data.get("last_forms") or {}
    fixes = data.get("fixes") or {}
    if not (isinstance(last, dict) and all(isinstance(k, int) and 0 < k < 100 for k in last)):
        raise ValueError(f"{where}: numbers.last_forms must map numbers below 100 to words")
    if not isinstance(fixes, dict):
        raise ValueError(f"{where}: numbers.fixes must map spellings to their fixed form")
    return Numbers(
        below_100=below,
        hundreds=hundreds,
        hundreds_before=before,
        hundreds_join=join,
        last_forms=tuple((k, _word(v, where)) for k, v in sorted(last.items())),
        fixes=tuple((_word(k, where), _word(v, where)) for k, v in fixes.items()),
        thousand=_word(data.get("thousand"), where),
    )


def _word(value: object, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{where}: {value!r} in numbers is not a word")
    return value


def _nine(value: object, key: str, where: str) -> tuple[str, ...]:
    if not (isinstance(value, list) and len(value) == 9):
        raise ValueError(f"{where}: numbers.{key} must list the nine hundreds, 100 to 900")
    return tuple(_word(w, where) for w in value)
