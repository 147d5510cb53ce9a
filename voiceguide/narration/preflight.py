"""Checking, before anything is synthesised, that a routine's lines can be spoken as it asks.

``narration_problems`` walks the lines a routine would say (the planner's own script, so
the settings are exactly those narration will get) and returns a located ``Problem`` for
each engine that is not installed, voice that is unknown or not installed, voice the file
names that does not speak the routine's language (where the engine says which languages a
voice speaks), and rate the engine cannot reach, pointing at the ``engine:``, ``voice:`` or
``rate:`` that chose it (or at ``language:`` when the voice follows the language).
``validate``, ``plan`` and ``build`` use it; further checks of the same kind belong here too.

A setting from the command line or the user's own defaults is not the file's fault: a
problem with it is raised as NarratorError, one line, instead.
"""

from __future__ import annotations

from dataclasses import dataclass

from voiceguide.errors import NarratorError, Problem
from voiceguide.narration import _engine, _voices
from voiceguide.narration.voices import speaks, usable_voice
from voiceguide.plan import iter_script
from voiceguide.registry import DEFAULT_ENGINE
from voiceguide.routine.model import Narration, Routine

NO_SETTINGS = Narration()


@dataclass(frozen=True)
class _Spoken:
    """One distinct way of speaking in the routine, and the section whose settings chose it."""

    engine: str
    voice: str
    rate: int
    section: str  # "narration", or "techniques.N.narration"


def _sections(routine: Routine, overrides: Narration, defaults: Narration) -> list[_Spoken]:
    found: dict[_Spoken, None] = {}
    count = len(routine.techniques)
    for event in iter_script(routine, overrides, respelled=False, defaults=defaults):
        u = event.utterance
        if u is None:
            continue
        section = f"techniques.{event.chapter}.narration" if 1 <= event.chapter <= count else "narration"
        found.setdefault(_Spoken(u.engine or DEFAULT_ENGINE, u.voice, u.rate, section))
    return list(found)


class _Locator:
    def __init__(self, routine: Routine, overrides: Narration) -> None:
        self.routine = routine
        self.overrides = overrides

    def at(self, section: str, key: str) -> tuple[int, int] | None:
        """Where the file chose ``key`` for ``section`` (the section's own, else the routine's); None if it did not."""
        if getattr(self.overrides, key) is not None:
            return None
        place = self.routine.place(f"{section}.{key}")
        switched = key == "voice" and self.routine.place(f"{section}.engine") is not None and section != "narration"
        if place is None and not switched:  # a section that names another engine takes no voice from the routine's
            place = self.routine.place(f"narration.{key}")
        if place is None and key == "voice":
            place = self.routine.place("language") or (1, 1)  # the voice follows the language
        return place

    def problem(self, place: tuple[int, int], error: NarratorError) -> Problem:
        return Problem(self.routine.source, place[0], place[1], error.message, error.hint)


def narration_problems(routine: Routine, overrides: Narration = NO_SETTINGS, defaults: Narration = NO_SETTINGS) -> list[Problem]:
    """Every engine, voice and rate problem of ``routine`` as located problems; raises NarratorError for settings not from the file."""
    where = _Locator(routine, overrides)
    problems: dict[tuple[int, int, str], Problem] = {}

    def report(place: tuple[int, int] | None, error: NarratorError) -> None:
        if place is None:
            raise error
        found = where.problem(place, error)
        problems.setdefault((found.line, found.column, found.message), found)

    language = routine.language.split("-", 1)[0]
    for s in _sections(routine, overrides, defaults):
        try:
            cls = _engine(s.engine)
        except NarratorError as err:
            report(where.at(s.section, "engine"), err)
            continue
        try:
            voice = usable_voice(s.voice, list(_voices(cls)), cls.name)
        except NarratorError as err:
            report(where.at(s.section, "voice"), err)
        else:
            if voice.languages and not speaks(voice, language) and (place := where.at(s.section, "voice")) is not None:
                report(  # the file chose a voice for another language (the command line may choose any)
                    place,
                    NarratorError(
                        f"voice {voice.id} of engine {cls.name} speaks {', '.join(voice.languages)}, not {routine.language}, the routine's language",
                        hint=f"leave voice: out to take the language's own, or pick one from 'voiceguide voices --language {language}'",
                    ),
                )
        if not cls.takes_rate(s.rate):
            low, high = cls.rate_range
            report(
                where.at(s.section, "rate"),
                NarratorError(f"rate {s.rate} is beyond the {cls.name} engine", hint=f"it speaks {low}–{high} words a minute"),
            )
    return list(problems.values())
