"""File names ffmpeg could misread, and names at the file system's limits.

ffmpeg reads ``name:rest`` as a protocol (``file:other.mp3`` is ``other.mp3``,
``pipe:0.mp3`` is standard input, ``http:x`` the network) and ``-name`` as an option, so
every path reaches it through ``ffmpeg.path_arg`` as ``./name`` or an absolute path.
Names of 255 bytes must work (temporary siblings are shortened to fit), longer ones are
refused in one line before anything is narrated.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from audio_checks import decode
from hostile import ROUTINE, assert_clean_output, assert_refused, run
from hypothesis import given, settings
from hypothesis import strategies as st

from voiceguide.ffmpeg import path_arg
from voiceguide.output import NAME_MAX, TEMP_MARK

SHORT = ROUTINE.replace("Hostile test", "Own title")
OTHER = "title: Somebody else's secret\nmusic: none\ntechniques:\n  - name: Other\n    steps: [Something else.]\n"


@given(st.text(st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=30))
@settings(max_examples=200, deadline=None, database=None)
def test_path_arg_is_never_a_bare_name(name: str) -> None:
    given_path = Path(name)
    arg = path_arg(given_path)
    assert os.path.isabs(arg) or arg.startswith("./"), arg
    assert os.path.normpath(arg) == os.path.normpath(str(given_path))


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("names")
    (path / "routine.yaml").write_text(SHORT, encoding="utf-8")
    (path / "other.yaml").write_text(OTHER, encoding="utf-8")
    return path


def leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.rglob("*") if TEMP_MARK in p.name]


@pytest.mark.slow
@pytest.mark.parametrize("name", ["a:b.mp3", "pipe:1.mp3", "file:x.flac", "-y.m4b", "http:x.opus", "subfile,,start,0,end,0,,:s.mp3"])
def test_outputs_named_like_protocols_or_options_are_written_under_that_name(name: str, folder: Path) -> None:
    result = run("build", "routine.yaml", f"--output={name}", "--force", cwd=folder)
    assert result.code == 0, result.stderr
    assert_clean_output(result)
    assert (folder / name).is_file() and decode(folder / name).shape[0] > 44100 * 3
    assert not leftovers(folder)


@pytest.fixture(scope="module")
def built(folder: Path) -> Path:
    """A session and another one, and copies of the first under names ffmpeg reads as protocols."""
    site = folder / "site"
    for routine, audio in (("routine.yaml", "own.mp3"), ("other.yaml", "other.mp3")):
        result = run("build", routine, "-o", f"site/{audio}", "--force", cwd=folder)
        assert result.code == 0, result.stderr
    for name in ("file:other.mp3", "pipe:0.mp3"):
        shutil.copy(site / "own.mp3", site / name)
    return site


@pytest.mark.slow
@pytest.mark.parametrize("name", ["file:other.mp3", "pipe:0.mp3"])
def test_play_reads_the_file_it_is_given_not_what_its_name_points_to(name: str, built: Path) -> None:
    own = run("play", "own.mp3", "--no-audio", cwd=built, timeout=60)
    result = run("play", name, "--no-audio", cwd=built, timeout=60)
    assert own.code == 0 and result.code == 0, (own.stderr, result.stderr)
    assert result.stdout.splitlines()[-1].endswith(own.stdout.splitlines()[-1].split(" ")[-1])  # the same length
    assert "Other" not in result.stdout and "Toe press" in result.stdout


@pytest.mark.slow
def test_feed_titles_come_from_each_file_itself(built: Path) -> None:
    result = run("feed", ".", "--base-url", "https://example.com/x", "--title", "T", cwd=built)
    assert result.code == 0, result.stderr
    items = (built / "feed.xml").read_text(encoding="utf-8").split("<item>", 1)[1]  # the show's description names every session
    assert items.count("<title>Own title</title>") == 3 and items.count("secret") == 1


# --------------------------------------------------------------- names at the limit


@pytest.mark.slow
@pytest.mark.parametrize("stem_bytes", [NAME_MAX - 4, NAME_MAX - 4 - 20])
def test_a_name_at_the_limit_builds_although_its_temporary_sibling_would_not_fit(stem_bytes: int, folder: Path) -> None:
    name = "é" * (stem_bytes // 2) + "a" * (stem_bytes % 2) + ".mp3"
    assert len(name.encode()) == stem_bytes + 4
    result = run("build", "routine.yaml", "-o", name, "--force", cwd=folder)
    assert result.code == 0, result.stderr
    assert (folder / name).is_file() and not leftovers(folder)
    again = run("build", "routine.yaml", "-o", name, "--force", cwd=folder)  # replacing it keeps the old one aside first
    assert again.code == 0, again.stderr
    assert not leftovers(folder)


@pytest.mark.parametrize(
    ("output", "named"),
    [
        ("a" * (NAME_MAX - 3) + ".mp3", "longer than 255 bytes"),
        pytest.param("é" * 126 + ".mp3", "longer than 255 bytes", marks=pytest.mark.slow),  # 256 bytes in 130 characters
        pytest.param("d" * 300 + "/x.mp3", "folder name is longer than 255 bytes", marks=pytest.mark.slow),
        ("/".join(["d" * 250] * 17) + "/x.mp3", "longer than 4096 bytes"),  # past PATH_MAX
    ],
)
def test_names_past_the_limit_are_one_line_before_anything_is_narrated(output: str, named: str, folder: Path) -> None:
    assert_refused(run("build", "routine.yaml", "-o", output, cwd=folder, env={"VOICEGUIDE_CACHE": str(folder / "unused")}), named)
    assert not (folder / "unused").exists()  # refused before any narration


@pytest.mark.slow
def test_side_files_whose_names_would_pass_the_limit_are_refused_before_anything_is_narrated(folder: Path) -> None:
    name = "s" * (NAME_MAX - 8) + ".mp3"  # fits; its .chapters.json does not
    result = run("build", "routine.yaml", "-o", name, "--sidecars", cwd=folder, env={"VOICEGUIDE_CACHE": str(folder / "unused")})
    assert_refused(result, ".chapters.json", "longer than 255 bytes")
    assert not (folder / name).exists() and not (folder / "unused").exists()
