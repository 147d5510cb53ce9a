"""Errors carry what is wrong and how to fix it as two fields, joined only where they are shown."""

from __future__ import annotations

import pickle

from voiceguide.errors import OutputError, Problem, RoutineError, VoiceguideError, shown


def test_an_error_keeps_its_hint_apart_and_shows_both_on_one_line():
    err = OutputError("out.mp3 already exists", hint="add --force to replace it")
    assert (err.message, err.hint) == ("out.mp3 already exists", "add --force to replace it")
    assert str(err) == shown(err.message, err.hint) == "out.mp3 already exists — add --force to replace it"
    assert err.as_json() == {"message": "out.mp3 already exists", "hint": "add --force to replace it"}


def test_an_error_without_a_hint_is_its_message():
    err = VoiceguideError("something failed")
    assert (str(err), err.hint) == ("something failed", "")


def test_an_error_keeps_its_hint_across_processes():
    err = pickle.loads(pickle.dumps(OutputError("what", hint="how")))
    assert (type(err), err.message, err.hint) == (OutputError, "what", "how")


def test_a_problem_is_located_and_keeps_its_hint():
    problem = Problem("r.yaml", 3, 5, "unknown key 'repetitons'", "did you mean 'repetitions'?")
    assert str(problem) == "r.yaml:3:5: unknown key 'repetitons' — did you mean 'repetitions'?"
    assert problem.as_json() == {"message": "r.yaml:3:5: unknown key 'repetitons'", "hint": "did you mean 'repetitions'?"}
    assert str(RoutineError([problem])) == str(problem)
