"""The chime, made in code: a soft singing-bowl strike. No audio assets, no licences.

The generated music beds live in ``bedsounds``.
"""

from __future__ import annotations

import numpy as np

from voiceguide.registry import DEFAULT_BED

# A bowl struck with a soft mallet: inharmonic partials at the ratios measured on singing
# bowls (about 1 : 2.76 : 5.4 : 8.9), each decaying at its own rate, the upper ones faster,
# each beside a slightly detuned twin (a bowl's two close modes) so the tone shimmers.
_BOWL_PARTIALS = ((1.0, 1.0, 0.9), (2.76, 0.45, 1.6), (5.40, 0.16, 2.8), (8.93, 0.05, 4.0))  # ratio, amplitude, decay per s
_TWIN_HZ = (1.3, 2.1, 2.9, 3.7)  # how far each partial's twin lies above it: the shimmer's rate
CHIME_FUNDAMENTAL_HZ = 330.0  # E4: in the key of the pad, and well within what a phone speaker plays
CHIME_ATTACK_S = 0.02  # a soft mallet: the strike rises over 20 ms, no click


def chime(seconds: float, rate: int, fundamental: float = CHIME_FUNDAMENTAL_HZ) -> np.ndarray:
    """A mono bowl chime of ``seconds`` at peak ≈ 0.5, fading to silence by its end."""
    n = max(1, round(seconds * rate))
    t = np.arange(n, dtype=np.float64) / rate
    tone = np.zeros(n)
    for (ratio, amplitude, decay), twin in zip(_BOWL_PARTIALS, _TWIN_HZ, strict=True):
        f = fundamental * ratio
        tone += amplitude * np.exp(-decay * t) * (np.sin(2 * np.pi * f * t) + 0.35 * np.sin(2 * np.pi * (f + twin) * t + 1.0))
    attack = 0.5 - 0.5 * np.cos(np.pi * np.minimum(1.0, t / CHIME_ATTACK_S))
    tail = np.clip((seconds - t) / min(0.5, seconds / 2), 0.0, 1.0)  # reach silence exactly at the end
    tone *= attack * tail
    peak = np.abs(tone).max()
    return (tone * (0.5 / peak if peak > 0 else 0.0)).astype(np.float32)


def ambient_bed(rate: int) -> np.ndarray:
    """The default generated bed (stereo frames × 2, float32), made afresh."""
    from voiceguide.render.beds import maker

    return maker(DEFAULT_BED)(rate)
