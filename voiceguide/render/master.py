"""Levels before rendering: one linear gain for the whole mix, chosen from a loudness model.

The mix is speech clips and chimes placed on the timeline plus a ducked music bed. Its
loudness is predicted from per-100 ms K-weighted energies (BS.1770-4) of each part —
clip energies placed at their cue times, music as its own 10 ms energies times the
squared envelope — which costs a fraction of rendering the whole mix twice. Speech and music
are uncorrelated, so their energies add. Speech is gently compressed, clips whose peaks would
pass the ceiling get a smooth gain ride of their own (they are short), and the gain is
refined until the prediction meets the target.
Because the gain is constant, nothing pumps.

Levelling a voice turns its loudest moments down more than its quiet ones, and the first
milliseconds of a line are quiet ones: left alone, every line would start harder than the
engine said it. So whatever levels a line (``compress``, the ceiling's gain ride) turns the
start of the line down as far as it turns down the line's loudest 5 ms (``keep_attack``).
Chimes are set by their loudest 400 ms (BS.1770 momentary loudness), relative to the voice.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from voiceguide.plan import ChimeSound, Plan, Sound
from voiceguide.render import SAMPLE_RATE, usable_cores
from voiceguide.render.dsp import moving_average, running_min
from voiceguide.render.envelope import MusicEnvelope
from voiceguide.render.loudness import SUB_BLOCK_S, gain, integrated_from_sub_blocks, k_weighted
from voiceguide.routine.model import DEFAULT_CHIME_LEVEL_DB

SPEECH_CEILING_DBTP = -2.5  # leaves room for music under speech and MP3 overshoot under −1 dBTP
PEAK_MARGIN_DB = 0.3  # sample peak to true peak, for clips band-limited to a quarter of the rate
STEP = int(SUB_BLOCK_S * SAMPLE_RATE)
CHUNK = SAMPLE_RATE // 100  # 10 ms: the resolution of the level model
MOMENTARY_CHUNKS = 40  # BS.1770 momentary loudness: 400 ms
ATTACK_WINDOW = SAMPLE_RATE // 200  # 5 ms: a line's start and its loudest moment are compared over this
ATTACK_HOLD_S = 0.03  # from the first sound, the gain stays at most the loudest moment's for this long
ATTACK_FREE_S = 0.03  # then the limit lifts over this long (a raised cosine in dB)
ONSET_DB = -40.0  # a line's sound starts where 1 ms first comes within this of its loudest 5 ms


@dataclass(frozen=True)
class Mastered:
    """What the mixer needs: every sound ready to add, and the music's gain."""

    sounds: dict[Sound, np.ndarray]  # mono float32 sounds at output level, keyed by ``Cue.sound``
    music_gain: float  # linear, applied with the envelope
    loudness_lufs: float  # predicted integrated loudness of the mix
    speech_lufs: float  # of the voice alone, before the master gain
    gain: float = 1.0  # the master gain, linear: what ``level_more`` levels later sounds with

    def scaled(self, factor: float) -> Mastered:
        """Everything ``factor`` times louder (to make up for what a lossy codec takes away)."""
        if factor == 1.0:
            return self
        sounds = {k: (v * np.float32(factor)) for k, v in self.sounds.items()}
        return Mastered(sounds, self.music_gain * factor, self.loudness_lufs, self.speech_lufs, self.gain * factor)


def compress(x: np.ndarray, range_db: float = 10.0, ratio: float = 3.0) -> np.ndarray:
    """Even out a speech clip: the top ``range_db`` of its 10 ms RMS envelope is compressed by ``ratio``.

    Synthetic speech has a high peak-to-loudness ratio; a voice chain's compressor is
    what lets it reach podcast loudness without a limiter flattening its syllables.
    Offline, the gain can be smoothed both ways, so nothing overshoots; and the start of
    the line is turned down as far as its loudest moment, so it keeps its attack.
    """
    if x.size == 0:
        return x
    radius = int(0.005 * SAMPLE_RATE)
    envelope = np.sqrt(moving_average(np.square(x.astype(np.float64)), radius))
    threshold = envelope.max() * 10 ** (-range_db / 20)
    if threshold <= 0:
        return x
    over = np.maximum(envelope / threshold, 1.0)
    reduction = over ** (1.0 / ratio - 1.0)
    smooth = moving_average(running_min(reduction, 2 * radius), 2 * radius)
    return (x * keep_attack(x, smooth)).astype(np.float32)


def keep_attack(x: np.ndarray, gain: np.ndarray) -> np.ndarray:
    """``gain`` (for the line ``x``), limited at the line's start to the gain of its loudest 5 ms.

    So the first milliseconds stand as far under the line's peak as the engine made them,
    however much the levelling takes off the peak.
    """
    return _limit_attack(gain, attack_of(x))


@dataclass(frozen=True)
class Attack:
    """Where a line is loudest and where its start ends: what ``keep_attack`` needs of the line, whatever the gain."""

    loudest: int  # first sample of the loudest 5 ms
    free: int  # the limit starts lifting here


def attack_of(x: np.ndarray) -> Attack | None:
    """The line's ``Attack`` (None: too short to have one)."""
    window = ATTACK_WINDOW
    if x.size <= window:
        return None
    sums = np.concatenate([[0.0], np.cumsum(np.square(x.astype(np.float64)))])
    energies = sums[window:] - sums[:-window]
    loudest = int(np.argmax(energies))
    ms = SAMPLE_RATE // 1000
    near = (sums[ms:] - sums[:-ms]) / ms >= energies[loudest] / window * 10 ** (ONSET_DB / 10)
    return Attack(loudest, int(np.argmax(near)) + round(ATTACK_HOLD_S * SAMPLE_RATE))


def _limit_attack(gain: np.ndarray, attack: Attack | None) -> np.ndarray:
    if attack is None:
        return gain
    peak_gain = float(np.sqrt(np.mean(np.square(gain[attack.loudest : attack.loudest + ATTACK_WINDOW], dtype=np.float64))))
    if attack.free >= gain.size:
        return np.minimum(gain, peak_gain)
    # 40 dB of lift by the end of the ramp: above any gain a levelling stage gives
    limit = np.concatenate([np.full(attack.free, peak_gain), peak_gain * _lift()])
    out = np.array(gain, copy=True)
    out[: limit.size] = np.minimum(out[: limit.size], limit[: out.size])
    return out


@functools.cache
def _lift() -> np.ndarray:
    """The attack limit's lift after ``ATTACK_HOLD_S``: a raised cosine in dB, 0 to 40 dB over ``ATTACK_FREE_S``."""
    ramp = np.linspace(0.0, 1.0, round(ATTACK_FREE_S * SAMPLE_RATE), endpoint=False)
    return np.asarray(10 ** (2.0 * (0.5 - 0.5 * np.cos(np.pi * ramp))))


class _Sound:
    """One distinct clip with what levelling needs of it: its 10 ms K-weighted energies and its peak.

    Clips are band-limited well below the output's Nyquist rate (speech engines render at
    22.05 kHz, chimes have nothing above 5 kHz), so their sample peaks are their true
    peaks to within a small margin, and a smooth gain ride scales their K-weighted
    energy as it scales the clip. The clip array is owned and finally scaled in place.
    """

    def __init__(self, clip: np.ndarray, scale: float = 1.0, energy: np.ndarray | None = None) -> None:
        self.clip = clip if scale == 1.0 else clip * np.float32(scale)
        self.energy = clip_energy(self.clip) if energy is None else energy * scale**2
        self.peak = float(np.abs(self.clip).max()) if self.clip.size else 0.0
        self.attack = attack_of(self.clip)
        self._near_peak: np.ndarray | None = None  # the clip's peak within 10 ms of each sample, once it rides

    def ride(self, level: float, ceiling: float) -> np.ndarray | None:
        """A smooth 5 ms gain ride holding the clip under ``ceiling`` at ``level`` (None: not needed)."""
        if self.peak * level <= ceiling:
            return None
        radius = int(0.005 * SAMPLE_RATE)
        if self._near_peak is None:  # the same for every level: the gain needed falls as the peak rises
            self._near_peak = (-running_min(-np.abs(self.clip), 2 * radius)).astype(np.float32)
        need = np.minimum(1.0, ceiling / np.maximum(self._near_peak * level, 1e-9))  # the least needed within 10 ms
        ride = moving_average(need, radius)  # ≤ need everywhere
        return _limit_attack(ride, self.attack).astype(np.float32)

    def cumulative(self, level: float, ceiling: float | None = None) -> np.ndarray:
        """Cumulative K-weighted energy per 10 ms at ``level``, after the ride if a ceiling is given."""
        energy = self.energy * level**2
        ride = self.ride(level, ceiling) if ceiling is not None else None
        if ride is not None:
            energy = energy * (_chunks(np.square(ride.astype(np.float64))) / CHUNK)
        return np.concatenate([[0.0], np.cumsum(energy)])

    def finish(self, level: float, ceiling: float) -> np.ndarray:
        """The clip at ``level`` and under ``ceiling``, scaled in place."""
        ride = self.ride(level, ceiling)
        self.clip *= np.float32(level)
        if ride is not None:
            self.clip *= ride
        return self.clip


def clip_energy(clip: np.ndarray) -> np.ndarray:
    """A mono clip's K-weighted energy per 10 ms, as it sounds on both channels: what the level model needs of it."""
    weighted = k_weighted(clip.astype(np.float64), SAMPLE_RATE)
    return _chunks(2.0 * weighted * weighted)


def _chunks(x: np.ndarray) -> np.ndarray:
    """Sums of ``x`` over consecutive 10 ms chunks (the last one partial)."""
    return np.add.reduceat(x, np.arange(0, x.size, CHUNK)) if x.size else np.zeros(0)


def _placed(plan: Plan, cumulative: Mapping[Sound, np.ndarray], blocks: int) -> np.ndarray:
    """Per-100 ms energies of the sounds in ``cumulative``, placed at their cues' times (10 ms precision)."""
    energies = np.zeros(blocks)
    for cue in plan.cues:
        sound = cue.sound
        if sound is None or sound not in cumulative:
            continue
        c = cumulative[sound]
        start = round(cue.start_s * SAMPLE_RATE)
        first, last = start // STEP, (start + (c.size - 1) * CHUNK - 1) // STEP
        edges = np.clip(np.rint((np.arange(first, last + 2) * STEP - start) / CHUNK).astype(int), 0, c.size - 1)
        energies[first : last + 1] += np.diff(c[edges])
    return energies


def master(
    plan: Plan,
    clips: Mapping[Sound, np.ndarray],
    target_lufs: float,
    music: MusicLevels | None = None,
    chime_level_db: float = DEFAULT_CHIME_LEVEL_DB,
    energies: Mapping[Sound, np.ndarray] | None = None,
) -> Mastered:
    """Choose the music gain and the master gain; return every sound at its final level.

    ``clips`` holds the sound of every cue that plays one (``Cue.sound``), mono float32;
    they are taken over: scaled in place. Speech clips should already be evened out
    with ``compress``. A chime's loudest 400 ms is set ``chime_level_db`` from the voice's loudness.
    ``energies`` may give speech clips' ``clip_energy``, already known (kept with prepared clips).
    """
    with ThreadPoolExecutor(max_workers=usable_cores(), thread_name_prefix="voiceguide-levels") as pool:
        return _master(plan, clips, target_lufs, music, chime_level_db, energies or {}, pool)


def _master(
    plan: Plan,
    clips: Mapping[Sound, np.ndarray],
    target_lufs: float,
    music: MusicLevels | None,
    chime_level_db: float,
    energies: Mapping[Sound, np.ndarray],
    pool: ThreadPoolExecutor,
) -> Mastered:
    """``master``, each clip's analysis spread over ``pool`` (numpy's FFTs and sums run outside the GIL)."""
    blocks = math.ceil(plan.duration_s / SUB_BLOCK_S) + 1
    used = [k for k in dict.fromkeys(c.sound for c in plan.cues) if k is not None]
    spoken = [k for k in used if not isinstance(k, ChimeSound)]
    analysed = pool.map(lambda k: _Sound(clips[k], energy=energies.get(k)), spoken)
    speech: dict[Sound, _Sound] = dict(zip(spoken, analysed, strict=True))
    speech_lufs = integrated_from_sub_blocks(_placed(plan, {k: v.cumulative(1.0) for k, v in speech.items()}, blocks), SAMPLE_RATE)
    if not math.isfinite(speech_lufs):
        speech_lufs = target_lufs  # a routine of chimes and pauses only
    sounds = dict(speech)
    for k in used:
        if isinstance(k, ChimeSound):
            sounds[k] = _Sound(clips[k], _chime_scale(_Sound(clips[k]).energy, speech_lufs + chime_level_db))

    music_gain = 0.0
    music_energy = np.zeros(blocks)
    if music is not None:
        music_gain = gain(speech_lufs + music.level_db - music.loudness_lufs)
        frames = np.arange(blocks * 10) * (STEP // 10)  # a 10 ms grid
        env2 = np.square(music.envelope.gains((frames + STEP // 20) / SAMPLE_RATE).astype(np.float64))
        music_energy = music_gain**2 * (music.energy(frames) * env2).reshape(blocks, 10).sum(axis=1)

    def loudness(level: float, ceiling: float | None) -> float:
        cumulative = dict(zip(sounds, pool.map(lambda sound: sound.cumulative(level, ceiling), sounds.values()), strict=True))
        return integrated_from_sub_blocks(music_energy * level**2 + _placed(plan, cumulative, blocks), SAMPLE_RATE)

    # Find the gain whose limited mix meets the target: limiting flattens the response,
    # so step along the measured slope (secant) rather than assuming one dB per dB.
    ceiling = gain(SPEECH_CEILING_DBTP - PEAK_MARGIN_DB)
    gain_db = target_lufs - loudness(1.0, None)
    previous: tuple[float, float] | None = None
    for _ in range(8):
        predicted = loudness(gain(gain_db), ceiling)
        miss = target_lufs - predicted
        if abs(miss) < 0.05:
            break
        slope = 1.0
        if previous is not None and gain_db != previous[0]:
            slope = min(1.0, max(0.2, (predicted - previous[1]) / (gain_db - previous[0])))
        previous = (gain_db, predicted)
        gain_db += min(6.0, miss / slope)
    master_gain = gain(gain_db)
    final = dict(zip(sounds, pool.map(lambda sound: sound.finish(master_gain, ceiling), sounds.values()), strict=True))
    return Mastered(final, music_gain * master_gain, predicted, speech_lufs, master_gain)


def level_more(
    mastered: Mastered,
    clips: Mapping[Sound, np.ndarray],
    chime_level_db: float = DEFAULT_CHIME_LEVEL_DB,
    energies: Mapping[Sound, np.ndarray] | None = None,
) -> dict[Sound, np.ndarray]:
    """Sounds ``master`` did not see, levelled as it levelled its own: the same gain, ceiling ride and chime level.

    For a session played while it is narrated: the levels are chosen on the lines there are
    when it starts, and every later line is set with them (nothing pumps). ``clips`` are taken over.
    """
    ceiling = gain(SPEECH_CEILING_DBTP - PEAK_MARGIN_DB)
    out: dict[Sound, np.ndarray] = {}
    for k, clip in clips.items():
        if isinstance(k, ChimeSound):
            sound = _Sound(clip, _chime_scale(_Sound(clip).energy, mastered.speech_lufs + chime_level_db))
        else:
            sound = _Sound(clip, energy=(energies or {}).get(k))
        out[k] = sound.finish(mastered.gain, ceiling)
    return out


@dataclass(frozen=True)
class MusicLevels:
    """The music bed as the level model sees it."""

    loudness_lufs: float  # of the music file itself
    energy: Callable[[np.ndarray], np.ndarray]  # K-weighted energy of the 10 ms of music from each frame
    level_db: float  # wanted loudness in pauses, relative to the voice
    envelope: MusicEnvelope


def _chime_scale(energy: np.ndarray, wanted_lufs: float) -> float:
    """The gain that puts the loudest 400 ms of a chime (its 10 ms energies) at ``wanted_lufs``."""
    if energy.size == 0:
        return 1.0
    windows = np.convolve(energy, np.ones(MOMENTARY_CHUNKS))  # every 400 ms, and the shorter ones at the ends
    loudest = float(windows.max()) / (MOMENTARY_CHUNKS * CHUNK)
    return gain(wanted_lufs - (-0.691 + 10 * math.log10(loudest))) if loudest > 0 else 1.0
