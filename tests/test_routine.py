"""Routine files: good ones load with their defaults, bad ones get one clear located line each."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from voiceguide.errors import RoutineError
from voiceguide.routine import builtin_routines, load_routine

GOOD = """
title: Good
description: A test.
narration: {voice: en-us, rate: 140, volume: 0.8}
music: {level: -18}
pronunciations:
  plantar: plan tar
intro:
  - Welcome.
  - pause: 2s
precautions:
  - Be gentle.
techniques:
  - name: Arch press
    chime: true
    steps:
      - Press the plantar arch.
      - say: Breathe.
        pause: 1m30s
      - chime: 4s
    repetitions: 3
    cue: "Press {n} of {total}."
    hold: 5s
    rest: 2
    release: Release.
    sides: each
    first_side: left
    pause_after: 1.5s
    narration: {rate: 120}
outro:
  - Done.
"""

LINE = re.compile(r"^.+:\d+:\d+: .+ — .+$")


def test_good_routine_loads_with_every_field(write_routine):
    r = load_routine(write_routine(GOOD))
    t = r.techniques[0]
    assert (r.title, r.narration.rate, r.narration.volume, r.music.level_db) == ("Good", 140, 0.8, -18.0)
    assert [s.kind for s in t.steps] == ["say", "say", "chime"]
    assert t.steps[1].seconds == 90 and t.steps[2].seconds == 4
    assert (t.repetitions, t.hold_s, t.rest_s, t.sides, t.first_side, t.pause_after_s) == (3, 5, 2, "each", "left", 1.5)
    assert t.narration.rate == 120 and t.last_cue is None
    assert r.pronunciations == (("plantar", "plan tar"),)


def test_defaults_are_applied(write_routine):
    r = load_routine(write_routine("title: T\ntechniques:\n  - name: A\n"))
    t = r.techniques[0]
    assert (r.narration.rate, r.narration.volume, r.music.kind) == (150, 1.0, "builtin")
    assert (t.repetitions, t.cue, t.sides, t.hold_s) == (1, "count", "once", 0)


def test_every_builtin_routine_is_valid():
    found = builtin_routines()
    assert len(found) >= 5
    for path in found.values():
        load_routine(path)


# (id, file content, expected line of the first problem, words the message must contain)
BAD: list[tuple[str, str | bytes, int, str]] = [
    ("empty", "", 1, "empty"),
    ("only-comments", "# nothing\n# here\n", 1, "empty"),
    ("not-a-mapping", "- a\n- b\n", 1, "mapping"),
    ("scalar-root", "hello\n", 1, "mapping"),
    ("missing-title", "techniques:\n  - name: A\n", 1, "no 'title'"),
    ("missing-techniques", "title: T\n", 1, "no 'techniques'"),
    ("empty-techniques", "title: T\ntechniques: []\n", 2, "empty list"),
    ("techniques-not-list", "title: T\ntechniques: lots\n", 2, "should be a list"),
    ("unknown-root-key", "title: T\ntitel: X\ntechniques:\n  - name: A\n", 2, "did you mean 'title'"),
    ("misspelled-technique-key", "title: T\ntechniques:\n  - name: A\n    repetitons: 3\n", 4, "did you mean 'repetitions'"),
    ("duplicate-key", "title: T\ntitle: U\ntechniques:\n  - name: A\n", 2, "appears twice"),
    ("rate-too-high", "title: T\nnarration: {rate: 900}\ntechniques:\n  - name: A\n", 2, "outside 80–450"),
    ("rate-not-number", "title: T\nnarration: {rate: fast}\ntechniques:\n  - name: A\n", 2, "whole number"),
    ("volume-out-of-range", "title: T\nnarration: {volume: 2}\ntechniques:\n  - name: A\n", 2, "outside 0 to 1"),
    ("repetitions-zero", "title: T\ntechniques:\n  - name: A\n    repetitions: 0\n", 4, "outside 1–1000"),
    ("repetitions-huge", "title: T\ntechniques:\n  - name: A\n    repetitions: 99999999999\n", 4, "outside 1–1000"),
    ("repetitions-text", "title: T\ntechniques:\n  - name: A\n    repetitions: ten\n", 4, "whole number"),
    ("bad-duration", "title: T\ntechniques:\n  - name: A\n    hold: 5 secs\n", 4, "duration"),
    ("negative-duration", "title: T\ntechniques:\n  - name: A\n    rest: -3\n", 4, "duration"),
    ("duration-too-long", "title: T\ntechniques:\n  - name: A\n    hold: 3h\n", 4, "longer than 2h"),
    ("bad-sides", "title: T\ntechniques:\n  - name: A\n    sides: both\n", 4, "once, each"),
    ("bad-first-side", "title: T\ntechniques:\n  - name: A\n    first_side: rigth\n", 4, "did you mean 'right'"),
    ("unknown-placeholder", "title: T\ntechniques:\n  - name: A\n    cue: 'Press {x}'\n", 4, "placeholder {x}"),
    ("unmatched-brace", "title: T\ntechniques:\n  - name: A\n    cue: 'Press {n'\n", 4, "unmatched"),
    ("chime-not-bool", "title: T\ntechniques:\n  - name: A\n    chime: loud\n", 4, "true or false"),
    ("step-yes-no", "title: T\ntechniques:\n  - name: A\n    steps: [yes, no]\n", 4, "should be text"),
    ("step-nested-list", "title: T\ntechniques:\n  - name: A\n    steps:\n      - [a, b]\n", 5, "say:, pause:, chime:"),
    ("step-mixed-chime", "title: T\ntechniques:\n  - name: A\n    steps:\n      - {chime: true, pause: 2s}\n", 5, "own step"),
    ("step-unknown-key", "title: T\ntechniques:\n  - name: A\n    steps:\n      - {sya: hello}\n", 5, "did you mean 'say'"),
    ("empty-step-text", "title: T\ntechniques:\n  - name: A\n    steps:\n      - ''\n", 5, "empty"),
    ("text-too-long", "title: T\ntechniques:\n  - name: A\n    steps:\n      - " + "word " * 400 + "\n", 5, "more than 1000"),
    ("technique-no-name", "title: T\ntechniques:\n  - steps: [Hi]\n", 3, "no 'name'"),
    ("technique-is-text", "title: T\ntechniques:\n  - just words\n", 3, "mapping"),
    ("music-missing-file", "title: T\nmusic: {file: nowhere.mp3}\ntechniques:\n  - name: A\n", 2, "does not exist"),
    ("music-url", "title: T\nmusic: {file: 'http://example.com/a.mp3'}\ntechniques:\n  - name: A\n", 2, "not a local file"),
    ("music-level-range", "title: T\nmusic: {level: 10}\ntechniques:\n  - name: A\n", 2, "outside -60 to 0"),
    ("music-number", "title: T\nmusic: 5\ntechniques:\n  - name: A\n", 2, "music is"),
    ("bad-language", "title: T\nlanguage: 'english please'\ntechniques:\n  - name: A\n", 2, "language code"),
    ("cover-not-image", "title: T\ncover: notes.txt\ntechniques:\n  - name: A\n", 2, "JPEG or PNG"),
    ("pronunciations-list", "title: T\npronunciations: [a, b]\ntechniques:\n  - name: A\n", 2, "mapping of word"),
    ("yaml-syntax", "title: T\ntechniques:\n  - name: A\n   steps: [x\n", 4, "not valid YAML"),
    ("yaml-unclosed-quote", 'title: "T\ntechniques: []\n', 1, "not valid YAML"),
    ("yaml-tab-indent", "title: T\ntechniques:\n\t- name: A\n", 3, "not valid YAML"),
    ("yaml-colon-in-text", "title: T\ntechniques:\n  - name: A\n    steps:\n      - Note: this: breaks\n", 5, "not valid YAML"),
    ("yaml-alias", "title: &t T\ntechniques:\n  - name: *t\n", 1, "anchors and aliases"),
    ("billion-laughs", "a: &a [x, x, x]\nb: &b [*a, *a, *a]\nc: [*b, *b]\ntitle: T\n", 1, "anchors and aliases"),
    ("python-tag", "title: !!python/object/apply:os.system ['echo hacked']\ntechniques: []\n", 1, "tag"),
    ("custom-tag", "title: !secret T\ntechniques:\n  - name: A\n", 1, "tag"),
    ("binary-tag", "title: !!binary aGVsbG8=\ntechniques:\n  - name: A\n", 1, "tag"),
    ("set-tag", "title: T\ntechniques: !!set {a, b}\n", 2, "tag"),
    ("deep-nesting", "title: T\ntechniques: " + "[" * 200 + "]" * 200 + "\n", 2, "nested more than"),
    ("two-documents", "title: T\ntechniques:\n  - name: A\n---\ntitle: U\n", 4, "not valid YAML"),
    ("non-utf8", b"title: caf\xe9\ntechniques:\n  - name: A\n", 1, "not UTF-8"),
    ("binary-file", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", 1, "binary"),
    ("control-chars", "title: \"T\\x07\"\ntechniques:\n  - name: A\n", 1, "control characters"),
    ("title-list", "title: [a, b]\ntechniques:\n  - name: A\n", 1, "should be text"),
    ("year-range", "title: T\nyear: 12\ntechniques:\n  - name: A\n", 2, "outside 1900–2100"),
    ("says-nothing", "title: T\ntechniques:\n  - name: A\n    announce: false\n    cue: none\n", 3, "says nothing"),
    ("key-not-text", "title: T\n[1, 2]: x\ntechniques:\n  - name: A\n", 2, "must be a word"),
    ("null-value", "title:\ntechniques:\n  - name: A\n", 1, "should be text"),
]


@pytest.mark.parametrize(("content", "line", "words"), [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_bad_routine_gets_one_clear_located_line(tmp_path: Path, content: str | bytes, line: int, words: str) -> None:
    path = tmp_path / "bad.yaml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(RoutineError) as caught:
        load_routine(path)
    problems = caught.value.problems
    assert problems, "an error must carry at least one problem"
    for problem in problems:
        text = str(problem)
        assert LINE.match(text), text
        assert "\n" not in text and "Traceback" not in text
        assert text.startswith(str(path))
    first = problems[0]
    assert words in str(first), str(first)
    assert first.line == line, str(first)


def test_all_problems_reported_in_one_pass(write_routine):
    path = write_routine("title: T\nnarration: {rate: 9, volme: 1}\ntechniques:\n  - name: A\n    repetitons: 3\n    sides: both\n")
    with pytest.raises(RoutineError) as caught:
        load_routine(path)
    lines = [p.line for p in caught.value.problems]
    assert len(lines) == 4 and lines == sorted(lines)


def test_folder_missing_and_huge_files(tmp_path):
    with pytest.raises(RoutineError, match="folder"):
        load_routine(tmp_path)
    with pytest.raises(RoutineError, match="no such file"):
        load_routine(tmp_path / "missing.yaml")
    huge = tmp_path / "huge.yaml"
    huge.write_text("title: T\n" + "# padding\n" * 200_000)
    with pytest.raises(RoutineError, match="at most 1 MiB"):
        load_routine(huge)


def test_python_tag_is_never_executed(tmp_path):
    marker = tmp_path / "hacked"
    path = tmp_path / "evil.yaml"
    path.write_text(f"title: !!python/object/apply:os.system ['touch {marker}']\ntechniques: []\n")
    with pytest.raises(RoutineError):
        load_routine(path)
    assert not marker.exists()
