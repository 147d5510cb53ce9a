"""The music bed's gain over time: faded in and out, and ducked under the voice.

The plan knows every line in advance, so the ducking follows speech, not words, the way
an editor rides a fader by hand: the music starts down ``attack_s`` before a line, stays
down through every gap shorter than ``bridge_s`` (the breath between two lines, a count
every two seconds), and comes back up only in a real pause, after ``hang_s``, over
``release_s``. Ramps are raised cosines in decibels, so the music moves evenly to the ear
and never jumps. Auto-duckers hold the duck across short pauses the same way (Audacity's
Auto Duck: pauses under its "maximum pause" count as one stretch of speech).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class DuckShape:
    depth_db: float = 12.0  # how far the music goes down under the voice
    attack_s: float = 0.4  # it starts down this long before a line, and is down when the line starts
    bridge_s: float = 2.5  # gaps between lines shorter than this stay down
    hang_s: float = 0.15  # it waits this long after a line before coming up
    release_s: float = 1.0  # and takes this long to come back up
    fade_in_s: float = 2.0
    fade_out_s: float = 3.0

    def __post_init__(self) -> None:
        if self.bridge_s < self.hang_s + self.release_s + self.attack_s:
            raise ValueError("bridge_s must leave room to come up and go down again")


def _smooth(x: np.ndarray) -> np.ndarray:
    """Raised-cosine ramp from 0 to 1 over x in [0, 1]."""
    return 0.5 - 0.5 * np.cos(np.pi * np.clip(x, 0.0, 1.0))


class MusicEnvelope:
    """Gain of the music (0…1) at any time of the session.

    ``spans`` are the (start, end) times of the sounds the music ducks under: the spoken lines.
    """

    def __init__(self, spans: Iterable[tuple[float, float]], total_s: float, shape: DuckShape) -> None:
        self.total_s = total_s
        self.shape = shape
        merged: list[list[float]] = []
        for start, end in sorted(spans):
            if merged and start - merged[-1][1] < shape.bridge_s:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        self.starts = np.array([s for s, _ in merged], dtype=np.float64)
        self.ends = np.array([e for _, e in merged], dtype=np.float64)

    def ducked(self, times: np.ndarray) -> np.ndarray:
        """How far down the music is at each of ``times`` (seconds, ascending): 0 at full level, 1 fully ducked."""
        shape = self.shape
        d = np.zeros(times.shape, dtype=np.float64)
        if times.size == 0:
            return d
        after = shape.hang_s + shape.release_s
        first = int(np.searchsorted(self.ends + after, times[0], side="left"))
        last = int(np.searchsorted(self.starts - shape.attack_s, times[-1], side="right"))
        for start, end in zip(self.starts[first:last], self.ends[first:last], strict=True):
            a = int(np.searchsorted(times, start - shape.attack_s))
            b = int(np.searchsorted(times, end + after, side="right"))
            t = times[a:b]
            down = _smooth((t - (start - shape.attack_s)) / shape.attack_s)
            up = 1.0 - _smooth((t - end - shape.hang_s) / shape.release_s)
            d[a:b] = np.maximum(d[a:b], np.minimum(down, up))
        return d

    def gains(self, times: np.ndarray) -> np.ndarray:
        """Gain at each of ``times`` (seconds, ascending)."""
        shape = self.shape
        g = np.power(10.0, -shape.depth_db * self.ducked(times) / 20.0)
        if times.size and times[0] < shape.fade_in_s:
            g *= _smooth(times / shape.fade_in_s)
        if times.size and times[-1] > self.total_s - shape.fade_out_s:
            g *= _smooth((self.total_s - times) / shape.fade_out_s)
        return g.astype(np.float32)

    def block(self, frame: int, frames: int, rate: int) -> np.ndarray:
        """Gains for ``frames`` output frames starting at ``frame``."""
        return self.gains((frame + np.arange(frames, dtype=np.float64)) / rate)
