"""Cutting the silence engines put around speech, so a cue starts when its sound starts.

Sound is where a short window's RMS level reaches ``threshold_dbfs`` (relative to
full scale, 0 dBFS = a full-scale square wave). Inside the first and last such
windows the exact edge is the first and last sample reaching the same level;
a window's RMS can only reach it if one of its samples does, so the edge always exists.
"""

from __future__ import annotations

import numpy as np

THRESHOLD_DBFS = -50.0
WINDOW_S = 0.010
LEAD_S = 0.005  # kept before the first sound
TAIL_S = 0.010  # kept after the last sound
FULL_SCALE = 32768.0


def window_levels_dbfs(samples: np.ndarray, window: int) -> np.ndarray:
    """RMS level in dBFS of every ``window``-sample window, one value per start position (sliding by one sample)."""
    x = np.asarray(samples, dtype=np.float64) / FULL_SCALE
    window = max(1, min(window, len(x)))
    energy = np.concatenate(([0.0], np.cumsum(x * x)))
    mean_square = np.maximum((energy[window:] - energy[:-window]) / window, 0.0)
    with np.errstate(divide="ignore"):
        return 10.0 * np.log10(mean_square)


def sound_bounds(
    samples: np.ndarray, rate: int, threshold_dbfs: float = THRESHOLD_DBFS, window_s: float = WINDOW_S
) -> tuple[int, int] | None:
    """[first, last] sample indices of the sound, or None if nothing reaches the threshold."""
    if len(samples) == 0:
        return None
    window = max(1, min(round(window_s * rate), len(samples)))
    loud = np.flatnonzero(window_levels_dbfs(samples, window) >= threshold_dbfs)
    if len(loud) == 0:
        return None
    peak = FULL_SCALE * 10.0 ** (threshold_dbfs / 20.0)
    magnitude = np.abs(np.asarray(samples, dtype=np.float64))
    head = magnitude[loud[0] : loud[0] + window]
    tail = magnitude[loud[-1] : loud[-1] + window]
    first = int(loud[0] + np.argmax(head >= peak))
    last = int(loud[-1] + len(tail) - 1 - np.argmax(tail[::-1] >= peak))
    return first, last


def trim(
    samples: np.ndarray,
    rate: int,
    threshold_dbfs: float = THRESHOLD_DBFS,
    lead_s: float = LEAD_S,
    tail_s: float = TAIL_S,
) -> np.ndarray:
    """``samples`` from ``lead_s`` before the first sound to ``tail_s`` after the last; empty if all is silence."""
    bounds = sound_bounds(samples, rate, threshold_dbfs)
    if bounds is None:
        return np.asarray(samples)[:0]
    first, last = bounds
    start = max(0, first - round(lead_s * rate))
    end = min(len(samples), last + 1 + round(tail_s * rate))
    return np.asarray(samples)[start:end]
