"""What the formats' chapter tables can hold: refused at validate, plan, load and build, located, before any narration."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from voiceguide import registry
from voiceguide.build import BuildOptions, build
from voiceguide.cli import cli
from voiceguide.cli import routines as _routines  # noqa: F401  (registers validate and plan)
from voiceguide.errors import RoutineError
from voiceguide.plan import chapters_problem, load_routine
from voiceguide.routine import read_routine

Write = Callable[[str, str], Path]


def many(techniques: int) -> str:
    """A routine of an opening, ``techniques`` short techniques and a closing: techniques + 2 chapters."""
    lines = ["title: Many", "music: none", "intro:", "  - Welcome.", "techniques:"]
    for i in range(techniques):
        lines += [f"  - name: Press {i + 1}", "    steps:", "      - Press gently.", "    repetitions: 1", "    hold: 1s"]
    return "\n".join([*lines, "outro:", "  - Done.", ""])


@pytest.mark.parametrize(
    ("fmt", "most"), [("mp3", 255), ("wav", 255), ("m4b", 255), ("m4a", 255), ("opus", 999), ("ogg", 999), ("flac", 999)]
)
def test_each_format_holds_its_table(fmt: str, most: int, write_routine: Write) -> None:
    fits = read_routine(write_routine(many(most - 2), "fits.yaml"))
    assert chapters_problem(fits, [fmt]) is None
    over = read_routine(write_routine(many(most - 1), "over.yaml"))
    problem = chapters_problem(over, [fmt])
    assert problem is not None
    assert f"{most + 1:,} chapters" in problem.message and f"chapter {most + 1:,}" in problem.message
    assert problem.line == 5 * (most - 1) + 7  # the closing's first step: the chapter past the table
    assert "join techniques or split the routine" in problem.hint


def test_validate_checks_the_chosen_formats(write_routine: Write) -> None:
    path = write_routine(many(300), "many.yaml")
    default = CliRunner().invoke(cli, ["validate", str(path)])
    assert default.exit_code == 1
    assert f"{path}:1276:1: the session has 302 chapters, more than MP3's chapter table (ID3 CTOC) holds (255)" in default.output
    assert "OPUS (999)" in default.output
    assert CliRunner().invoke(cli, ["validate", "--format", "opus", str(path)]).exit_code == 0
    both = CliRunner().invoke(cli, ["validate", "--format", "opus", "--format", "m4b", str(path)])
    assert both.exit_code == 1 and "M4B's chapter table (MP4 chpl)" in both.output


def test_no_format_holds_a_thousand_chapters(write_routine: Write) -> None:
    with pytest.raises(RoutineError) as refused:
        load_routine(write_routine(many(999), "thousand.yaml"))
    assert "1,001 chapters" in str(refused.value.problems[0]) and "OPUS" not in str(refused.value.problems[0])
    assert max(f.chapter_table[1] for f in registry.FORMATS.values()) == 999


def test_plan_and_build_refuse_before_narrating(write_routine: Write, cache_dir: Path, tmp_path: Path) -> None:
    path = write_routine(many(254), "over.yaml")
    planned = CliRunner().invoke(cli, ["plan", str(path)])
    assert planned.exit_code == 1 and "256 chapters" in planned.output
    with pytest.raises(RoutineError, match="M4B's chapter table"):
        build(path, BuildOptions(output=tmp_path / "over.m4b"))
    assert not (cache_dir / "clips").exists() and not (tmp_path / "over.m4b").exists()
