"""A microphone recording made by sum, for the listening tests: the session played into a room, plus a person's commands.

The room: the session's sound arrives ``delay_s`` late and ``gain_db`` down, with a
reverberant tail (decaying noise, 60 dB down after ``tail_s``), over steady noise at
``noise_dbfs``. Commands are another voice's clips added at chosen times.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from audio_checks import mono_wav

from voiceguide.listen.microphone import read_recording
from voiceguide.listen.vad import RATE

Samples = np.ndarray[Any, np.dtype[np.float32]]


@dataclass(frozen=True)
class Room:
    delay_s: float = 0.040
    gain_db: float = -6.0
    tail_s: float = 0.3
    tail_db: float = -12.0  # the tail's energy against the direct sound
    noise_dbfs: float = -50.0
    seed: int = 7


def in_room(session: Samples, room: Room = Room()) -> Samples:
    """``session`` as a microphone across the room would hear it (same length plus the tail)."""
    rng = np.random.default_rng(room.seed)
    n = int(room.tail_s * RATE)
    decay = np.exp(np.log(1e-3) * np.arange(n) / n)  # 60 dB over the tail
    tail = rng.standard_normal(n) * decay
    tail *= np.sqrt(10 ** (room.tail_db / 10) / np.sum(tail**2))
    impulse = np.zeros(int(room.delay_s * RATE) + n)
    start = int(room.delay_s * RATE)
    impulse[start] = 1.0
    impulse[start + 1 :] += tail[: len(impulse) - start - 1]
    impulse *= 10 ** (room.gain_db / 20)
    size = 1 << int(np.ceil(np.log2(len(session) + len(impulse))))
    wet = np.fft.irfft(np.fft.rfft(session, size) * np.fft.rfft(impulse, size), size)[: len(session) + len(impulse)]
    noise = rng.standard_normal(len(wet)) * 10 ** (room.noise_dbfs / 20)
    return (wet + noise).astype(np.float32)


def rms_dbfs(samples: Samples) -> float:
    return float(10 * np.log10(np.mean(np.square(samples, dtype=np.float64)) + 1e-20))


def say_into(mic: Samples, clip: Samples, at_s: float, level_dbfs: float = -24.0) -> tuple[Samples, float]:
    """``mic`` with ``clip`` (its RMS set to ``level_dbfs``) starting at ``at_s``; and when the clip's speech ends."""
    voiced = np.flatnonzero(np.abs(clip) > 0.01 * np.max(np.abs(clip)))
    clip = clip[voiced[0] : voiced[-1] + 1]
    clip = clip * 10 ** ((level_dbfs - rms_dbfs(clip)) / 20)
    out = mic.copy()
    start = int(at_s * RATE)
    out[start : start + len(clip)] += clip[: max(0, len(out) - start)]
    return out, at_s + len(clip) / RATE


def recording(path: Path) -> Samples:
    return read_recording(path)


def write_wav(path: Path, samples: Samples) -> Path:
    """16-bit mono WAV at 16 kHz."""
    return mono_wav(path, samples, RATE)


# A session with holds and rests long enough to say a command in (the tests' and the benchmark's)
LISTEN_ALONG = """
title: Listen along
narration:
  voice: en-us
intro:
  - Welcome. Speak a command in any hold or rest.
techniques:
  - name: Toe press
    steps:
      - Press your toes gently.
    repetitions: 3
    hold: 4s
    rest: 3s
    release: Release.
    sides: each
    side_pause: 1s
  - name: Arch stroke
    steps:
      - say: Stroke the arch slowly.
        pause: 4s
outro:
  - That is all.
"""
COMMAND_VOICE = "en-gb-x-rp"  # espeak's received pronunciation: not the narrator's en-us, and every command but "resume" clear


def command_clip(folder: Path, phrase: str, voice: str = COMMAND_VOICE, engine: str = "pyttsx3") -> Samples:
    """``phrase`` said by another voice than the narrator's, at 16 kHz (through ``voiceguide say``, cached like a build's clips)."""
    from click.testing import CliRunner

    import voiceguide.cli.commands  # noqa: F401  (registers the subcommands)
    from voiceguide.cli import cli

    path = folder / f"{engine}-{voice}-{phrase.replace(' ', '_')}.wav"
    if not path.exists():
        result = CliRunner().invoke(cli, ["say", phrase, "--engine", engine, "--voice", voice, "-o", str(path), "--force"])
        assert result.exit_code == 0, result.output
    return read_recording(path)


def quiet_spans(plan: dict[str, Any], shortest_s: float = 2.9) -> list[tuple[float, float]]:
    """The holds, rests and pauses of a plan at least ``shortest_s`` long: where a person can speak without the guide."""
    return [(c["start_s"], c["end_s"]) for c in plan["cues"] if c["kind"] == "pause" and c["end_s"] - c["start_s"] >= shortest_s]
