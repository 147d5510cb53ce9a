"""Routine files: good ones load with their defaults, bad ones get one clear located line each."""

from __future__ import annotations

import contextlib
import errno
import os
import re
import socket
import subprocess
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from installed import VOICEGUIDE
from yaml.nodes import Node

from voiceguide.errors import LimitError, RoutineError
from voiceguide.plan import build_plan, load_routine, script, utterances
from voiceguide.routine import Routine, Step, builtin_routines
from voiceguide.routine.checks import MAX_PROBLEMS
from voiceguide.routine.limits import MAX_COVER_BYTES, MAX_FILE_BYTES, MAX_TEXT
from voiceguide.routine.yamlsafe import YamlReject, compose

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
    assert t.narration.rate == 120 and t.last_cue == ""  # a custom cue has no last cue of its own
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
    ("volume-out-of-range", "title: T\nnarration: {volume: 2}\ntechniques:\n  - name: A\n", 2, "outside 0.1 to 1"),
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
    ("step-yes-no", "title: T\ntechniques:\n  - name: A\n    steps: [yes, no]\n", 4, "YAML reads the word 'yes' as true"),
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
    ("yaml-unclosed-quote", 'title: "T\ntechniques: []\n', 1, "never closed"),
    ("yaml-tab-indent", "title: T\ntechniques:\n\t- name: A\n", 3, "a tab in the indentation"),
    (
        "yaml-colon-in-text",
        "title: T\ntechniques:\n  - name: A\n    steps:\n      - Note: this: breaks\n",
        5,
        'put the line in quotes: - "Note: this: breaks"',
    ),
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
    ("control-chars", 'title: "T\\x07"\ntechniques:\n  - name: A\n', 1, "control characters"),
    ("title-list", "title: [a, b]\ntechniques:\n  - name: A\n", 1, "should be text"),
    ("year-range", "title: T\nyear: 12\ntechniques:\n  - name: A\n", 2, "outside 1900–2100"),
    ("says-nothing", "title: T\ntechniques:\n  - name: A\n    announce: false\n    cue: none\n", 3, "says nothing"),
    ("key-not-text", "title: T\n[1, 2]: x\ntechniques:\n  - name: A\n", 2, "must be a word"),
    ("null-value", "title:\ntechniques:\n  - name: A\n", 1, "should be text"),
    # --- hardening: syntax ---
    ("yaml-unclosed-flow-list", "title: T\ntechniques: [\n  {name: A}\n", 2, "never closed"),
    ("yaml-unclosed-flow-map", "title: T\ntechniques:\n  - {name: A\n", 3, "not valid YAML"),
    ("yaml-bad-indent", "title: T\ntechniques:\n  - name: A\n     steps: [Hi]\n", 4, "not valid YAML"),
    ("yaml-raw-control-char", "title: T\x07\ntechniques:\n  - name: A\n", 1, "U+0007"),
    ("yaml-raw-delete-char", "title: T\ntechniques:\n  - name: A\x7f\n", 3, "U+007F"),
    ("yaml-noncharacter", "title: T\ntechniques:\n  - name: \ufffe\n", 3, "U+FFFE"),
    ("yaml-bad-directive", "%YAML 2.0\n---\ntitle: T\ntechniques:\n  - name: A\n", 1, "not valid YAML"),
    ("yaml-long-simple-key", "title: T\n" + "k" * 2000 + ": x\ntechniques:\n  - name: A\n", 2, "not valid YAML"),
    ("yaml-directive-tag", "%TAG !e! tag:example.com,2000:\n---\ntitle: !e!x T\ntechniques:\n  - name: A\n", 3, "tag"),
    ("yaml-merge-key", "base: &b {name: A}\ntitle: T\ntechniques:\n  - <<: *b\n", 1, "anchors and aliases"),
    ("yaml-anchor-only", "title: &t T\ntechniques:\n  - name: A\n", 1, "anchors and aliases"),
    ("yaml-complex-key", "? [a, b]\n: x\ntitle: T\ntechniques:\n  - name: A\n", 1, "must be a word"),
    ("yaml-three-documents", "---\ntitle: T\ntechniques:\n  - name: A\n---\n---\n", 5, "a second document"),
    # --- types ---
    ("tag-int-on-text", "title: T\ntechniques:\n  - name: A\n    repetitions: !!int ten\n", 4, "not a valid int"),
    ("tag-float-on-text", "title: T\ntechniques:\n  - name: A\n    hold: !!float abc\n", 4, "not a valid float"),
    ("tag-bool-on-text", "title: T\ntechniques:\n  - name: A\n    chime: !!bool maybe\n", 4, "not a valid bool"),
    ("tag-map-on-scalar", "title: !!map x\ntechniques:\n  - name: A\n", 1, "!!map is on a single value"),
    ("tag-seq-on-mapping", "title: T\ntechniques: !!seq {a: 1}\n", 2, "!!seq is on a mapping"),
    ("tag-str-on-list", "title: !!str [a]\ntechniques:\n  - name: A\n", 1, "!!str is on a list"),
    ("tag-timestamp-on-list", "title: T\ntechniques:\n  - !!timestamp [a]\n", 3, "!!timestamp is on a list"),
    ("rate-float", "title: T\nnarration: {rate: 150.5}\ntechniques:\n  - name: A\n", 2, "whole number"),
    ("rate-bool", "title: T\nnarration: {rate: yes}\ntechniques:\n  - name: A\n", 2, "whole number"),
    ("volume-nan", "title: T\nnarration: {volume: .nan}\ntechniques:\n  - name: A\n", 2, "should be a number"),
    ("hold-infinite", "title: T\ntechniques:\n  - name: A\n    hold: .inf\n", 4, "duration"),
    ("hold-mapping", "title: T\ntechniques:\n  - name: A\n    hold: {a: 1}\n", 4, "duration"),
    ("narration-text", "title: T\nnarration: loud\ntechniques:\n  - name: A\n", 2, "mapping of keys"),
    ("technique-narration-number", "title: T\ntechniques:\n  - name: A\n    narration: 5\n", 4, "mapping of keys"),
    ("music-list", "title: T\nmusic: [a]\ntechniques:\n  - name: A\n", 2, "mapping of keys"),
    ("music-true", "title: T\nmusic: true\ntechniques:\n  - name: A\n", 2, "music is true"),
    ("steps-mapping", "title: T\ntechniques:\n  - name: A\n    steps: {say: hi}\n", 4, "should be a list"),
    ("intro-text", "title: T\nintro: Welcome\ntechniques:\n  - name: A\n", 2, "should be a list"),
    ("techniques-null", "title: T\ntechniques:\n", 2, "should be a list"),
    ("technique-null", "title: T\ntechniques:\n  -\n", 3, "mapping of keys"),
    ("pronunciation-list-value", "title: T\npronunciations: {a: [x]}\ntechniques:\n  - name: A\n", 2, "should be text"),
    ("key-yes", "title: T\nyes: 1\ntechniques:\n  - name: A\n", 2, "must be a word"),
    ("key-null", "title: T\n~: 1\ntechniques:\n  - name: A\n", 2, "must be a word"),
    ("key-number", "title: T\n12: x\ntechniques:\n  - name: A\n", 2, "must be a word"),
    ("key-with-newline", '"ti\\ntle": 1\ntitle: T\ntechniques:\n  - name: A\n', 1, "unknown key 'ti\\ntle'"),
    ("sides-with-newline", 'title: T\ntechniques:\n  - name: A\n    sides: "bo\\nth"\n', 4, "'bo\\nth'"),
    ("escaped-nul-in-title", 'title: "a\\0b"\ntechniques:\n  - name: A\n', 1, "control characters"),
    ("escaped-c1-in-title", 'title: "a\\x85b"\ntechniques:\n  - name: A\n', 1, "control characters"),
    ("escaped-surrogate-in-step", 'title: T\ntechniques:\n  - name: A\n    steps: ["a\\ud800"]\n', 4, "control characters"),
    ("invisible-title", 'title: "\\u200b\\u00a0"\ntechniques:\n  - name: A\n', 1, "no visible characters"),
    # --- ranges and limits ---
    ("volume-negative", "title: T\nnarration: {volume: -0.1}\ntechniques:\n  - name: A\n", 2, "outside 0.1 to 1"),
    ("rate-too-low", "title: T\nnarration: {rate: 79}\ntechniques:\n  - name: A\n", 2, "outside 80–450"),
    ("gap-too-long", "title: T\nnarration: {gap: 11s}\ntechniques:\n  - name: A\n", 2, "longer than 10s"),
    ("side-pause-too-long", "title: T\ntechniques:\n  - name: A\n    sides: each\n    side_pause: 61s\n", 5, "longer than 1m"),
    ("hold-just-over-2h", "title: T\ntechniques:\n  - name: A\n    hold: 1h59m61s\n", 4, "longer than 2h"),
    ("step-pause-negative", "title: T\ntechniques:\n  - name: A\n    steps:\n      - {say: Hi, pause: -1}\n", 5, "duration"),
    ("chime-too-short", "title: T\ntechniques:\n  - name: A\n    steps:\n      - chime: 0.1s\n", 5, "too short"),
    ("chime-too-long", "title: T\ntechniques:\n  - name: A\n    steps:\n      - chime: 2m\n", 5, "longer than 1m"),
    ("year-text", "title: T\nyear: soon\ntechniques:\n  - name: A\n", 2, "whole number"),
    ("title-201-chars", "title: " + "x" * 201 + "\ntechniques:\n  - name: A\n", 1, "more than 200"),
    ("description-4001-chars", "title: T\ndescription: " + "x" * 4001 + "\ntechniques:\n  - name: A\n", 2, "more than 4000"),
    ("release-1001-chars", "title: T\ntechniques:\n  - name: A\n    release: " + "x" * 1001 + "\n", 4, "more than 1000"),
    ("name-201-chars", "title: T\ntechniques:\n  - name: " + "x" * 201 + "\n", 3, "more than 200"),
    ("language-too-long", "title: T\nlanguage: en-aaaaaaaa-bbbbbbbb-cccccccc\ntechniques:\n  - name: A\n", 2, "more than 20"),
    ("number-5000-digits", "title: T\ntechniques:\n  - name: A\n    repetitions: " + "9" * 5000 + "\n", 4, "5000 digits"),
    ("title-5000-digits", "title: " + "9" * 5000 + "\ntechniques:\n  - name: A\n", 1, "5000 digits"),
    ("repetitions-float-huge", "title: T\ntechniques:\n  - name: A\n    repetitions: 1.0e400\n", 4, "whole number"),
    ("cue-format-width", "title: T\ntechniques:\n  - name: A\n    repetitions: 2\n    cue: '{n:>999999999}'\n", 5, "formatted placeholder"),
    ("cue-format-code", "title: T\ntechniques:\n  - name: A\n    repetitions: 2\n    cue: '{n:d}'\n", 5, "formatted placeholder"),
    ("cue-conversion", "title: T\ntechniques:\n  - name: A\n    repetitions: 2\n    cue: '{total!r}'\n", 5, "formatted placeholder"),
    ("switch-format", "title: T\ntechniques:\n  - name: A\n    sides: each\n    switch: '{side:x}'\n", 5, "formatted placeholder"),
    ("cue-attribute", "title: T\ntechniques:\n  - name: A\n    cue: '{n.upper}'\n", 4, "unknown placeholder {n.upper}"),
    ("cue-positional", "title: T\ntechniques:\n  - name: A\n    cue: 'Press {}'\n", 4, "unknown placeholder {}"),
    (
        "cue-many-placeholders",
        "title: T\ntechniques:\n  - name: A\n    cue: '" + "{n}" * 40 + "'\n",
        4,
        "once its placeholders are filled in",
    ),
    ("pauses-over-4h", "title: T\ntechniques:\n  - name: A\n  - name: B\n    repetitions: 3\n    hold: 2h\n", 4, "4h session limit"),
    (
        "cues-over-limit",
        "title: T\nnarration: {gap: 0}\ntechniques:\n" + "  - {name: A, repetitions: 1000, sides: each, release: Go}\n" * 30,
        28,  # each technique makes about 4,000 cues: the 25th (line 28) passes 100,000
        "limit of 100,000 cues in this part",
    ),
    # --- missing and misspelled keys ---
    ("title-capitalised", "Title: T\ntechniques:\n  - name: A\n", 1, "did you mean 'title'"),
    ("technique-singular", "title: T\ntechnique:\n  - name: A\n", 1, "no 'techniques'"),
    ("narrator-for-narration", "title: T\nnarrator: {rate: 100}\ntechniques:\n  - name: A\n", 2, "did you mean 'narration'"),
    ("step-pause-misspelled", "title: T\ntechniques:\n  - name: A\n    steps:\n      - puase: 3s\n", 5, "did you mean 'pause'"),
    ("narration-key-misspelled", "title: T\nnarration: {voise: en-us}\ntechniques:\n  - name: A\n", 2, "did you mean 'voice'"),
    ("music-key-misspelled", "title: T\nmusic: {fiel: a.mp3}\ntechniques:\n  - name: A\n", 2, "did you mean 'file'"),
    ("empty-key", "title: T\n'': 1\ntechniques:\n  - name: A\n", 2, "unknown key ''"),
    ("step-empty-mapping", "title: T\ntechniques:\n  - name: A\n    steps:\n      - {}\n", 5, "is empty"),
    ("name-only-spaces", "title: T\ntechniques:\n  - name: '   '\n", 3, "is empty"),
    # --- music and cover paths ---
    ("music-folder", "title: T\nmusic: {file: .}\ntechniques:\n  - name: A\n", 2, "is a folder"),
    ("music-device", "title: T\nmusic: /dev/null\ntechniques:\n  - name: A\n", 2, "is a device"),
    ("music-concat-protocol", "title: T\nmusic: 'concat:a.mp3|b.mp3'\ntechniques:\n  - name: A\n", 2, "not a local file"),
    ("music-url-uppercase", "title: T\nmusic: {file: 'HTTPS://x/a.mp3'}\ntechniques:\n  - name: A\n", 2, "not a local file"),
    ("music-name-with-nul", 'title: T\nmusic: "a\\0b.mp3"\ntechniques:\n  - name: A\n', 2, "control characters"),
    ("music-name-too-long-for-the-system", "title: T\nmusic: " + "a" * 300 + ".mp3\ntechniques:\n  - name: A\n", 2, "cannot be used"),
    ("music-name-over-4096", "title: T\nmusic: " + "a" * 5000 + ".mp3\ntechniques:\n  - name: A\n", 2, "more than 4096"),
    ("cover-missing", "title: T\ncover: x.png\ntechniques:\n  - name: A\n", 2, "does not exist"),
    ("cover-folder", "title: T\ncover: sub.png/\ntechniques:\n  - name: A\n", 2, "does not exist"),
    # --- encodings ---
    ("utf16-with-bom", "title: T\ntechniques:\n  - name: A\n".encode("utf-16"), 1, "UTF-16"),
    ("utf8-surrogate-bytes", b"title: T\ntechniques:\n  - name: \xed\xa0\x80\n", 3, "not UTF-8"),
    ("utf8-overlong", b"title: T\xc0\xaf\ntechniques:\n  - name: A\n", 1, "not UTF-8"),
    ("latin1-on-line-3", b"title: T\ntechniques:\n  - name: Caf\xe9\n", 3, "not UTF-8"),
    ("nul-byte-in-text", b"title: T\x00\ntechniques:\n  - name: A\n", 1, "binary"),
    ("random-binary", bytes(range(256)) * 4, 1, "binary"),
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


# --- hardening: files that are valid in an unusual shape ------------------------------------


def _without_lines(routine: Routine) -> Routine:
    """The routine with every recorded line number set to 0 (to compare files that differ only in layout)."""

    def steps(items: tuple[Step, ...]) -> tuple[Step, ...]:
        return tuple(replace(s, line=0) for s in items)

    return replace(
        routine,
        source=Path("routine.yaml"),
        intro=steps(routine.intro),
        precautions=steps(routine.precautions),
        outro=steps(routine.outro),
        music=replace(routine.music, line=0),
        techniques=tuple(replace(t, line=0, steps=steps(t.steps)) for t in routine.techniques),
    )


VALID_SHAPES = {
    "crlf": GOOD.replace("\n", "\r\n").encode(),
    "cr-only": GOOD.replace("\n", "\r").encode(),
    "bom": b"\xef\xbb\xbf" + GOOD.encode(),
    "bom-crlf": b"\xef\xbb\xbf" + GOOD.replace("\n", "\r\n").encode(),
    "yaml-directive": ("%YAML 1.1\n---" + GOOD).encode(),
    "document-markers": ("---" + GOOD + "...\n").encode(),
    "no-final-newline": GOOD.rstrip("\n").encode(),
    "trailing-spaces-and-comments": GOOD.replace("\n", "   # note\n").replace("# note\n", "\n", 1).encode(),
}


@pytest.mark.parametrize("content", list(VALID_SHAPES.values()), ids=list(VALID_SHAPES))
def test_line_endings_bom_and_markers_do_not_change_the_routine(tmp_path: Path, content: bytes) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    plain = tmp_path / "a" / "routine.yaml"
    plain.write_text(GOOD, encoding="utf-8")
    shaped = tmp_path / "b" / "routine.yaml"
    shaped.write_bytes(content)
    assert _without_lines(load_routine(shaped)) == _without_lines(load_routine(plain))


@pytest.mark.parametrize("newline", ["\r\n", "\r"], ids=["crlf", "cr"])
def test_problem_lines_are_right_with_other_line_endings(tmp_path: Path, newline: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_bytes("title: T\nnarration: {rate: 900}\ntechniques:\n  - name: A\n    hold: 5 secs\n".replace("\n", newline).encode())
    with pytest.raises(RoutineError) as caught:
        load_routine(path)
    assert [p.line for p in caught.value.problems] == [2, 5]


def test_crlf_file_gives_the_same_problem_lines_as_its_lf_twin(tmp_path: Path) -> None:
    content, line, _ = next((c, ln, w) for i, c, ln, w in BAD if i == "yaml-syntax")
    assert isinstance(content, str)
    path = tmp_path / "bad.yaml"
    path.write_bytes(content.replace("\n", "\r\n").encode())
    with pytest.raises(RoutineError) as caught:
        load_routine(path)
    assert caught.value.problems[0].line == line


# --- hardening: things that are not routine files ------------------------------------------


def _load_within(path: Path, release: list[Path], seconds: float = 20.0) -> BaseException | None:
    """load_routine(path) in a thread; fail (after unblocking any FIFO in ``release``) if it does not return in time."""
    outcome: dict[str, BaseException | None] = {}

    def run() -> None:
        try:
            load_routine(path)
            outcome["error"] = None
        except BaseException as err:  # noqa: BLE001 -- handed to the test
            outcome["error"] = err

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        for fifo in release:  # a writer appearing lets a blocked reader see end-of-file
            with contextlib.suppress(OSError):
                os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        thread.join(5)
        pytest.fail(f"load_routine({path.name}) blocked for {seconds:.0f} s")
    return outcome["error"]


def _special_file(kind: str, tmp_path: Path) -> tuple[Path, list[Path]]:
    """A path of the given kind and the FIFOs a blocked reader would wait on."""
    path = tmp_path / "routine.yaml"
    if kind == "fifo":
        os.mkfifo(path)
        return path, [path]
    if kind == "symlink-to-fifo":
        os.mkfifo(tmp_path / "pipe")
        path.symlink_to(tmp_path / "pipe")
        return path, [tmp_path / "pipe"]
    if kind == "device":
        path.symlink_to(os.devnull)
    elif kind == "socket":
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.bind(str(path))
        sock.close()
    elif kind == "symlink-loop":
        path.symlink_to(tmp_path / "other.yaml")
        (tmp_path / "other.yaml").symlink_to(path)
    elif kind == "dangling-symlink":
        path.symlink_to(tmp_path / "gone.yaml")
    elif kind == "folder-named-yaml":
        path.mkdir()
    elif kind == "sparse-5-gib":
        with path.open("wb") as handle:
            handle.truncate(5 * 1024**3)  # no disk used; only the size says 5 GiB
    elif kind == "file-under-a-file":
        (tmp_path / "plain").write_text("x")
        path = tmp_path / "plain" / "routine.yaml"
    return path, []


SPECIAL = [
    ("fifo", "named pipe (FIFO)"),
    ("symlink-to-fifo", "named pipe (FIFO)"),
    ("device", "a device"),
    ("socket", "a socket"),
    ("symlink-loop", "Too many levels of symbolic links"),
    ("dangling-symlink", "no such file"),
    ("folder-named-yaml", "folder"),
    ("sparse-5-gib", "at most 1 MiB"),
    ("file-under-a-file", "no such file"),
]


@pytest.mark.parametrize(("kind", "words"), SPECIAL, ids=[k for k, _ in SPECIAL])
def test_special_files_are_refused_at_once(tmp_path: Path, kind: str, words: str) -> None:
    path, fifos = _special_file(kind, tmp_path)
    start = time.monotonic()
    error = _load_within(path, fifos)
    assert time.monotonic() - start < 5
    assert isinstance(error, RoutineError), error
    (problem,) = error.problems
    assert words in str(problem) and LINE.match(str(problem)) and (problem.line, problem.column) == (1, 1)


def test_validate_does_not_hang_on_a_fifo(tmp_path: Path) -> None:
    fifo = tmp_path / "routine.yaml"
    os.mkfifo(fifo)
    try:
        done = subprocess.run([*VOICEGUIDE, "validate", str(fifo)], capture_output=True, text=True, timeout=60, check=False)
    finally:
        with contextlib.suppress(OSError):
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        f"{fifo}:1:1: this is a named pipe (FIFO), not a routine file — save the routine as a file and name that file"
    ]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a file whatever its mode")
def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "routine.yaml"
    path.write_text(GOOD)
    path.chmod(0)
    with pytest.raises(RoutineError, match="permission denied"):
        load_routine(path)


def test_permission_denied_is_one_located_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same refusal as for an unreadable file, simulated (tests run as root, where chmod 000 does not stop reading)."""
    path = tmp_path / "routine.yaml"
    path.write_text(GOOD)
    real_open = os.open

    def refusing_open(name: object, flags: int, *args: object, **kwargs: object) -> int:
        if Path(str(name)) == path:
            raise PermissionError(errno.EACCES, "Permission denied", str(name))
        return real_open(name, flags, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", refusing_open)
    with pytest.raises(RoutineError) as caught:
        load_routine(path)
    assert [str(p) for p in caught.value.problems] == [f"{path}:1:1: the file cannot be read (permission denied) — check its permissions"]


def test_size_limit_is_exactly_1_mib(tmp_path: Path) -> None:
    head = "title: T\ntechniques:\n  - name: A\n"
    path = tmp_path / "routine.yaml"
    path.write_text(head + "#" * (MAX_FILE_BYTES - len(head) - 1) + "\n")
    assert path.stat().st_size == MAX_FILE_BYTES
    assert load_routine(path).title == "T"
    path.write_text(head + "#" * (MAX_FILE_BYTES - len(head)) + "\n")
    with pytest.raises(RoutineError, match="at most 1 MiB"):
        load_routine(path)


def _just_under_1_mib(head: str, repeated: str) -> str:
    text = head + repeated * (MAX_FILE_BYTES // len(repeated))
    return text[: text.rindex("\n", 0, MAX_FILE_BYTES - 1) + 1]


HUGE = {
    "many-steps": ("title: T\ntechniques:\n  - name: A\n    steps:\n", "      - Press the arch gently and breathe out.\n"),
    "many-unknown-keys": ("title: T\n", "titel: x\n"),
    "many-bad-techniques": ("title: T\ntechniques:\n", "  - {name: A, repetitons: 3, hold: 5 secs}\n"),
    "many-techniques": ("title: T\ntechniques:\n", "  - {name: A, repetitions: 2, hold: 1s, steps: [Press., {pause: 1s}]}\n"),
    "flow-list-never-closed": ("title: T\ntechniques: [\n", "{name: A}, {name: B}, {name: C}, {name: D},\n"),
    "one-huge-line": ("title: T\ntechniques:\n  - name: ", "word " * 1000),
}


@pytest.mark.slow
@pytest.mark.parametrize("head, repeated", list(HUGE.values()), ids=list(HUGE))
def test_files_near_the_size_limit_are_handled_quickly(tmp_path: Path, head: str, repeated: str) -> None:
    path = tmp_path / "routine.yaml"
    path.write_text(_just_under_1_mib(head, repeated))
    start = time.monotonic()
    try:
        load_routine(path)
    except RoutineError as err:
        assert 1 <= len(err.problems) <= MAX_PROBLEMS + 1
        assert all(p.line >= 1 and "\n" not in str(p) for p in err.problems)
    assert time.monotonic() - start < 30  # about 5 s at worst here, alone; other tests share the machine


# --- hardening: limits on what a session may hold ----------------------------------------


def test_pauses_beyond_4_hours_are_refused_before_narration(write_routine):
    path = write_routine("title: Long\ntechniques:\n  - name: A\n    repetitions: 1000\n    hold: 1h\n")
    with pytest.raises(RoutineError) as caught:
        load_routine(path)
    assert isinstance(caught.value, LimitError)  # also a limit: callers catching either see it
    (problem,) = caught.value.problems
    assert (problem.line, "4h session limit") == (3, "4h session limit") and "4h session limit" in problem.message
    assert LINE.match(str(problem))


def test_a_session_of_exactly_4_hours_of_pauses_loads(write_routine):
    path = write_routine("title: Long\ntechniques:\n  - name: A\n    repetitions: 2\n    hold: 2h\n    rest: 0s\n    announce: false\n")
    assert load_routine(path).techniques[0].hold_s == 7200


def test_millions_of_cues_are_refused_in_a_moment(tmp_path: Path):
    """A 16 KB file can ask for 2 million repetitions; planning them took 20 s and 300 MB before this limit."""
    path = tmp_path / "routine.yaml"
    path.write_text(
        "title: T\ntechniques:\n" + "".join(f"  - {{name: A{i}, repetitions: 1000, sides: each, release: Go}}\n" for i in range(200))
    )
    start = time.monotonic()
    with pytest.raises(RoutineError, match=r"session limit|limit of 100,000 cues"):
        load_routine(path)
    assert time.monotonic() - start < 5


def test_speech_that_pushes_a_session_past_4_hours_is_a_limit_error(write_routine):
    """Only the planner knows how long speech lasts: it refuses the session with one located line."""
    path = write_routine(
        "title: Long\ntechniques:\n  - name: A\n    repetitions: 1000\n    hold: 14s\n    cue: none\n    release: Let go.\n"
    )
    routine = load_routine(path)
    events = script(routine)
    with pytest.raises(LimitError) as caught:
        build_plan(routine, events, dict.fromkeys(utterances(events), 1.0))
    message = str(caught.value)
    assert "\n" not in message and message.startswith(str(path)) and "4 h limit" in message


def test_one_step_of_1000_characters_is_the_longest_line(write_routine):
    ok = write_routine("title: T\ntechniques:\n  - name: A\n    steps:\n      - " + "x" * 1000 + "\n")
    assert len(load_routine(ok).techniques[0].steps[0].text) == MAX_TEXT
    bad = write_routine("title: T\ntechniques:\n  - name: A\n    steps:\n      - " + "x" * 1001 + "\n", "bad.yaml")
    with pytest.raises(RoutineError, match="1001 characters long, more than 1000"):
        load_routine(bad)


def test_thousands_of_problems_are_summed_up(tmp_path: Path):
    path = tmp_path / "routine.yaml"
    path.write_text("title: T\ntechniques:\n  - name: A\n" + "".join(f"titel{i}: x\n" for i in range(5000)))
    with pytest.raises(RoutineError) as caught:
        load_routine(path)
    problems = caught.value.problems
    assert len(problems) == MAX_PROBLEMS + 1
    assert "and 4,900 more problems from here on, not listed" in str(problems[-1])


def test_libyaml_and_python_parsers_agree_on_every_bad_case():
    """Events come from libyaml when present; the nodes and errors must not depend on it."""
    for name, content, _line, _words in BAD:
        if isinstance(content, bytes):
            continue
        outcomes = []
        for fast in (True, False):
            try:
                outcomes.append(_shape(compose(content, fast=fast)))
            except (YamlReject, yaml.YAMLError) as err:
                outcomes.append((type(err).__name__, str(err)))
        assert outcomes[0] == outcomes[1], name


def _shape(node: object) -> object:
    if node is None:
        return None
    assert isinstance(node, Node)
    mark = (node.tag, node.start_mark.line, node.start_mark.column)
    if isinstance(node.value, list):
        return (
            mark,
            [
                (_shape(k), _shape(v)) if isinstance(k, Node) else _shape(k)
                for k, v in (i if isinstance(i, tuple) else (i, None) for i in node.value)
            ],
        )
    return (mark, node.value)


def _png(path: Path) -> Path:
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    return path


COVERS = [
    ("text-named-png", lambda d: (d / "cover.png").write_text("not an image"), "not a JPEG or PNG file inside"),
    ("huge", lambda d: os.truncate(_png(d / "cover.png"), MAX_COVER_BYTES + 1), "more than 16 MiB"),
    ("fifo", lambda d: os.mkfifo(d / "cover.png"), "is a named pipe (FIFO), not a file"),
    ("folder", lambda d: (d / "cover.png").mkdir(), "is a folder, not a file"),
    ("device", lambda d: (d / "cover.png").symlink_to("/dev/zero"), "is a device, not a file"),
]


@pytest.mark.parametrize(("make", "words"), [c[1:] for c in COVERS], ids=[c[0] for c in COVERS])
def test_cover_that_is_not_an_image_file_is_a_located_problem(tmp_path: Path, make: object, words: str) -> None:
    """The cover goes into the MP3 as it is: it must be a real, reasonably small JPEG or PNG file."""
    assert callable(make)
    make(tmp_path)
    path = tmp_path / "routine.yaml"
    path.write_text("title: T\ncover: cover.png\ntechniques:\n  - name: A\n")
    error = _load_within(path, [tmp_path / "cover.png"])
    assert isinstance(error, RoutineError), error
    (problem,) = error.problems
    assert problem.line == 2 and words in problem.message, str(problem)


def test_real_cover_image_is_accepted(tmp_path: Path) -> None:
    sof0 = b"\xff\xc0\x00\x11\x08\x00\x10\x00\x10\x03\x01\x22\x00\x02\x11\x01\x03\x11\x01"  # 16 × 16, three components
    (tmp_path / "cover.jpg").write_bytes(b"\xff\xd8" + sof0 + bytes(100))
    path = tmp_path / "routine.yaml"
    path.write_text("title: T\ncover: cover.jpg\ntechniques:\n  - name: A\n")
    assert load_routine(path).cover == tmp_path / "cover.jpg"


def test_validate_lists_a_session_limit_like_any_problem_and_goes_on(tmp_path: Path) -> None:
    long = tmp_path / "long.yaml"
    long.write_text("title: Long\ntechniques:\n  - name: A\n    repetitions: 1000\n    hold: 1h\n")
    bad = tmp_path / "bad.yaml"
    bad.write_text("title: T\ntechniques:\n  - name: A\n    repetitons: 3\n")
    done = subprocess.run([*VOICEGUIDE, "validate", str(long), str(bad)], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 1
    lines = done.stderr.splitlines()
    assert len(lines) == 2 and lines[0].startswith(f"{long}:3:1: ") and lines[1].startswith(f"{bad}:4:5: "), lines
