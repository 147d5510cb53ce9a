"""How much a lossy codec changes loudness, measured on an excerpt of the session itself.

Measured here: libmp3lame at 128 kbit/s CBR decodes about 0.45 dB quieter than its
input, evenly across the spectrum. Encoding and decoding a few seconds costs a fraction
of a second and lets the final file, not just the PCM, meet the loudness target. The
result is kept in the cache folder under a hash of the excerpt, the encoder settings and
the ffmpeg binary, so a build that renders the same excerpt again does not measure again.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from voiceguide import ffmpeg
from voiceguide.errors import OutputError
from voiceguide.narration.cache import cache_root
from voiceguide.output import write_text_atomic
from voiceguide.render import CHANNELS, SAMPLE_RATE
from voiceguide.render.loudness import k_weighted
from voiceguide.render.settings import Codec

EXCERPT_S = 8.0
FACTOR_VERSION = 1  # bump when the measurement changes, so kept factors stop matching


def excerpt_window(speech_starts: Iterable[float], total_frames: int) -> tuple[int, int]:
    """A window of the session that starts with speech (or the start)."""
    first = next(iter(sorted(speech_starts)), 0.0)
    start = min(round(first * SAMPLE_RATE), max(0, total_frames - int(EXCERPT_S * SAMPLE_RATE)))
    return start, min(total_frames, start + int(EXCERPT_S * SAMPLE_RATE))


def codec_factor(pcm: np.ndarray, codec: Codec) -> float:
    """Linear gain that makes ``pcm`` (int16 frames × 2) as loud after encoding and decoding as before."""
    if codec.lossless or pcm.shape[0] < SAMPLE_RATE:
        return 1.0
    kept = _kept_path(pcm, codec)
    try:
        return float(kept.read_text(encoding="ascii"))
    except (OSError, ValueError):
        pass
    factor = _measure(pcm, codec)
    try:
        kept.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(kept, repr(factor))  # repr gives the float back exactly: the same bytes as this build
    except (OSError, OutputError):
        pass  # a read-only cache only costs time
    return factor


def _kept_path(pcm: np.ndarray, codec: Codec) -> Path:
    exe = Path(ffmpeg.ffmpeg_exe())
    stat = exe.stat()
    digest = hashlib.sha256(json.dumps([FACTOR_VERSION, codec.args(stream=True), str(exe), stat.st_size, stat.st_mtime_ns]).encode())
    digest.update(np.ascontiguousarray(pcm, dtype="<i2").tobytes())
    return cache_root() / "codec" / f"{digest.hexdigest()}.txt"


def _measure(pcm: np.ndarray, codec: Codec) -> float:
    raw = ["-f", "s16le", "-ar", str(SAMPLE_RATE), "-ac", str(CHANNELS)]
    encoded = ffmpeg.run([*raw, "-i", "pipe:0", *codec.args(stream=True), "pipe:1"], "measuring the codec", 60, pcm.tobytes()).stdout
    decoded = ffmpeg.run(["-f", codec.format.demuxer, "-i", "pipe:0", *raw, "pipe:1"], "measuring the codec", 60, encoded).stdout
    after = np.frombuffer(decoded, dtype="<i2").reshape(-1, CHANNELS).astype(np.float64)
    before = pcm.astype(np.float64)
    energy_before = float(np.square(k_weighted(before, SAMPLE_RATE)).sum())
    energy_after = float(np.square(k_weighted(after, SAMPLE_RATE)).sum())
    if energy_before <= 0 or energy_after <= 0:
        return 1.0
    return float(min(1.25, max(0.8, math.sqrt(energy_before / energy_after))))
