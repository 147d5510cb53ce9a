"""Playing a plan into 16-bit PCM, block by block: memory stays flat however long the session."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import numpy as np

from voiceguide.plan import Plan, Sound
from voiceguide.render import CHANNELS, SAMPLE_RATE
from voiceguide.render.envelope import MusicEnvelope
from voiceguide.render.music import LoopedMusic

BLOCK_FRAMES = 1 << 16
PROBE_FRAMES = 32  # the envelope's ramps last tenths of a second: probing it this often cannot miss one


def total_frames(plan: Plan) -> int:
    return round(plan.duration_s * SAMPLE_RATE)


def render(
    plan: Plan,
    sounds: Mapping[Sound, np.ndarray],
    music: LoopedMusic | None = None,
    envelope: MusicEnvelope | None = None,
    music_gain: float = 0.0,
    block_frames: int = BLOCK_FRAMES,
    start: int = 0,
    stop: int | None = None,
) -> Iterator[np.ndarray]:
    """Yield interleaved int16 blocks (frames × channels) of the session from frame ``start`` to ``stop``.

    Every sound starts at its cue's first frame; between cues only the music plays.
    """
    placements = [(round(cue.start_s * SAMPLE_RATE), sounds[cue.sound]) for cue in plan.cues if cue.sound is not None]
    total = total_frames(plan) if stop is None else min(stop, total_frames(plan))
    upcoming = 0
    playing: list[tuple[int, np.ndarray]] = []
    for first in range(start, total, block_frames):
        frames = min(block_frames, total - first)
        end = first + frames
        if music is not None and envelope is not None and music_gain > 0:
            out = music.read(first, frames)
            gain = _music_gain(envelope, first, frames, np.float32(music_gain))
            for channel in out.T if np.ndim(gain) else (out,):
                channel *= gain  # a channel at a time: a mono array broadcast over (frames, 2) is several times slower
        else:
            out = np.zeros((frames, CHANNELS), dtype=np.float32)
        while upcoming < len(placements) and placements[upcoming][0] < end:
            playing.append(placements[upcoming])
            upcoming += 1
        for onset, sound in playing:
            a, b = max(first, onset), min(end, onset + sound.size)
            if a < b:
                for channel in out[a - first : b - first].T:  # into both channels, one at a time (as above)
                    channel += sound[a - onset : b - onset]
        playing = [(s, snd) for s, snd in playing if s + snd.size > end]
        np.multiply(out, 32767.0, out=out)
        np.clip(out, -32768.0, 32767.0, out=out)
        np.rint(out, out=out)
        yield out.astype("<i2")


def _music_gain(envelope: MusicEnvelope, first: int, frames: int, gain: np.float32) -> np.float32 | np.ndarray:
    """The music's gain over a block, from the envelope probed every ``PROBE_FRAMES``.

    Where it is flat across the block (most blocks) that is one number, the very float32
    product each frame would get; on a ramp it is interpolated between the probes (ramps
    are raised cosines of tenths of a second: the error stays under 0.01 dB).
    """
    offsets = np.append(np.arange(0, frames, PROBE_FRAMES, dtype=np.float64), frames - 1)
    level = envelope.gains((first + offsets) / SAMPLE_RATE)
    if level.min() == level.max():
        return level[0] * gain
    return between_probes(level.astype(np.float64), frames).astype(np.float32) * gain


def between_probes(level: np.ndarray, frames: int) -> np.ndarray:
    """``level`` (at frames 0, ``PROBE_FRAMES``, 2 × ``PROBE_FRAMES`` … and ``frames`` − 1) interpolated at every frame.

    The very numbers ``np.interp`` gives (slope × offset + value, in float64), without its
    search for each frame's interval: every interval but the last is ``PROBE_FRAMES`` long.
    """
    whole = (frames - 1) // PROBE_FRAMES  # intervals of PROBE_FRAMES; then one shorter, maybe empty, to frames - 1
    out = np.empty(frames, dtype=np.float64)
    steps = np.arange(PROBE_FRAMES, dtype=np.float64)
    moving = np.flatnonzero(level[1 : whole + 1] != level[:whole])  # where the level is flat, each frame gets the probe's value
    lo, hi = (int(moving[0]), int(moving[-1]) + 1) if moving.size else (whole, whole)
    out[: lo * PROBE_FRAMES] = level[0]
    slopes = (level[lo + 1 : hi + 1] - level[lo:hi]) / PROBE_FRAMES
    out[lo * PROBE_FRAMES : hi * PROBE_FRAMES] = (slopes[:, None] * steps + level[lo:hi, None]).ravel()
    out[hi * PROBE_FRAMES : whole * PROBE_FRAMES] = level[hi]
    rest = frames - 1 - whole * PROBE_FRAMES
    if rest:
        out[whole * PROBE_FRAMES : frames - 1] = (level[whole + 1] - level[whole]) / rest * steps[:rest] + level[whole]
    out[frames - 1] = level[-1]
    return out
