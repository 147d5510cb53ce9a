"""MPEG-1 Layer III frames as a join needs them: headers, side information, the LAME "Info" tag, CRC-16.

Sources: ISO/IEC 11172-3 §2.4.1.3 (frame header), §2.4.1.7 (side information:
``main_data_begin``, ``part2_3_length``, window switching and block type) and §2.4.3.4.7
(the bit reservoir: a frame's main data may start up to 511 bytes back, in the main-data
areas of the frames before it). The LAME tag (LAME project, "Mp3 Info Tag rev 1
specifications"): a Xing/Info header (frame count, byte count, a 100-entry seek table,
quality), then an encoder string, the encoder delay and padding (12 bits each), the
music's length and CRC-16, and the tag's own CRC-16 over its first 190 bytes. Both CRCs are
CRC-16/ARC (polynomial 0x8005, reflected, initial value 0).
"""

from __future__ import annotations

import functools
from array import array
from dataclasses import dataclass
from pathlib import Path

SAMPLES_PER_FRAME = 1152  # MPEG-1 Layer III
_BITRATES_KBPS = (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 0)
_SAMPLE_RATES = (44100, 48000, 32000, 0)
_XING_FLAGS = 0x0F  # frame count, byte count, seek table, quality: what LAME and ffmpeg write
_TOC_SIZE = 100


def _size_table() -> tuple[int, ...]:
    """Frame size in bytes by the header's third byte (bitrate, sample rate, padding); 0 where invalid or free format."""
    sizes = []
    for byte in range(256):
        kbps, rate = _BITRATES_KBPS[byte >> 4], _SAMPLE_RATES[(byte >> 2) & 3]
        sizes.append(144_000 * kbps // rate + ((byte >> 1) & 1) if kbps and rate else 0)
    return tuple(sizes)


_SIZES = _size_table()


def frame_size(data: bytes | memoryview, offset: int) -> int:
    """Size of the MPEG-1 Layer III frame at ``offset``, or 0 if none starts there."""
    if offset + 4 > len(data) or data[offset] != 0xFF or data[offset + 1] & 0xFE != 0xFA:
        return 0
    return _SIZES[data[offset + 2]]


def frame_offsets(data: bytes | memoryview, start: int = 0) -> list[int]:
    """Offsets of the whole frames from ``start`` on, up to a cut-off one; ValueError where the frames lose step."""
    offsets = []
    pos, end = start, len(data)
    sizes = _SIZES
    while pos + 4 <= end:
        if data[pos] != 0xFF or data[pos + 1] & 0xFE != 0xFA or not sizes[data[pos + 2]]:
            raise ValueError(f"no MPEG-1 Layer III frame at byte {pos}")
        size = sizes[data[pos + 2]]
        if pos + size > end:
            break  # a cut-off last frame
        offsets.append(pos)
        pos += size
    return offsets


def file_frame_offsets(path: Path, chunk: int = 1 << 20) -> array[int]:
    """``frame_offsets`` of a whole file, read a chunk at a time (a file of hours stays out of memory)."""
    offsets: array[int] = array("q")
    base = 0  # file position of buf[0]
    buf = b""
    with open(path, "rb") as f:
        while data := f.read(chunk):
            buf += data
            found = frame_offsets(buf)
            offsets.extend(base + o for o in found)
            done = found[-1] + _SIZES[buf[found[-1] + 2]] if found else 0
            base, buf = base + done, buf[done:]
    if buf:
        raise ValueError(f"no whole MPEG-1 Layer III frame at byte {base}")
    return offsets


@dataclass(frozen=True)
class Frame:
    """One frame's layout: where its main-data area is and what of the bit reservoir it uses."""

    offset: int
    size: int
    main_offset: int  # first byte of this frame's main-data area (after header, CRC and side information)
    main_data_begin: int  # its main data starts this many main-data bytes before main_offset
    main_bytes: int  # length of its main data (scale factors and Huffman code), whole bytes
    block_types: tuple[int, ...]  # per granule and channel: 0 long, 1 start, 2 short, 3 stop

    @property
    def area(self) -> int:
        """Bytes of main-data area this frame carries (its own main data or later frames')."""
        return self.offset + self.size - self.main_offset


def parse_frame(data: bytes | memoryview, offset: int) -> Frame:
    """The frame at ``offset`` (ISO/IEC 11172-3 §2.4.1.7); ValueError if there is none."""
    size = frame_size(data, offset)
    if not size or offset + size > len(data):
        raise ValueError(f"no whole MPEG-1 Layer III frame at byte {offset}")
    channels = 1 if (data[offset + 3] >> 6) == 3 else 2
    side_start = offset + 4 + (0 if data[offset + 1] & 1 else 2)  # protection bit 0: a 16-bit CRC follows the header
    side_bytes = 17 if channels == 1 else 32
    bits = int.from_bytes(data[side_start : side_start + side_bytes], "big")
    width = side_bytes * 8

    def field(at: int, length: int) -> int:
        return (bits >> (width - at - length)) & ((1 << length) - 1)

    first = 9 + (5 if channels == 1 else 3) + 4 * channels  # main_data_begin, private bits, scfsi
    main_bits, block_types = 0, []
    for part in range(2 * channels):  # granule 0 channels, then granule 1 channels; 59 bits each
        base = first + 59 * part
        main_bits += field(base, 12)  # part2_3_length
        switching = field(base + 33, 1)  # after big_values (9), global_gain (8), scalefac_compress (4)
        block_types.append(field(base + 34, 2) if switching else 0)
    return Frame(offset, size, side_start + side_bytes, field(0, 9), (main_bits + 7) // 8, tuple(block_types))


# --- the LAME Info tag -------------------------------------------------------------------


@dataclass(frozen=True)
class InfoTag:
    """What the first frame of a LAME/ffmpeg MP3 says about the stream that follows it."""

    frames: int  # audio frames after this one
    size: int  # bytes of this frame and the audio frames
    delay: int  # samples the encoder put before the audio
    padding: int  # samples after it, filling the last frame
    music_crc: int


def _xing_offset(frame: bytes) -> int:
    return 4 + (17 if (frame[3] >> 6) == 3 else 32)


def read_info(frame: bytes) -> InfoTag | None:
    """The Info tag in ``frame`` (the file's first frame), or None if it holds none with every field."""
    at = _xing_offset(frame)
    lame = at + 120  # after "Info", flags, frames, bytes, the seek table and quality
    if len(frame) < lame + 36 or frame[at : at + 4] not in (b"Info", b"Xing"):
        return None
    if int.from_bytes(frame[at + 4 : at + 8], "big") != _XING_FLAGS:
        return None
    if crc16(frame[:190]) != int.from_bytes(frame[lame + 34 : lame + 36], "big"):
        return None
    both = int.from_bytes(frame[lame + 21 : lame + 24], "big")
    return InfoTag(
        frames=int.from_bytes(frame[at + 8 : at + 12], "big"),
        size=int.from_bytes(frame[at + 12 : at + 16], "big"),
        delay=both >> 12,
        padding=both & 0xFFF,
        music_crc=int.from_bytes(frame[lame + 32 : lame + 34], "big"),
    )


def write_info(template: bytes, tag: InfoTag, toc: bytes | None = None) -> bytes:
    """``template`` (an Info frame from the same encoder and settings) saying ``tag`` and ``toc`` (else its own seek table)."""
    if read_info(template) is None or (toc is not None and len(toc) != _TOC_SIZE):
        raise ValueError("not an Info frame with every field")
    if not (0 <= tag.delay < 4096 and 0 <= tag.padding < 4096):
        raise ValueError("encoder delay and padding have 12 bits each")
    at = _xing_offset(template)
    lame = at + 120
    out = bytearray(template)
    out[at + 8 : at + 16] = tag.frames.to_bytes(4, "big") + tag.size.to_bytes(4, "big")
    if toc is not None:
        out[at + 16 : at + 16 + _TOC_SIZE] = toc
    out[lame + 21 : lame + 24] = ((tag.delay << 12) | tag.padding).to_bytes(3, "big")
    out[lame + 28 : lame + 34] = tag.size.to_bytes(4, "big") + tag.music_crc.to_bytes(2, "big")
    out[lame + 34 : lame + 36] = crc16(bytes(out[:190])).to_bytes(2, "big")
    return bytes(out)


class SeekTable:
    """The Info tag's table of contents, kept as frames are written (as LAME's VbrTag and ffmpeg's muxer keep it).

    Every ``step`` frames the byte count so far is noted; when 400 notes are taken every
    second one is dropped and the step doubles. Entry i of the table is then the byte
    position i % of the way through the frames, in 256ths of the size.
    """

    NOTES = 400

    def __init__(self, first_frame_bytes: int) -> None:
        self.size = first_frame_bytes  # the Info frame itself counts
        self.frames = 0
        self._step, self._seen, self._notes = 1, 0, [0] * self.NOTES
        self._count = 0

    def add(self, frame_bytes: int) -> None:
        self.frames += 1
        self.size += frame_bytes
        self._seen += 1
        if self._seen == self._step:
            self._notes[self._count] = self.size
            self._count += 1
            self._seen = 0
            if self._count == self.NOTES:
                self._notes[: self.NOTES // 2] = self._notes[1 : self.NOTES : 2]
                self._count = self.NOTES // 2
                self._step *= 2

    def toc(self) -> bytes:
        entries = [0] + [min(255, 256 * self._notes[i * self._count // _TOC_SIZE] // self.size) for i in range(1, _TOC_SIZE)]
        return bytes(entries)


# --- CRC-16/ARC ---------------------------------------------------------------------------
# The CRC is linear (initial value 0, no final xor): the CRC of A followed by B is the CRC of
# A pushed through len(B) zero bytes, xor the CRC of B. Pushing through zero bytes is an
# invertible linear map Z of the 16-bit register; x^8 has an order dividing 32767 modulo the
# polynomial (x + 1)(x^15 + x + 1), so undoing n zero bytes is pushing 32767 - n more.
# With that, a stream's CRC follows from the CRCs the encoder wrote for its pieces, without
# reading them again.

_ZERO_ORDER = 32767


@functools.cache
def _byte_table() -> tuple[int, ...]:
    table = []
    for value in range(256):
        crc = value
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


def crc16(data: bytes | memoryview, crc: int = 0) -> int:
    """CRC-16/ARC of ``data``, continuing from ``crc`` (meant for small pieces: it runs in Python)."""
    table = _byte_table()
    for byte in bytes(data):
        crc = (crc >> 8) ^ table[(crc ^ byte) & 0xFF]
    return crc


@functools.cache
def _zeros_powers() -> tuple[tuple[int, ...], ...]:
    """Z^(2^k) for k = 0…14, each as the images of the 16 unit registers."""
    table = _byte_table()
    power = tuple(((1 << k) >> 8) ^ table[(1 << k) & 0xFF] for k in range(16))
    powers = []
    for _ in range(15):
        powers.append(power)
        power = tuple(_apply(power, _apply(power, 1 << k)) for k in range(16))
    return tuple(powers)


def _apply(images: tuple[int, ...], register: int) -> int:
    out = 0
    for k in range(16):
        if register >> k & 1:
            out ^= images[k]
    return out


def crc16_zeros(crc: int, count: int) -> int:
    """The register ``crc`` after ``count`` zero bytes; a negative ``count`` undoes that many."""
    count %= _ZERO_ORDER
    for k, power in enumerate(_zeros_powers()):
        if count >> k & 1:
            crc = _apply(power, crc)
    return crc


def crc16_join(first: int, second: int, second_length: int) -> int:
    """CRC of A followed by B, from CRC(A), CRC(B) and len(B)."""
    return crc16_zeros(first, second_length) ^ second
