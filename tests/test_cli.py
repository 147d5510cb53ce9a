"""The command-line contract other tools rely on: exit codes, one-line errors, plan --json."""

from __future__ import annotations

import itertools
import json
import shutil

import pytest
from click.testing import CliRunner

import voiceguide.cli.commands  # noqa: F401  (registers the subcommands)
from voiceguide.cli import cli
from voiceguide.routine import builtin_routines


@pytest.fixture
def run():
    def invoke(*args: str):
        return CliRunner().invoke(cli, list(args), catch_exceptions=False)

    return invoke


def test_validate_all_builtin_routines(run):
    result = run("validate", *map(str, builtin_routines().values()))
    assert result.exit_code == 0, result.output
    assert "5 routines valid" in result.output or "routines valid" in result.output


def test_validate_bad_file_one_line_per_problem(run, write_routine):
    path = write_routine("title: T\nnarration: {rate: 9}\ntechniques:\n  - name: A\n    sides: both\n")
    result = run("validate", str(path))
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 2 and all(line.startswith(f"{path}:") for line in lines)
    assert "Traceback" not in result.output


def test_unknown_routine_name_is_one_line(run):
    result = run("plan", "gentle-foot-unwnd")
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and "did you mean 'gentle-foot-unwind'" in result.output


def test_bad_usage_exits_2(run):
    assert run("plan").exit_code == 2
    assert run("build", "x.yaml", "--rate", "1000").exit_code == 2


def test_list_shows_builtin_routines(run):
    result = run("list")
    assert result.exit_code == 0
    assert len(result.output.strip().splitlines()) == len(builtin_routines())


@pytest.mark.slow
def test_plan_json_is_one_sorted_gap_free_object(run, tiny_routine):
    result = run("plan", str(tiny_routine), "--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert set(data) == {"title", "language", "engine", "voice", "duration_s", "chapters", "cues"}
    assert (data["engine"], data["voice"]) == ("pyttsx3", "gmw/en")  # who timed it: the voice the routine's language chose
    cues = data["cues"]
    assert cues[0]["start_s"] == 0 and cues[-1]["end_s"] == data["duration_s"]
    assert all(a["end_s"] == b["start_s"] for a, b in itertools.pairwise(cues))
    assert {c["kind"] for c in cues} <= {"speech", "pause", "chime"}
    assert next(c["text"] for c in cues if c["kind"] == "speech") == "Welcome."


@pytest.mark.slow
def test_rate_120_speaks_about_twice_as_long_as_240(run, tiny_routine):
    def speech_s(rate: int) -> float:
        data = json.loads(run("plan", str(tiny_routine), "--json", "--rate", str(rate)).stdout)
        return sum(c["end_s"] - c["start_s"] for c in data["cues"] if c["kind"] == "speech")

    assert speech_s(120) / speech_s(240) == pytest.approx(2.0, rel=0.15)


def test_readable_plan_shows_total(run, tiny_routine):
    result = run("plan", str(tiny_routine))
    assert result.exit_code == 0 and "total" in result.output.splitlines()[-1]


def test_voices_filter_and_unknown_voice(run, tiny_routine):
    result = run("voices", "--language", "en")
    assert result.exit_code == 0 and "en-us" in result.output
    bad = run("plan", str(tiny_routine), "--voice", "klingon-xx")
    assert bad.exit_code == 1 and "unknown voice" in bad.output and bad.output.count("\n") == 1


def test_build_refuses_to_overwrite_without_force(run, tiny_routine, tmp_path):
    target = tmp_path / "out.mp3"
    target.write_bytes(b"keep me")
    result = run("build", str(tiny_routine), "-o", str(target))
    assert result.exit_code == 1 and "--force" in result.output
    assert target.read_bytes() == b"keep me"


@pytest.mark.slow
def test_plan_json_names_a_techniques_own_narrator_on_its_cues(run, write_routine):
    routine = write_routine(
        """
        title: Two voices
        intro:
          - Welcome.
        techniques:
          - name: Toe press
            narration: {engine: espeak-cli}
            steps:
              - Press your toes.
        """
    )
    if shutil.which("espeak-ng") is None:
        routine.write_text(routine.read_text().replace("engine: espeak-cli", "voice: gmw/en-gb-x-rp"))
    data = json.loads(run("plan", str(routine), "--json").stdout)
    top = (data["engine"], data["voice"])
    own = {c["text"]: (c.get("engine", top[0]), c.get("voice", top[1])) for c in data["cues"] if c["kind"] == "speech"}
    assert own["Welcome."] == top and "engine" not in data["cues"][0]
    assert own["Press your toes."] != top  # the technique's narrator, on its own cues only
