"""Loudness and true peak after ITU-R BS.1770-4, on numpy arrays.

The K-weighting pre-filter is two biquads (a high shelf of about +4 dB above 1.5 kHz,
then a high-pass near 38 Hz). BS.1770 gives their coefficients for 48 kHz; here they
are derived for any rate from the analogue parameters that reproduce those 48 kHz
values (the approach of libebur128), so 44.1 kHz is measured correctly.
"""

from __future__ import annotations

import math

import numpy as np

from voiceguide.render.dsp import filter_fft

ABSOLUTE_GATE_LUFS = -70.0  # BS.1770-4 §2.5 (gating threshold Γa)
RELATIVE_GATE_LU = -10.0  # BS.1770-4 §2.5 (Γr relative to the absolute-gated loudness)
SUB_BLOCK_S = 0.1  # 400 ms gating blocks with 75 % overlap = 4 sub-blocks of 100 ms


def k_weighting(rate: int) -> np.ndarray:
    """Second-order sections of the K-weighting filter at ``rate`` (scipy ``sos`` layout)."""
    # Stage 1: high shelf (BS.1770-4 Table 1 at 48 kHz).
    f0, gain_db, q = 1681.974450955533, 3.999843853973347, 0.7071752369554196
    k = math.tan(math.pi * f0 / rate)
    vh = 10 ** (gain_db / 20)
    vb = vh**0.4996667741545416
    a0 = 1 + k / q + k * k
    shelf = [
        (vh + vb * k / q + k * k) / a0,
        2 * (k * k - vh) / a0,
        (vh - vb * k / q + k * k) / a0,
        1.0,
        2 * (k * k - 1) / a0,
        (1 - k / q + k * k) / a0,
    ]
    # Stage 2: the RLB high-pass (BS.1770-4 Table 2 at 48 kHz).
    f0, q = 38.13547087602444, 0.5003270373238773
    k = math.tan(math.pi * f0 / rate)
    a0 = 1 + k / q + k * k
    highpass = [1.0, -2.0, 1.0, 1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0]
    return np.array([shelf, highpass])


def k_weighted(x: np.ndarray, rate: int) -> np.ndarray:
    """``x`` (frames, or frames × channels) through the K-weighting filter's magnitude response.

    Applied in the frequency domain with zero phase: the energies that loudness is made of
    depend on the magnitude response only.
    """
    return filter_fft(x, k_weighting(rate), rate)


def integrated_from_sub_blocks(energies: np.ndarray, rate: int) -> float:
    """Gated integrated loudness (LUFS) from per-100 ms sums of K-weighted squares over all channels.

    ``energies[k]`` is Σ over the samples of sub-block k of Σ over channels of y².
    Each 400 ms gating block is four consecutive sub-blocks (75 % overlap), per BS.1770-4 §2.5.
    """
    if len(energies) < 4:
        energies = np.pad(energies, (0, 4 - len(energies)))
    window = np.convolve(energies, np.ones(4), mode="valid")
    z = window / (4 * SUB_BLOCK_S * rate)
    with np.errstate(divide="ignore"):
        block_lufs = -0.691 + 10 * np.log10(z)
    kept = z[block_lufs > ABSOLUTE_GATE_LUFS]
    if kept.size == 0:
        return -math.inf
    relative = -0.691 + 10 * math.log10(kept.mean()) + RELATIVE_GATE_LU
    kept = z[(block_lufs > ABSOLUTE_GATE_LUFS) & (block_lufs > relative)]
    return -0.691 + 10 * math.log10(kept.mean()) if kept.size else -math.inf


def sub_block_energies(x: np.ndarray, rate: int) -> np.ndarray:
    """Per-100 ms sums of K-weighted squares of ``x`` (frames × channels or mono frames)."""
    y = k_weighted(x, rate)
    power = np.square(y) if y.ndim == 1 else np.square(y).sum(axis=1)
    step = int(SUB_BLOCK_S * rate)
    whole = len(power) // step * step
    sums = power[:whole].reshape(-1, step).sum(axis=1)
    if whole < len(power):
        sums = np.append(sums, power[whole:].sum())
    return sums


def integrated_loudness(x: np.ndarray, rate: int) -> float:
    """Integrated loudness of a whole signal in LUFS (frames × channels, or mono frames)."""
    return integrated_from_sub_blocks(sub_block_energies(x, rate), rate)


def gain(decibels: float) -> float:
    return 10 ** (decibels / 20)
