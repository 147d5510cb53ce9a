"""ID3v2.3 tags for MP3 and WAV, written here so that chapter frames come in time order.

ffmpeg, and the players built on it, list an MP3's chapters in the order of their CHAP
frames, whatever their start times; mutagen writes frames ordered by size. So the tag
is built here (mutagen reads it back in the tests) from the specifications:

- ID3v2.3.0 (id3.org): a 10-byte header (``ID3``, version 3.0, flags, size in four 7-bit
  bytes), then frames of a 4-character id, a 4-byte big-endian size, 2 flag bytes and the
  data. Text is UTF-16 with a byte-order mark (encoding 1), the Unicode form 2.3 knows.
- ID3v2 Chapter Frame Addendum 1.0: CHAP holds an element id, start and end in ms,
  unused byte offsets (0xFFFFFFFF) and a TIT2 sub-frame; CTOC (top-level, ordered) lists
  the element ids. Its entry count is one byte, so past 255 chapters the top-level table
  lists tables of at most 255 chapters each.

A WAV file carries the same tag in an ``id3 `` RIFF chunk after its audio.
"""

from __future__ import annotations

import os
import shutil
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from voiceguide.output import put_in_place, temp_path

PADDING = 1024  # room for a tag editor to change a few fields in place
MAX_ENTRIES = 255  # CTOC children: a one-byte count
NO_OFFSET = 0xFFFFFFFF
TOP_LEVEL, ORDERED = 0x02, 0x01


@dataclass(frozen=True)
class ChapterMark:
    element_id: str
    start_ms: int
    end_ms: int
    title: str


def encoded(text: str) -> bytes:
    """UTF-16 with byte-order mark, NUL-terminated."""
    return text.encode("utf-16") + b"\x00\x00"


def frame(frame_id: str, data: bytes) -> bytes:
    return frame_id.encode("ascii") + struct.pack(">I", len(data)) + b"\x00\x00" + data


def text_frame(frame_id: str, text: str) -> bytes:
    return frame(frame_id, b"\x01" + encoded(text))


def comment_frame(language: str, text: str) -> bytes:
    """COMM: encoding, language (ISO 639-2), empty description, the text."""
    return frame("COMM", b"\x01" + language.encode("ascii", "replace")[:3].ljust(3, b" ") + encoded("") + encoded(text))


def picture_frame(mime: str, data: bytes, picture_type: int) -> bytes:
    """APIC: encoding (Latin-1 for the empty description), MIME type, picture type, description, image."""
    return frame("APIC", b"\x00" + mime.encode("ascii") + b"\x00" + bytes([picture_type]) + b"\x00" + data)


def chapter_frames(chapters: list[ChapterMark]) -> list[bytes]:
    """CHAP frames in the given order, then the table(s) of contents."""
    frames = [
        frame("CHAP", _id(c.element_id) + struct.pack(">IIII", c.start_ms, c.end_ms, NO_OFFSET, NO_OFFSET) + text_frame("TIT2", c.title))
        for c in chapters
    ]
    ids = [c.element_id for c in chapters]
    if not ids:
        return frames
    if len(ids) <= MAX_ENTRIES:
        return [*frames, _toc("toc", TOP_LEVEL | ORDERED, ids)]
    groups = [ids[i : i + MAX_ENTRIES] for i in range(0, len(ids), MAX_ENTRIES)]
    tables = [_toc(f"toc{n}", ORDERED, group) for n, group in enumerate(groups, start=1)]
    return [*frames, _toc("toc", TOP_LEVEL | ORDERED, [f"toc{n}" for n in range(1, len(groups) + 1)]), *tables]


def _id(element_id: str) -> bytes:
    return element_id.encode("ascii") + b"\x00"


def _toc(element_id: str, flags: int, children: list[str]) -> bytes:
    return frame("CTOC", _id(element_id) + bytes([flags, len(children)]) + b"".join(_id(c) for c in children))


def tag(frames: list[bytes]) -> bytes:
    """The whole tag: header, frames in order, padding."""
    body = b"".join(frames) + bytes(PADDING)
    size = len(body)
    if size >= 1 << 28:
        raise ValueError("the ID3 tag would be larger than 256 MB")
    syncsafe = bytes([(size >> 21) & 0x7F, (size >> 14) & 0x7F, (size >> 7) & 0x7F, size & 0x7F])
    return b"ID3\x03\x00\x00" + syncsafe + body


def existing_tag_size(head: bytes) -> int:
    """Bytes taken by an ID3v2 tag at the start of a file (0 if there is none)."""
    if len(head) < 10 or not head.startswith(b"ID3") or any(b & 0x80 for b in head[6:10]):
        return 0
    size = (head[6] << 21) | (head[7] << 14) | (head[8] << 7) | head[9]
    footer = 10 if head[5] & 0x10 else 0
    return 10 + size + footer


def write_mp3(path: Path, tag_bytes: bytes) -> None:
    """Put ``tag_bytes`` at the start of the MP3 ``path``, instead of any tag it had."""
    temp = temp_path(path, ".tagged")
    try:
        with path.open("rb") as source, temp.open("wb") as target:
            source.seek(existing_tag_size(source.read(10)))
            target.write(tag_bytes)
            shutil.copyfileobj(source, target, 1 << 20)
        put_in_place(temp, path)
    finally:
        temp.unlink(missing_ok=True)


def write_wav(path: Path, tag_bytes: bytes) -> None:
    """Put ``tag_bytes`` in an ``id3 `` chunk at the end of the WAV ``path``, instead of any such chunk it had."""
    temp = temp_path(path, ".tagged")
    try:
        with path.open("rb") as source, temp.open("wb") as target:
            header = source.read(12)
            if len(header) < 12 or header[:4] != b"RIFF" or header[8:12] != b"WAVE":
                raise ValueError("not a RIFF WAVE file")
            target.write(header)
            for chunk_id, size, offset in _chunks(source):
                if chunk_id.lower() in (b"id3 ", b"id3\x00"):
                    continue
                source.seek(offset + 8)
                target.write(chunk_id + struct.pack("<I", size))
                _copy(source, target, size)
                target.write(b"\x00" * (size & 1))  # chunks start on even offsets
            target.write(b"id3 " + struct.pack("<I", len(tag_bytes)) + tag_bytes + b"\x00" * (len(tag_bytes) & 1))
            riff_size = target.tell() - 8
            if riff_size >= 1 << 32:
                raise ValueError("the WAV file would be larger than 4 GiB")
            target.seek(4)
            target.write(struct.pack("<I", riff_size))
        put_in_place(temp, path)
    finally:
        temp.unlink(missing_ok=True)


def _chunks(source: BinaryIO) -> Iterator[tuple[bytes, int, int]]:
    """(id, size, offset of its header) of each RIFF chunk after the WAVE header; sizes cut to what the file holds."""
    offset = 12
    end = os.fstat(source.fileno()).st_size
    while offset + 8 <= end:
        source.seek(offset)
        chunk_id, size = struct.unpack("<4sI", source.read(8))
        size = min(size, end - offset - 8)
        yield chunk_id, size, offset
        offset += 8 + size + (size & 1)


def _copy(source: BinaryIO, target: BinaryIO, size: int) -> None:
    while size > 0:
        block = source.read(min(size, 1 << 20))
        if not block:
            break
        target.write(block)
        size -= len(block)
