"""Podcast artwork: which cover a feed shows, what file it is served from, and what directories would object to.

Apple Podcasts asks for artwork of 1400 × 1400 to 3000 × 3000 pixels, square, JPEG or
PNG, in RGB (Podcasts Connect, "A podcaster's guide to RSS"); other directories take
Apple's rule as theirs. Covers are checked from their header alone (``images``).

Artwork files are named after their content (``cover-<hash>.jpg``): Apple asks for a new
file name whenever the artwork changes, and identical covers are served once.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from voiceguide.errors import Problem
from voiceguide.images import ImageInfo, image_info
from voiceguide.routine.model import Routine

MIN_PX = 1400
MAX_PX = 3000
GOOD_COLOURS = ("rgb", "indexed")
RULE = f"podcast directories ask for a square JPEG or PNG of {MIN_PX}–{MAX_PX} px in RGB"


@dataclass(frozen=True)
class Artwork:
    data: bytes
    info: ImageInfo

    @property
    def name(self) -> str:
        """The file it is served as, named after its content."""
        return f"cover-{hashlib.sha256(self.data).hexdigest()[:12]}{self.info.suffix}"


def artwork(data: bytes | None) -> Artwork | None:
    """The picture as artwork, or None if it is no JPEG or PNG image."""
    info = image_info(data) if data else None
    return Artwork(data, info) if data and info else None


def problems(info: ImageInfo) -> list[str]:
    """What directories would refuse about an image (empty when nothing)."""
    found = []
    if info.width != info.height:
        found.append(f"is {info.width}×{info.height} px, not square")
    elif not MIN_PX <= info.width <= MAX_PX:
        found.append(f"is {info.width}×{info.height} px")
    if info.colour not in GOOD_COLOURS:
        found.append(f"is {info.colour}")
    return found


def most_common(covers: Sequence[bytes | None]) -> bytes | None:
    """The picture most episodes carry (the first of them on a tie), or None when none carries one."""
    counts = Counter(c for c in covers if c)
    if not counts:
        return None
    top = max(counts.values())
    return next(c for c in covers if c and counts[c] == top)


def cover_warning(routine: Routine) -> Problem | None:
    """A warning, at the routine's ``cover:``, when its cover is not what podcast directories take (``feed`` warns again)."""
    if routine.cover is None:
        return None
    line, column = routine.place("cover") or (1, 1)
    try:
        info = image_info(routine.cover.read_bytes())
    except OSError:
        return None  # the build that reads it says why
    found = problems(info) if info else ["is neither JPEG nor PNG"]
    if not found:
        return None
    return Problem(routine.source, line, column, f"warning: the cover {routine.cover.name} {' and '.join(found)}", RULE)
