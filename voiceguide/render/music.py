"""Music beds as endless, seamless streams read block by block.

A file is decoded once to raw 16-bit PCM in a temporary file and read from there, so a
long music file costs disk, not memory. Its end is cross-faded into its start (equal
power) so the loop has no click; the built-in bed is seamless by construction.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import stat
import tempfile
from pathlib import Path

import numpy as np
import numpy.fft  # loaded now: decoding runs in a thread, which should import nothing (see ffmpeg.py)

from voiceguide import ffmpeg
from voiceguide.durations import format_duration
from voiceguide.errors import MusicError, RenderError, ResourceError
from voiceguide.render import CHANNELS, SAMPLE_RATE
from voiceguide.render.loudness import integrated_from_sub_blocks, k_weighted
from voiceguide.text import printable

MIN_MUSIC_S = 2.0
MAX_MUSIC_S = 2 * 3600.0
MAX_MUSIC_BYTES = 2 * 1024**3
MIN_MUSIC_RATE = 8000  # Hz: below this a file is not music, and a tiny one can decode to hours
CROSSFADE_S = 3.0
PROFILE_STEP = SAMPLE_RATE // 100  # 10 ms
SUB_BLOCK_STEPS = 10  # 10 ms steps in a 100 ms loudness sub-block
MEASURE_CHUNK = 10 * SAMPLE_RATE  # chunk boundaries fall on whole sub-blocks
DECODE_TIMEOUT_S = 600.0  # decoding 2 h of audio takes well under a minute; past this ffmpeg is stuck
SNIFF_BYTES = 4096
_TEXT_STARTS = (b"#EXTM3U", b"ffconcat", b"file ", b"[playlist]", b"<?xml", b"<!--", b"<MPD", b"<asx", b"#!", b"{", b"http")
_AUDIO_MAGIC = (b"RIFF", b"ID3", b"fLaC", b"OggS", b"FORM", b"#!AMR")  # "#!AMR" is audio, not a script
_URL_IN_PATH = re.compile(r"(^|/)[A-Za-z][A-Za-z0-9+.-]*:(/|$)")  # "http:/host" is what a URL becomes as a path
MUSIC_PATHS = "check the path: --music is read from the current folder, music: in a routine from the routine's folder"


class LoopedMusic:
    """An endless stream of stereo float32 frames built from ``frames`` played and looped.

    The first ``crossfade`` frames play as they are; after that the stream repeats with
    period ``len - crossfade``, its last ``crossfade`` frames blended into its first.
    """

    def __init__(self, reader: _Frames, crossfade: int, profile: np.ndarray | None = None) -> None:
        self.reader = reader
        self.length = reader.frames
        self.crossfade = crossfade
        self.period = self.length - crossfade
        if crossfade:
            fade = np.linspace(0.0, 1.0, crossfade, endpoint=False, dtype=np.float64)
            fade_in = np.sin(0.5 * np.pi * fade)[:, None]
            fade_out = np.cos(0.5 * np.pi * fade)[:, None]
            self.head = (reader.read(0, crossfade) * fade_in + reader.read(self.period, crossfade) * fade_out).astype(np.float32)
        self.profile = self._measure() if profile is None else profile  # given: as this stream measured before
        per_sub_block = np.add.reduceat(self.profile, np.arange(0, self.profile.size, SUB_BLOCK_STEPS))
        self.loudness_lufs = integrated_from_sub_blocks(per_sub_block, SAMPLE_RATE)  # of the first cycle, BS.1770 gated

    def _measure(self) -> np.ndarray:
        """The K-weighted energy per 10 ms of the stream's first cycle."""
        cycle = self.period + self.crossfade  # frames before the stream first repeats (the file's length)
        profile: list[np.ndarray] = []
        for start in range(0, cycle, MEASURE_CHUNK):
            frames = min(MEASURE_CHUNK, cycle - start)
            weighted = np.square(k_weighted(self.read(start, frames).astype(np.float64), SAMPLE_RATE)).sum(axis=1)
            whole = frames // PROFILE_STEP * PROFILE_STEP
            profile.append(weighted[:whole].reshape(-1, PROFILE_STEP).sum(axis=1))
            if whole < frames:
                profile.append(np.array([weighted[whole:].sum()]))
        return np.concatenate(profile)

    def energy(self, frames: np.ndarray) -> np.ndarray:
        """K-weighted energy (channels summed) of the 10 ms of stream starting at each of ``frames``."""
        position = np.where(frames < self.crossfade, frames, self.crossfade + (frames - self.crossfade) % self.period)
        return self.profile[np.minimum(position // PROFILE_STEP, self.profile.size - 1)]

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


def builtin_music(bed: np.ndarray, profile: np.ndarray | None = None) -> LoopedMusic:
    """A generated bed, looped as it is; ``profile``: its ``LoopedMusic.profile``, if known."""
    return LoopedMusic(ArrayFrames(bed), crossfade=0, profile=profile)


def check_music_file(path: Path) -> None:
    """Refuse what is clearly not a local audio file, before any synthesis or decoding.

    This is a courtesy that gives a clear message early; what keeps ffmpeg to the file
    itself is ``ffmpeg.SAFE_INPUT`` (no network, no playlists) when it is decoded.
    """
    where = f"music '{_display(path)}'"
    try:
        info = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        if _URL_IN_PATH.search(str(path)):
            raise MusicError(
                f"{where} looks like a web address; voiceguide reads local files only",
                hint="download it and name the file",
            ) from None
        raise MusicError(f"{where} does not exist", hint=MUSIC_PATHS) from None
    except (OSError, ValueError) as err:
        reason = err.strerror if isinstance(err, OSError) and err.strerror else "not a valid file name"
        raise MusicError(f"{where} cannot be used ({reason})", hint="check the path") from None
    if stat.S_ISDIR(info.st_mode):
        raise MusicError(f"{where} is a folder, not a file", hint="name an audio file such as music.mp3")
    if not stat.S_ISREG(info.st_mode):
        raise MusicError(f"{where} is not a regular file (a pipe, device or socket)", hint="name an audio file such as music.mp3")
    if info.st_size == 0:
        raise MusicError(f"{where} is empty", hint="name a real audio file")
    if info.st_size > MAX_MUSIC_BYTES:
        raise MusicError(f"{where} is {info.st_size / 1024**3:.1f} GiB, more than the 2 GiB limit", hint="use a shorter or compressed file")
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))  # never blocks, even if swapped for a FIFO
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise MusicError(f"{where} is not a regular file", hint="name an audio file such as music.mp3")
            head = os.read(fd, SNIFF_BYTES)
        finally:
            os.close(fd)
    except OSError as err:
        raise MusicError(f"{where} cannot be read ({err.strerror})", hint="check its permissions") from None
    if _looks_like_text(head):
        raise MusicError(f"{where} is a text or playlist file, not audio", hint="name the audio file itself")


def _display(path: Path) -> str:
    """The path for a one-line message (a newline in a file name would break the line)."""
    return printable(path)


def _looks_like_text(head: bytes) -> bool:
    """Whether a file's first bytes are text (a playlist, a manifest, a page) rather than audio."""
    if head.startswith(_AUDIO_MAGIC):
        return False
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(_TEXT_STARTS):
        return True
    if head and b"\0" not in head:
        try:
            head.decode("utf-8")
            return True  # audio is never 4 KB of valid UTF-8 without a zero byte
        except UnicodeDecodeError as err:
            if len(head) == SNIFF_BYTES and err.start >= len(head) - 3 and err.end == len(head):
                return True  # only the last character was cut by the read
    return _mostly_text(head)


def probe_music(path: Path, workdir: Path) -> float:
    """How many seconds decoding ``path`` may write, from its header; MusicError or ResourceError before anything is written.

    An 8 KB WAV that says it is sampled at 1 Hz decodes to more than an hour: a few bytes
    can ask for gigabytes. The header's sample rate and length are checked first, and the
    raw audio they promise must fit in ``workdir`` (the output's folder).
    """
    try:
        info = ffmpeg.probe_audio(path.absolute(), f"reading music '{path.name}'")
    except RenderError as err:
        raise _undecodable(path, err) from None
    if info.sample_rate is not None and info.sample_rate < MIN_MUSIC_RATE:
        raise MusicError(
            f"music '{_display(path)}' is sampled at {info.sample_rate} Hz, too low for music (a few bytes would decode to hours)",
            hint=f"use a file sampled at {MIN_MUSIC_RATE // 1000} kHz or more",
        )
    if info.duration_s is not None and info.duration_s > MAX_MUSIC_S:
        raise MusicError(f"music '{_display(path)}' is longer than {format_duration(MAX_MUSIC_S)}", hint="use a shorter file")
    seconds = MAX_MUSIC_S + 1 if info.duration_s is None else min(MAX_MUSIC_S + 1, info.duration_s + 1)
    needed = int(seconds * SAMPLE_RATE * CHANNELS * 2)
    try:
        free = shutil.disk_usage(workdir).free
    except OSError:
        free = needed  # cannot tell: the decoding itself reports a full disk
    if needed > free:
        raise ResourceError(
            f"no space left in {_display(workdir)} for the decoded music ({needed / 1e6:,.0f} MB for '{_display(path)}')",
            hint="free some space, write elsewhere with -o, or use a shorter music file",
        )
    return seconds


def _undecodable(path: Path, err: RenderError) -> MusicError:
    """The one line for music ffmpeg cannot read: a playlist in disguise, no audio, or its own words."""
    words = str(err).split(": ", 1)[-1]
    if "whitelist" in words:
        return MusicError(
            f"music '{_display(path)}' is a playlist, manifest or other format that is not plain audio",
            hint="name the audio file itself",
        )
    if "matches no streams" in words:
        return MusicError(f"music '{_display(path)}' has no audio in it", hint="use an MP3, WAV, FLAC, OGG or M4A file")
    return MusicError(f"music '{_display(path)}' cannot be decoded as audio ({words})", hint="use an MP3, WAV, FLAC, OGG or M4A file")


def _mostly_text(head: bytes) -> bool:
    printable = sum(1 for b in head if 32 <= b < 127 or b in (9, 10, 13))
    return bool(head) and printable / len(head) > 0.97


def decode_music(path: Path, workdir: Path, prefix: str = ".voiceguide-music-") -> LoopedMusic:
    """Decode a music file to raw PCM in ``workdir`` and wrap it as a seamless loop.

    ffmpeg reads the file itself and nothing else (``SAFE_INPUT``: local file protocol,
    audio demuxers only), so a playlist or manifest in disguise cannot make it open
    other files or the network. What the decoding will write is known first (``probe_music``)
    and capped at that, so a small file cannot fill the disk beside the output.
    """
    check_music_file(path)
    seconds_at_most = probe_music(path, workdir)
    handle, raw_name = tempfile.mkstemp(prefix=prefix, suffix=".raw", dir=workdir)
    os.close(handle)
    raw = Path(raw_name)
    try:
        ffmpeg.run(
            [*ffmpeg.SAFE_INPUT, "-i", ffmpeg.path_arg(path.absolute()), "-map", "0:a:0", "-vn", "-t", f"{seconds_at_most:.3f}",
             "-ac", str(CHANNELS), "-ar", str(SAMPLE_RATE), "-f", "s16le", "-c:a", "pcm_s16le", "-y", ffmpeg.path_arg(raw)],
            f"decoding music '{path.name}'",
            timeout_s=DECODE_TIMEOUT_S, writes=raw,
        )  # fmt: skip
    except RenderError as err:
        raw.unlink(missing_ok=True)
        raise _undecodable(path, err) from None
    except BaseException:
        raw.unlink(missing_ok=True)
        raise
    reader = RawFileFrames(raw)
    seconds = reader.frames / SAMPLE_RATE
    if seconds < MIN_MUSIC_S:
        reader.close()
        raise MusicError(
            f"music '{_display(path)}' holds {seconds:.1f} s of audio; at least {MIN_MUSIC_S:.0f} s is needed to loop it",
            hint="use a longer file",
        )
    if seconds > MAX_MUSIC_S:
        reader.close()
        raise MusicError(f"music '{_display(path)}' is longer than {format_duration(MAX_MUSIC_S)}", hint="use a shorter file")
    crossfade = int(min(CROSSFADE_S, seconds / 3) * SAMPLE_RATE)
    try:
        music = LoopedMusic(reader, crossfade)
    except BaseException:
        reader.close()  # removes the raw file
        raise
    if not math.isfinite(music.loudness_lufs):
        music.close()
        raise MusicError(f"music '{_display(path)}' is silent", hint="use a file with sound, or music: none")
    return music
