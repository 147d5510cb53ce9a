"""The small stumbles of a new user, each fixed: the cover checked early, --music read from the current folder, whole
technique names and hold/rest labels in plan, -o with a suffix voiceguide does not write, and play into a pipe."""

from __future__ import annotations

import struct
import subprocess
import zlib
from pathlib import Path

import pytest
from click.testing import CliRunner
from installed import VOICEGUIDE

import voiceguide.cli.commands  # noqa: F401  (registers the subcommands)
from voiceguide.cli import cli
from voiceguide.destinations import audio_path
from voiceguide.errors import OutputError
from voiceguide.player.screen import LineLog
from voiceguide.player.timeline import Moment


def png(width: int, height: int) -> bytes:
    """A real RGB PNG of ``width`` × ``height`` (black), small enough for a test."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + bytes(3 * width) for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


ROUTINE = "title: T\ncover: cover.png\ntechniques:\n  - name: Press\n    repetitions: 2\n    hold: 2s\n"


def test_validate_warns_of_a_cover_that_is_not_square_at_its_line(tmp_path):
    (tmp_path / "cover.png").write_bytes(png(1600, 1400))
    (tmp_path / "r.yaml").write_text(ROUTINE, encoding="utf-8")
    result = run("validate", str(tmp_path / "r.yaml"))
    assert result.exit_code == 0 and "1 routine valid" in result.stdout
    assert result.stderr.strip() == (
        f"{tmp_path / 'r.yaml'}:2:8: warning: the cover cover.png is 1600×1400 px, not square"
        " — podcast directories ask for a square JPEG or PNG of 1400–3000 px in RGB"
    )


def test_validate_says_nothing_of_a_good_cover(tmp_path):
    (tmp_path / "cover.png").write_bytes(png(1400, 1400))
    (tmp_path / "r.yaml").write_text(ROUTINE, encoding="utf-8")
    result = run("validate", str(tmp_path / "r.yaml"))
    assert result.exit_code == 0 and result.stderr == ""


@pytest.mark.slow
def test_build_warns_of_a_small_cover(tmp_path):
    (tmp_path / "cover.png").write_bytes(png(600, 600))
    (tmp_path / "r.yaml").write_text(ROUTINE, encoding="utf-8")
    result = run("build", str(tmp_path / "r.yaml"), "--engine", "pyttsx3", "--no-music", "-o", str(tmp_path / "s.mp3"))
    assert result.exit_code == 0, result.output
    assert "r.yaml:2:8: warning: the cover cover.png is 600×600 px — podcast directories ask" in result.stderr
    assert (tmp_path / "s.mp3").is_file()


def test_music_on_the_command_line_is_read_from_the_current_folder(tmp_path, monkeypatch, write_routine):
    routine = write_routine("title: T\ntechniques:\n  - name: Press\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    result = run("build", str(routine), "--music", "calm.mp3")
    assert result.exit_code == 1
    assert f"music '{elsewhere / 'calm.mp3'}' does not exist" in result.output
    assert "--music is read from the current folder, music: in a routine from the routine's folder" in result.output


@pytest.mark.parametrize(
    ("name", "words", "hint"),
    [
        ("s.aac", "s.aac names a .aac file, which voiceguide does not write (AAC audio comes in .m4b or .m4a)", "such as s.m4a"),
        ("s.srt", "s.srt names a .srt file, which voiceguide does not write", "such as s.mp3"),
    ],
)
def test_an_output_name_voiceguide_does_not_write_says_the_formats(name, words, hint):
    with pytest.raises(OutputError) as err:
        audio_path("r", Path(name), "mp3")
    assert err.value.message == words
    assert err.value.hint.startswith("end the name in one of .mp3, ") and err.value.hint.endswith(hint)
    assert ".mp3.mp3" not in str(err.value) and f"{name}.mp3" not in str(err.value)


def test_play_into_a_pipe_prints_a_line_only_when_what_it_says_changes(tmp_path):
    from io import StringIO

    out = StringIO()
    log = LineLog(out)
    for tenth in range(30):  # three seconds at the player's ten looks a second
        speaking = tenth < 10 or 20 <= tenth < 25
        words = "Press." if tenth < 20 else "One."
        log.show(Moment(tenth / 10, 10 - tenth / 10, 0, "Press", words, speaking))
    assert out.getvalue().splitlines() == ["   0:00.0  Press — Press.", "   0:01.0  Press", "   0:02.0  Press — One.", "   0:02.5  Press"]


@pytest.mark.slow
def test_plan_shows_whole_names_and_says_hold_and_rest(write_routine):
    name = "Slow circles around the inner ankle bone"
    routine = write_routine(f"title: T\ntechniques:\n  - name: {name}\n    repetitions: 2\n    hold: 3s\n    rest: 1s\n")
    done = subprocess.run([*VOICEGUIDE, "plan", str(routine), "--engine", "pyttsx3"], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()[1:-1]
    assert all(f"  {name}  " in line for line in lines)
    kinds = [line.split(f"{name}  ", 1)[1].split()[0] for line in lines]
    assert kinds.count("hold") == 2 and kinds.count("rest") == 1 and "pause" in kinds  # the breath between lines
