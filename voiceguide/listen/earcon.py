"""The earcon: a short two-note sound that says "heard you" without words (never mistaken for the guide or a command)."""

from __future__ import annotations

from typing import Any

import numpy as np

RATE = 22050
NOTE_S = 0.07
LEVEL = 0.25  # about −12 dBFS at its peak: clear over the session, not startling


def earcon(rising: bool = True, rate: int = RATE) -> np.ndarray[Any, np.dtype[np.int16]]:
    """Two soft sine notes (a fifth apart, rising; falling for pause), 16-bit mono at ``rate``."""
    n = int(NOTE_S * rate)
    t = np.arange(n) / rate
    shape = np.sin(np.pi * np.arange(n) / n) ** 2  # each note fades in and out: no click
    low, high = 660.0, 990.0
    notes = (low, high) if rising else (high, low)
    tone = np.concatenate([np.sin(2 * np.pi * f * t) * shape for f in notes])
    return (tone * LEVEL * 32767).astype(np.int16)
