"""Sound for the terminal player, through miniaudio (MIT; its wheel carries its own decoders and device code).

miniaudio decodes MP3, FLAC, Ogg Vorbis and WAV and plays on the system's default
output (WASAPI, Core Audio, PulseAudio or ALSA) with nothing else installed. Opening a
device that is not there ends in ``NoAudioDevice``: one line that suggests ``--no-audio``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any, Protocol

from voiceguide.errors import VoiceguideError
from voiceguide.terminal import quiet_stderr

DECODES = (".mp3", ".flac", ".ogg", ".wav")
RESUME_SLACK_S = 0.25  # resuming this close to where the sound stopped continues it instead of seeking again
BUFFER_MS = 100
NO_AUDIO_HINT = "add --no-audio to follow the session on screen without sound"


class PlaybackError(VoiceguideError):
    """The session cannot be played aloud here."""


class NoAudioDevice(PlaybackError):
    """There is no sound output to play on."""


class Output(Protocol):
    """Where the sound goes. ``start`` returns the position the sound really starts from."""

    def start(self, position_s: float) -> float: ...

    def stop(self) -> None: ...

    def close(self) -> None: ...

    @property
    def gain_db(self) -> float: ...

    def set_gain_db(self, gain_db: float) -> None: ...

    def earcon(self, rising: bool = True) -> None: ...


GAIN_RANGE_DB = (-24.0, 9.0)  # "softer" and "louder" stay within these


class Adjustable:
    """The volume ("louder", "softer") and the earcon of an output; the earcon plays on a second device, opened on first use."""

    _gain_db = 0.0
    _earcons: Any = None
    sounds = True  # False: the volume is only remembered and the earcon not played (no sound device)

    @property
    def gain_db(self) -> float:
        return self._gain_db

    def set_gain_db(self, gain_db: float) -> None:
        self._gain_db = min(max(gain_db, GAIN_RANGE_DB[0]), GAIN_RANGE_DB[1])

    def earcon(self, rising: bool = True) -> None:
        """Play the short "heard you" sound over (or instead of) the session."""
        if not self.sounds:
            return
        from voiceguide.listen.earcon import RATE, earcon

        miniaudio = _miniaudio()
        try:
            with quiet_stderr():
                if self._earcons is None:
                    self._earcons = miniaudio.PlaybackDevice(
                        nchannels=1, sample_rate=RATE, buffersize_msec=BUFFER_MS, app_name="voiceguide"
                    )
                self._earcons.stop()
                self._earcons.start(_once(earcon(rising).tobytes()))
        except miniaudio.MiniaudioError:
            pass  # the earcon is a courtesy; the command is on screen

    def _close_earcons(self) -> None:
        if self._earcons is not None:
            self._earcons.close()

    def _gained(self, source: Generator[Any, int, None], seen: Callable[[Any], None] | None = None) -> Generator[Any, int, None]:
        """Hands the device what it asks of ``source`` (started), at the output's volume; ``seen`` hears of each chunk."""
        wanted = yield b""
        while True:
            try:
                chunk = source.send(wanted)
            except StopIteration:
                return
            if seen is not None:
                seen(chunk)
            wanted = yield _scaled(chunk, 10 ** (self._gain_db / 20)) if self._gain_db else chunk


class Silent(Adjustable):
    """No sound: the display alone (``--no-audio``); the volume is only remembered."""

    sounds = False

    def start(self, position_s: float) -> float:
        return position_s

    def stop(self) -> None:
        pass

    def close(self) -> None:
        pass


def decode_stream(path: Path, position_s: float = 0.0, frames: int = 1024) -> tuple[Generator[Any, int, None], int, int]:
    """Decoded 16-bit PCM chunks of ``path`` from ``position_s`` on, with its sample rate and channel count."""
    miniaudio = _miniaudio()
    with _decoding(path):
        info = miniaudio.get_file_info(str(path))
        stream = miniaudio.stream_file(
            str(path), nchannels=info.nchannels, sample_rate=info.sample_rate, frames_to_read=frames,
            seek_frame=max(0, round(position_s * info.sample_rate)),
        )  # fmt: skip
    return stream, info.sample_rate, info.nchannels


class _OnDevice(Adjustable):
    """An output on a sound device (``_device``, opened by the subclass): stopped and closed alike."""

    _device: Any

    def stop(self) -> None:
        self._device.stop()

    def close(self) -> None:
        self._device.close()
        self._close_earcons()


class Speaker(_OnDevice):
    """Plays one audio file on the default output device."""

    def __init__(self, path: Path) -> None:
        if path.suffix.lower() not in DECODES:
            raise PlaybackError(f"cannot play {path.name}: sound is played from {', '.join(DECODES)} files", hint=NO_AUDIO_HINT)
        self.path = path
        miniaudio = _miniaudio()
        with _decoding(path):
            info = miniaudio.get_file_info(str(path))
        self.rate, self.channels = info.sample_rate, info.nchannels
        self._device = open_device(self.channels, self.rate)
        self._feed: Generator[Any, int, None] | None = None
        self._from_s = 0.0
        self._frames = 0

    def start(self, position_s: float) -> float:
        if self._feed is not None and abs(self._next_s() - position_s) <= RESUME_SLACK_S:
            position_s = self._next_s()  # carry on where the sound stopped
        else:
            source, _, _ = decode_stream(self.path, position_s)
            self._feed = self._gained(source, self._count)
            next(self._feed)
            self._from_s, self._frames = position_s, 0
        with quiet_stderr():
            self._device.start(self._feed)
        return position_s

    def _next_s(self) -> float:
        return self._from_s + self._frames / self.rate

    def _count(self, chunk: Any) -> None:
        self._frames += len(chunk) // self.channels


def open_device(channels: int, rate: int) -> Any:
    """The default output device for 16-bit sound; NoAudioDevice when there is none."""
    miniaudio = _miniaudio()
    try:
        with quiet_stderr():  # ALSA prints pages of complaints on a machine without sound
            return miniaudio.PlaybackDevice(nchannels=channels, sample_rate=rate, buffersize_msec=BUFFER_MS, app_name="voiceguide")
    except miniaudio.MiniaudioError:
        raise NoAudioDevice("no audio output device found", hint=NO_AUDIO_HINT) from None


class StreamSpeaker(_OnDevice):
    """Plays sound made while it plays: ``make(position_s)`` gives a started miniaudio generator of 16-bit frames from there."""

    def __init__(self, make: Callable[[float], Generator[Any, int, None]], channels: int, rate: int) -> None:
        self._make = make
        self._device = open_device(channels, rate)

    def start(self, position_s: float) -> float:
        source = self._make(position_s)
        next(source)
        feed = self._gained(source)
        next(feed)
        with quiet_stderr():
            self._device.start(feed)
        return position_s


def _scaled(chunk: Any, factor: float) -> Any:
    """16-bit samples times ``factor``, clipped."""
    import array

    import numpy as np

    samples = np.frombuffer(chunk, dtype=np.int16).astype(np.float32) * factor
    return array.array("h", np.clip(samples, -32768, 32767).astype(np.int16).tobytes())


def _once(pcm: bytes) -> Generator[bytes, int, None]:
    """A device feed that hands over ``pcm`` once, then silence."""
    sent = 0
    wanted = yield b""
    while True:
        frames = pcm[sent : sent + wanted * 2]
        sent += len(frames)
        wanted = yield frames + bytes(wanted * 2 - len(frames))


def _miniaudio() -> Any:
    try:
        import miniaudio
    except ImportError:
        raise PlaybackError("playing sound needs the miniaudio package (pip install miniaudio)", hint=f"or {NO_AUDIO_HINT}") from None
    return miniaudio


@contextlib.contextmanager
def _decoding(path: Path) -> Iterator[None]:
    """A file miniaudio cannot read becomes one line."""
    try:
        yield
    except _miniaudio().DecodeError as err:
        raise PlaybackError(f"cannot decode {path} ({err})", hint="rebuild it, or add --no-audio") from None
