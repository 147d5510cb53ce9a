"""Rendering: playing a plan into PCM blocks over a ducked music bed, then encoding it."""

import os

SAMPLE_RATE = 44100
CHANNELS = 2


def usable_cores() -> int:
    """The cores this process may run on (its affinity), which rendering and encoding spread over."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1
