"""The routine model: what a routine file means once it has been read and checked.

Every default is stated once, here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal

from voiceguide.registry import DEFAULT_BED

DEFAULT_RATE = 150  # words per minute
DEFAULT_VOLUME = 1.0
DEFAULT_MUSIC_LEVEL_DB = -14.0  # music loudness in pauses, relative to the voice
DEFAULT_CHIME_LEVEL_DB = -3.0  # a chime's loudest 400 ms, relative to the voice's loudness
DEFAULT_CHIME_S = 3.0
DEFAULT_CUE = "count"
DEFAULT_LANGUAGE = "en"  # the built-in phrases of each language live in voiceguide/language/phrases/
DEFAULT_GAP_S = 0.6  # silence between two lines spoken one after the other
DEFAULT_SIDE_PAUSE_S = 3.0  # time to settle after the first side's cue, before the first count
DEFAULT_BODY_PART = "foot"  # what the sides of a routine are: its side cues name it (voiceguide/language/bodyparts.py)
DEFAULT_SWITCH_PAUSE_S = 6.0  # time to change feet after the switch cue (unless side_pause is given for both)

StepKind = Literal["say", "pause", "chime"]
Sides = Literal["once", "each"]
Side = Literal["right", "left"]


@dataclass(frozen=True)
class Narration:
    """How the narrator speaks. ``None`` means: inherit from the level above."""

    voice: str | None = None
    rate: int | None = None
    volume: float | None = None
    gap_s: float | None = None
    engine: str | None = None  # None at every level: the user's default engine, else voiceguide's

    def over(self, base: Narration) -> Narration:
        """These settings laid over ``base``: each field set here wins."""
        return Narration(
            voice=self.voice if self.voice is not None else base.voice,
            rate=self.rate if self.rate is not None else base.rate,
            volume=self.volume if self.volume is not None else base.volume,
            gap_s=self.gap_s if self.gap_s is not None else base.gap_s,
            engine=self.engine if self.engine is not None else base.engine,
        )


ROUTINE_NARRATION = Narration(None, DEFAULT_RATE, DEFAULT_VOLUME, DEFAULT_GAP_S)  # what a routine that says nothing gets


@dataclass(frozen=True)
class Step:
    """One item of a spoken sequence: words to say, a pause, or a chime."""

    kind: StepKind
    text: str = ""
    seconds: float = 0.0  # pause length, or chime length
    line: int = 0
    pause_range: tuple[float, float] | None = None  # pause: 2s..6s: the bounds when fitting to a length


@dataclass(frozen=True)
class Technique:
    """One technique of a routine; it becomes one chapter of the session."""

    name: str
    steps: tuple[Step, ...] = ()
    repetitions: int = 1
    cue: str = DEFAULT_CUE  # "count", "none", or a template with {n} and {total}
    last_cue: str | None = None  # None: the language's phrase; "": the cue as for every other repetition
    hold_s: float = 0.0
    rest_s: float = 0.0
    release: str | None = None  # said at the end of each hold
    sides: Sides = "once"
    first_side: Side = "right"
    side_start: str | None = None  # None: the language's phrase
    switch: str | None = None  # None: the language's phrase
    switch_hands: str | None = None  # where the hands go on the second side, said after the switch cue
    body_part: str | None = None  # what its sides are; None: the routine's
    side_pause_s: float = DEFAULT_SIDE_PAUSE_S
    switch_pause_s: float = DEFAULT_SWITCH_PAUSE_S
    pause_after_s: float = 0.0
    chime: bool = False
    announce: bool = True  # say the technique's name first
    narration: Narration = field(default_factory=Narration)
    line: int = 0
    # Bounds when fitting to a length (hold: 5s..12s, repetitions: 6..10); the value above is then the range's middle.
    repetitions_range: tuple[int, int] | None = None
    hold_range: tuple[float, float] | None = None
    rest_range: tuple[float, float] | None = None
    pause_after_range: tuple[float, float] | None = None


@dataclass(frozen=True)
class Music:
    """The music bed: a generated one (``bed``), a file, or none. ``level_db`` is its loudness in pauses relative to the voice.

    ``chime_level_db`` sets the chimes, which sound with or without music.
    """

    kind: Literal["builtin", "file", "none"] = "builtin"
    path: Path | None = None
    level_db: float = DEFAULT_MUSIC_LEVEL_DB
    line: int = 0
    bed: str = DEFAULT_BED  # for kind "builtin"
    chime_level_db: float = DEFAULT_CHIME_LEVEL_DB


@dataclass(frozen=True)
class Routine:
    """A whole routine, checked and with defaults applied."""

    name: str  # file stem, used for output names
    source: Path
    title: str
    description: str = ""
    author: str = ""
    album: str = ""
    year: int | None = None
    language: str = DEFAULT_LANGUAGE
    narration: Narration = ROUTINE_NARRATION
    music: Music = field(default_factory=Music)
    cover: Path | None = None
    intro: tuple[Step, ...] = ()
    precautions: tuple[Step, ...] = ()
    techniques: tuple[Technique, ...] = ()
    outro: tuple[Step, ...] = ()
    pronunciations: tuple[tuple[str, str], ...] = ()
    phrases: tuple[tuple[str, str], ...] = ()  # the routine's own wording of built-in phrases, over its language's
    body_part: str = DEFAULT_BODY_PART  # what the sides of its techniques are, unless a technique says
    length_s: float | None = None  # length: the session is fitted to this length (see voiceguide.plan.fit)
    published: datetime | None = None  # the episode's date in a feed (UTC); None: the first build's time
    explicit: bool = False  # itunes:explicit for the episode
    # Where some values were written, as (key, line, column): "language", "narration.voice",
    # "techniques.2.narration.engine" …, so checks made after loading can point at them.
    places: tuple[tuple[str, int, int], ...] = field(default=(), compare=False)

    def place(self, key: str) -> tuple[int, int] | None:
        """(line, column) where ``key`` was written, or None if the routine does not write it."""
        return next(((line, column) for k, line, column in self.places if k == key), None)
