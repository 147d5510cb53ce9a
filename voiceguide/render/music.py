"""Music beds as endless, seamless streams read block by block.

A file is decoded once to raw 16-bit PCM in a temporary file and read from there, so a
long music file costs disk, not memory. Its end is cross-faded into its start (equal
power) so the loop has no click; the built-in bed is seamless by construction.
"""

from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path

import numpy as np

from voiceguide import ffmpeg
from voiceguide.errors import MusicError, RenderError
from voiceguide.render import CHANNELS, SAMPLE_RATE
from voiceguide.render.loudness import integrated_from_sub_blocks, k_weighted

MIN_MUSIC_S = 2.0
MAX_MUSIC_S = 2 * 3600.0
MAX_MUSIC_BYTES = 2 * 1024**3
CROSSFADE_S = 3.0
PROFILE_STEP = SAMPLE_RATE // 100  # 10 ms
SUB_BLOCK_STEPS = 10  # 10 ms steps in a 100 ms loudness sub-block
MEASURE_CHUNK = 10 * SAMPLE_RATE  # chunk boundaries fall on whole sub-blocks
_TEXT_STARTS = (b"#EXTM3U", b"ffconcat", b"file ", b"[playlist]", b"<?xml", b"<asx", b"#!", b"{", b"http")


class LoopedMusic:
    """An endless stream of stereo float32 frames built from ``frames`` played and looped.

    The first ``crossfade`` frames play as they are; after that the stream repeats with
    period ``len - crossfade``, its last ``crossfade`` frames blended into its first.
    """

    def __init__(self, reader: _Frames, crossfade: int) -> None:
        self.reader = reader
        self.length = reader.frames
        self.crossfade = crossfade
        self.period = self.length - crossfade
        if crossfade:
            fade = np.linspace(0.0, 1.0, crossfade, endpoint=False, dtype=np.float64)
            fade_in = np.sin(0.5 * np.pi * fade)[:, None]
            fade_out = np.cos(0.5 * np.pi * fade)[:, None]
            self.head = (reader.read(0, crossfade) * fade_in + reader.read(self.period, crossfade) * fade_out).astype(np.float32)
        self.loudness_lufs, self._profile = self._measure()

    def _measure(self) -> tuple[float, np.ndarray]:
        """Loudness of the stream's first cycle (BS.1770 gated) and its K-weighted energy per 10 ms."""
        cycle = self.period + self.crossfade  # frames before the stream first repeats (the file's length)
        profile: list[np.ndarray] = []
        for start in range(0, cycle, MEASURE_CHUNK):
            frames = min(MEASURE_CHUNK, cycle - start)
            weighted = np.square(k_weighted(self.read(start, frames).astype(np.float64), SAMPLE_RATE)).sum(axis=1)
            whole = frames // PROFILE_STEP * PROFILE_STEP
            profile.append(weighted[:whole].reshape(-1, PROFILE_STEP).sum(axis=1))
            if whole < frames:
                profile.append(np.array([weighted[whole:].sum()]))
        energies = np.concatenate(profile)
        per_sub_block = np.add.reduceat(energies, np.arange(0, energies.size, SUB_BLOCK_STEPS))
        return integrated_from_sub_blocks(per_sub_block, SAMPLE_RATE), energies

    def energy(self, frames: np.ndarray) -> np.ndarray:
        """K-weighted energy (channels summed) of the 10 ms of stream starting at each of ``frames``."""
        position = np.where(frames < self.crossfade, frames, self.crossfade + (frames - self.crossfade) % self.period)
        return self._profile[np.minimum(position // PROFILE_STEP, self._profile.size - 1)]

    def read(self, frame: int, frames: int) -> np.ndarray:
        out = np.empty((frames, CHANNELS), dtype=np.float32)
        done = 0
        while done < frames:
            position = frame + done
            if position >= self.crossfade:
                position = (position - self.crossfade) % self.period + self.crossfade
                if position >= self.period:
                    position -= self.period  # inside the blended head of the next pass
            if position < self.crossfade and frame + done >= self.crossfade:
                take = min(frames - done, self.crossfade - position)
                out[done : done + take] = self.head[position : position + take]
            else:
                limit = self.crossfade if position < self.crossfade else self.period
                take = min(frames - done, limit - position)
                out[done : done + take] = self.reader.read(position, take)
            done += take
        return out

    def close(self) -> None:
        self.reader.close()


class _Frames:
    """Random access to stereo frames, in memory or from a raw PCM file."""

    frames: int

    def read(self, frame: int, frames: int) -> np.ndarray:
        raise NotImplementedError

    def close(self) -> None:
        pass


class ArrayFrames(_Frames):
    def __init__(self, data: np.ndarray) -> None:
        self.data = data
        self.frames = data.shape[0]

    def read(self, frame: int, frames: int) -> np.ndarray:
        return self.data[frame : frame + frames]


class RawFileFrames(_Frames):
    """Stereo s16le frames in a file, read with positional reads (no mapping, flat memory)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd = os.open(path, os.O_RDONLY)
        self.frames = os.fstat(self.fd).st_size // (2 * CHANNELS)

    def read(self, frame: int, frames: int) -> np.ndarray:
        data = os.pread(self.fd, frames * 2 * CHANNELS, frame * 2 * CHANNELS)
        return np.frombuffer(data, dtype="<i2").reshape(-1, CHANNELS).astype(np.float32) * (1 / 32768)

    def close(self) -> None:
        os.close(self.fd)
        self.path.unlink(missing_ok=True)


def builtin_music(bed: np.ndarray) -> LoopedMusic:
    return LoopedMusic(ArrayFrames(bed), crossfade=0)


def check_music_file(path: Path) -> None:
    """Refuse what is clearly not a local audio file, before any synthesis or decoding."""
    where = f"music '{path}'"
    if not path.exists():
        raise MusicError(f"{where} does not exist — check the path (relative paths are relative to the routine)")
    if not path.is_file():
        raise MusicError(f"{where} is not a file — name an audio file such as music.mp3")
    size = path.stat().st_size
    if size == 0:
        raise MusicError(f"{where} is empty — name a real audio file")
    if size > MAX_MUSIC_BYTES:
        raise MusicError(f"{where} is {size / 1024**3:.1f} GiB, more than the 2 GiB limit — use a shorter or compressed file")
    try:
        with path.open("rb") as handle:
            head = handle.read(4096)
    except OSError as err:
        raise MusicError(f"{where} cannot be read ({err.strerror}) — check its permissions") from None
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(_TEXT_STARTS) or (head and _mostly_text(head)):
        raise MusicError(f"{where} is a text or playlist file, not audio — name the audio file itself")


def _mostly_text(head: bytes) -> bool:
    printable = sum(1 for b in head if 32 <= b < 127 or b in (9, 10, 13))
    return printable / len(head) > 0.97 and not head.startswith((b"RIFF", b"ID3", b"fLaC", b"OggS", b"FORM"))


def decode_music(path: Path, workdir: Path, prefix: str = ".voiceguide-music-") -> LoopedMusic:
    """Decode a music file to raw PCM in ``workdir`` and wrap it as a seamless loop."""
    check_music_file(path)
    handle, raw_name = tempfile.mkstemp(prefix=prefix, suffix=".raw", dir=workdir)
    os.close(handle)
    raw = Path(raw_name)
    try:
        ffmpeg.run(
            [*ffmpeg.SAFE_INPUT, "-i", str(path), "-map", "0:a:0", "-vn", "-t", str(MAX_MUSIC_S + 1), "-ac", str(CHANNELS),
             "-ar", str(SAMPLE_RATE), "-f", "s16le", "-c:a", "pcm_s16le", "-y", str(raw)],
            f"decoding music '{path.name}'",
        )  # fmt: skip
    except RenderError as err:
        raw.unlink(missing_ok=True)
        raise MusicError(f"music '{path}' cannot be decoded as audio ({str(err).split(': ', 1)[-1]}) — use an MP3, WAV, FLAC, OGG or M4A file") from None
    reader = RawFileFrames(raw)
    seconds = reader.frames / SAMPLE_RATE
    if seconds < MIN_MUSIC_S:
        reader.close()
        raise MusicError(f"music '{path}' holds {seconds:.1f} s of audio; at least {MIN_MUSIC_S:.0f} s is needed to loop it — use a longer file")
    if seconds > MAX_MUSIC_S:
        reader.close()
        raise MusicError(f"music '{path}' is longer than {MAX_MUSIC_S / 3600:.0f} h — use a shorter file")
    crossfade = int(min(CROSSFADE_S, seconds / 3) * SAMPLE_RATE)
    music = LoopedMusic(reader, crossfade)
    if not math.isfinite(music.loudness_lufs):
        music.close()
        raise MusicError(f"music '{path}' is silent — use a file with sound, or music: none")
    return music
