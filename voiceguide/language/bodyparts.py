"""Body parts the side cues name, with what each language needs to name them.

A routine says which body part its sides are (``body_part: hand``; a foot unless it says
otherwise). Each language file lists the built-in ones under ``body_parts:`` (the noun,
its plural, its gender) and, under ``genders:``, how the side cues change for a gender
other than the one its plain phrases are written for ("mit der rechten Hand" beside
"mit dem rechten Fuß"); a part may carry forms of its own ("l'épaule droite").
"""

from __future__ import annotations

from dataclasses import dataclass

BUILT_IN_PARTS = ("foot", "hand", "arm", "leg", "knee", "shoulder", "side of the neck")  # every language names these
PART_PHRASES = ("side_start", "switch", "right", "left")  # the phrases a body part can change
PART_FIELDS = ("side", "part", "parts")  # placeholders of the side cues and the hands line
Pairs = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class BodyPart:
    """One body part in one language: "hand" is Hand, Hände, feminine in German."""

    name: str  # as a routine writes it, in English: "side of the neck"
    noun: str  # what {part} becomes: "Halsseite"
    plural: str  # what {parts} becomes
    gender: str = ""  # a key of the language's genders:, or "" for the plain phrases' own
    phrases: Pairs = ()  # forms of its own, over its gender's


def part_name(text: str) -> str:
    """How a body part is looked up: lower case, single spaces."""
    return " ".join(text.lower().split())


def english_plural(noun: str) -> str:
    """A plural for a noun no table lists ("wrist" → "wrists"): the regular English rules only."""
    if noun.endswith(("s", "x", "z", "ch", "sh")):
        return noun + "es"
    if len(noun) > 1 and noun.endswith("y") and noun[-2] not in "aeiou":
        return noun[:-1] + "ies"
    return noun + "s"


def written_part(name: str) -> BodyPart:
    """A body part no table lists: said as written."""
    return BodyPart(name, name, english_plural(name))


def _text_map(data: object, where: str, allowed: tuple[str, ...]) -> dict[str, str]:
    if not isinstance(data, dict) or not all(isinstance(v, str) and v for v in data.values()) or set(data) - set(allowed):
        raise ValueError(f"{where}: must be a mapping of {', '.join(allowed)} to text")
    return {str(k): str(v) for k, v in data.items()}


def read_genders(data: object, where: str) -> dict[str, Pairs]:
    """The ``genders:`` table: for each gender, its forms of the side cues and side words."""
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ValueError(f"{where}: genders must be a mapping")
    return {str(g): tuple(_text_map(v, f"{where}: genders.{g}", PART_PHRASES).items()) for g, v in data.items()}


def read_parts(data: object, where: str) -> tuple[BodyPart, ...]:
    """The ``body_parts:`` table; it must name every built-in part."""
    if not isinstance(data, dict) or set(data) != set(BUILT_IN_PARTS):
        raise ValueError(f"{where}: body_parts must give each of {', '.join(BUILT_IN_PARTS)}")
    parts = []
    for name, entry in data.items():
        fields = _text_map(entry, f"{where}: body_parts.{name}", ("noun", "plural", "gender", *PART_PHRASES))
        if "noun" not in fields or "plural" not in fields:
            raise ValueError(f"{where}: body_parts.{name} needs noun and plural")
        gender = fields.pop("gender", "")  # one genders: does not list takes the plain phrases (m beside f)
        noun, plural = fields.pop("noun"), fields.pop("plural")
        parts.append(BodyPart(str(name), noun, plural, gender, tuple(fields.items())))
    return tuple(parts)
