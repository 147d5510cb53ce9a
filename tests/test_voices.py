"""The voice catalogue, installing models from the command line, and a person's own defaults."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from neural import require

import voiceguide.cli.commands  # noqa: F401  (registers the subcommands)
from voiceguide.cli import cli
from voiceguide.user_defaults import ConfigError, UserDefaults, user_defaults


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_json_lists_every_engines_voices_with_the_promised_keys() -> None:
    result = run("voices", "--json")
    assert result.exit_code == 0
    voices = json.loads(result.stdout)
    assert {"engine", "id", "language", "gender", "installed", "licence"} <= set(voices[0])
    engines = {v["engine"] for v in voices}
    assert {"pyttsx3", "kokoro"} <= engines
    assert any(v["engine"] == "pyttsx3" and v["id"] == "gmw/en-us" and v["installed"] for v in voices)


def test_at_least_twenty_english_kokoro_voices_are_installed() -> None:
    require("kokoro")
    voices = json.loads(run("voices", "--json", "--engine", "kokoro", "--language", "en").stdout)
    assert len([v for v in voices if v["installed"]]) >= 20
    assert {v["licence"] for v in voices} == {"Apache-2.0"}


def test_table_filters_by_language_and_engine() -> None:
    result = run("voices", "--engine", "kokoro", "-l", "en-gb")
    assert result.exit_code == 0
    rows = [line.split() for line in result.output.splitlines()]
    assert rows and all(r[0] == "kokoro" and r[2] == "en-gb" for r in rows)


def test_install_piper_without_a_source_is_bad_usage() -> None:
    result = CliRunner().invoke(cli, ["voices", "install", "piper"])
    assert result.exit_code == 2 and "--from" in result.output


def test_install_kokoro_from_a_folder_without_release_files_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOICEGUIDE_DATA", str(tmp_path / "data"))
    result = run("voices", "install", "kokoro", "--from", str(tmp_path))
    assert result.exit_code == 1 and "kokoro-v1.0.int8.onnx" in result.output and result.output.count("\n") == 1


# --- a person's own defaults ----------------------------------------------------------------


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "config.toml"
    monkeypatch.setenv("VOICEGUIDE_CONFIG", str(path))
    monkeypatch.delenv("VOICEGUIDE_ENGINE", raising=False)
    monkeypatch.delenv("VOICEGUIDE_VOICE", raising=False)
    return path


def test_no_config_means_voiceguides_defaults(config: Path) -> None:
    mine = user_defaults()
    assert mine == UserDefaults()
    assert mine.engine_for(None) == "pyttsx3" and mine.voice_for("pyttsx3") is None


def test_config_file_then_environment(config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config.write_text('engine = "kokoro"\nvoice = "af_heart"\n')
    mine = user_defaults()
    assert mine.engine_for(None) == "kokoro" and mine.voice_for("kokoro") == "af_heart"
    assert mine.engine_for(None, routine="piper") == "piper" and mine.voice_for("piper") is None
    assert mine.engine_for("pyttsx3", routine="piper") == "pyttsx3"
    monkeypatch.setenv("VOICEGUIDE_VOICE", "bf_emma")
    assert user_defaults().voice_for("kokoro") == "bf_emma"


@pytest.mark.parametrize(
    "text, message",
    [
        ('engine = "festival"\n', "engine 'festival' is not one of"),
        ('engine = "kokoro"\nspeed = 2\n', "unknown key 'speed'"),
        ("engine = kokoro\n", "cannot read it"),
        ("voice = 3\n", "voice must be a non-empty string"),
    ],
)
def test_a_bad_config_is_one_line_naming_the_file(config: Path, text: str, message: str) -> None:
    config.write_text(text)
    with pytest.raises(ConfigError, match=message) as err:
        user_defaults()
    assert str(err.value).startswith(str(config))


def test_a_bad_engine_variable_fails_the_command_in_one_line(config: Path, monkeypatch: pytest.MonkeyPatch, tiny_routine: Path) -> None:
    monkeypatch.setenv("VOICEGUIDE_ENGINE", "festival")
    result = run("plan", str(tiny_routine))
    assert result.exit_code == 1 and "$VOICEGUIDE_ENGINE" in result.output and result.output.count("\n") == 1
