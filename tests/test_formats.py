"""Every output format, built whole with the real narrator and encoder and read back by ffmpeg.

One short routine with a cover is built once per format. Each file must decode to the
planned length with speech where the plan puts it, meet the loudness target, and carry
the title, the cover and every chapter of the plan.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from audio_checks import RATE, decode, ebur128, ffmetadata, onset_s
from click.testing import CliRunner

import voiceguide.cli.commands  # noqa: F401  (registers the subcommands)
from voiceguide import ffmpeg
from voiceguide.build import BuildOptions, BuildResult, build
from voiceguide.cli import cli
from voiceguide.registry import FORMATS as FORMAT
from voiceguide.registry import format_names

FORMATS = format_names()

ROUTINE = """
title: "Formats: one = all; #2"
description: A short check of every format.
author: voiceguide tests
cover: cover.png
music: none
intro:
  - say: Sit comfortably.
    pause: 1.5s
techniques:
  - name: Toe press
    steps:
      - say: Press your toes down.
        pause: 1s
  - name: Heel rub
    steps:
      - say: Rub your heel slowly.
        pause: 1s
outro:
  - Done.
"""
pytestmark = pytest.mark.slow  # end-to-end: real builds decoded and measured
MP3_DELAY_S = 0.026  # ffmpeg -f ffmetadata shifts an MP3's chapters by the encoder delay (1105 samples)


@pytest.fixture(scope="module")
def routine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("formats")
    subprocess.run(
        [ffmpeg.ffmpeg_exe(), "-nostdin", "-v", "error", "-f", "lavfi", "-i", "color=c=navy:s=1400x1400", "-frames:v", "1",
         str(folder / "cover.png")],
        check=True, timeout=60,
    )  # fmt: skip
    path = folder / "formats.yaml"
    path.write_text(ROUTINE.lstrip("\n"), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def built(routine: Path) -> dict[str, BuildResult]:
    out = routine.parent / "out"
    return {fmt: build(routine, BuildOptions(output=out, fmt=fmt)) for fmt in FORMATS}


@pytest.mark.parametrize("fmt", FORMATS)
def test_each_format_plays_the_plan(fmt: str, built: dict[str, BuildResult]) -> None:
    result = built[fmt]
    assert result.path.name == f"formats.{fmt}"
    audio = decode(result.path)
    plan = result.plan
    if FORMAT[fmt].bitrate:
        assert audio.shape[0] / RATE == pytest.approx(plan.duration_s, abs=0.030)
    else:  # lossless: frame exact
        assert audio.shape[0] == round(plan.duration_s * RATE)
    first = next(c for c in plan.cues if c.kind == "speech")
    heard = onset_s(audio, 0.0)
    assert heard is not None and heard == pytest.approx(first.start_s, abs=0.030)  # encoder delay handled
    assert ebur128(result.path).integrated_lufs == pytest.approx(-16.0, abs=1.0)


@pytest.mark.parametrize("fmt", FORMATS)
def test_each_format_carries_title_cover_and_every_chapter(fmt: str, built: dict[str, BuildResult]) -> None:
    result = built[fmt]
    demuxed = ffmetadata(result.path, stream_tags=fmt in ("opus", "ogg"))
    assert demuxed.tags["title"] == "Formats: one = all; #2"
    assert demuxed.tags["artist"] == "voiceguide tests"
    assert demuxed.tags["comment"] == "A short check of every format."
    assert "album" not in demuxed.tags
    planned = result.plan.chapters
    assert len(planned) == 4
    assert [c.title for c in demuxed.chapters] == [c.title for c in planned]
    slack = MP3_DELAY_S if fmt == "mp3" else 0.001
    assert [c.start_s for c in demuxed.chapters] == pytest.approx([c.start_s for c in planned], abs=slack)
    command = [ffmpeg.ffmpeg_exe(), "-nostdin", "-hide_banner", "-i", str(result.path)]
    streams = subprocess.run(command, capture_output=True, timeout=60, check=False).stderr.decode()
    assert "1400x1400" in streams and "attached pic" in streams


@pytest.mark.parametrize("name, fmt", [("a.opus", "opus"), ("b.m4b", "m4b"), ("c.oga", "ogg"), ("d.m4a", "m4a")])
def test_the_output_name_chooses_the_format(routine: Path, built: dict[str, BuildResult], name: str, fmt: str) -> None:
    target = routine.parent / "named" / name
    result = CliRunner().invoke(cli, ["build", str(routine), "-o", str(target), "--quiet"])
    assert result.exit_code == 0, result.stderr
    assert ffmetadata(target, stream_tags=fmt in ("opus", "ogg")).tags["title"] == "Formats: one = all; #2"
    with target.open("rb") as f:
        head = f.read(64)
    assert {"opus": b"OpusHead", "ogg": b"\x01vorbis", "m4b": b"ftypM4B ", "m4a": b"ftypM4A "}[fmt] in head


def test_a_name_that_says_another_format_is_refused(routine: Path) -> None:
    target = routine.parent / "refused" / "session.m4b"
    result = CliRunner().invoke(cli, ["build", str(routine), "-o", str(target), "--format", "opus", "--quiet"])
    assert result.exit_code == 1 and "session.opus" in result.stderr and len(result.stderr.splitlines()) == 1
    assert not target.parent.exists() or not list(target.parent.iterdir())
