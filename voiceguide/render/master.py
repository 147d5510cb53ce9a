"""Levels before rendering: one linear gain for the whole mix, chosen from a loudness model.

The mix is speech clips and chimes placed on the timeline plus a ducked music bed. Its
loudness is predicted from per-100 ms K-weighted energies (BS.1770-4) of each part —
clip energies placed at their cue times, music as its mean power times the squared
envelope — which costs a fraction of rendering the whole mix twice. Speech and music
are uncorrelated, so their energies add. Clips whose peaks would pass the ceiling are
limited on their own (they are short), and the gain is refined once after limiting.
Because the gain is constant, nothing pumps.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from voiceguide.plan import Plan
from voiceguide.render import SAMPLE_RATE
from voiceguide.render.dsp import moving_average, running_min, upsample
from voiceguide.render.envelope import MusicEnvelope
from voiceguide.render.loudness import SUB_BLOCK_S, gain, integrated_from_sub_blocks, k_weighted

CHIME_RELATIVE_DB = -6.0  # chimes sit a little under the voice
SPEECH_CEILING_DBTP = -2.5  # leaves room for music under speech and MP3 overshoot under −1 dBTP
STEP = int(SUB_BLOCK_S * SAMPLE_RATE)


@dataclass(frozen=True)
class Mastered:
    """What the mixer needs: every sound ready to add, and the music's gain."""

    sounds: dict[object, np.ndarray]  # mono float32 clips at output level, keyed like the cues
    music_gain: float  # linear, applied with the envelope
    loudness_lufs: float  # predicted integrated loudness of the mix
    speech_lufs: float  # of the voice alone, before the master gain


def limit(x: np.ndarray, ceiling: float) -> np.ndarray:
    """``x`` with its true peaks held under ``ceiling`` by a smooth 5 ms gain ride."""
    for _ in range(4):
        up = np.abs(upsample(x.astype(np.float64), 4))
        envelope = up[: x.size * 4].reshape(-1, 4).max(axis=1)
        need = np.minimum(1.0, ceiling / np.maximum(envelope, 1e-9))
        if need.min() >= 0.999:
            break
        radius = int(0.005 * SAMPLE_RATE)
        ride = moving_average(running_min(need, 2 * radius), radius)  # ≤ need everywhere
        x = (x * ride * 0.995).astype(np.float32)
    return x


def _cumulative(clip: np.ndarray) -> np.ndarray:
    """Cumulative K-weighted energy of a mono clip sounding on both channels."""
    weighted = k_weighted(clip.astype(np.float64), SAMPLE_RATE)
    return np.concatenate([[0.0], np.cumsum(2.0 * weighted * weighted)])


def _placed(plan: Plan, keys: list[object], cumulative: Mapping[object, np.ndarray], blocks: int) -> np.ndarray:
    """Per-100 ms energies of the clips named by ``keys``, placed at their cues' times."""
    energies = np.zeros(blocks)
    for cue, key in zip(plan.cues, keys, strict=True):
        if key is None:
            continue
        c = cumulative[key]
        start = round(cue.start_s * SAMPLE_RATE)
        first, last = start // STEP, (start + c.size - 2) // STEP
        edges = np.clip(np.arange(first, last + 2) * STEP - start, 0, c.size - 1)
        energies[first : last + 1] += np.diff(c[edges])
    return energies


def master(
    plan: Plan,
    keys: list[object],
    clips: Mapping[object, np.ndarray],
    target_lufs: float,
    music: MusicLevels | None = None,
) -> Mastered:
    """Choose the music gain and the master gain; return every clip at its final level.

    ``keys[i]`` names the clip sounding at ``plan.cues[i]`` (None for pauses); chimes are
    keyed ``("chime", seconds)``.
    """
    blocks = int(math.ceil(plan.duration_s / SUB_BLOCK_S)) + 1
    used = [k for k in dict.fromkeys(keys) if k is not None]
    speech_only = [None if k is None or is_chime(k) else k for k in keys]
    unity = {k: _cumulative(clips[k]) for k in used}
    speech_lufs = integrated_from_sub_blocks(_placed(plan, speech_only, unity, blocks), SAMPLE_RATE)
    if not math.isfinite(speech_lufs):
        speech_lufs = target_lufs  # a routine of chimes and pauses only
    prepared = {k: clips[k] * _chime_scale(unity[k], speech_lufs) if is_chime(k) else clips[k] for k in used}

    music_gain = 0.0
    music_energy = np.zeros(blocks)
    if music is not None:
        music_gain = gain(speech_lufs + music.level_db - music.loudness_lufs)
        times = (np.arange(blocks * 10) + 0.5) * (SUB_BLOCK_S / 10)
        env2 = np.square(music.envelope.gains(times).astype(np.float64)).reshape(blocks, 10).mean(axis=1)
        music_energy = music.power * music_gain**2 * env2 * STEP

    def loudness(sounds: Mapping[object, np.ndarray], level: float) -> float:
        cumulative = {k: _cumulative(v) for k, v in sounds.items()}
        return integrated_from_sub_blocks(music_energy * level**2 + _placed(plan, keys, cumulative, blocks), SAMPLE_RATE)

    master_gain = gain(target_lufs - loudness(prepared, 1.0))
    ceiling = gain(SPEECH_CEILING_DBTP)
    for attempt in range(3):
        sounds = {k: limit((v * master_gain).astype(np.float32), ceiling) for k, v in prepared.items()}
        predicted = loudness(sounds, master_gain)
        if abs(predicted - target_lufs) < 0.05 or attempt == 2:
            break
        master_gain *= gain(target_lufs - predicted)
    return Mastered(sounds, music_gain * master_gain, predicted, speech_lufs)


@dataclass(frozen=True)
class MusicLevels:
    """The music bed as the level model sees it."""

    loudness_lufs: float  # of the music file itself
    power: float  # mean K-weighted power per frame, summed over channels
    level_db: float  # wanted loudness in pauses, relative to the voice
    envelope: MusicEnvelope


def is_chime(key: object) -> bool:
    return isinstance(key, tuple) and len(key) == 2 and key[0] == "chime"


def _chime_scale(cumulative: np.ndarray, speech_lufs: float) -> float:
    chime_lufs = integrated_from_sub_blocks(np.diff(cumulative[::STEP]), SAMPLE_RATE)
    return gain(speech_lufs + CHIME_RELATIVE_DB - chime_lufs) if math.isfinite(chime_lufs) else 1.0
