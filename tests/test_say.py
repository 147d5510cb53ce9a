"""say: one line into a WAV file, with the default narrator and with Kokoro."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from neural import require

import voiceguide.cli.commands  # noqa: F401  (registers the subcommands)
from voiceguide.cli import cli
from voiceguide.narration import wav


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_say_writes_the_line_as_wav(tmp_path: Path) -> None:
    out = tmp_path / "line.wav"
    result = run("say", "Breathe out slowly.", "-o", str(out))
    assert result.exit_code == 0, result.output
    samples, rate = wav.read_mono16(out)
    assert rate == 22050 and 0.5 < len(samples) / rate < 3.0
    assert result.output.startswith(f"wrote {out}") and "pyttsx3" in result.output


def test_say_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    out = tmp_path / "keep.wav"
    out.write_bytes(b"keep me")
    result = run("say", "Hello.", "-o", str(out))
    assert result.exit_code == 1 and "--force" in result.output and result.output.count("\n") == 1
    assert out.read_bytes() == b"keep me"
    assert run("say", "Hello.", "-o", str(out), "--force").exit_code == 0


def test_say_with_an_unknown_voice_is_one_line(tmp_path: Path) -> None:
    result = run("say", "Hello.", "--engine", "kokoro", "--voice", "af_nobody", "-o", str(tmp_path / "x.wav"))
    assert result.exit_code == 1 and result.output.count("\n") == 1
    assert not (tmp_path / "x.wav").exists()


@pytest.mark.slow
def test_say_with_kokoro(tmp_path: Path) -> None:
    require("kokoro")
    out = tmp_path / "heart.wav"
    result = run("say", "Press gently into the arch.", "--engine", "kokoro", "--voice", "af_heart", "-o", str(out))
    assert result.exit_code == 0, result.output
    samples, rate = wav.read_mono16(out)
    assert rate == 24000 and len(samples) / rate > 1.0


@pytest.mark.slow
def test_say_follows_the_users_default_engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    require("kokoro")
    monkeypatch.setenv("VOICEGUIDE_ENGINE", "kokoro")
    monkeypatch.setenv("VOICEGUIDE_VOICE", "bf_emma")
    result = run("say", "Rest.", "-o", str(tmp_path / "rest.wav"))
    assert result.exit_code == 0, result.output
    assert "kokoro voice bf_emma" in result.output
