"""Ogg pages read and written (RFC 3533), for joining Ogg Opus streams packet by packet.

A page: ``OggS``, version 0, flags (1 continued, 2 first, 4 last), the granule position
(64-bit little-endian), the stream's serial number, the page's sequence number, a CRC-32
of the whole page taken with its own field zero (polynomial 0x04C11DB7, no reflection, no
final inversion), and a table of lacing values: a packet is the run of its segments up to
the first one shorter than 255 bytes, and may carry on into the next page.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from voiceguide.errors import RenderError

_HEADER = struct.Struct("<4sBBqIII B")  # up to the segment count; the lacing table follows
CONTINUED, FIRST, LAST = 1, 2, 4
NO_GRANULE = -1  # a page on which no packet ends
MAX_SEGMENTS = 255


_REVERSED = bytes(int(f"{b:08b}"[::-1], 2) for b in range(256))  # each byte's bits in the other order


def crc32(data: bytes) -> int:
    """Ogg's CRC-32 (polynomial 0x04C11DB7, MSB first, initial value 0, no final inversion), by zlib's.

    zlib's CRC-32 is the same polynomial taken LSB first, starting from and inverted by 0xFFFFFFFF. Taken
    over the bytes bit-reversed, it is Ogg's CRC bit-reversed; and a CRC is linear, so the part its initial
    value adds is zlib's CRC of as many zero bytes, removed by XOR.
    """
    lsb_first = zlib.crc32(data.translate(_REVERSED)) ^ zlib.crc32(bytes(len(data)))
    return int(f"{lsb_first:032b}"[::-1], 2)


@dataclass(frozen=True)
class Stream:
    packets: list[bytes]
    granule: int  # the last page's granule position: where the stream ends


def read_stream(data: bytes) -> Stream:
    """The packets of a single-stream Ogg file, in order; RenderError if it is not whole Ogg pages."""
    packets: list[bytes] = []
    pending = b""  # the start of a packet that goes on in the next segment (or page)
    at, granule = 0, NO_GRANULE
    while at < len(data):
        if len(data) - at < _HEADER.size or data[at : at + 4] != b"OggS":
            raise RenderError("an Opus encoder wrote something other than Ogg pages")
        granule, count = _HEADER.unpack_from(data, at)[3], data[at + _HEADER.size - 1]
        body = at + _HEADER.size + count
        lacing = data[body - count : body]
        if len(lacing) < count or body + sum(lacing) > len(data):
            raise RenderError("an Opus encoder's stream ends in the middle of a page")
        for size in lacing:
            if size < MAX_SEGMENTS:
                packets.append(pending + data[body : body + size])
                pending = b""
            else:
                pending += data[body : body + size]
            body += size
        at = body
    if pending:
        raise RenderError("an Opus encoder's stream ends in the middle of a packet")
    return Stream(packets, granule)


def page(packets: Sequence[bytes], granule: int, serial: int, sequence: int, flags: int = 0) -> bytes:
    """One page holding whole ``packets`` (together at most 255 lacing values)."""
    lacing = bytearray()
    for packet in packets:
        lacing += b"\xff" * (len(packet) // MAX_SEGMENTS) + bytes([len(packet) % MAX_SEGMENTS])
    if len(lacing) > MAX_SEGMENTS:
        raise ValueError("too many segments for one Ogg page")
    head = _HEADER.pack(b"OggS", 0, flags, granule, serial, sequence, 0, len(lacing)) + bytes(lacing)
    whole = head + b"".join(packets)
    return whole[:22] + struct.pack("<I", crc32(whole)) + whole[26:]


def pages(packets: Sequence[tuple[bytes, int]], serial: int, first_sequence: int, per_page: int) -> Iterator[bytes]:
    """Pages of ``packets`` (each with the granule position at its end), at most ``per_page`` packets a page, numbered
    from ``first_sequence``, the final one flagged as the stream's last."""
    batch: list[tuple[bytes, int]] = []
    sequence = first_sequence
    size = 0
    for index, (packet, granule) in enumerate(packets):
        segments = len(packet) // MAX_SEGMENTS + 1
        if batch and (len(batch) == per_page or size + segments > MAX_SEGMENTS):
            yield page([p for p, _ in batch], batch[-1][1], serial, sequence)
            sequence, batch, size = sequence + 1, [], 0
        batch.append((packet, granule))
        size += segments
        if index == len(packets) - 1:
            yield page([p for p, _ in batch], granule, serial, sequence, LAST)
