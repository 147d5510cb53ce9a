"""pydub, set up to use the ffmpeg voiceguide found (it warns at import when ffmpeg is not on PATH)."""

from __future__ import annotations

import warnings

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Couldn't find ffmpeg", category=RuntimeWarning)
    from pydub import AudioSegment

import numpy as np

from voiceguide import ffmpeg


def read_wav_mono(path: str | object) -> tuple[np.ndarray, int]:
    """A WAV file as mono float32 samples in [-1, 1] and its sample rate."""
    AudioSegment.converter = ffmpeg.ffmpeg_exe()
    clip = AudioSegment.from_wav(path).set_channels(1).set_sample_width(2)
    return np.array(clip.get_array_of_samples(), dtype=np.float32) * (1 / 32768), clip.frame_rate
