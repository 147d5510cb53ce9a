"""WAV files as narration stores them: mono 16-bit PCM, one ``data`` chunk, 44-byte header, and a checksum.

Reading accepts what engines write (8/16/32-bit, any channel count) and mixes it
down; writing is atomic so a reader never sees half a clip. A stored clip ends with a
``vgsm`` chunk holding the sha256 of its samples (players skip chunks they do not know),
so a clip whose samples were damaged on disk is found on reading (``read_stored``) and
made again, never used as it is.
"""

from __future__ import annotations

import hashlib
import os
import stat
import struct
import wave
from pathlib import Path
from typing import TYPE_CHECKING

from voiceguide.output import replacing

if TYPE_CHECKING:  # numpy loads with the first clip read or written: the clip cache's header checks need none
    import numpy as np

HEADER_BYTES = 44  # RIFF + fmt + data headers, as the wave module writes them
SUM_CHUNK = b"vgsm"  # voiceguide's checksum chunk, after the samples: the sha256 of the data chunk's bytes
SUM_BYTES = 8 + 32  # its header and the digest
MAX_STORED_BYTES = 64 * 1024 * 1024  # far more than a spoken line of 2,000 characters


class DamagedClip(ValueError):
    """A stored clip that is not whole: missing, not a regular file, truncated, or its samples not what was stored."""


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

    data = np.asarray(samples, dtype="<i2").tobytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    with replacing(path) as temp, temp.open("wb") as f:
        with wave.open(f, "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(rate)
            w.writeframes(data)
        f.write(SUM_CHUNK + struct.pack("<I", 32) + hashlib.sha256(data).digest())
        f.seek(4)
        f.write(struct.pack("<I", HEADER_BYTES - 8 + len(data) + SUM_BYTES))  # the RIFF size counts the checksum chunk


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
    """(frames, rate) of a whole clip this module wrote, its samples checked; None if it is missing, foreign, damaged or empty."""
    try:
        data, rate, _ = _stored(path)
    except DamagedClip:
        return None
    return (len(data) // 2, rate) if data else None


def read_stored(path: Path) -> tuple[np.ndarray, int]:
    """The samples and sample rate of a clip this module wrote; DamagedClip unless it is whole and unchanged."""
    samples, rate, _ = read_stored_summed(path)
    return samples, rate


def read_stored_summed(path: Path) -> tuple[np.ndarray, int, bytes]:
    """``read_stored``, and the sha256 of the samples (checked): what the clip's derived data is kept under."""
    import numpy as np

    data, rate, digest = _stored(path)
    return np.frombuffer(data, dtype="<i2").copy(), rate, digest


def read_cached(path: Path, max_bytes: int = MAX_STORED_BYTES) -> bytes:
    """The bytes of a file in a cache; DamagedClip if it cannot be read, is larger, or is not a regular file.

    Opened without blocking and read only if it is a regular file: a FIFO where a cached
    file should be would otherwise wait forever for a writer.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except (OSError, ValueError) as err:
        raise DamagedClip(f"{path.name} cannot be read ({err})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > max_bytes:
            raise DamagedClip(f"{path.name} is not a regular file")
        blob = b""
        while len(blob) < info.st_size and (chunk := os.read(fd, info.st_size - len(blob))):
            blob += chunk
    except OSError as err:
        raise DamagedClip(f"{path.name} cannot be read ({err})") from None
    finally:
        os.close(fd)
    return blob


def _stored(path: Path) -> tuple[bytes, int, bytes]:
    """The data bytes, rate and sha256 of a stored clip, checked against its checksum chunk."""
    blob = read_cached(path)
    if len(blob) < HEADER_BYTES + SUM_BYTES or blob[:4] != b"RIFF" or blob[8:16] != b"WAVEfmt " or blob[36:40] != b"data":
        raise DamagedClip(f"{path.name} is not a clip voiceguide stored")
    _, _, channels, rate, _, _, bits = struct.unpack("<IHHIIHH", blob[16:36])
    (size,) = struct.unpack("<I", blob[40:44])
    data = blob[HEADER_BYTES : HEADER_BYTES + size]
    tail = blob[HEADER_BYTES + size :]
    if channels != 1 or bits != 16 or rate <= 0 or len(data) != size or size % 2 or tail[:4] != SUM_CHUNK or len(tail) != SUM_BYTES:
        raise DamagedClip(f"{path.name} is not a whole clip")
    digest = hashlib.sha256(data).digest()
    if digest != tail[8:]:
        raise DamagedClip(f"the samples of {path.name} are not those stored")
    return data, rate, digest


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
