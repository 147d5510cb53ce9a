"""Fitting to a length with the real narrator and encoder: the plan lasts the length, and so does the decoded file."""

from __future__ import annotations

import json
import subprocess

import pytest
from audio_checks import RATE, decode, onset_s
from installed import VOICEGUIDE

from voiceguide.build import BuildOptions, build

pytestmark = pytest.mark.slow  # real narration, and one real build

ROUTINE = """
title: Fitted
music: none
intro:
  - say: Sit comfortably.
    pause: 2s
techniques:
  - name: Toe press
    steps:
      - Press your toes down.
    repetitions: 3..6
    hold: 2s..8s
    rest: 1s
outro:
  - say: Done.
    pause: 1s
"""


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*VOICEGUIDE, *args], capture_output=True, text=True, timeout=300, check=False)


def test_plan_of_a_builtin_routine_lasts_the_length():
    done = run("plan", "gentle-foot-unwind", "--length", "8m", "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["duration_s"] == pytest.approx(480.0, abs=1.0)
    assert data["fit"]["target_s"] == 480.0 and data["fit"]["warnings"] == []
    assert any(c["what"] == "hold" and c["to"] < c["from"] for c in data["fit"]["changes"])


def test_plan_shows_what_changed(write_routine):
    done = run("plan", str(write_routine(ROUTINE)), "--length", "1m")
    assert done.returncode == 0, done.stderr
    assert "fitted to 1:00.0" in done.stdout
    assert "repetitions 3..6 → " in done.stdout and "hold 2s..8s → " in done.stdout
    assert done.stdout.rstrip().endswith("total 1:00.0, 3 chapters")


def test_an_impossible_length_is_one_line(write_routine):
    done = run("plan", str(write_routine(ROUTINE)), "--length", "3s")
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1
    assert "cannot fit the session into 3s" in done.stderr and " can last from " in done.stderr


def test_the_routine_length_is_used_and_the_option_wins(write_routine):
    path = write_routine(ROUTINE + "length: 50s\n")
    assert json.loads(run("plan", str(path), "--json").stdout)["duration_s"] == pytest.approx(50.0, abs=1.0)
    assert json.loads(run("plan", str(path), "--json", "--length", "70s").stdout)["duration_s"] == pytest.approx(70.0, abs=1.0)


def test_a_fitted_build_has_the_length_and_the_timing_of_its_plan(write_routine, tmp_path):
    result = build(write_routine(ROUTINE), BuildOptions(output=tmp_path / "fitted.mp3", length_s=75.0))
    audio = decode(result.path)
    assert result.plan.duration_s == pytest.approx(75.0, abs=1.0)
    assert audio.shape[0] / RATE == pytest.approx(result.plan.duration_s, abs=0.03)
    assert result.session.fit is not None and result.session.fit.factor > 1
    starts = [c.start_s for c in result.plan.cues if c.kind == "speech"]
    onsets = [onset_s(audio, max(0.0, s - 0.1)) for s in starts]
    assert onsets == pytest.approx(starts, abs=0.08)
