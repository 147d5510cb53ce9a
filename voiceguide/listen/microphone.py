"""Where the microphone's samples come from: a recording (whole, or paced in real time), or the sound card.

Everything is 16 kHz mono float32, what the VAD and the recogniser take. Files and the
device both go through miniaudio (MIT), which decodes WAV, FLAC, MP3 and Vorbis and opens
the system's default capture device with nothing else installed.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from voiceguide.errors import VoiceguideError
from voiceguide.listen.recognise import ListenUnavailable
from voiceguide.listen.vad import RATE
from voiceguide.terminal import quiet_stderr

BLOCK_S = 0.096  # how much the microphone hands over at a time (three VAD windows)

Samples = np.ndarray[Any, np.dtype[np.float32]]


class MicrophoneFileError(VoiceguideError):
    """A microphone recording cannot be read."""


def read_recording(path: Path) -> Samples:
    """The whole recording at 16 kHz mono."""
    try:
        import miniaudio
    except ImportError:
        raise ListenUnavailable("reading a recording needs the miniaudio package (pip install miniaudio)") from None
    if not path.is_file():
        raise MicrophoneFileError(f"{path} does not exist", hint="give a WAV, FLAC, MP3 or Ogg recording of the microphone")
    try:
        decoded = miniaudio.decode_file(str(path), output_format=miniaudio.SampleFormat.FLOAT32, nchannels=1, sample_rate=RATE)
    except miniaudio.DecodeError as err:
        raise MicrophoneFileError(f"cannot decode {path} ({err})", hint="give a WAV, FLAC, MP3 or Ogg recording") from None
    return np.frombuffer(decoded.samples, dtype=np.float32).copy()


def paced(samples: Samples, block_s: float = BLOCK_S, clock: Any = time.monotonic) -> Iterator[Samples]:
    """``samples`` block by block, each handed over once its time has come (a recording standing in for a live microphone)."""
    size = round(block_s * RATE)
    began = clock()
    for start in range(0, len(samples), size):
        due = began + (start + size) / RATE
        wait = due - clock()
        if wait > 0:
            time.sleep(wait)
        yield samples[start : start + size]


class Device:
    """The default capture device; ``blocks()`` yields what it records until ``close()``. ListenUnavailable when there is none."""

    def __init__(self) -> None:
        try:
            import miniaudio
        except ImportError:
            raise ListenUnavailable("listening needs the miniaudio package (pip install miniaudio)") from None
        self._queue: queue.Queue[Samples] = queue.Queue(maxsize=200)
        self._closed = threading.Event()
        try:
            with quiet_stderr():  # ALSA prints pages of complaints on a machine without sound
                self._device = miniaudio.CaptureDevice(
                    input_format=miniaudio.SampleFormat.FLOAT32, nchannels=1, sample_rate=RATE, buffersize_msec=round(BLOCK_S * 1000)
                )
            sink = self._sink()
            next(sink)
            with quiet_stderr():
                self._device.start(sink)
        except miniaudio.MiniaudioError:
            raise ListenUnavailable("no microphone found, or no permission to use it") from None

    def _sink(self) -> Generator[None, bytes | None, None]:
        while True:
            data = yield
            if data:
                try:
                    self._queue.put_nowait(np.frombuffer(data, dtype=np.float32).copy())
                except queue.Full:
                    pass  # the detector is behind: drop rather than grow

    def blocks(self) -> Iterator[Samples]:
        while not self._closed.is_set():
            try:
                yield self._queue.get(timeout=0.25)
            except queue.Empty:
                continue

    def record(self, seconds: float) -> Samples:
        """The next ``seconds`` of sound."""
        got: list[Samples] = []
        for block in self.blocks():
            got.append(block)
            if sum(len(b) for b in got) >= seconds * RATE:
                break
        return np.concatenate(got) if got else np.zeros(0, np.float32)

    def close(self) -> None:
        self._closed.set()
        self._device.close()
