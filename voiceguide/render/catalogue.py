"""The generated music beds by name, and what each sounds like.

Imports nothing else of voiceguide and loads without numpy, so the routine loader, the
command line (``--bed``, ``voiceguide music``) and the render stage can all read it.
The beds themselves are made in ``bedsounds``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Bed:
    """A generated music bed: its name (``music: {bed: NAME}``, ``--bed NAME``) and what it sounds like."""

    name: str
    sound: str


BEDS = (
    Bed("pad", "A warm pad: slow chords in A that drift into each other every twelve seconds, with a gentle shimmer."),
    Bed("rain", "Gentle rain: a soft, even hiss with a light patter of drops, thickening and thinning a little."),
    Bed("surf", "Distant surf: a steady roar with a wave rolling in and washing back every nine to twelve seconds."),
    Bed("bowls", "Singing bowls: three bowls sung softly, their tones beating slowly and swelling over each other."),
)
BED_NAMES = tuple(bed.name for bed in BEDS)
