"""Image headers: the kind and size of a JPEG or PNG, read without an image library."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_tags import make_cover

from voiceguide.images import image_info


@pytest.mark.parametrize("name, size", [("a.png", (1400, 1400)), ("b.jpg", (3000, 1687)), ("c.jpg", (640, 640))])
def test_image_info_reads_the_size_from_the_header(tmp_path: Path, name: str, size: tuple[int, int]) -> None:
    path = make_cover(tmp_path / name, f"{size[0]}x{size[1]}")
    info = image_info(path.read_bytes())
    assert info is not None and (info.width, info.height) == size
    assert info.kind == ("png" if name.endswith(".png") else "jpeg")


def test_image_info_skips_jpeg_segments_before_the_frame(tmp_path: Path) -> None:
    data = make_cover(tmp_path / "a.jpg", "1500x1500").read_bytes()
    exif = b"\xff\xe1" + (2 + 300).to_bytes(2, "big") + b"Exif\x00\x00" + bytes(294)  # an APP1 segment first
    info = image_info(data[:2] + exif + data[2:])
    assert info is not None and (info.width, info.height) == (1500, 1500)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"GIF89a....",
        b"\x89PNG\r\n\x1a\n",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x00\x00\x00\x00\x01",
        b"\xff\xd8\xff\xe0\x00",
    ],
)
def test_image_info_refuses_what_is_not_a_whole_header(data: bytes) -> None:
    assert image_info(data) is None


@pytest.mark.parametrize(
    "name, pix_fmt, colour",
    [("a.png", "rgb24", "rgb"), ("b.png", "rgba", "rgb with alpha"), ("c.png", "gray", "grey"), ("d.jpg", "yuvj420p", "rgb")],
)  # fmt: skip (ffmpeg writes no grey JPEG)
def test_image_info_tells_the_colours(tmp_path: Path, name: str, pix_fmt: str, colour: str) -> None:
    path = make_cover(tmp_path / name, "64x64", pix_fmt)
    info = image_info(path.read_bytes())
    assert info is not None and info.colour == colour
