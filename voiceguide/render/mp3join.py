"""Joining the frame streams of MP3 encoders that each encoded a stretch of one session, into one gapless file.

Each encoder started on LAME's frame grid (a multiple of 1152 samples) ``WARMUP_FRAMES``
before the frame where it nominally takes over, and the one before it ran
``OVERLAP_FRAMES`` past that frame, so for a while both made frames for the same place.
The join is made at the first frame there where

- the earlier encoder's last frame uses the same window shape (block types) as the later
  one's frame before the join, so the decoder's overlap-add sees a valid window sequence;
- the later encoder's frame borrows no more of the bit reservoir (``main_data_begin``)
  than the earlier stream leaves free; the borrowed bytes are copied into the earlier
  frames' unused main-data space, where the decoder looks for them.

The file gets a single encode's frame count, encoder delay and true padding, so it
decodes to exactly the session's length, and one LAME Info tag for the whole stream:
seek table, music length and CRC (which follows from the CRCs each encoder wrote for its
own frames, without reading them again). Anything unexpected raises ``CannotJoin``.
"""

from __future__ import annotations

import itertools
from array import array
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from voiceguide.render.mp3frames import (
    SAMPLES_PER_FRAME,
    Frame,
    InfoTag,
    SeekTable,
    crc16,
    crc16_join,
    crc16_zeros,
    file_frame_offsets,
    frame_size,
    parse_frame,
    read_info,
    write_info,
)

WARMUP_FRAMES = 16  # a later encoder starts this many frames (0.4 s) before the frame where it takes over
OVERLAP_FRAMES = 24  # and the encoder before it runs this many past that frame
TAIL_FRAMES = 6  # an encoder's frames this close to the end of its input are never joined to
BACK_FRAMES = 12  # earlier frames that may hold a join's borrowed reservoir bytes (511 bytes at 32 kbit/s)


class CannotJoin(Exception):
    """An encoder's output is not what a join needs; the session is encoded whole instead."""


@dataclass(frozen=True)
class Encoded:
    """One encoder's output file: its frames and where they belong in the whole stream."""

    path: Path
    first_frame: int  # the whole stream's frame its first frame is
    boundary: int  # the frame where it nominally takes over from the encoder before it
    info: InfoTag
    template: bytes  # its Info frame
    offsets: array[int]  # where each audio frame starts in its file
    end: int  # where the last one ends

    def at(self, frame: int) -> int:
        """Where the stream's ``frame`` starts in this file (its end for the frame after the last)."""
        k = frame - self.first_frame
        return self.offsets[k] if k < len(self.offsets) else self.end


def inspect(temp: Path, first_frame: int, boundary: int, samples: int) -> Encoded:
    """An encoder's output, checked to be what a join expects: an Info tag, then whole frames covering its ``samples``."""
    try:
        offsets = file_frame_offsets(temp)
    except ValueError as err:
        raise CannotJoin(str(err)) from None
    size = temp.stat().st_size
    with open(temp, "rb") as f:
        template = f.read(offsets[1]) if len(offsets) > 1 else b""
    info = read_info(template)
    if info is None or info.frames != len(offsets) - 1 or info.size != size:
        raise CannotJoin("the encoder wrote no usable Info tag")
    if info.frames * SAMPLES_PER_FRAME < info.delay + samples:
        raise CannotJoin("the encoder's frames do not cover its input")
    return Encoded(temp, first_frame, boundary, info, template, offsets[1:], size)


def join(path: Path, encoded: list[Encoded], total: int) -> None:
    """Write the streams of ``encoded`` (in order, each overlapping the next) into ``path`` as one MP3 of ``total`` samples."""
    delay = encoded[0].info.delay
    if any(e.info.delay != delay for e in encoded):
        raise CannotJoin("the encoders disagree on their delay")
    cuts = [0, *(_choose_join(a, b) for a, b in itertools.pairwise(encoded))]
    frames = [*cuts[1:], encoded[-1].first_frame + len(encoded[-1].offsets)]
    padding = frames[-1] * SAMPLES_PER_FRAME - delay - total  # not the last encoder's word for it: see true_padding
    if not 0 <= padding < 4096:
        raise CannotJoin("the joined stream would not decode to the session's length")
    table = SeekTable(len(encoded[0].template))
    music_crc = 0
    with open(path, "wb") as out:
        out.write(bytes(len(encoded[0].template)))
        for i, part in enumerate(encoded):
            carry = _carry(part, encoded[i + 1], cuts[i + 1]) if i + 1 < len(encoded) else None
            length, crc = _write_kept(out, part, cuts[i], frames[i], carry)
            music_crc = crc16_join(music_crc, crc, length)
            for frame in range(cuts[i], frames[i]):
                table.add(part.at(frame + 1) - part.at(frame))
        tag = InfoTag(table.frames, table.size, delay, padding, music_crc)
        out.seek(0)
        out.write(write_info(encoded[0].template, tag, table.toc()))


def true_padding(path: Path, total: int) -> None:
    """Make the Info tag of an MP3 of ``total`` samples state its true padding.

    ffmpeg writes the trailing discard of the last packet only; when LAME's padding is more
    than a frame (it keeps at least 576 samples), the tag says 1152 + 529 and the file
    decodes up to 575 samples too long.
    """
    with open(path, "r+b") as f:
        first = f.read(4)
        size = frame_size(first, 0)
        frame = first + f.read(size - 4) if size else b""
        info = read_info(frame) if size else None
        if info is None:
            return
        padding = info.frames * SAMPLES_PER_FRAME - info.delay - total
        if padding != info.padding and 0 <= padding < 4096:
            f.seek(0)
            f.write(write_info(frame, InfoTag(info.frames, info.size, info.delay, padding, info.music_crc)))


class _Stretch:
    """Consecutive frames of one encoder's stream, with the positions of their main data in the reservoir's byte stream."""

    def __init__(self, part: Encoded, first: int, stop: int) -> None:
        base = part.first_frame
        first, stop = max(first, base), min(stop, base + len(part.offsets))
        self.first, self.start = first, part.at(first)
        with open(part.path, "rb") as f:
            f.seek(self.start)
            self.data = f.read(part.at(stop) - self.start)
        self.frames = [parse_frame(self.data, part.at(k) - self.start) for k in range(first, stop)]
        self.area = [0]  # where each frame's main-data area starts, counting area bytes only
        for frame in self.frames:
            self.area.append(self.area[-1] + frame.area)

    def frame(self, index: int) -> Frame:
        return self.frames[index - self.first]

    def has(self, index: int) -> bool:
        return 0 <= index - self.first < len(self.frames)

    def main_end(self, index: int) -> int:
        frame = self.frame(index)
        return self.area[index - self.first] - frame.main_data_begin + frame.main_bytes

    def free_before(self, index: int) -> int:
        """Reservoir bytes after the previous frame's main data, before this frame's area."""
        return self.area[index - self.first] - self.main_end(index - 1)

    def area_bytes(self, begin: int, end: int) -> bytes:
        """Main-data bytes from ``begin`` to ``end`` (positions counted in area bytes)."""
        out = bytearray()
        for frame, at in zip(self.frames, self.area, strict=False):
            lo, hi = max(begin, at), min(end, at + frame.area)
            if lo < hi:
                off = frame.main_offset + lo - at
                out += self.data[off : off + hi - lo]
        return bytes(out)

    def with_area_bytes(self, end: int, data: bytes) -> bytes:
        """This stretch's bytes with ``data`` written into the main-data areas just before position ``end``."""
        out = bytearray(self.data)
        begin = end - len(data)
        for frame, at in zip(self.frames, self.area, strict=False):
            lo, hi = max(begin, at), min(end, at + frame.area)
            if lo < hi:
                off = frame.main_offset + lo - at
                out[off : off + hi - lo] = data[lo - begin : hi - begin]
        return bytes(out)


@dataclass(frozen=True)
class _Carry:
    """The later encoder's reservoir bytes a join needs, written into the earlier stream's frames before the join."""

    stretch: _Stretch  # the earlier stream's frames from stretch.first to the join
    patched: bytes  # their bytes with the borrowed ones written in


def _choose_join(a: Encoded, b: Encoded) -> int:
    """The frame where ``b`` takes over from ``a``: the first in the overlap that meets both conditions (module docstring)."""
    boundary = b.boundary
    last = boundary + OVERLAP_FRAMES - TAIL_FRAMES
    early = _Stretch(a, boundary - BACK_FRAMES, last + 1)
    late = _Stretch(b, boundary - WARMUP_FRAMES, last + 1)
    for j in range(boundary, last):
        if not (early.has(j - 1) and early.has(j) and late.has(j - 1) and late.has(j)):
            continue
        same_window = early.frame(j - 1).block_types == late.frame(j - 1).block_types
        if same_window and late.frame(j).main_data_begin <= early.free_before(j):
            return j
    raise CannotJoin(f"no frame near {boundary} where the encoders' streams can be joined")


def _carry(a: Encoded, b: Encoded, join: int) -> _Carry:
    early = _Stretch(a, join - BACK_FRAMES, join)
    late = _Stretch(b, join - BACK_FRAMES, join + 1)
    begin = late.area[join - late.first]
    borrowed = late.area_bytes(begin - late.frame(join).main_data_begin, begin)
    if len(borrowed) != late.frame(join).main_data_begin:
        raise CannotJoin(f"the reservoir before frame {join} reaches past the frames read")
    return _Carry(early, early.with_area_bytes(early.area[-1], borrowed))


def _write_kept(out: BinaryIO, part: Encoded, first: int, stop: int, carry: _Carry | None) -> tuple[int, int]:
    """Copy frames ``first`` to ``stop`` of ``part`` into ``out`` as they go into the joined stream; their length and CRC-16.

    The CRC comes from the one the encoder wrote for all its frames: take away the frames
    before and after (read here, a few kilobytes), then account for the carried bytes.
    """
    begin, end = part.at(first), part.at(stop)
    patch = carry.stretch.start if carry is not None else end  # the patched frames are the last of the kept ones
    with open(part.path, "rb") as f:
        f.seek(part.offsets[0])
        head = f.read(begin - part.offsets[0])
        _copy(f, out, patch - begin)
        old = f.read(end - patch)
        tail = f.read()
    # all = head ‖ kept ‖ tail  ⇒  crc(head ‖ kept) = crc(all) ⊕ crc(tail), undone by len(tail) zeros
    length = end - begin
    head_kept = crc16_zeros(part.info.music_crc ^ crc16(tail), -len(tail))
    crc = head_kept ^ crc16_zeros(crc16(head), length)
    if carry is not None:
        crc ^= crc16(bytes(x ^ y for x, y in zip(old, carry.patched, strict=True)))
        old = carry.patched
    out.write(old)
    return length, crc


def _copy(src: BinaryIO, dst: BinaryIO, length: int, chunk: int = 1 << 20) -> None:
    while length > 0:
        data = src.read(min(chunk, length))
        if not data:
            raise CannotJoin("an encoder's file ended early")
        dst.write(data)
        length -= len(data)
