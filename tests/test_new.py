"""voiceguide new: a commented routine that validates, written here, never over a file; and it builds."""

from __future__ import annotations

import json

import pytest
from audio_checks import RATE, decode
from click.testing import CliRunner

import voiceguide.cli.commands  # noqa: F401  (registers the subcommands)
from voiceguide.cli import cli
from voiceguide.language import known_languages
from voiceguide.language.bodyparts import BUILT_IN_PARTS
from voiceguide.plan import load_routine, script


@pytest.fixture
def here(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_new_writes_a_commented_routine_that_validates(here):
    result = run("new", "my-routine")
    assert result.exit_code == 0, result.output
    path = here / "my-routine.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# my-routine.yaml: a routine for voiceguide")
    assert sum(line.lstrip().startswith("#") for line in text.splitlines()) >= 5
    routine = load_routine(path)
    technique = routine.techniques[0]
    assert (technique.sides, technique.repetitions_range, technique.hold_range) == ("each", (4, 8), (5.0, 10.0))
    assert run("validate", "my-routine.yaml").exit_code == 0
    assert list(here.iterdir()) == [path]  # nothing else, no temporary file left


def test_new_refuses_to_overwrite(here):
    (here / "mine.yaml").write_text("title: Mine\n", encoding="utf-8")
    result = run("new", "mine.yaml")
    assert result.exit_code == 1
    assert result.output.strip() == "voiceguide: mine.yaml already exists — choose another name, or edit the file you have"
    assert (here / "mine.yaml").read_text(encoding="utf-8") == "title: Mine\n"


@pytest.mark.parametrize("code", known_languages())
def test_new_in_each_language_speaks_it(here, code):
    assert run("new", "r", "--language", code, "--body-part", "hand").exit_code == 0
    routine = load_routine(here / "r.yaml")
    assert routine.language == code and routine.body_part == "hand"
    said = [e.utterance.text for e in script(routine) if e.utterance]
    english = {"Welcome. Sit comfortably and let your shoulders drop.", "Gentle press."}
    assert code == "en" or not english & set(said)


@pytest.mark.parametrize("part", BUILT_IN_PARTS)
def test_new_for_each_body_part_names_it(here, part):
    assert run("new", "r", "--body-part", part).exit_code == 0
    said = [e.utterance.text for e in script(load_routine(here / "r.yaml")) if e.utterance]
    assert any(part.split()[-1] in line for line in said)


def test_new_from_a_routine_keeps_its_text_and_sets_what_is_asked(here):
    assert run("new", "hands", "--from", "gentle-foot-unwind", "--body-part", "hand").exit_code == 0
    routine = load_routine(here / "hands.yaml")
    assert routine.title == "Gentle foot unwind" and routine.body_part == "hand"
    assert (here / "hands.yaml").read_text(encoding="utf-8").startswith("# hands.yaml: started from gentle-foot-unwind.yaml.\n")


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("new", "r", "--language", "xx"), "voiceguide does not speak the language 'xx'"),
        (("new", "../r"), "'../r' is not a routine name"),
        (("new", "r", "--language", "de", "--body-part", "wrist"), "body_part 'wrist' has no Deutsch words built in"),
        (("new", "r", "--from", "no-such-routine"), "no such routine file or built-in routine"),
    ],
)
def test_new_refuses_what_it_cannot_write_in_one_line(here, args, words):
    result = run(*args)
    assert result.exit_code == 1 and words in result.output and result.output.count("\n") == 1
    assert not list(here.iterdir())


@pytest.mark.slow
def test_a_new_routine_builds(here):
    assert run("new", "my-routine").exit_code == 0
    plan = run("plan", "my-routine.yaml", "--json", "--engine", "pyttsx3")
    assert plan.exit_code == 0, plan.output
    duration = json.loads(plan.stdout)["duration_s"]
    result = run("build", "my-routine.yaml", "--engine", "pyttsx3", "-o", "session.wav", "--no-music")
    assert result.exit_code == 0, result.output
    assert len(decode(here / "session.wav")) / RATE == pytest.approx(duration, abs=0.05)
