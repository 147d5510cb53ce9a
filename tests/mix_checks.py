"""Measuring a mix as a listener hears it: swells between lines, the chime against the voice,
where a bed's energy lies, and how a line starts.

Every figure is taken from audio: decoded builds, or music and speech separated from two
builds whose music is inverted (see ``separate``). Levels in dB; loudness after BS.1770
(K-weighted mean square over the channels).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from audio_checks import RATE, db, mono, rms_dbfs, span

from voiceguide.plan import Cue, Plan
from voiceguide.render.loudness import k_weighted

PUMP_WINDOW_S = 0.1  # the music's level in a gap: its loudest 100 ms
MOMENTARY_S = 0.4  # BS.1770 momentary loudness window
PHONE_BAND_HZ = (300.0, 6000.0)  # what phone and laptop speakers play
ATTACK_S = 0.005


@dataclass(frozen=True)
class Stems:
    """A build's mix, and its music and speech apart."""

    plan: Plan
    mix: np.ndarray
    music: np.ndarray
    speech: np.ndarray


def separate(plan: Plan, mix: np.ndarray, inverted: np.ndarray) -> Stems:
    """Two builds identical but for the music's sign: half their difference is the music, half their sum the speech."""
    assert mix.shape == inverted.shape
    return Stems(plan, mix, (mix - inverted) / 2, (mix + inverted) / 2)


# ------------------------------------------------------------------ swells between lines


@dataclass(frozen=True)
class Gap:
    start_s: float
    end_s: float
    rise_db: float  # the music's loudest 100 ms in the gap over its level under the two lines

    @property
    def length_s(self) -> float:
        return self.end_s - self.start_s


def line_pairs(plan: Plan) -> Iterator[tuple[Cue, Cue]]:
    """Consecutive spoken lines with only pauses between them."""
    previous: Cue | None = None
    for cue in plan.cues:
        if cue.kind == "speech":
            if previous is not None:
                yield previous, cue
            previous = cue
        elif cue.kind == "chime":
            previous = None


def gap_rises(music: np.ndarray, plan: Plan, shortest_s: float = 0.2, longest_s: float = 1.5, away_s: float = 3.0) -> list[Gap]:
    """How far the music swells in every gap of ``shortest_s``–``longest_s`` between two lines.

    Gaps within ``away_s`` of the session's start or end are left out (the music fades there).
    """
    window = round(PUMP_WINDOW_S * RATE)
    hop = RATE // 100
    gaps = []
    for before, after in line_pairs(plan):
        a, b = before.end_s, after.start_s
        if not shortest_s <= b - a <= longest_s or before.start_s < away_s or after.end_s > plan.duration_s - away_s:
            continue
        power = np.square(mono(span(music, a, b)))
        if power.size <= window:
            loudest = db(float(power.mean()))
        else:
            sums = np.concatenate([[0.0], np.cumsum(power)])
            loudest = db(float(((sums[window::hop] - sums[:-window:hop][: len(sums[window::hop])]) / window).max()))
        under = rms_dbfs(np.concatenate([mono(span(music, before.start_s, before.end_s)), mono(span(music, after.start_s, after.end_s))]))
        gaps.append(Gap(a, b, loudest - under))
    return gaps


# ------------------------------------------------------------------ loudness over time


def momentary_lufs(x: np.ndarray, hop_s: float = 0.01) -> np.ndarray:
    """Momentary loudness (400 ms, BS.1770) every ``hop_s``: element k covers [k·hop, k·hop + 400 ms)."""
    y = k_weighted(x, RATE)
    power = np.square(y).sum(axis=1) if y.ndim == 2 else 2.0 * np.square(y)  # mono plays on both channels
    window = round(MOMENTARY_S * RATE)
    hop = round(hop_s * RATE)
    sums = np.concatenate([[0.0], np.cumsum(power)])
    if power.size < window:
        return np.array([-0.691 + db(float(power.sum()) / window)])
    mean = (sums[window::hop] - sums[:-window:hop][: len(sums[window::hop])]) / window
    with np.errstate(divide="ignore"):
        return -0.691 + 10 * np.log10(mean)


def peak_momentary(x: np.ndarray, start_s: float, end_s: float) -> float:
    """The loudest 400 ms that starts within [start_s, end_s) (reaching past it by up to 400 ms)."""
    return float(momentary_lufs(span(x, start_s, end_s + MOMENTARY_S)).max())


def mean_lufs(x: np.ndarray, start_s: float, end_s: float) -> float:
    """Loudness of [start_s, end_s) as one block (ungated)."""
    y = k_weighted(span(x, start_s, end_s), RATE)
    power = np.square(y).sum(axis=1) if y.ndim == 2 else 2.0 * np.square(y)
    return -0.691 + db(float(power.mean())) if power.size else -math.inf


@dataclass(frozen=True)
class ChimeLevels:
    chimes: list[float]  # each chime's peak momentary loudness
    lines_peak: float  # median over spoken lines of each line's peak momentary loudness
    lines_mean: float  # median over spoken lines of each line's loudness

    @property
    def loudest_over_lines_db(self) -> float:
        return max(self.chimes) - self.lines_peak


def chime_levels(audio: np.ndarray, plan: Plan) -> ChimeLevels:
    lines = [c for c in plan.cues if c.kind == "speech"]
    chimes = [peak_momentary(audio, c.start_s, c.end_s - MOMENTARY_S) for c in plan.cues if c.kind == "chime"]
    return ChimeLevels(
        chimes,
        float(np.median([peak_momentary(audio, c.start_s, max(c.start_s + 0.01, c.end_s - MOMENTARY_S)) for c in lines])),
        float(np.median([mean_lufs(audio, c.start_s, c.end_s) for c in lines])),
    )


# ------------------------------------------------------------------ spectra and attacks


def band_share(x: np.ndarray, low_hz: float = PHONE_BAND_HZ[0], high_hz: float = PHONE_BAND_HZ[1]) -> float:
    """Share of the energy of ``x`` (frames, or frames × channels) between ``low_hz`` and ``high_hz``."""
    power = np.square(np.abs(np.fft.rfft(x, axis=0)))
    if power.ndim == 2:
        power = power.sum(axis=1)
    power[0] = 0.0  # the mean is not sound
    frequencies = np.fft.rfftfreq(x.shape[0], 1 / RATE)
    total = float(power.sum())
    return float(power[(frequencies >= low_hz) & (frequencies < high_hz)].sum()) / total if total > 0 else 0.0


def attack_db(x: np.ndarray, rate: int = RATE, threshold_db: float = -40.0) -> float:
    """How far the first 5 ms of a line lie under its loudest 5 ms (RMS, dB; larger is a softer start).

    The line starts where a 1 ms window first comes within ``threshold_db`` of the loudest 5 ms.
    """
    y = mono(np.asarray(x, dtype=np.float64))
    sums = np.concatenate([[0.0], np.cumsum(y * y)])
    five = round(ATTACK_S * rate)
    levels = (sums[five:] - sums[:-five]) / five
    loudest = float(levels.max())
    one = max(1, rate // 1000)
    short = (sums[one:] - sums[:-one]) / one
    start = int(np.argmax(short >= loudest * 10 ** (threshold_db / 10)))
    return db(loudest / max(float(levels[min(start, levels.size - 1)]), 1e-30))


def hold_spans(plan: Plan, margin_s: float = 1.2, shortest_s: float = 1.0, away_s: float = 4.0) -> list[tuple[float, float]]:
    """Stretches where only the music plays, at full level: pauses away from every sound by ``margin_s``."""
    busy = sorted((c.start_s, c.end_s) for c in plan.cues if c.kind != "pause")
    free: list[tuple[float, float]] = []
    now = away_s
    for a, b in [*busy, (plan.duration_s - away_s, math.inf)]:
        if a - margin_s - (now + margin_s) >= shortest_s:
            free.append((now + margin_s, a - margin_s))
        now = max(now, b)
    return free


def roughness(x: np.ndarray, at_s: float, half_s: float = 0.005) -> float:
    """RMS of the second difference of ``x`` (mid) within ``half_s`` of ``at_s``: a click is a jump in the slope."""
    return float(np.sqrt(np.mean(np.square(np.diff(mono(span(x, at_s - half_s, at_s + half_s)).astype(np.float64), n=2)))))


def seam_roughness(audio: np.ndarray, plan: Plan, loop_s: float) -> tuple[list[float], float]:
    """For each loop seam that falls in a hold: its roughness over the median roughness elsewhere in the holds;
    and the 99th percentile of those elsewhere over their median (what an ordinary moment of the music reaches)."""
    holds = hold_spans(plan)
    seams = [k * loop_s for k in range(1, int(plan.duration_s // loop_s) + 1)]
    seams = [t for t in seams if any(a + 0.05 <= t <= b - 0.05 for a, b in holds)]
    elsewhere = np.array([roughness(audio, t) for a, b in holds for t in np.linspace(a + 0.05, b - 0.05, 12)])
    median = float(np.median(elsewhere))
    return [roughness(audio, t) / median for t in seams], float(np.percentile(elsewhere, 99)) / median
