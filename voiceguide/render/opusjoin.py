"""Opus on every core: the session cut at Opus frame boundaries, encoded side by side, its packets joined in one Ogg stream.

libopus codes 20 ms frames (960 samples at 48 kHz, 882 of the session's 44.1 kHz) after a
look-ahead of its own that the stream's header tells the player to skip (the pre-skip), so
an encoder started at a whole frame makes packets that line up with a single encoder's
there. Opus packets carry state from one to the next (the band energies are predicted from
the last frame's, the transform windows overlap), so each later segment's encoder starts
``WARMUP_FRAMES`` before the frame where it takes over: by then its state has converged on
the single encoder's (RFC 7845 asks at least 80 ms of pre-roll; this is 320 ms), and the
packets from that frame on follow the previous segment's. The packets are written into one
Ogg Opus stream (RFC 7845): the first encoder's header (one pre-skip) and comment packets,
then the audio, about a second a page, each page's granule position counting 48 kHz samples
from the start of the stream, the last one giving exactly the session's length.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np

from voiceguide.errors import RenderError
from voiceguide.render import SAMPLE_RATE
from voiceguide.render.encode import encode_parts
from voiceguide.render.oggpages import FIRST, page, pages, read_stream
from voiceguide.render.parallel import segment_count
from voiceguide.render.settings import Codec

OPUS_RATE = 48000
FRAME = 960  # samples of a 20 ms Opus frame at 48 kHz (libopus's and ffmpeg's default frame)
INPUT_FRAME = SAMPLE_RATE * FRAME // OPUS_RATE  # the session's samples in one frame
WARMUP_FRAMES = 16  # frames each later segment's encoder runs before the one where it takes over
LOOKAHEAD_FRAMES = 4  # frames each earlier segment's encoder runs past its last, so its end is not an end for it
PAGE_PACKETS = 50  # a second of audio a page, as ffmpeg writes them
Source = Callable[[int, int], Iterable[np.ndarray]]

assert INPUT_FRAME * OPUS_RATE == FRAME * SAMPLE_RATE, "the session's rate must hold whole Opus frames"


def packet_samples(packet: bytes) -> int:
    """Samples (at 48 kHz) an Opus packet decodes to, from its table-of-contents byte (RFC 6716, 3.1)."""
    if not packet:
        raise RenderError("an Opus encoder wrote an empty packet")
    config, code = packet[0] >> 3, packet[0] & 3
    if config < 12:  # SILK: 10, 20, 40, 60 ms
        per_frame = (480, 960, 1920, 2880)[config % 4]
    elif config < 16:  # hybrid: 10, 20 ms
        per_frame = (480, 960)[config % 2]
    else:  # CELT: 2.5, 5, 10, 20 ms
        per_frame = (120, 240, 480, 960)[config % 4]
    if code == 0:
        frames = 1
    elif code in (1, 2):
        frames = 2
    elif len(packet) > 1:
        frames = packet[1] & 0x3F
    else:
        raise RenderError("an Opus encoder wrote a packet cut short")
    return per_frame * frames


def audio_packets(data: bytes) -> tuple[list[bytes], list[bytes], int]:
    """The two header packets (OpusHead, OpusTags) of an Ogg Opus stream, its audio packets, each checked to be one
    frame long, and the granule position it ends at."""
    stream = read_stream(data)
    headers, audio = stream.packets[:2], stream.packets[2:]
    if len(headers) < 2 or not headers[0].startswith(b"OpusHead") or not headers[1].startswith(b"OpusTags"):
        raise RenderError("an Opus encoder's stream does not begin with OpusHead and OpusTags")
    if any(packet_samples(p) != FRAME for p in {p[:2] for p in audio}):  # its duration is in its first two bytes
        raise RenderError("an Opus encoder wrote packets of another length than 20 ms")
    return headers, audio, stream.granule


def joined(streams: Sequence[bytes], starts: Sequence[int], bounds: Sequence[int]) -> bytes:
    """One Ogg Opus stream from each stream's packets from its boundary up to the next one's (``starts``: the whole
    stream's frame each stream's first packet is)."""
    serial = struct.unpack_from("<I", streams[0], 14)[0]
    out: list[bytes] = []
    headers: list[bytes] = []
    end = 0
    for index, data in enumerate(streams):
        own, audio, granule = audio_packets(data)
        headers = headers or own
        if own[0] != headers[0]:
            raise RenderError("the Opus encoders' headers differ")
        stop = bounds[index + 1] - starts[index] if index + 1 < len(bounds) else len(audio)
        if len(audio) < stop or stop <= bounds[index] - starts[index]:
            raise RenderError("an Opus encoder stopped before its segment's end")
        out += audio[bounds[index] - starts[index] : stop]
        end = granule + starts[index] * FRAME  # the last stream's own end, in the whole stream's samples
    if not (len(out) - 1) * FRAME < end <= len(out) * FRAME:
        raise RenderError("the joined Opus stream's length does not match its packets")
    granules = [min(end, (i + 1) * FRAME) for i in range(len(out))]
    head = page([headers[0]], 0, serial, 0, FIRST) + page([headers[1]], 0, serial, 1)
    return head + b"".join(pages(list(zip(out, granules, strict=True)), serial, 2, PAGE_PACKETS))


def encode_opus(
    path: Path, codec: Codec, total: int, source: Source, progress: Callable[[int], None] | None = None, count: int | None = None
) -> None:
    """Encode ``total`` samples from ``source`` into the Ogg Opus file ``path`` in ``count`` segments (default: as MP3 is
    cut, by length alone, so the bytes do not depend on the cores)."""
    count = count or segment_count(total)
    frames = math.ceil(total / INPUT_FRAME)
    bounds = [round(i * frames / count) for i in range(count)]
    starts = [0] + [max(0, b - WARMUP_FRAMES) for b in bounds[1:]]  # packet j of a stream started at frame s is whole packet s + j
    ends = [min(total, (b + LOOKAHEAD_FRAMES) * INPUT_FRAME) for b in bounds[1:]] + [total]
    spans = [(s * INPUT_FRAME, e) for s, e in zip(starts, ends, strict=True)]
    path.write_bytes(joined(encode_parts(path, codec, spans, source, progress, total), starts, bounds))
