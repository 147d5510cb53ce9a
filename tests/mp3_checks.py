"""Test material for MP3 encoding: a signal that exercises the encoder, and one plain ffmpeg encode of it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np

from voiceguide.ffmpeg import ffmpeg_exe
from voiceguide.render.settings import Codec

RATE = 44100


def noisy_tones(frames: int, seed: int = 7) -> np.ndarray:
    """Stereo int16: two tones, noise bursts with sharp attacks, and a silent stretch."""
    rng = np.random.default_rng(seed)
    t = np.arange(frames) / RATE
    x = 0.2 * np.sin(2 * np.pi * 220 * t)[:, None] + 0.1 * np.sin(2 * np.pi * 331 * t[:, None] + np.array([0.0, 1.0]))
    bursts = (np.sin(2 * np.pi * 1.7 * t) > 0.6)[:, None] * rng.normal(0, 0.2, (frames, 2))
    x = x + bursts
    x[int(0.4 * frames) : int(0.5 * frames)] = 0.0
    return np.clip(np.rint(x * 32767), -32768, 32767).astype("<i2")


def encode(pcm: np.ndarray, path: Path, codec: Codec | None = None) -> bytes:
    """One ffmpeg encode of ``pcm`` as the render stage runs it, with an Info tag and no ID3 tag."""
    command = [
        ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-f", "s16le", "-ar", str(RATE), "-ac", "2", "-i", "pipe:0",
        "-fflags", "+bitexact", "-flags:a", "+bitexact", *(codec or Codec()).args(), "-y", str(path),
    ]  # fmt: skip
    subprocess.run(command, input=pcm.tobytes(), check=True, capture_output=True, timeout=120)
    return path.read_bytes()
