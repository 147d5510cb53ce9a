"""Text that reaches the terminal: file names and routine text are shown, never obeyed, and every message is one line.

A file name may hold an escape sequence (clear the screen, set the window title), a
carriage return, a newline, a bidirectional override or bytes that are not UTF-8; a
routine's title may hold format characters. Whatever voiceguide prints — results,
errors, usage errors, JSON, the player's screen — shows such characters escaped, in a
pipe as on a terminal (a pipe often ends on one).
"""

from __future__ import annotations

import json
import os
import string
from pathlib import Path

import pytest
from click.testing import CliRunner
from hostile import HIDDEN, ROUTINE, assert_clean_output, assert_refused, hidden, run
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import voiceguide.cli.commands  # noqa: F401  (registers the subcommands)
from voiceguide import text as terminal
from voiceguide.cli import cli
from voiceguide.player.screen import ASCII, View, log_line, screen_lines
from voiceguide.player.timeline import Track, moment

NASTY = [
    "\x1b[2J",  # clear the screen
    "\x1b]0;owned\x07",  # set the window title
    "\x9b31m",  # a C1 control sequence introducer
    "line\nbreak",
    "back\rover",
    "right\u202eto left",
    "zero\u200bwidth",
    "tab\there",
    "bell\x07",
    "para\u2029graph",
]
SETTINGS = settings(max_examples=100, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
ANY_TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=60)


@given(ANY_TEXT)
@SETTINGS
def test_printable_leaves_nothing_a_terminal_obeys(text: str) -> None:
    shown = terminal.printable(text)
    assert not hidden(shown) and "\n" not in shown and "\r" not in shown
    if text.isprintable():
        assert shown == text


@given(st.recursive(st.none() | st.booleans() | st.integers() | ANY_TEXT, lambda inner: st.lists(inner) | st.dictionaries(ANY_TEXT, inner)))
@SETTINGS
def test_json_lines_carry_the_same_data_and_nothing_hidden(value: object) -> None:
    line = terminal.json_text(value)
    assert json.loads(line) == value
    assert "\n" not in line and not hidden(line)


# --------------------------------------------------------------- the command, in-process (fast, same code path)

NAME_CHARS = st.characters(codec="utf-8", exclude_characters="/\x00", exclude_categories=())


@given(name=st.text(NAME_CHARS, min_size=1, max_size=40))
@SETTINGS
def test_validate_names_any_missing_file_in_one_clean_line(name: str) -> None:
    result = CliRunner().invoke(cli, ["validate", "--", f"{name}.yaml"])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert len(lines) == 1 and not hidden(result.output), repr(result.output)
    assert terminal.printable(f"{name}.yaml") in lines[0]


@pytest.mark.parametrize("nasty", NASTY)
def test_usage_errors_are_one_clean_line(nasty: str) -> None:
    result = CliRunner().invoke(cli, ["build", "x.yaml", "--bitrate", nasty])
    assert result.exit_code == 2
    lines = result.output.splitlines()
    assert len(lines) == 1 and lines[0].startswith("voiceguide: ") and not hidden(result.output), repr(result.output)
    assert "--bitrate" in lines[0] and "build --help" in lines[0]


def test_an_unknown_command_is_one_line() -> None:
    result = CliRunner().invoke(cli, ["frobnicate"])
    assert result.exit_code == 2 and result.output.count("\n") == 1 and "frobnicate" in result.output


@pytest.mark.parametrize("nasty", NASTY)
def test_a_routine_problem_in_a_hostile_file_name_is_one_clean_line(nasty: str, tmp_path: Path) -> None:
    path = tmp_path / f"bad{nasty}.yaml"
    path.write_text("title: T\ntechniques: []\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert result.exit_code == 1
    assert len(result.output.splitlines()) == 1 and not hidden(result.output), repr(result.output)
    assert terminal.printable(path) in result.output


def test_a_file_name_that_is_not_utf8_is_shown_not_a_crash(tmp_path: Path) -> None:
    name = os.fsdecode(b"caf\xe9\xff.yaml")  # Latin-1 bytes: surrogates in Python's view of the name
    result = CliRunner().invoke(cli, ["validate", str(tmp_path / name)])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.exception
    assert "\\udce9\\udcff" in result.output and len(result.output.splitlines()) == 1


def test_routine_text_with_format_characters_is_shown_escaped_by_plan_json_and_the_player(tmp_path: Path) -> None:
    title = "Feet \u202eteef"  # a right-to-left override: allowed in YAML text, never obeyed on screen
    plan = {
        "title": title, "language": "en", "duration_s": 2.0,
        "chapters": [{"title": "Intro\u200b\x1b]0;x\x07", "start_s": 0.0, "end_s": 2.0}],
        "cues": [{"kind": "speech", "start_s": 0.0, "end_s": 2.0, "text": "Say \x1b[2J this"}],
    }  # fmt: skip
    track = Track.from_plan_json(plan)
    m = moment(track, 0.5)
    for line in [*screen_lines(m, View(title, 1), 60, ASCII, style=False), log_line(m)]:
        assert not hidden(line), repr(line)
    assert not hidden(terminal.json_text(plan)) and json.loads(terminal.json_text(plan)) == plan


# --------------------------------------------------------------- real builds, as a program


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("text")
    (path / "routine.yaml").write_text(ROUTINE, encoding="utf-8")
    return path


@pytest.mark.slow
@pytest.mark.parametrize("nasty", ["\x1b]0;owned\x07", "new\nline", "\x1b[2J\rback", "\u202ereversed"])
def test_build_reports_a_hostile_output_name_escaped_on_one_line(nasty: str, folder: Path) -> None:
    output = folder / f"session{nasty}.mp3"
    result = run("build", "routine.yaml", "-o", output.name, "--sidecars", "--force", cwd=folder)
    assert result.code == 0, result.stderr
    assert_clean_output(result)
    lines = result.stdout.splitlines()
    assert len(lines) == 5 and all(line.startswith("wrote ") for line in lines), lines
    assert terminal.printable(output.name) in lines[0] and output.is_file()


@pytest.mark.slow
def test_a_routine_named_with_escapes_builds_and_prints_escaped(folder: Path) -> None:
    routine = folder / "evil\x1b]2;title\x07.yaml"
    routine.write_text(ROUTINE, encoding="utf-8")
    result = run("build", routine.name, "-o", "out/", "--force", cwd=folder)
    assert result.code == 0, result.stderr
    assert_clean_output(result)
    assert len(result.stdout.splitlines()) == 1


@pytest.mark.slow
@pytest.mark.parametrize("nasty", NASTY[:4])
def test_errors_naming_hostile_files_are_one_clean_line(nasty: str, folder: Path) -> None:
    assert_refused(run("plan", f"missing{nasty}.yaml", cwd=folder), terminal.printable(f"missing{nasty}.yaml"))
    assert_refused(run("build", "routine.yaml", "--music", f"gone{nasty}.mp3", cwd=folder), "gone")
    assert_refused(run("feed", f"none{nasty}", "--base-url", "https://example.com/x", "--title", "T", cwd=folder), "none")


@pytest.mark.slow
def test_plan_of_a_routine_with_format_characters_prints_them_escaped(folder: Path) -> None:
    routine = folder / "bidi.yaml"
    routine.write_text(ROUTINE.replace("Hostile test", "Feet \u202eteef \u200b"), encoding="utf-8")
    for args in (["plan", routine.name], ["plan", routine.name, "--json"], ["list"]):
        result = run(*args, cwd=folder)
        assert result.code == 0, result.stderr
        assert_clean_output(result)
    assert json.loads(run("plan", routine.name, "--json", cwd=folder).stdout)["title"] == "Feet \u202eteef \u200b"


def test_hidden_categories_match_the_text_module() -> None:
    assert terminal._HIDDEN == HIDDEN
    assert all(terminal.printable(ch) == ch for ch in string.printable if ch not in "\t\n\r\x0b\x0c")
