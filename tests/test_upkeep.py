"""The cache people can see: what it holds by engine and voice, trimming least recently used first, and holds."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from voiceguide.build import BuildOptions, build
from voiceguide.cli import cache as _cache_command  # noqa: F401  (registers 'cache')
from voiceguide.cli import cli
from voiceguide.narration import narrate, upkeep
from voiceguide.plan import Utterance

LINES = ["Breathe in slowly.", "Let your shoulders drop.", "Rest your hands.", "Feel your feet."]


def say(text: str, voice: str = "en-us") -> Utterance:
    return Utterance(text, text, voice, 175, 1.0)


def aged(paths: list[Path], days_ago: list[float]) -> None:
    now = time.time()
    for path, days in zip(paths, days_ago, strict=True):
        os.utime(path, (now - days * 86400, now - days * 86400))


@pytest.mark.parametrize(
    "text, size", [("2GB", 2_000_000_000), ("500 MB", 500_000_000), ("1.5g", 1_500_000_000), ("1KiB", 1024), ("4096", 4096)]
)
def test_sizes(text: str, size: int) -> None:
    assert upkeep.parse_size(text) == size


@pytest.mark.parametrize("text, seconds", [("30d", 30 * 86400), ("2w", 14 * 86400), ("1d12h", 36 * 3600), ("90m", 5400)])
def test_ages(text: str, seconds: float) -> None:
    assert upkeep.parse_age(text) == seconds


@pytest.mark.parametrize("bad", ["2 lots", "-5MB", ""])
def test_bad_size_says_how_to_write_it(bad: str) -> None:
    with pytest.raises(ValueError, match="500MB, 2GB"):
        upkeep.parse_size(bad)


def test_usage_counts_clips_by_engine_and_voice(cache_dir: Path) -> None:
    narrate([say(t) for t in LINES[:3]] + [say(LINES[0], voice="gmw/en")])
    found = upkeep.usage(cache_dir)
    assert {group: count for group, (count, _) in found.clips.items()} == {("pyttsx3", "gmw/en-us"): 3, ("pyttsx3", "gmw/en"): 1}
    assert found.size == sum(p.stat().st_size for p in (cache_dir / "clips").glob("*/*.wav"))


def test_prune_removes_least_recently_used_first(cache_dir: Path) -> None:
    clips = narrate([say(t) for t in LINES])
    paths = [clips[say(t)].path for t in LINES]
    aged(paths, [1, 4, 2, 3])
    narrate([say(LINES[1])])  # used now: no longer the oldest
    keep = sum(p.stat().st_size for p in paths[:3])
    done = upkeep.prune(cache_dir, max_size=keep)
    assert done.removed == 1 and done.size <= keep
    assert [p.exists() for p in paths] == [True, True, True, False]  # the least recently used went


def test_prune_older_than(cache_dir: Path) -> None:
    clips = narrate([say(t) for t in LINES])
    paths = [clips[say(t)].path for t in LINES]
    aged(paths, [40, 1, 35, 2])
    done = upkeep.prune(cache_dir, older_than_s=upkeep.parse_age("30d"))
    assert done.removed == 2
    assert [p.exists() for p in paths] == [False, True, False, True]
    assert set(upkeep._labels(cache_dir)) == {p.stem for p in paths if p.exists()}  # labels of removed clips dropped


HOLDER = """
import sys, time
from pathlib import Path
from voiceguide.narration import upkeep
with upkeep.held(Path(sys.argv[1]), sys.argv[2:]):
    print("holding", flush=True)
    sys.stdin.readline()
"""


def test_prune_never_removes_a_clip_a_running_build_holds(cache_dir: Path) -> None:
    clips = narrate([say(t) for t in LINES])
    paths = [clips[say(t)].path for t in LINES]
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(cache_dir), paths[0].stem, paths[2].stem],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "holding\n"
        done = upkeep.prune(cache_dir, max_size=0)
        assert [p.exists() for p in paths] == [True, False, True, False]
        assert done.kept_held == 2 and done.removed == 2
    finally:
        holder.communicate("\n", timeout=30)
    upkeep.prune(cache_dir, max_size=0)  # released: now they go
    assert not any(p.exists() for p in paths)


def test_hold_of_a_process_that_died_is_removed(cache_dir: Path) -> None:
    clips = narrate([say(LINES[0])])
    path = clips[say(LINES[0])].path
    killed = HOLDER.replace("sys.stdin.readline()", "import os; os._exit(0)")  # gone without releasing its hold
    held = subprocess.run([sys.executable, "-c", killed, str(cache_dir), path.stem], check=False)
    assert held.returncode == 0 and len(list((cache_dir / "holds").glob("*.hold"))) == 1  # left behind by a killed build
    upkeep.prune(cache_dir, max_size=0)
    assert not path.exists() and not list((cache_dir / "holds").glob("*.hold"))


def test_cache_command_shows_and_prunes(cache_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOICEGUIDE_CONFIG", str(tmp_path / "none.toml"))
    narrate([say(t) for t in LINES])
    runner = CliRunner()
    shown = runner.invoke(cli, ["cache"])
    assert shown.exit_code == 0, shown.output
    assert str(cache_dir) in shown.output and "pyttsx3 gmw/en-us" in shown.output and "4 files" in shown.output
    found = json.loads(runner.invoke(cli, ["cache", "--json"]).output)
    assert found["clips"] == [{"engine": "pyttsx3", "voice": "gmw/en-us", "clips": 4, "bytes": found["bytes"]}]
    assert found["limit"] == upkeep.DEFAULT_LIMIT_BYTES
    pruned = runner.invoke(cli, ["cache", "prune", "--max-size", "0"])
    assert pruned.exit_code == 0 and pruned.output.startswith("removed 4 files")
    assert not list((cache_dir / "clips").glob("*/*.wav"))
    bad = runner.invoke(cli, ["cache", "prune", "--older-than", "soon"])
    assert bad.exit_code == 2 and "30d" in bad.output


def test_limit_from_the_config_file(cache_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "config.toml"
    config.write_text('cache_limit = "300MB"\n', encoding="utf-8")
    monkeypatch.setenv("VOICEGUIDE_CONFIG", str(config))
    assert json.loads(CliRunner().invoke(cli, ["cache", "--json"]).output)["limit"] == 300_000_000
    config.write_text('cache_limit = "lots"\n', encoding="utf-8")
    shown = CliRunner().invoke(cli, ["cache"])
    assert shown.exit_code == 1 and "cache_limit" in shown.output and "2GB" in shown.output


@pytest.mark.slow
def test_build_after_a_prune_and_trimmed_to_the_limit(
    cache_dir: Path, tiny_routine: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = build(tiny_routine, BuildOptions(output=tmp_path / "a.mp3"))
    assert first.session.synthesised > 0
    upkeep.prune(cache_dir, max_size=0)
    assert upkeep.usage(cache_dir).size == 0
    again = build(tiny_routine, BuildOptions(output=tmp_path / "b.mp3"))  # everything made again
    assert again.session.synthesised == first.session.synthesised
    assert again.plan.duration_s == pytest.approx(first.plan.duration_s)
    config = tmp_path / "config.toml"
    config.write_text('cache_limit = "1"\n', encoding="utf-8")  # one byte: trimmed after the next build
    monkeypatch.setenv("VOICEGUIDE_CONFIG", str(config))
    build(tiny_routine, BuildOptions(output=tmp_path / "c.mp3"))
    assert upkeep.usage(cache_dir).size == 0 and not list((cache_dir / "holds").glob("*.hold"))
