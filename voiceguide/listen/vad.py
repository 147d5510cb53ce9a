"""Short stretches of speech in a stream of microphone samples, found by Silero VAD.

The Silero model is the one faster-whisper ships (``faster_whisper/assets``), run through
ONNX Runtime on one thread, 32 ms (512 samples at 16 kHz) at a time with its state carried
from window to window, so the stream can arrive in blocks of any size. A stretch starts at
the first window whose speech probability reaches ``threshold`` and ends after ``end_silence_s``
below ``threshold - 0.15``; it is kept only when it lasts between ``min_s`` and ``max_s``
(commands are single short words; a long stretch is conversation, never transcribed) and
when no window of it fell in a gate (the guide's own voice).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

RATE = 16000
WINDOW = 512  # samples per probability: what the model takes at 16 kHz
CONTEXT = 64  # samples of the window before that the model sees with each window


Gated = bool | Callable[[float, float], bool]


@dataclass(frozen=True)
class Stretch:
    """Speech from ``start_s`` to ``end_s`` (stream seconds), its samples padded by ``pad_s`` either side."""

    start_s: float
    end_s: float
    samples: np.ndarray[Any, np.dtype[np.float32]]


@dataclass(frozen=True)
class VadSettings:
    threshold: float = 0.5
    end_silence_s: float = 0.3
    min_s: float = 0.12
    max_s: float = 2.0
    pad_s: float = 0.2


def vad_session() -> Any:
    """The Silero model as faster-whisper ships it, on one thread (ImportError when the extra is missing)."""
    from faster_whisper.vad import get_vad_model

    return get_vad_model().session


class SpeechFinder:
    """Feed it blocks of 16 kHz mono float samples (``feed``); it returns each short stretch of speech once it has ended."""

    def __init__(self, settings: VadSettings = VadSettings(), session: Any = None) -> None:
        self.settings = settings
        self._session = session if session is not None else vad_session()
        self._state = np.zeros((1, 1, 128), np.float32), np.zeros((1, 1, 128), np.float32)
        self._context = np.zeros(CONTEXT, np.float32)
        self._pending = np.zeros(0, np.float32)
        self._history = np.zeros(0, np.float32)  # recent samples, enough for the longest stretch and its padding
        self._done = 0  # samples consumed by the model so far
        self._fed = 0  # samples handed over so far (the last of them is the last of the history)
        self._start: int | None = None  # first sample of the stretch in progress
        self._quiet = 0  # consecutive quiet windows in it
        self._gated = False  # a window of it fell in a gate

    def feed(self, block: np.ndarray[Any, np.dtype[np.float32]], gated: Gated = False) -> list[Stretch]:
        """Take ``block``; ``gated``: the guide was sounding during it (a stretch touching it is dropped), or for each
        window, whether it was sounding from ``start_s`` to ``end_s`` of the stream."""
        self._pending = np.concatenate([self._pending, block.astype(np.float32, copy=False)])
        keep = int((self.settings.max_s + 2 * self.settings.pad_s + self.settings.end_silence_s + 1.0) * RATE) + len(block)
        self._history = np.concatenate([self._history, block.astype(np.float32, copy=False)])[-keep:]
        self._fed += len(block)
        found: list[Stretch] = []
        whole = len(self._pending) // WINDOW * WINDOW
        if whole == 0:
            return found
        windows, self._pending = self._pending[:whole], self._pending[whole:]
        for probability in self._probabilities(windows):
            shut = gated if isinstance(gated, bool) else gated(self._done / RATE, (self._done + WINDOW) / RATE)
            stretch = self._step(float(probability), shut)
            if stretch is not None:
                found.append(stretch)
            self._done += WINDOW
        return found

    def _probabilities(self, samples: np.ndarray[Any, np.dtype[np.float32]]) -> np.ndarray[Any, np.dtype[np.float32]]:
        rows = samples.reshape(-1, WINDOW)
        contexts = np.vstack([self._context[None, :], rows[:-1, -CONTEXT:]])
        self._context = rows[-1, -CONTEXT:].copy()
        batch = np.concatenate([contexts, rows], axis=1)
        out, h, c = self._session.run(None, {"input": batch, "h": self._state[0], "c": self._state[1]})
        self._state = h, c
        return np.asarray(out, np.float32).reshape(-1)

    def _step(self, probability: float, gated: bool) -> Stretch | None:
        s = self.settings
        if self._start is None:
            if probability >= s.threshold:
                self._start, self._quiet, self._gated = self._done, 0, gated
            return None
        self._gated = self._gated or gated
        self._quiet = self._quiet + 1 if probability < max(0.01, s.threshold - 0.15) else 0
        length_s = (self._done + WINDOW - self._start) / RATE
        if length_s > s.max_s + s.end_silence_s:
            self._gated = True  # too long to be a command: let it run out unheard
        if self._quiet * WINDOW / RATE < s.end_silence_s:
            return None
        start, end = self._start, self._done + WINDOW - self._quiet * WINDOW
        keep = not self._gated and s.min_s <= (end - start) / RATE <= s.max_s
        self._start = None
        return self._cut(start, end) if keep else None

    def _cut(self, start: int, end: int) -> Stretch:
        pad = int(self.settings.pad_s * RATE)
        first_in_history = self._fed - len(self._history)
        lo, hi = max(0, start - pad - first_in_history), max(0, min(end + pad, self._fed) - first_in_history)
        return Stretch(start / RATE, end / RATE, self._history[lo:hi].copy())
