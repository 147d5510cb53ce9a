"""Playing a plan into 16-bit PCM, block by block: memory stays flat however long the session."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import numpy as np

from voiceguide.plan import Plan, Sound
from voiceguide.render import CHANNELS, SAMPLE_RATE
from voiceguide.render.envelope import MusicEnvelope
from voiceguide.render.music import LoopedMusic

BLOCK_FRAMES = 1 << 16


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
            out *= (envelope.block(first, frames, SAMPLE_RATE) * np.float32(music_gain))[:, None]
        else:
            out = np.zeros((frames, CHANNELS), dtype=np.float32)
        while upcoming < len(placements) and placements[upcoming][0] < end:
            playing.append(placements[upcoming])
            upcoming += 1
        for onset, sound in playing:
            a, b = max(first, onset), min(end, onset + sound.size)
            if a < b:
                out[a - first : b - first] += sound[a - onset : b - onset, None]
        playing = [(s, snd) for s, snd in playing if s + snd.size > end]
        np.multiply(out, 32767.0, out=out)
        np.clip(out, -32768.0, 32767.0, out=out)
        yield np.rint(out).astype("<i2")
