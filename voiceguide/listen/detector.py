"""The detector: stretches of speech outside the guide's own sound, transcribed, accepted only as exact commands.

``Detector.feed`` takes microphone blocks as they come (16 kHz mono float) with whether the
guide was sounding during each, and returns the commands it is sure of, each with the
stream time at which it was decided (the end of the speech plus the silence that ends it)
and the model's score. ``detect_file`` runs it over a whole recording as fast as it can.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from voiceguide.listen.gate import Gate
from voiceguide.listen.phrases import command_of
from voiceguide.listen.recognise import Heard
from voiceguide.listen.vad import RATE, WINDOW, Gated, SpeechFinder, VadSettings

DEFAULT_THRESHOLD = 0.4  # mean token probability below which a command is not believed
FLOOR = 0.2  # no calibration lowers a threshold under this
FILE_BLOCK = 64 * WINDOW  # about 2 s: how a recording is fed (the gate applies window by window)


class Hears(Protocol):
    def hear(self, samples: np.ndarray[Any, np.dtype[np.float32]]) -> Heard: ...


@dataclass(frozen=True)
class Thresholds:
    """How sure the model must be of each command, and spellings a person's voice gets (both from calibration)."""

    per_command: dict[str, float] = field(default_factory=dict)
    spellings: dict[str, str] = field(default_factory=dict)  # normalised transcript → command
    default: float = DEFAULT_THRESHOLD

    def of(self, command: str) -> float:
        return max(FLOOR, self.per_command.get(command, self.default))


@dataclass(frozen=True)
class Command:
    """A command heard at ``t`` seconds of the microphone stream."""

    t: float
    command: str
    score: float
    heard: str = ""

    def to_json(self) -> dict[str, object]:
        return {"t": round(self.t, 3), "command": self.command, "score": round(self.score, 3)}


class Detector:
    """Voice activity, then the recogniser on each short stretch, then the exact-phrase and threshold checks."""

    def __init__(self, recogniser: Hears, thresholds: Thresholds | None = None, vad: SpeechFinder | None = None) -> None:
        self.recogniser = recogniser
        self.thresholds = thresholds or Thresholds()
        self.finder = vad or SpeechFinder(VadSettings())
        self.stretches = 0  # stretches transcribed
        self.transcribed_s = 0.0

    def feed(self, block: np.ndarray[Any, np.dtype[np.float32]], gated: Gated = False) -> list[Command]:
        found = []
        for stretch in self.finder.feed(block, gated):
            self.stretches += 1
            self.transcribed_s += len(stretch.samples) / RATE
            heard = self.recogniser.hear(stretch.samples)
            command = command_of(heard.text, self.thresholds.spellings)
            if command is not None and heard.score >= self.thresholds.of(command):
                decided = stretch.end_s + self.finder.settings.end_silence_s
                found.append(Command(decided, command, heard.score, heard.text))
        return found


def blocks(
    samples: np.ndarray[Any, np.dtype[np.float32]], size: int = FILE_BLOCK
) -> Iterator[tuple[float, np.ndarray[Any, np.dtype[np.float32]]]]:
    """``samples`` in blocks of ``size``, each with its start in seconds."""
    for start in range(0, len(samples), size):
        yield start / RATE, samples[start : start + size]


def detect_file(detector: Detector, samples: np.ndarray[Any, np.dtype[np.float32]], gate: Gate | None = None) -> list[Command]:
    """Every command in a recording (16 kHz mono), the gate in the recording's own seconds; then a second of silence to end the last."""
    found: list[Command] = []
    shut: Gated = gate.closed if gate is not None else False
    for _, block in blocks(samples, FILE_BLOCK):
        found.extend(detector.feed(block, shut))
    found.extend(detector.feed(np.zeros(RATE, np.float32)))
    return found
