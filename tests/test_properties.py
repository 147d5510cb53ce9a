"""Generated hostile routines: whatever the input, the loader and the planner give a plan or a clear error.

The only outcomes allowed: a routine and then a plan (or a LimitError of one line), or a
RoutineError whose problems each name the file, a line and a column from 1, and a
one-line message. Never another exception, whatever the text, structure or bytes.
"""

from __future__ import annotations

import hashlib
import math
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from yaml.nodes import Node

from voiceguide.errors import LimitError, RoutineError
from voiceguide.plan import Plan, build_plan, load_routine, script, utterances
from voiceguide.routine import Routine
from voiceguide.routine.builder import (
    MUSIC_KEYS,
    NARRATION_KEYS,
    ROOT_KEYS,
    STEP_KEYS,
    TECHNIQUE_KEYS,
)
from voiceguide.routine.limits import MAX_SESSION_S
from voiceguide.routine.yamlsafe import YamlReject, compose

pytestmark = pytest.mark.slow  # hundreds of generated routines each

SETTINGS = settings(
    max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("generated")
    (path / "calm.mp3").write_bytes(b"ID3" + bytes(100))  # a music file the routines may name
    (path / "cover.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\x00\x00\x00\x10\x00\x00\x00\x10" + bytes(100))  # 16 × 16
    return path


def load_or_problems(path: Path) -> Routine | None:
    """load_routine(path); a RoutineError must carry located one-line problems (checked here)."""
    try:
        return load_routine(path)
    except RoutineError as err:
        assert err.problems, "a RoutineError without problems"
        for problem in err.problems:
            assert Path(problem.path) == path
            assert problem.line >= 1 and problem.column >= 1
            assert problem.message.strip()
            assert "\n" not in str(problem) and "\r" not in str(problem), repr(str(problem))
        return None


def made_up_duration(u: object, scale: float) -> float:
    """A clip length for an utterance: stable, about 0.07 s a character times ``scale``."""
    spoken = getattr(u, "spoken", "")
    jitter = int(hashlib.sha256(spoken.encode("utf-8", "surrogatepass")).hexdigest()[:4], 16) / 65535
    return scale * (0.2 + 0.07 * len(spoken) * (0.8 + 0.4 * jitter))


def plan_or_limit(routine: Routine, path: Path, scale: float) -> Plan | None:
    """The pure planner with made-up durations: a consistent plan, or a one-line LimitError."""
    events = script(routine)
    lines = utterances(events)
    for u in lines:
        assert u.spoken.strip() and len(u.text) <= 1000
    durations = {u: made_up_duration(u, scale) for u in lines}
    try:
        plan = build_plan(routine, events, durations)
    except LimitError as err:
        message = str(err)
        assert "\n" not in message and message.startswith(str(path)) and "limit" in message
        return None
    assert plan.duration_s <= MAX_SESSION_S
    now = 0.0
    for cue in plan.cues:
        assert cue.start_s == now and cue.end_s >= cue.start_s
        if cue.kind == "speech":
            assert cue.utterance is not None and math.isclose(cue.end_s - cue.start_s, durations[cue.utterance], abs_tol=1e-9)
        now = cue.end_s
    assert math.isclose(now, plan.duration_s)
    starts = [c.start_s for c in plan.chapters]
    assert starts == sorted(starts) and all(c.start_s <= c.end_s for c in plan.chapters)
    assert {c.chapter for c in plan.cues} == set(range(len(plan.chapters)))
    return plan


# --- strategies ---------------------------------------------------------------------------

ALL_KEYS = sorted(set(ROOT_KEYS + TECHNIQUE_KEYS + NARRATION_KEYS + MUSIC_KEYS + STEP_KEYS))
key = st.one_of(st.sampled_from(ALL_KEYS), st.sampled_from(ALL_KEYS).map(lambda k: k[:-1] + k[-1].upper()), st.text(max_size=8))

durations_text = st.one_of(
    st.sampled_from(["5s", "1m30s", "2m", "1h", "500ms", "0", "0s", "2h", "3h", "1.5s", "5 secs", "-3", "1e3", "1:30", ".inf"]),
    st.builds(lambda n, u: f"{n}{u}", st.integers(0, 10_000), st.sampled_from(["s", "m", "h", "ms", ""])),
)
templates = st.sampled_from(
    [
        "count",
        "none",
        "Press {n} of {total}.",
        "{n}",
        "{side}",
        "{n:>9}",
        "{n:d}",
        "{total!r}",
        "{n.x}",
        "{0}",
        "{x}",
        "{",
        "}",
        "{{n}}",
        "{n}" * 40,
        "Now the {side} foot.",
    ]
)
scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**30), 10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    durations_text,
    templates,
    st.sampled_from(
        ["none", "builtin", "each", "once", "left", "right", "en-us", "calm.mp3", "cover.png", "/dev/zero", ".", "http://x/a.mp3"]
    ),
)
anything = st.recursive(
    scalar, lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(key, inner, max_size=4)), max_leaves=12
)

words = st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")), min_size=1, max_size=30)
PLAUSIBLE = {
    "name": st.one_of(words, st.text(min_size=1, max_size=20)),
    "title": st.one_of(words, words, st.text(min_size=1, max_size=20)),
    "repetitions": st.integers(-2, 1200),
    "hold": durations_text,
    "rest": durations_text,
    "pause_after": durations_text,
    "side_pause": durations_text,
    "pause": durations_text,
    "chime": st.one_of(st.booleans(), durations_text),
    "announce": st.booleans(),
    "sides": st.sampled_from(["once", "each", "both"]),
    "first_side": st.sampled_from(["right", "left", "rigth"]),
    "cue": templates,
    "last_cue": templates,
    "side_start": templates,
    "switch": templates,
    "release": words,
    "say": words,
    "rate": st.integers(50, 500),
    "volume": st.floats(-0.5, 1.5),
    "gap": durations_text,
    "voice": st.sampled_from(["en-us", "en", ""]),
    "level": st.floats(-80, 10),
    "file": st.sampled_from(["calm.mp3", "missing.mp3", ".", "http://x/a.mp3"]),
}


def value_for(name: str) -> st.SearchStrategy[object]:
    """Mostly a plausible value for the key, sometimes anything at all."""
    plausible = PLAUSIBLE.get(name)
    return st.one_of(*[plausible] * 8, anything) if plausible is not None else anything


def mapping_of(keys: tuple[str, ...], required: tuple[str, ...] = ()) -> st.SearchStrategy[dict[str, object]]:
    chosen = st.lists(st.sampled_from(keys), unique=True, max_size=6).map(lambda ks: list(dict.fromkeys([*required, *ks])))
    return chosen.flatmap(lambda ks: st.fixed_dictionaries({k: value_for(k) for k in ks}))


step = st.one_of(words, words, words, mapping_of(STEP_KEYS), mapping_of(STEP_KEYS), anything)
steps = st.lists(step, max_size=5)
narration = mapping_of(NARRATION_KEYS)
technique = mapping_of(TECHNIQUE_KEYS, ("name",)).flatmap(
    lambda t: st.fixed_dictionaries(
        {**{k: st.just(v) for k, v in t.items()}, "steps": steps, "narration": st.one_of(narration, anything)}
    ).map(lambda d: {k: v for k, v in d.items() if k in t or k == "steps" or (k == "narration" and len(t) % 3 == 0)})
)
routine_data = st.fixed_dictionaries(
    {"title": PLAUSIBLE["title"], "techniques": st.lists(technique, min_size=1, max_size=4)},
    optional={
        "narration": narration,
        "music": st.one_of(mapping_of(MUSIC_KEYS), st.sampled_from(["none", "builtin", "calm.mp3", "nowhere.mp3"]), anything),
        "intro": steps,
        "outro": steps,
        "precautions": steps,
        "pronunciations": st.one_of(st.dictionaries(st.text(min_size=1, max_size=8), st.text(max_size=12), max_size=3), anything),
        "language": st.sampled_from(["en", "en-us", "english please", ""]),
        "year": st.integers(1800, 2200),
        "cover": st.sampled_from(["cover.png", "missing.png", "notes.txt"]),
        "description": words,
        "author": st.one_of(words, anything),
    },
)

FRAGMENTS = [
    *(f"{k}: " for k in ALL_KEYS),
    "- ",
    "  ",
    "    ",
    "\n",
    "\r\n",
    "\r",
    "\t",
    ": ",
    ":",
    "-",
    "[",
    "]",
    "{",
    "}",
    ",",
    "&a ",
    "*a",
    "!!python/object:os.system ",
    "!!int ",
    "!!binary ",
    "!x ",
    "%YAML 1.1\n",
    "---\n",
    "...\n",
    "#",
    "'",
    '"',
    "\\",
    "|\n",
    ">\n",
    "? ",
    "<<: ",
    "5s",
    "1000",
    "9" * 40,
    "9" * 4400,
    "!!int ten",
    "!!bool maybe",
    "!!map ",
    "yes",
    "~",
    "{n}",
    "{n:d}",
    "{n:>99}",
    "\ufeff",
    "\x00",
    "\x07",
    "\x85",
    "\u2028",
    "é",
    "\ud800",
    '"\\ud800"',
    '"\\n"',
    '"\\0"',
]
yamlish = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=6)), max_size=60).map("".join)


# --- properties ---------------------------------------------------------------------------


@SETTINGS
@given(text=yamlish)
def test_yaml_ish_text(folder: Path, text: str) -> None:
    path = folder / "routine.yaml"
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    routine = load_or_problems(path)
    if routine is not None:
        plan_or_limit(routine, path, 1.0)


@SETTINGS
@given(data=routine_data, scale=st.sampled_from([0.0, 0.01, 1.0, 50.0]))
def test_structures_from_the_allowed_keys(folder: Path, data: dict[str, object], scale: float) -> None:
    path = folder / "routine.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8", errors="surrogatepass")
    routine = load_or_problems(path)
    if routine is not None:
        plan_or_limit(routine, path, scale)


@SETTINGS
@given(blob=st.binary(max_size=400), prefix=st.sampled_from([b"", b"title: T\ntechniques:\n  - name: ", b"\xef\xbb\xbf", b"\xff\xfe"]))
def test_random_bytes(folder: Path, blob: bytes, prefix: bytes) -> None:
    path = folder / "routine.yaml"
    path.write_bytes(prefix + blob)
    routine = load_or_problems(path)
    if routine is not None:
        plan_or_limit(routine, path, 1.0)


def test_generated_structures_are_often_valid(folder: Path) -> None:
    """The structure strategy must reach the planner, not only the error paths."""
    valid = 0

    @settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(data=routine_data)
    def count(data: dict[str, object]) -> None:
        nonlocal valid
        path = folder / "count.yaml"
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8", errors="surrogatepass")
        valid += load_or_problems(path) is not None

    count()
    assert valid >= 3


def _shape(node: Node | None) -> object:
    if node is None:
        return None
    where: tuple[object, ...] = (node.tag, node.start_mark.line, node.start_mark.column)
    if node.value == "" and node.tag.endswith(":null"):
        where = (node.tag,)  # the parsers place an implicit empty value differently (end of line or next line)
    if isinstance(node.value, list):
        return (where, [tuple(_shape(n) for n in item) if isinstance(item, tuple) else _shape(item) for item in node.value])
    return (where, node.value)


@SETTINGS
@given(text=st.one_of(yamlish, routine_data.map(lambda d: yaml.safe_dump(d, allow_unicode=True))))
def test_libyaml_and_python_parsers_give_the_same_nodes(text: str) -> None:
    """Nodes come from libyaml's events when it is present; they must be those of the pure-Python parser.

    Where only one parser reports a YAML error the other's nodes are used (libyaml is the
    more lenient, e.g. with a tab after a value); our own refusals must never differ.
    """
    outcomes = []
    for fast in (True, False):
        try:
            outcomes.append(("nodes", _shape(compose(text, fast=fast))))
        except YamlReject as err:
            outcomes.append(("reject", (err.line, err.column, err.message)))
        except yaml.YAMLError as err:
            outcomes.append(("error", str(err)))
    kinds = {kind for kind, _ in outcomes}
    if kinds in ({"nodes"}, {"reject"}, {"nodes", "reject"}):
        assert outcomes[0] == outcomes[1]
