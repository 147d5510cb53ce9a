"""Routines that crash, hang or run away: found at load, each as one located line.

Lines with nothing a narrator can say (punctuation or marks alone, volume 0, a
pronunciation that leaves a full stop), a session of 0 s, respellings that are regular
expression syntax, pronunciations that expand (a chain of respellings, a thousand
entries on a thousand repetitions), a cover that only looks like an image, a session
that passes 4 h only once its speech is measured, and command-line numbers in other
digits. Last, random routines built for real: each builds or is refused in one line.
"""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import pytest
import yaml
from audio_checks import decode
from click.testing import CliRunner
from hostile import assert_refused, run
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import voiceguide.cli.commands  # noqa: F401  (registers the subcommands)
from voiceguide.cli import cli
from voiceguide.errors import LimitError, RoutineError
from voiceguide.plan import build_plan, load_routine, script, utterances
from voiceguide.routine.limits import MAX_PRONUNCIATIONS, MAX_SPOKEN
from voiceguide.routine.pronounce import respell

FAST = settings(max_examples=300, deadline=None, database=None)


def write(folder: Path, text: str, name: str = "routine.yaml") -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def problems_of(path: Path) -> list[str]:
    """The located problems of a routine that must not load (each checked to be one located line)."""
    with pytest.raises(RoutineError) as caught:
        load_routine(path)
    lines = [str(p) for p in caught.value.problems]
    for line in lines:
        assert re.match(rf"{re.escape(str(path))}:\d+:\d+: ", line) and "\n" not in line, line
    return lines


# --------------------------------------------------------------- pronunciations: literal, one pass, bounded


def reference_respell(text: str, pairs: tuple[tuple[str, str], ...]) -> str:
    """The meaning of a pronunciation list, slowly: at each word start, the longest entry that ends at a word end."""
    out, i = [], 0
    by_length = sorted(pairs, key=lambda p: -len(p[0]))
    while i < len(text):
        if i == 0 or not re.match(r"\w", text[i - 1]):
            for word, say in by_length:
                piece = text[i : i + len(word)]
                end = i + len(word)
                if (
                    len(piece) == len(word)
                    and re.fullmatch(re.escape(word), piece, re.IGNORECASE)
                    and not re.match(r"\w", text[end : end + 1])
                ):
                    out.append(say)
                    i = end
                    break
            else:
                out.append(text[i])
                i += 1
            continue
        out.append(text[i])
        i += 1
    return "".join(out)


TOKENS = st.sampled_from(["a", "ab", "abc", "b", "toe", "Toe", "big toe", "\\1", "\\g<0>", "\\", "$", "(", ".", "é", "ǅ", "ß", "İ", "-"])
PAIRS = st.lists(st.tuples(TOKENS, st.text(st.sampled_from(list("ab \\1g<0>$()")), min_size=1, max_size=6)), max_size=6).map(
    lambda ps: tuple({w.lower(): (w, s) for w, s in ps}.values())
)
TEXTS = st.lists(st.one_of(TOKENS, st.sampled_from([" ", " ", ", ", ". ", "x"])), max_size=20).map("".join)


@given(TEXTS, PAIRS)
@FAST
def test_respelling_is_literal_one_pass_and_longest_first(text: str, pairs: tuple[tuple[str, str], ...]) -> None:
    assert respell(text, pairs) == reference_respell(text, pairs)


@pytest.mark.parametrize("say", ["\\1", "a\\", "\\g<0>\\g<0>", "$1", "\\n", "(?P<x>)"])
def test_respellings_in_regular_expression_syntax_are_said_as_written(say: str) -> None:
    assert respell("Press your toes, toes.", (("toes", say),)) == f"Press your {say}, {say}."


def test_a_chain_of_respellings_is_not_followed() -> None:
    chain = tuple((f"w{i}", f"w{i + 1} w{i + 1}") for i in range(30))  # followed, w0 would become 2**30 words
    assert respell("w0", chain) == "w1 w1"


def test_a_chain_bomb_file_loads_at_once_and_stays_small(tmp_path: Path) -> None:
    chain = "\n".join(f"  w{i}: w{i + 1} w{i + 1} w{i + 1}" for i in range(40))
    path = write(tmp_path, f"title: Bomb\npronunciations:\n{chain}\ntechniques:\n  - name: T\n    cue: w0 {{n}}\n    repetitions: 1000\n")
    routine = load_routine(path)  # no minutes of work, no gigabytes: one pass, one pattern
    spoken = {u.spoken for u in utterances(script(routine))}
    assert max(map(len, spoken)) < 100


def test_more_pronunciations_than_the_limit_are_located_at_the_first_one_past_it(tmp_path: Path) -> None:
    entries = "\n".join(f"  word{i}: say {i}" for i in range(MAX_PRONUNCIATIONS + 500))
    path = write(
        tmp_path, f"title: Many\npronunciations:\n{entries}\ntechniques:\n  - name: T\n    steps: [Hello.]\n    repetitions: 1000\n"
    )
    (line,) = problems_of(path)
    assert f":{MAX_PRONUNCIATIONS + 3}:3: pronunciations has more than {MAX_PRONUNCIATIONS:,} entries" in line


def test_a_line_that_grows_past_the_limit_is_located_at_its_step(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        f"title: Grow\npronunciations:\n  a: {'b' * 200}\ntechniques:\n  - name: T\n    steps:\n      - Hello.\n      - {'a ' * 20}\n",
    )
    (line,) = problems_of(path)
    assert ":8:9: " in line and f"more than {MAX_SPOKEN:,}" in line


def test_a_generated_line_that_grows_past_the_limit_is_located_at_its_technique(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        f'title: Grow\npronunciations:\n  a: {"b" * 200}\ntechniques:\n  - name: T\n    steps: [Hi.]\n  - name: U\n    cue: "{"a " * 20}{{n}}"\n    repetitions: 3\n',
    )
    (line,) = problems_of(path)
    assert ":7:1: " in line and "once respelled" in line


# --------------------------------------------------------------- nothing to say


SILENT_STEPS = ["'...'", "'—'", "'\u0301\u0302'", "'!?'", "'· · ·'"]


@pytest.mark.parametrize("step", SILENT_STEPS)
def test_a_line_with_nothing_to_say_is_located(step: str, tmp_path: Path) -> None:
    path = write(tmp_path, f"title: Quiet\ntechniques:\n  - name: T\n    steps:\n      - Hello.\n      - {step}\n")
    (line,) = problems_of(path)
    assert ":6:9: " in line and "nothing to say" in line


def test_a_pronunciation_that_leaves_nothing_to_say_is_located(tmp_path: Path) -> None:
    path = write(tmp_path, "title: Quiet\npronunciations:\n  heel: '.'\ntechniques:\n  - name: T\n    steps: [Heel.]\n")
    (line,) = problems_of(path)
    assert ":3:9: " in line and "nothing to say" in line


@pytest.mark.parametrize(
    ("where", "line_col"),
    [("narration: {volume: 0}\n", ":1:21: "), ("techniques:\n  - name: T\n    narration: {volume: 0.0}\n    steps: [Hi.]\n", ":3:25: ")],
)
def test_volume_zero_is_located(where: str, line_col: str, tmp_path: Path) -> None:
    text = where + ("title: Quiet\n" if where.startswith("techniques") else "title: Quiet\ntechniques:\n  - name: T\n    steps: [Hi.]\n")
    lines = problems_of(write(tmp_path, text))
    assert any(line_col in line and "volume" in line for line in lines), lines


def test_a_cue_with_nothing_to_say_is_located_at_its_technique(tmp_path: Path) -> None:
    path = write(tmp_path, "title: Quiet\ntechniques:\n  - name: T\n    cue: '...'\n    repetitions: 3\n")
    (line,) = problems_of(path)
    assert ":3:1: " in line and "nothing to say" in line


def test_a_session_of_zero_seconds_is_located(tmp_path: Path) -> None:
    path = write(tmp_path, "title: Empty\ntechniques:\n  - name: T\n    announce: false\n    cue: none\n    steps:\n      - pause: 0s\n")
    (line,) = problems_of(path)
    assert ":3:1: " in line and "0 s" in line


# --------------------------------------------------------------- the 4 h limit, cover, numbers


LONG = """
title: Long
techniques:
  - name: First
    steps: [Begin.]
    pause_after: 2h
  - name: Second
    steps: [Go on.]
    pause_after: 1h59m55s
  - name: Third
    steps:
      - Here the speech takes the session past four hours.
      - And here too.
"""


def test_the_four_hour_limit_is_located_at_the_technique_that_passes_it(tmp_path: Path) -> None:
    routine = load_routine(write(tmp_path, LONG))  # the silence alone fits: only measured speech passes 4 h
    events = script(routine)
    with pytest.raises(LimitError) as caught:
        build_plan(routine, events, dict.fromkeys(utterances(events), 0.5))
    assert isinstance(caught.value, RoutineError) and str(caught.value).startswith(f"{tmp_path / 'routine.yaml'}:9:1: ")


@pytest.mark.slow
def test_plan_names_the_line_where_the_session_passes_four_hours(tmp_path: Path) -> None:
    write(tmp_path, LONG)
    assert_refused(run("plan", "routine.yaml", cwd=tmp_path), "routine.yaml:9:1: ", "4 h limit")


@pytest.mark.parametrize(
    "data",
    [b"\x89PNG\r\n\x1a\nGARBAGE GARBAGE", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 40, b"\x89PNG\r\n\x1a\n" + b"\x00" * 100],
    ids=["png-signature-only", "jpeg-without-frame", "png-without-header"],
)
def test_a_cover_that_only_looks_like_an_image_is_located_at_validate(data: bytes, tmp_path: Path) -> None:
    (tmp_path / "cover.png").write_bytes(data)
    path = write(tmp_path, "title: Cover\ncover: cover.png\ntechniques:\n  - name: T\n    steps: [Hi.]\n")
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert result.exit_code == 1 and f"{path}:2:8: " in result.output and "cover" in result.output, result.output


@pytest.mark.parametrize("bitrate", ["¹²⁸k", "١٢٨k", "１２８k", "128kk", "0k", "999k", "-5k", "12.8k"])
def test_a_bitrate_in_other_digits_is_a_usage_error(bitrate: str) -> None:
    result = CliRunner().invoke(cli, ["build", "missing.yaml", "--bitrate", bitrate])
    assert result.exit_code == 2 and len(result.output.splitlines()) == 1 and "--bitrate" in result.output, result.output


# --------------------------------------------------------------- random routines, built for real

WORDS = ["Press", "toes", "heel", "breathe", "slowly", "arch", "now", "one", "\\1", "$", "é", "—", "...", "big toe"]
LINE = st.lists(st.sampled_from(WORDS), min_size=1, max_size=4).map(lambda ws: " ".join(ws) + ".")
STEP = st.one_of(
    LINE, st.builds(lambda s, p: {"say": s, "pause": p}, LINE, st.sampled_from(["0s", "0.3s", "1s"])), st.just({"pause": "0.5s"})
)
TECHNIQUE = st.fixed_dictionaries(
    {"name": LINE, "steps": st.lists(STEP, max_size=3)},
    optional={
        "repetitions": st.integers(1, 3),
        "hold": st.sampled_from(["0s", "0.5s"]),
        "rest": st.sampled_from(["0s", "0.4s"]),
        "cue": st.sampled_from(["count", "none", "{n} of {total}.", "...", "{n}"]),
        "sides": st.sampled_from(["once", "each"]),
        "announce": st.booleans(),
        "chime": st.booleans(),
        "release": st.sampled_from(["Release.", "..."]),
        "narration": st.fixed_dictionaries(
            {}, optional={"rate": st.sampled_from([90, 200, 420]), "volume": st.sampled_from([0, 0.05, 0.5, 1])}
        ),
    },
)
ROUTINE = st.fixed_dictionaries(
    {"title": LINE, "music": st.just("none"), "techniques": st.lists(TECHNIQUE, min_size=1, max_size=2)},
    optional={
        "pronunciations": st.dictionaries(
            st.sampled_from(["toes", "heel", "arch", "one", "big toe"]),
            st.sampled_from(["tows", "\\g<0>", ".", "he el", "a\\"]),
            max_size=3,
        ),
        "intro": st.lists(STEP, max_size=2),
    },
)


@pytest.mark.slow
@given(data=ROUTINE)
@settings(max_examples=25, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_random_routines_build_or_are_refused_in_one_located_line(
    data: dict[str, object], tmp_path_factory: pytest.TempPathFactory
) -> None:
    folder = tmp_path_factory.mktemp("random")
    path = folder / "r.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    result = run("build", path.name, "-o", "r.mp3", "--sidecars", cwd=folder)
    if result.code == 0:
        plan = json.loads((folder / "r.plan.json").read_text(encoding="utf-8"))
        assert abs(decode(folder / "r.mp3").shape[0] / 44100 - plan["duration_s"]) < 0.1
    else:
        assert_refused(result, "r.yaml", lines=None)
