"""The common YAML slips: each is one located problem whose hint is the real fix, with the line as it should be.

Each case also puts the suggested line in place of the bad one: the routine then loads.
"""

from __future__ import annotations

import pytest

from voiceguide.errors import RoutineError
from voiceguide.plan import load_routine

HEAD = "title: T\ntechniques:\n  - name: A\n    steps:\n"

# (id, the bad line under steps:, where the problem is (line, column), words of the message, the line as it should be)
SLIPS = [
    (
        "comma-in-flow",
        "      - {say: Breathe in, and out., pause: 2s}",
        (5, 27),
        "the comma in 'Breathe in, and out.' ends the text inside { }, so YAML reads 'and out.' as another key",
        '- {say: "Breathe in, and out.", pause: 2s}',
    ),
    (
        "colon-in-flow",
        "      - {say: Breathe in: slowly., pause: 2s}",
        (5, 25),
        "the colon in 'Breathe in: slowly.' is read as the start of another key inside { }",
        '- {say: "Breathe in: slowly.", pause: 2s}',
    ),
    (
        "word-read-as-key",
        "      - Note: keep the pressure light.",
        (5, 9),
        "'Note: keep the pressure light.' is read as the key 'Note' because of the colon after it",
        '- "Note: keep the pressure light."',
    ),
    (
        "second-colon",
        "      - say: Note: slowly.",
        (5, 18),
        "the colon in 'Note: slowly.' makes YAML read it as another key: value",
        '- say: "Note: slowly."',
    ),
    (
        "tab-indent",
        "\t- Press.",
        (5, 1),
        "a tab in the indentation (YAML indents with spaces only)",
        "- Press.",
    ),
    (
        "comment-in-speech",
        "      - Press with thumb #2 gently.",
        (5, 9),
        "the '#' starts a comment, so only 'Press with thumb' would be said",
        '- "Press with thumb #2 gently."',
    ),
    ("yes", "      - Yes", (5, 9), "YAML reads the word 'Yes' as true, not as words to say", '- "Yes"'),
    ("no", "      - say: no", (5, 14), "YAML reads the word 'no' as false, not as words to say", '- say: "no"'),
    ("on", "      - On", (5, 9), "YAML reads the word 'On' as true, not as words to say", '- "On"'),
    ("off", "      - {say: off, pause: 1s}", (5, 15), "YAML reads the word 'off' as false", '- {say: "off", pause: 1s}'),
    ("null", "      - Null", (5, 9), "YAML reads the word 'Null' as nothing (null), not as words to say", '- "Null"'),
    (
        "unclosed-double-quote",
        '      - "Press gently.',
        (5, 9),
        'the quote " opened here is never closed, so the rest of the file is read as part of this text',
        '- "Press gently."',
    ),
    (
        "unclosed-single-quote",
        "      - 'Press gently.",
        (5, 9),
        "the quote ' opened here is never closed",
        "- 'Press gently.'",
    ),
]


@pytest.mark.parametrize(("bad", "where", "message", "fixed"), [s[1:] for s in SLIPS], ids=[s[0] for s in SLIPS])
def test_each_slip_is_explained_with_its_fix(tmp_path, bad, where, message, fixed):
    path = tmp_path / "slip.yaml"
    path.write_text(HEAD + bad + "\n      - Release.\n", encoding="utf-8")
    with pytest.raises(RoutineError) as err:
        load_routine(path)
    (problem,) = err.value.problems
    assert (problem.line, problem.column) == where
    assert message in problem.message
    assert problem.hint.endswith(fixed) or f"'      {fixed}'" in problem.hint, problem.hint
    path.write_text(HEAD + "      " + fixed + "\n      - Release.\n", encoding="utf-8")
    assert load_routine(path).techniques[0].steps


def test_a_comment_after_a_whole_sentence_is_a_comment(tmp_path):
    path = tmp_path / "ok.yaml"
    path.write_text(HEAD + "      - Press gently.   # the first step\n", encoding="utf-8")
    assert load_routine(path).techniques[0].steps[0].text == "Press gently."


def test_a_misspelt_step_key_still_gets_did_you_mean(tmp_path):
    path = tmp_path / "typo.yaml"
    path.write_text(HEAD + "      - puase: 3s\n", encoding="utf-8")
    with pytest.raises(RoutineError) as err:
        load_routine(path)
    assert err.value.problems[0].hint == "did you mean 'pause'?"


def test_the_tab_fix_indents_like_the_line_above(tmp_path):
    path = tmp_path / "tab.yaml"
    path.write_text("title: T\ntechniques:\n  - name: A\n\tsteps:\n      - Press.\n", encoding="utf-8")
    with pytest.raises(RoutineError) as err:
        load_routine(path)
    assert "'    steps:'" in err.value.problems[0].hint


def test_a_comment_set_apart_after_words_is_a_comment(tmp_path):
    path = tmp_path / "ok.yaml"
    path.write_text(HEAD + "      - Breathe in   # slowly, the first time\n", encoding="utf-8")
    assert load_routine(path).techniques[0].steps[0].text == "Breathe in"
