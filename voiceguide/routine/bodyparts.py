"""Reading ``body_part:`` (on a routine and on a technique) and checking its language can name it."""

from __future__ import annotations

from yaml.nodes import Node

from voiceguide.language import Language, base_code
from voiceguide.language.bodyparts import BUILT_IN_PARTS
from voiceguide.routine.checks import Checker, shown
from voiceguide.routine.model import Technique

MAX_PART = 60  # characters of a body part's name
NAMES_ANY_NOUN = ("en",)  # languages whose side cues take any noun as written


def read_body_part(check: Checker, node: Node, where: str) -> str | None:
    """A body part as written ("hand", "side of the neck", "wrist"), single-spaced."""
    text = check.text(node, where, MAX_PART)
    if text is None:
        return None
    if not any(ch.isalpha() for ch in text):
        check.problem(node, f"{where} '{shown(text)}' is not a body part", f"write one such as {', '.join(BUILT_IN_PARTS)}")
        return None
    return " ".join(text.split())


def side_words(speech: Language) -> dict[str, int]:
    """Placeholders of the side cues and the hands line, and the longest text each becomes in ``speech``."""
    sides = [speech.phrases.right, speech.phrases.left]
    for _, forms in speech.genders:
        sides += [text for key, text in forms if key in ("right", "left")]
    for part in speech.body_parts:
        sides += [text for key, text in part.phrases if key in ("right", "left")]
    nouns = [MAX_PART * 2] + [len(p.plural) for p in speech.body_parts]
    return {"side": max(len(s) for s in sides), "part": max(nouns), "parts": max(nouns)}


class PartCheck:
    """Finds techniques whose side cues would name a body part their language has no words for."""

    def __init__(self, check: Checker, speech: Language, routine_part: str, routine_node: Node | None) -> None:
        self.check, self.speech = check, speech
        self.routine_part, self.routine_node = routine_part, routine_node
        self.told = False  # the routine's own body_part reported once

    def __call__(self, technique: Technique, node: Node | None) -> None:
        """``node``: where the technique wrote its own body_part, if it did."""
        speech = self.speech
        part = technique.body_part or self.routine_part
        if technique.sides != "each" or base_code(speech.code) in NAMES_ANY_NOUN or speech.body_part(part) is not None:
            return
        own = dict(speech.own)
        missing = [
            key for key, mine in (("side_start", technique.side_start), ("switch", technique.switch)) if mine is None and key not in own
        ]
        if not missing:
            return
        at = node if node is not None else self.routine_node
        if at is None or (at is self.routine_node and self.told):
            return
        self.told = self.told or at is self.routine_node
        self.check.problem(
            at,
            f"body_part '{shown(part)}' has no {speech.name} words built in (built in: {', '.join(BUILT_IN_PARTS)})",
            "say its side cues under phrases: (side_start: and switch:, with {side}, and right: and left: as they agree),"
            " or use a built-in part",
        )
