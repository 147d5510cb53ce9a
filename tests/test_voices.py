"""The voice catalogue, installing models from the command line, and a person's own defaults."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

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
    header, *lines = result.output.splitlines()
    assert header.split() == ["engine", "voice", "language", "gender", "installed", "licence"]
    rows = [line.split() for line in lines]
    assert rows and all(r[0] == "kokoro" and r[2] == "en-gb" for r in rows)


def test_table_columns_line_up_under_their_header() -> None:
    header, *lines = run("voices", "--language", "en").output.splitlines()
    starts = [header.index(name) for name in ("voice", "language", "gender", "installed", "licence")]
    for line in lines:
        assert all(line[at - 2 : at] == "  " and line[at] != " " for at in starts), line


def test_install_without_the_engine_s_extra_says_to_install_it_first(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    found = importlib.util.find_spec
    absent = {"kokoro_onnx", "onnxruntime"}  # as on a machine without the extra, whether or not this one has it
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name in absent else found(name, *a))
    result = run("voices", "install", "kokoro")
    assert result.exit_code == 1 and result.output.count("\n") == 1
    assert "kokoro needs its extra installed first (kokoro_onnx, onnxruntime not found) — pip install 'voiceguide[kokoro]'" in result.output


def test_install_piper_without_a_source_is_bad_usage() -> None:
    result = CliRunner().invoke(cli, ["voices", "install", "piper"])
    assert result.exit_code == 2 and "--from" in result.output


def test_install_kokoro_from_a_folder_without_release_files_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    monkeypatch.setenv("VOICEGUIDE_DATA", str(tmp_path / "data"))
    found = importlib.util.find_spec  # the extra counts as installed: the folder is checked before anything is imported from it
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: found("json") if name in {"kokoro_onnx", "onnxruntime"} else found(name, *a)
    )
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


# --- engine and voice in routines: checked before anything is synthesised --------------------

NOBODY = """
title: Nobody speaks
narration:
  engine: kokoro
  voice: af_nobody
techniques:
  - name: Toe press
    steps:
      - Press your toes.
"""


def test_validate_locates_an_unknown_voice_with_a_did_you_mean(write_routine) -> None:
    require("kokoro")  # its catalogue is what suggests the close match
    path = write_routine(NOBODY, "nobody.yaml")
    result = run("validate", str(path))
    assert result.exit_code == 1
    assert result.output == f"{path}:4:10: unknown voice 'af_nobody' for engine kokoro — did you mean 'af_nova'?\n"


def test_build_refuses_an_unknown_voice_before_synthesis(write_routine, tmp_path: Path, cache_dir: Path) -> None:
    require("kokoro")
    path = write_routine(NOBODY, "nobody.yaml")
    result = run("build", str(path), "-o", str(tmp_path / "out.mp3"))
    assert result.exit_code == 1 and result.output.count("\n") == 1 and ":4:10: unknown voice 'af_nobody'" in result.output
    assert not (tmp_path / "out.mp3").exists() and not (cache_dir / "clips").exists()


@pytest.fixture
def fresh_engines() -> Iterator[None]:
    """Forget which engines were found working: a test changes what is installed."""
    from voiceguide import narration

    for cached in (narration._engine, narration._voices, narration._version):
        cached.cache_clear()
    yield
    for cached in (narration._engine, narration._voices, narration._version):
        cached.cache_clear()


@pytest.mark.usefixtures("fresh_engines")
def test_an_engine_that_is_not_installed_is_located(write_routine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOICEGUIDE_DATA", str(tmp_path / "empty"))
    path = write_routine(NOBODY.replace("voice: af_nobody", "voice: af_heart"), "heart.yaml")
    result = run("validate", str(path))
    assert result.exit_code == 1 and result.output.startswith(f"{path}:3:11: ")
    assert "install" in result.output and result.output.count("\n") == 1


def test_a_rate_the_engine_cannot_reach_is_located(write_routine) -> None:
    require("kokoro")
    path = write_routine(NOBODY.replace("voice: af_nobody", "voice: af_heart\n  rate: 90"), "slow.yaml")
    result = run("validate", str(path))
    assert result.exit_code == 1 and result.output.startswith(f"{path}:5:9: rate 90 is beyond the kokoro engine")


def test_a_technique_may_name_its_own_engine(write_routine) -> None:
    from voiceguide.plan import load_routine, script, utterances

    path = write_routine(
        """
        title: Two narrators
        narration: {voice: en-us}
        techniques:
          - name: Toe press
            steps: [Press your toes.]
          - name: Arch
            narration: {engine: kokoro}
            steps: [Press the arch.]
        """,
        "two.yaml",
    )
    lines = {u.text: u for u in utterances(script(load_routine(path)))}
    assert (lines["Press your toes."].engine, lines["Press your toes."].voice) == ("", "en-us")
    assert (lines["Press the arch."].engine, lines["Press the arch."].voice) == ("kokoro", "en")  # its own voice for the language


def test_schema_names_every_engine() -> None:
    from importlib import resources

    from voiceguide.registry import ENGINES

    schema = json.loads(resources.files("voiceguide.routine").joinpath("schema.json").read_text(encoding="utf-8"))
    assert schema["$defs"]["narration"]["properties"]["engine"]["enum"] == list(ENGINES)


# --- Kokoro, the default wherever it is installed -----------------------------------------------


def _chosen(routine_text: str, write_routine: Callable[[str, str], Path], **given: Any) -> str:
    from voiceguide.plan import load_routine
    from voiceguide.session import narrator_settings

    routine = load_routine(write_routine(routine_text, "r.yaml"))
    overrides, defaults = narrator_settings(routine, given.get("voice"), given.get("rate"), given.get("engine"))
    return overrides.engine or routine.narration.engine or defaults.engine or "pyttsx3"


KOKORO_SPOKEN = "title: T\nlanguage: en\ntechniques:\n  - name: Toe press\n    steps:\n      - Press your toes.\n"


@pytest.mark.usefixtures("config")
def test_kokoro_is_the_default_where_it_is_installed(write_routine: Callable[[str, str], Path]) -> None:
    require("kokoro")
    assert _chosen(KOKORO_SPOKEN, write_routine) == "kokoro"
    assert _chosen(KOKORO_SPOKEN, write_routine, engine="pyttsx3") == "pyttsx3"  # the command line wins
    assert _chosen(KOKORO_SPOKEN + "narration:\n  engine: pyttsx3\n", write_routine) == "pyttsx3"  # the routine wins
    assert _chosen(KOKORO_SPOKEN + "narration:\n  voice: gmw/en-us\n", write_routine) == "pyttsx3"  # an espeak-ng voice
    assert _chosen(KOKORO_SPOKEN.replace("language: en", "language: de"), write_routine) == "pyttsx3"  # no Kokoro voice for German


def test_the_persons_engine_wins_over_kokoro(config: Path, write_routine: Callable[[str, str], Path]) -> None:
    config.write_text('engine = "pyttsx3"\n')
    assert _chosen(KOKORO_SPOKEN, write_routine) == "pyttsx3"


def test_without_kokoro_installed_espeak_ng_speaks(
    config: Path, write_routine: Callable[[str, str], Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VOICEGUIDE_DATA", str(tmp_path / "empty"))
    assert _chosen(KOKORO_SPOKEN, write_routine) == "pyttsx3"
