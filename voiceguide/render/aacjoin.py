"""AAC (M4B, M4A) on every core: the session cut at AAC frame boundaries, encoded side by side, joined, muxed once.

ffmpeg's AAC encoder cuts its input into frames of 1024 samples after one frame of its own
(the priming), so an encoder started at a multiple of 1024 samples makes frames that line up
with a single encoder's there. Each segment's encoder starts ``WARMUP_FRAMES`` before the
frame where it takes over, so its analysis has settled on the same audio; its ADTS frames
from that frame on follow the previous segment's. The joined stream is muxed into MP4 by a
stream copy that starts it one frame early (the priming, in the edit list) and gives its
last frame only the samples the session has: the file decodes to exactly the session's length.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np

from voiceguide import ffmpeg
from voiceguide.errors import RenderError
from voiceguide.output import destination_of, temp_path
from voiceguide.render import SAMPLE_RATE
from voiceguide.render.encode import encode_parts
from voiceguide.render.parallel import segment_count
from voiceguide.render.settings import Codec

FRAME = 1024  # samples per AAC-LC frame, and the encoder's priming
WARMUP_FRAMES = 16  # frames each later segment's encoder runs before the one where it takes over
LOOKAHEAD_FRAMES = 4  # frames each earlier segment's encoder runs past its last, so its end is not an end for it
Source = Callable[[int, int], Iterable[np.ndarray]]


def frame_count(total: int) -> int:
    """Frames a single encoder writes for ``total`` samples: its priming frame and enough for every sample."""
    return math.ceil((total + FRAME) / FRAME)


def adts_frames(data: bytes) -> list[tuple[int, int]]:
    """(offset, length) of each ADTS frame; RenderError if the stream is not whole ADTS."""
    found, at = [], 0
    while at < len(data):
        if len(data) - at < 7 or data[at] != 0xFF or data[at + 1] & 0xF6 != 0xF0:
            raise RenderError("an AAC encoder wrote something other than ADTS frames")
        length = ((data[at + 3] & 0x03) << 11) | (data[at + 4] << 3) | (data[at + 5] >> 5)
        if length < 7 or at + length > len(data):
            raise RenderError("an AAC encoder's stream ends in the middle of a frame")
        found.append((at, length))
        at += length
    return found


def joined(streams: Sequence[tuple[bytes, int]], bounds: Sequence[int], frames: int) -> bytes:
    """The ADTS frames of the whole: from each stream (bytes, the whole stream's frame its first frame is) the frames
    from its boundary up to the next one's."""
    out = bytearray()
    for index, (data, first) in enumerate(streams):
        parts = adts_frames(data)
        stop = bounds[index + 1] if index + 1 < len(bounds) else frames
        if first + len(parts) < stop:
            raise RenderError("an AAC encoder stopped before its segment's end")
        for offset, length in parts[bounds[index] - first : stop - first]:
            out += data[offset : offset + length]
    return bytes(out)


def encode_aac(
    path: Path, codec: Codec, total: int, source: Source, inputs: Sequence[str], muxing: Sequence[str],
    progress: Callable[[int], None] | None = None, count: int | None = None,
) -> None:  # fmt: skip
    """Encode ``total`` samples from ``source`` into the MP4 ``path`` in ``count`` segments (default: as MP3 is cut, by
    length alone, so the bytes do not depend on the cores), muxed with ``inputs`` and ``muxing`` (chapters, language,
    brand) in the same stream copy."""
    count = count or segment_count(total)
    frames = frame_count(total)
    bounds = [round(i * frames / count) for i in range(count)]
    starts = [0] + [max(0, b - WARMUP_FRAMES) for b in bounds[1:]]  # frame j of a stream started at frame s is whole frame s + j
    ends = [min(total, (b + LOOKAHEAD_FRAMES) * FRAME) for b in bounds[1:]] + [total]
    streams = encode_parts(path, codec, [(s * FRAME, e) for s, e in zip(starts, ends, strict=True)], source, progress, total)
    raw = temp_path(path, ".aac")
    try:
        raw.write_bytes(joined(list(zip(streams, starts, strict=True)), bounds, frames))
        last = total + FRAME - (frames - 1) * FRAME  # samples of the session in the last frame
        args = ["-itsoffset", f"{-FRAME / SAMPLE_RATE!r}", "-f", "aac", "-i", ffmpeg.path_arg(raw), *inputs, "-map", "0:a", "-c", "copy"]
        args += ["-bsf:a", f"setts=duration=if(eq(N\\,{frames - 1})\\,DURATION*{last}/{FRAME}\\,DURATION)", *muxing]
        args += ["-fflags", "+bitexact", "-flags:a", "+bitexact", "-f", codec.format.muxer, "-y", ffmpeg.path_arg(path)]
        ffmpeg.run(args, f"writing {destination_of(path).name}", writes=path)
    finally:
        raw.unlink(missing_ok=True)
