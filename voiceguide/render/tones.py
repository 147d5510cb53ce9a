"""Sounds made in code: the chime and the built-in music bed. No audio assets, no licences."""

from __future__ import annotations

import numpy as np

from voiceguide.render.dsp import resample_periodic

# A singing-bowl-like strike: inharmonic partials (ratios near those measured on bowls),
# each decaying at its own rate, with a soft 8 ms attack so the onset does not click.
_BOWL_PARTIALS = ((1.0, 1.0, 1.1), (2.71, 0.5, 1.9), (5.13, 0.25, 3.2), (8.33, 0.12, 4.5))


def chime(seconds: float, rate: int, fundamental: float = 528.0) -> np.ndarray:
    """A mono bowl chime of ``seconds`` at peak ≈ 0.5, fading to silence by its end."""
    n = max(1, round(seconds * rate))
    t = np.arange(n, dtype=np.float64) / rate
    tone = np.zeros(n)
    for ratio, amplitude, decay in _BOWL_PARTIALS:
        # a slight beat between two close partials gives the bowl its shimmer
        f = fundamental * ratio
        tone += amplitude * np.exp(-decay * t) * (np.sin(2 * np.pi * f * t) + 0.3 * np.sin(2 * np.pi * (f + 1.7) * t))
    attack = np.minimum(1.0, t / 0.008)
    tail = np.clip((seconds - t) / min(0.5, seconds / 2), 0.0, 1.0)  # reach silence exactly at the end
    tone *= attack * tail
    peak = np.abs(tone).max()
    return (tone * (0.5 / peak if peak > 0 else 0.0)).astype(np.float32)


# The built-in bed: slow pad chords in just intonation over A (55 Hz multiples). Every
# partial completes a whole number of cycles within LOOP_S, and every slow movement
# divides it, so the loop's end meets its start exactly: seamless without a crossfade.
BED_LOOP_S = 48
BED_VERSION = 1  # bump when the bed's sound changes: it is cached on disk
_CHORDS = (
    (110.0, 165.0, 220.0, 275.0, 330.0),  # A major, open
    (110.0, 146.667, 220.0, 293.333, 366.667),  # D over A
    (110.0, 165.0, 247.5, 330.0, 412.5),  # E over A, suspended
    (110.0, 137.5, 220.0, 275.0, 330.0),  # back home
)


def ambient_bed(rate: int) -> np.ndarray:
    """A calm stereo pad of ``BED_LOOP_S`` seconds (frames × 2, float32) that loops seamlessly."""
    low_rate = 11025  # the pad has nothing above 1 kHz: synthesise at a quarter rate, then resample
    n = BED_LOOP_S * low_rate
    t = np.arange(n, dtype=np.float64) / low_rate
    out = np.zeros((n, 2))
    sections = len(_CHORDS)
    u = t / (BED_LOOP_S / sections)  # position in chord sections, 0 … sections
    for index, chord in enumerate(_CHORDS):
        # cos² windows centred on each section: neighbours always sum to one, so chords cross-fade
        distance = np.abs((u - index - 0.5 + sections / 2) % sections - sections / 2)
        active = distance < 1
        ta, weight = t[active], np.cos(np.pi * distance[active] / 2) ** 2
        for voice, frequency in enumerate(chord):
            f = round(frequency * BED_LOOP_S) / BED_LOOP_S  # whole cycles per loop
            swell = 0.75 + 0.25 * np.sin(2 * np.pi * (voice + 1) * ta / BED_LOOP_S + voice)
            pan = 0.5 + 0.35 * np.sin(2 * np.pi * (1 + voice % 2) * ta / BED_LOOP_S + voice * 1.3)
            wave = (0.22 / (1 + voice * 0.6)) * swell * weight * (np.sin(2 * np.pi * f * ta) + 0.15 * np.sin(4 * np.pi * f * ta + voice))
            out[active, 0] += wave * np.sqrt(1 - pan)
            out[active, 1] += wave * np.sqrt(pan)
    out = resample_periodic(out, BED_LOOP_S * rate)  # FFT resampling is circular: the seam stays seamless
    peak = np.abs(out).max()
    return (out * (0.5 / peak)).astype(np.float32)
