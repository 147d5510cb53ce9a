"""Sounds ready to mix: each speech clip read, resampled to the output rate and evened out, with its energy for the level model.

Preparing a clip costs far more than reading it, and depends on nothing but the clip's
samples: so the result is kept in the clip cache (``prepared/``), named by the sha256 of
the clip's samples, its rate and the way it was prepared, and checked by a sha256 of its
own on every read. Anything missing, damaged or foreign is prepared again; a cache that
cannot be written only costs time.
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from voiceguide.errors import NarratorError
from voiceguide.narration.wav import DamagedClip, read_stored_summed
from voiceguide.plan import ChimeSound, Plan, Sound, Utterance
from voiceguide.render import SAMPLE_RATE, usable_cores
from voiceguide.render.dsp import resample_clip
from voiceguide.render.kept import keep, kept
from voiceguide.render.master import CHUNK, clip_energy, compress
from voiceguide.render.tones import chime

# Bump when resampling, ``compress`` or ``clip_energy`` change, so nothing prepared the old way is used.
PREPARED_FORMAT = 1
MAX_PREPARED_BYTES = 512 * 1024 * 1024  # a clip of the largest stored size, at the output rate in float32, and its energies


@dataclass(frozen=True)
class Sounds:
    """Every distinct sound of a plan, mono float32 at the output rate, and the speech clips' ``clip_energy``."""

    samples: dict[Sound, np.ndarray]
    energies: dict[Sound, np.ndarray]


def load_sounds(plan: Plan, clips: Mapping[Utterance, Path]) -> Sounds:
    """Every distinct sound of the plan ready to mix (on every core: numpy's FFTs run outside the GIL)."""
    distinct = list(dict.fromkeys(cue.sound for cue in plan.cues if cue.sound is not None))

    def ready(sound: Sound) -> tuple[np.ndarray, np.ndarray | None]:
        if isinstance(sound, ChimeSound):
            return chime(sound.seconds, SAMPLE_RATE), None
        return prepared(clips[sound], sound)

    with ThreadPoolExecutor(max_workers=usable_cores(), thread_name_prefix="voiceguide-sounds") as pool:
        done = dict(zip(distinct, pool.map(ready, distinct), strict=True))
    return Sounds(
        {sound: samples for sound, (samples, _) in done.items()},
        {sound: energy for sound, (_, energy) in done.items() if energy is not None},
    )


def prepared(clip: Path, utterance: Utterance) -> tuple[np.ndarray, np.ndarray]:
    """The clip at ``clip`` evened out at the output rate, and its energy: from the cache, else made and kept there."""
    try:
        samples, rate, digest = read_stored_summed(clip)
    except DamagedClip as err:  # the cache was cleaned, or the clip damaged, after it was checked
        raise NarratorError(
            f"the clip of {utterance.text!r} in the clip cache {clip.parent.parent.parent} was removed or damaged during the build ({err})",
            hint="build again",
        ) from None
    path = _kept_path(clip, digest, rate)
    found = _read(path) if path is not None else None
    if found is not None:
        return found
    ready = compress(resample_clip(samples * np.float32(1 / 32768), rate, SAMPLE_RATE).astype(np.float32))
    energy = clip_energy(ready)
    if path is not None:
        keep(path, ready, energy)
    return ready, energy


def _kept_path(clip: Path, digest: bytes, rate: int) -> Path | None:
    """Where the prepared clip is kept: beside ``clips/`` in the clip's cache (None for a clip outside a cache)."""
    if clip.parent.parent.name != "clips":
        return None
    name = digest.hex()
    return clip.parent.parent.parent / "prepared" / name[:2] / f"{name}-{rate}-{SAMPLE_RATE}-v{PREPARED_FORMAT}.kept"


def _read(path: Path) -> tuple[np.ndarray, np.ndarray] | None:
    """The prepared clip and energy kept at ``path``; None unless they are whole and of the right kind."""
    found = kept(path, 2, MAX_PREPARED_BYTES)
    if found is None:
        return None
    samples, energy = found
    if samples.dtype != np.float32 or energy.dtype != np.float64 or samples.ndim != 1 or energy.shape != (-(-samples.size // CHUNK),):
        return None
    return samples, energy
