"""What an image file is, from its header alone: JPEG or PNG, its size in pixels and its colours.

Enough to tag audio with a cover and to check podcast artwork without an image library.
PNG: the IHDR chunk right after the signature holds width and height (PNG spec, 11.2.2).
JPEG: the first start-of-frame marker (SOF0–SOF15 except DHT, JPG and DAC) holds them
(ITU T.81, B.2.2); the markers before it are skipped by their lengths.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
JPEG_SIGNATURE = b"\xff\xd8\xff"
_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
_STANDALONE = {0x01, *range(0xD0, 0xD8)}  # TEM and RSTn carry no length


_PNG_COLOUR = {0: "grey", 2: "rgb", 3: "indexed", 4: "grey with alpha", 6: "rgb with alpha"}  # IHDR colour type
_JPEG_COLOUR = {1: "grey", 3: "rgb", 4: "cmyk"}  # by number of components (YCbCr counts as rgb)


@dataclass(frozen=True)
class ImageInfo:
    kind: str  # "jpeg" or "png"
    width: int
    height: int
    colour: str = "rgb"  # rgb, rgb with alpha, grey, indexed, cmyk

    @property
    def mime(self) -> str:
        return f"image/{self.kind}"

    @property
    def suffix(self) -> str:
        return ".jpg" if self.kind == "jpeg" else ".png"


def image_kind(data: bytes) -> str | None:
    """``"jpeg"``, ``"png"`` or None, from the first bytes of a file."""
    if data.startswith(PNG_SIGNATURE):
        return "png"
    if data.startswith(JPEG_SIGNATURE):
        return "jpeg"
    return None


def image_info(data: bytes) -> ImageInfo | None:
    """Kind and size of a JPEG or PNG image; None for anything else or a header that does not hold together."""
    kind = image_kind(data)
    if kind == "png":
        if len(data) < 24 or data[12:16] != b"IHDR":
            return None
        width, height = struct.unpack(">II", data[16:24])
        colour = _PNG_COLOUR.get(data[25], "unknown") if len(data) > 25 else "unknown"
        return ImageInfo("png", width, height, colour) if width and height else None
    if kind == "jpeg":
        frame = _jpeg_frame(data)
        return ImageInfo("jpeg", *frame) if frame else None
    return None


def _jpeg_frame(data: bytes) -> tuple[int, int, str] | None:
    at = 2
    while at + 4 <= len(data):
        if data[at] != 0xFF:
            return None
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        if marker in _STANDALONE:
            at += 2
            continue
        (length,) = struct.unpack(">H", data[at + 2 : at + 4])
        if marker in _SOF:
            if at + 10 > len(data):
                return None
            height, width = struct.unpack(">HH", data[at + 5 : at + 9])
            return (width, height, _JPEG_COLOUR.get(data[at + 9], "unknown")) if width and height else None
        if marker == 0xDA or length < 2:  # start of scan before any frame header: not a valid image
            return None
        at += 2 + length
    return None
