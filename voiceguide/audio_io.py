"""pydub, set up to use the ffmpeg voiceguide found (it warns at import when ffmpeg is not on PATH)."""

from __future__ import annotations

import os
import warnings

with warnings.catch_warnings():
    # pydub warns when ffmpeg is not on PATH (we hand it ours below) and imports the
    # deprecated audioop on Python 3.11–3.12 (audioop-lts replaces it from 3.13).
    warnings.filterwarnings("ignore", message="Couldn't find ffmpeg", category=RuntimeWarning)
    warnings.filterwarnings("ignore", message=".*audioop.*", category=DeprecationWarning)
    from pydub import AudioSegment

import numpy as np

from voiceguide import ffmpeg


def read_wav_mono(path: str | os.PathLike[str]) -> tuple[np.ndarray, int]:
    """A WAV file as mono float32 samples in [-1, 1] and its sample rate."""
    AudioSegment.converter = ffmpeg.ffmpeg_exe()
    with open(path, "rb") as handle:  # pydub leaves a path it opened open
        clip = AudioSegment.from_wav(handle).set_channels(1).set_sample_width(2)
    return np.array(clip.get_array_of_samples(), dtype=np.float32) * (1 / 32768), clip.frame_rate
