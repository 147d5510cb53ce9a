"""The languages a session can be spoken in: built-in phrases and number words, one data file per language.

Each language is a file ``phrases/<code>.yaml`` in this package: adding a language is
adding a file. A routine names its language (``language: de``) and may override any
phrase (``phrases:``); a dialect code without a file of its own (``pt-br``, ``de-ch``)
uses its language's file.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources

import yaml

from voiceguide import registry
from voiceguide.language.bodyparts import PART_FIELDS, BodyPart, Pairs, part_name, read_genders, read_parts, written_part
from voiceguide.language.numbers import Numbers, numbers_from

__all__ = [
    "PHRASE_KEYS", "BodyPart", "Language", "Numbers", "Phrases", "base_code", "known_languages", "language", "number_words",
]  # fmt: skip

# Placeholders each phrase may use; the other phrases are said as written.
PHRASE_FIELDS: dict[str, tuple[str, ...]] = {
    "count": ("n", "total"),
    "last_cue": ("n", "total"),
    "side_start": PART_FIELDS,
    "switch": PART_FIELDS,
}


@dataclass(frozen=True)
class Phrases:
    """Everything voiceguide says or writes of its own in one language."""

    count: str  # each repetition: "{n}."
    last_cue: str  # the last repetition: "{n}, last one."
    side_start: str  # before the first side: "Start with your {side} {part}."
    switch: str  # before the second side: "Now switch to your {side} {part}."
    right: str  # what {side} becomes, in the form the two cues above need (and agreeing with the body part)
    left: str
    release: str  # said at the end of a hold with ``release: true``
    introduction: str  # chapter titles
    precautions: str
    closing: str

    def over(self, overrides: Mapping[str, str]) -> Phrases:
        """These phrases with some replaced (keys of ``PHRASE_KEYS``)."""
        return dataclasses.replace(self, **overrides) if overrides else self

    def side(self, side: str) -> str:
        return self.right if side == "right" else self.left


PHRASE_KEYS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(Phrases))


@dataclass(frozen=True)
class Language:
    code: str  # as the file is named: en, de, pt
    name: str  # in the language itself: Deutsch
    iso639_2: str  # three letters, for the ID3 TLAN frame: deu
    phrases: Phrases  # with the routine's own wording (with_phrases), for a foot
    numbers: Numbers
    body_parts: tuple[BodyPart, ...] = ()
    genders: tuple[tuple[str, Pairs], ...] = ()  # how the side cues change for each gender (see bodyparts)
    own: Pairs = ()  # the routine's own wording, kept to lay over each body part's forms

    def with_phrases(self, overrides: Mapping[str, str]) -> Language:
        if not overrides:
            return self
        return dataclasses.replace(self, phrases=self.phrases.over(overrides), own=(*self.own, *overrides.items()))

    def body_part(self, name: str) -> BodyPart | None:
        """The built-in part ``name`` ("hand", "side of the neck") in this language, or None."""
        want = part_name(name)
        return next((p for p in self.body_parts if p.name == want), None)

    def for_part(self, name: str) -> tuple[Phrases, BodyPart]:
        """The phrases for sides that are ``name``, and the part itself (an unknown part: its name as written).

        The language's plain phrases, then its gender's forms, the part's own, and the routine's wording last.
        """
        part = self.body_part(name) or written_part(name.strip())
        plain = _load(self.code).phrases if self.code in known_languages() else self.phrases
        gender = dict(self.genders).get(part.gender, ())
        return plain.over(dict(gender)).over(dict(part.phrases)).over(dict(self.own)), part


def base_code(code: str) -> str:
    """``pt-BR`` → ``pt``: the language a dialect belongs to."""
    return code.strip().lower().replace("_", "-").split("-", 1)[0]


@cache
def known_languages() -> tuple[str, ...]:
    """Codes of every language with a phrase file, sorted (the registry finds them)."""
    return registry.languages()


def language(code: str) -> Language:
    """The language ``code`` names: its own file, else its base language's (``pt-br`` → ``pt``).

    LookupError when there is neither (the routine loader reports it with its place).
    """
    want = code.strip().lower().replace("_", "-")
    for candidate in (want, base_code(want)):
        if candidate in known_languages():
            return _load(candidate)
    raise LookupError(f"no phrases for language {code!r}; known: {', '.join(known_languages())}")


def number_words(n: int, code: str = "en") -> str:
    """``n`` (0–1000) in words in language ``code``, as said when counting aloud."""
    return language(code).numbers.words(n)


@cache
def _load(code: str) -> Language:
    where = f"phrases/{code}.yaml"
    data = yaml.safe_load(resources.files(__name__).joinpath("phrases", f"{code}.yaml").read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{where}: not a mapping")
    phrases = data.get("phrases")
    if not isinstance(phrases, dict) or set(phrases) != set(PHRASE_KEYS) or not all(isinstance(v, str) and v for v in phrases.values()):
        raise ValueError(f"{where}: phrases must give each of {', '.join(PHRASE_KEYS)} as text")
    for key, fields in PHRASE_FIELDS.items():
        if not any("{" + f + "}" in phrases[key] for f in fields):
            raise ValueError(f"{where}: phrase {key} must use {' or '.join('{' + f + '}' for f in fields)}")
    name, iso = data.get("name"), data.get("iso639_2")
    if not isinstance(name, str) or not isinstance(iso, str) or len(iso) != 3:
        raise ValueError(f"{where}: needs name (in the language) and iso639_2 (three letters)")
    numbers = data.get("numbers")
    if not isinstance(numbers, dict):
        raise ValueError(f"{where}: numbers missing")
    genders = read_genders(data.get("genders"), where)
    parts = read_parts(data.get("body_parts"), where)
    return Language(code, name, iso, Phrases(**phrases), numbers_from(numbers, where), parts, tuple(genders.items()))
