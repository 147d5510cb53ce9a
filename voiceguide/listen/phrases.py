"""The spoken commands, and how a transcript becomes one of them (or nothing).

A transcript is accepted only when, once normalised (lower case, no punctuation, single
spaces), it is exactly one of a command's phrases or a spelling a transcriber writes for
it, perhaps after one filler word the transcriber adds before a lone word (``LEADING``), or
a single word of five letters or more one letter away from a command word (``_near``). Anything longer, shorter or different is not a command: a command may be missed, it
must never be invented from other speech.
"""

from __future__ import annotations

import re
import unicodedata

# command → what a person says for it, then spellings the transcriber (whisper tiny.en) writes for those words
PHRASES: dict[str, tuple[str, ...]] = {
    "pause": ("pause", "stop", "paws", "pose", "pauses", "bause", "paus", "pawse"),
    "continue": ("continue", "resume", "go on", "continued", "resumed", "go-on", "goon"),
    "again": ("again", "repeat", "a gain", "agin", "repeats"),
    "next": ("next", "nex", "necks", "next one"),
    "back": ("back", "go back"),
    "louder": ("louder", "lauder", "lowder", "loud"),
    "softer": ("softer", "quieter", "softo", "soft"),
}
COMMANDS = tuple(PHRASES)
SAID: dict[str, tuple[str, ...]] = {
    "pause": ("pause", "stop"),
    "continue": ("continue", "resume", "go on"),
    "again": ("again", "repeat"),
    "next": ("next",),
    "back": ("back",),
    "louder": ("louder",),
    "softer": ("softer",),
}  # what a person is told to say (help, calibration); the first is the one asked for when calibrating


def normalise(text: str) -> str:
    """Lower case, accents and punctuation removed, words separated by single spaces."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    folded = folded.replace("-", " ").replace("'", "")
    return " ".join(re.sub(r"[^a-z ]+", " ", folded).split())


# A word the transcriber often puts before a lone command, hearing the breath or click before it ("The back.", "A louder.")
LEADING = frozenset({"a", "the", "i", "oh", "uh", "um", "is", "its", "and", "so"})

# One letter off a command word of five letters or more is how the recogniser misspells it ("Fause.", "Lowder"), unless
# the word it wrote is a common word of its own
NEAR_MIN_LETTERS = 5
NOT_NEAR = frozenset({"cause", "clause", "aging", "repent", "loader", "louse", "pulse", "purse", "parse"})

_LOOKUP = {normalise(spelling): command for command, spellings in PHRASES.items() for spelling in spellings}


def command_of(transcript: str, extra: dict[str, str] | None = None) -> str | None:
    """The command ``transcript`` says exactly, else None; ``extra`` adds a person's own spellings (from calibration)."""
    said = normalise(transcript)
    words = said.split(" ", 1)
    candidates = (said, words[1]) if len(words) == 2 and words[0] in LEADING else (said,)
    for candidate in candidates:
        found = _LOOKUP.get(candidate) or (extra or {}).get(candidate) or _near(candidate)
        if found is not None:
            return found
    return None


def _near(word: str) -> str | None:
    """The command a single word is one letter away from (changed, added or dropped), for words of five letters or more."""
    if " " in word or len(word) < NEAR_MIN_LETTERS or word in NOT_NEAR:
        return None
    found = {command for said, command in _LOOKUP.items() if " " not in said and len(said) >= NEAR_MIN_LETTERS and _one_off(word, said)}
    return found.pop() if len(found) == 1 else None


def _one_off(a: str, b: str) -> bool:
    """Whether ``a`` becomes ``b`` by changing, adding or dropping one letter."""
    if abs(len(a) - len(b)) > 1 or a == b:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))
