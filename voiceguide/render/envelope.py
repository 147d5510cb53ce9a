"""The music bed's gain over time: faded in and out, and ducked under every spoken cue.

Ducking follows broadcast convention: the music starts down ``attack_s`` before the
voice, stays down while it speaks, and comes back up over ``release_s`` after it.
Spans closer together than a down-and-up would take are merged, so the music does
not pump between sentences.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class DuckShape:
    depth_db: float = 12.0
    attack_s: float = 0.15
    release_s: float = 0.6
    fade_in_s: float = 2.0
    fade_out_s: float = 3.0


def _smooth(x: np.ndarray) -> np.ndarray:
    """Raised-cosine ramp from 0 to 1 over x in [0, 1]."""
    return 0.5 - 0.5 * np.cos(np.pi * np.clip(x, 0.0, 1.0))


class MusicEnvelope:
    """Gain of the music (0…1) at any time of the session."""

    def __init__(self, spans: Iterable[tuple[float, float]], total_s: float, shape: DuckShape) -> None:
        self.total_s = total_s
        self.shape = shape
        self.floor = 10 ** (-shape.depth_db / 20)
        merged: list[list[float]] = []
        for start, end in sorted(spans):
            if merged and start - shape.attack_s <= merged[-1][1] + shape.release_s:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        self.starts = np.array([s for s, _ in merged], dtype=np.float64)
        self.ends = np.array([e for _, e in merged], dtype=np.float64)

    def gains(self, times: np.ndarray) -> np.ndarray:
        """Gain at each of ``times`` (seconds, ascending)."""
        shape = self.shape
        g = np.ones(times.shape, dtype=np.float64)
        if times.size == 0:
            return g.astype(np.float32)
        lo, hi = times[0], times[-1]
        first = int(np.searchsorted(self.ends + shape.release_s, lo, side="left"))
        last = int(np.searchsorted(self.starts - shape.attack_s, hi, side="right"))
        depth = 1.0 - self.floor
        for start, end in zip(self.starts[first:last], self.ends[first:last], strict=True):
            a = int(np.searchsorted(times, start - shape.attack_s))
            b = int(np.searchsorted(times, end + shape.release_s, side="right"))
            t = times[a:b]
            down = _smooth((t - (start - shape.attack_s)) / shape.attack_s)
            up = 1.0 - _smooth((t - end) / shape.release_s)
            g[a:b] = np.minimum(g[a:b], 1.0 - depth * np.minimum(down, up))
        if lo < shape.fade_in_s:
            g *= _smooth(times / shape.fade_in_s)
        if hi > self.total_s - shape.fade_out_s:
            g *= _smooth((self.total_s - times) / shape.fade_out_s)
        return g.astype(np.float32)

    def block(self, frame: int, frames: int, rate: int) -> np.ndarray:
        """Gains for ``frames`` output frames starting at ``frame``."""
        return self.gains((frame + np.arange(frames, dtype=np.float64)) / rate)
