"""Numpy-only signal helpers: FFT resampling and zero-phase filtering by frequency response.

Kept to numpy on purpose: these run on short clips and loops, and avoiding a larger
DSP library keeps a build's start-up short.
"""

from __future__ import annotations

import functools

import numpy as np


def fast_length(n: int) -> int:
    """The smallest 2^a·3^b·5^c ≥ n (sizes the FFT handles fastest)."""
    best = 1 << max(0, (n - 1).bit_length())
    p5 = 1
    while p5 < best:
        p35 = p5
        while p35 < best:
            m = p35
            while m < n:
                m *= 2
            best = min(best, m)
            p35 *= 3
        p5 *= 5
    return best


def resample_periodic(x: np.ndarray, frames: int) -> np.ndarray:
    """Resample a periodic signal (a loop) to ``frames`` frames along axis 0; the seam stays seamless."""
    n = x.shape[0]
    spectrum = np.fft.rfft(x, axis=0)
    keep = min(spectrum.shape[0], frames // 2 + 1)
    out_spectrum = np.zeros((frames // 2 + 1, *x.shape[1:]), dtype=complex)
    out_spectrum[:keep] = spectrum[:keep]
    return np.fft.irfft(out_spectrum, n=frames, axis=0) * (frames / n)


def response(sos: np.ndarray, frequencies: np.ndarray, rate: int) -> np.ndarray:
    """Complex frequency response of second-order sections at ``frequencies`` (Hz)."""
    z = np.exp(-2j * np.pi * frequencies / rate)
    h = np.ones_like(z)
    for b0, b1, b2, a0, a1, a2 in sos:
        h *= (b0 + b1 * z + b2 * z * z) / (a0 + a1 * z + a2 * z * z)
    return h


@functools.lru_cache(maxsize=64)
def _magnitude(sos_bytes: bytes, size: int, rate: int) -> np.ndarray:
    sos = np.frombuffer(sos_bytes, dtype=np.float64).reshape(-1, 6)
    return np.abs(response(sos, np.fft.rfftfreq(size, 1 / rate), rate))


def filter_fft(x: np.ndarray, sos: np.ndarray, rate: int) -> np.ndarray:
    """``x`` through the magnitude response of ``sos``, zero phase (for energy measurement)."""
    n = x.shape[0]
    size = fast_length(n + 2048)
    spectrum = np.fft.rfft(x, n=size, axis=0)
    gain = _magnitude(np.ascontiguousarray(sos, dtype=np.float64).tobytes(), size, rate)
    spectrum *= gain if x.ndim == 1 else gain[:, None]
    return np.fft.irfft(spectrum, n=size, axis=0)[:n]


def resample_clip(x: np.ndarray, rate_in: int, rate_out: int) -> np.ndarray:
    """Band-limited resampling of a short clip (silence assumed around it)."""
    if rate_in == rate_out:
        return x
    n = x.shape[0]
    frames = round(n * rate_out / rate_in)
    size = fast_length(n + 256)
    padded = np.zeros((size, *x.shape[1:]), dtype=np.float64)
    padded[:n] = x
    out_size = round(size * rate_out / rate_in)
    return resample_periodic(padded, out_size)[:frames]


def running_min(a: np.ndarray, radius: int) -> np.ndarray:
    """Minimum of ``a`` over [i - radius, i + radius] at every i, in O(n log radius)."""
    length = 2 * radius + 1
    padded = np.concatenate([np.full(radius, np.inf), a, np.full(radius, np.inf)])
    forward = padded  # forward[i] = min(padded[i : i + span])
    span = 1
    while span * 2 <= length:
        forward = np.minimum(forward[:-span], forward[span:]) if span < forward.size else forward
        span *= 2
    rest = length - span
    if rest:
        forward = np.minimum(forward[:-rest], forward[rest:])
    return forward[: a.size]


def moving_average(a: np.ndarray, radius: int) -> np.ndarray:
    """Mean of ``a`` over [i - radius, i + radius], the ends padded with their edge values."""
    padded = np.concatenate([np.full(radius, a[0]), a, np.full(radius, a[-1])])
    sums = np.concatenate([[0.0], np.cumsum(padded, dtype=np.float64)])
    return (sums[2 * radius + 1 :] - sums[: -2 * radius - 1]) / (2 * radius + 1)
