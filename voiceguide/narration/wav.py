"""WAV files as narration stores them: mono 16-bit PCM, one ``data`` chunk, 44-byte header.

Reading accepts what engines write (8/16/32-bit, any channel count) and mixes it
down; writing is atomic so a reader never sees half a clip.
"""

from __future__ import annotations

import wave
from pathlib import Path
from typing import TYPE_CHECKING

from voiceguide.output import replacing

if TYPE_CHECKING:  # numpy loads with the first clip read or written: the clip cache's header checks need none
    import numpy as np

HEADER_BYTES = 44  # RIFF + fmt + data headers, as the wave module writes them


def read_mono16(path: Path) -> tuple[np.ndarray, int]:
    """Samples as int16 mono (channels averaged) and the sample rate."""
    import numpy as np

    with wave.open(str(path), "rb") as w:
        channels, width, rate = w.getnchannels(), w.getsampwidth(), w.getframerate()
        raw = w.readframes(w.getnframes())
    if width == 1:
        data = (np.frombuffer(raw, dtype=np.uint8).astype(np.int32) - 128) << 8
    elif width == 2:
        data = np.frombuffer(raw, dtype="<i2").astype(np.int32)
    elif width == 4:
        data = np.frombuffer(raw, dtype="<i4").astype(np.int64) >> 16
    else:
        raise ValueError(f"{path}: unsupported {8 * width}-bit WAV")
    frames = len(data) // channels
    if channels > 1:
        data = data[: frames * channels].reshape(frames, channels).mean(axis=1)
    return np.clip(np.round(data), -32768, 32767).astype(np.int16), rate


def write_mono16_atomic(path: Path, samples: np.ndarray, rate: int) -> None:
    """Write ``samples`` next to ``path`` under a temporary name, then rename it into place."""
    import numpy as np

    path.parent.mkdir(parents=True, exist_ok=True)
    with replacing(path) as temp, temp.open("wb") as f, wave.open(f, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(np.asarray(samples, dtype="<i2").tobytes())


def write_float(path: Path, audio: np.ndarray, rate: int, volume: float = 1.0) -> None:
    """Write float samples (full scale ±1) times ``volume`` as mono 16-bit PCM, clipping what exceeds full scale."""
    import numpy as np

    scaled = np.round(np.asarray(audio, dtype=np.float64).ravel() * volume * 32767.0)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(np.clip(scaled, -32768, 32767).astype("<i2").tobytes())


def stored_frames(path: Path) -> tuple[int, int] | None:
    """(frames, rate) from the header of a clip this module wrote, or None if it is missing, foreign or truncated."""
    try:
        size = path.stat().st_size
        with wave.open(str(path), "rb") as w:
            if w.getnchannels() != 1 or w.getsampwidth() != 2 or w.getframerate() <= 0:
                return None
            frames, rate = w.getnframes(), w.getframerate()
    except (OSError, EOFError, wave.Error):
        return None
    return (frames, rate) if size == HEADER_BYTES + 2 * frames else None


def is_complete(path: Path) -> bool:
    """Whether a WAV another thread or program is writing is whole: its header's data size matches the bytes on disk."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as f, wave.open(f, "rb") as w:
            data_start = f.tell()  # the wave module stops at the start of the data chunk
            data_bytes = w.getnframes() * w.getnchannels() * w.getsampwidth()
    except (OSError, EOFError, wave.Error):
        return False
    return data_start + data_bytes <= size
