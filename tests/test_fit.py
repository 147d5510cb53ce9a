"""Fitting a routine to a length is pure: routines, clip lengths and a target in, chosen values out. No audio here."""

from __future__ import annotations

import pytest

from voiceguide.errors import LimitError, RoutineError
from voiceguide.plan import build_plan, load_routine, script, utterances
from voiceguide.plan.fit import MIN_FACTOR, TOLERANCE_S, Fitted, at_repetitions, first_lines, fit
from voiceguide.routine.limits import MAX_CUES


def lengths(routine, *more):
    """A made-up clip length for every line of ``routine`` at any of its repetitions: 60 ms per character."""
    lines = first_lines(routine) + [u for r in more for u in utterances(script(r))]
    for t in routine.techniques:
        if t.repetitions_range:
            for n in range(t.repetitions_range[0], t.repetitions_range[1] + 1):
                lines += utterances(script(at_n(routine, t, n)))
    return {u: 0.06 * len(u.spoken) for u in lines}


def at_n(routine, technique, n):
    from dataclasses import replace

    return replace(routine, techniques=tuple(replace(t, repetitions=n) if t is technique else t for t in routine.techniques))


def planned(fitted: Fitted, durations):
    events = script(fitted.routine)
    return build_plan(fitted.routine, events, durations)


RANGED = """
title: Fit
intro:
  - say: Welcome, and settle in.
    pause: 2s
techniques:
  - name: Toe press
    steps:
      - say: Press your toes.
        pause: 1s..3s
    repetitions: 4..8
    hold: 3s..10s
    rest: 1s
    sides: each
    side_pause: 2s
    pause_after: 2s
  - name: Arch
    chime: true
    steps:
      - Stroke the arch.
    cue: none
    hold: 5s
outro:
  - Done.
"""


@pytest.fixture
def ranged(write_routine):
    return load_routine(write_routine(RANGED))


@pytest.mark.parametrize("target", [60.0, 90.0, 121.0, 180.0, 300.0, 1200.0])
def test_the_plan_lasts_the_target(ranged, target):
    durations = lengths(ranged)
    fitted = fit(ranged, target, durations)
    assert not fitted.missing
    assert fitted.length_s == pytest.approx(target, abs=1e-6)
    assert planned(fitted, durations).duration_s == pytest.approx(target, abs=1e-6)


def test_speech_keeps_its_length_and_order(ranged):
    durations = lengths(ranged)
    fitted = fit(ranged, 200.0, durations)
    said = [c for c in planned(fitted, durations).cues if c.kind != "pause"]
    assert all(c.end_s - c.start_s == pytest.approx(durations[c.utterance] if c.utterance else 3.0) for c in said)
    assert [c.text for c in said][:3] == ["Welcome, and settle in.", "Toe press.", "Press your toes."]


def test_values_stay_within_their_ranges(ranged):
    durations = lengths(ranged)
    for target in (50.0, 70.0, 150.0, 400.0, 3000.0):
        toe = fit(ranged, target, durations).routine.techniques[0]
        assert 3.0 <= toe.hold_s <= 10.0
        assert 4 <= toe.repetitions <= 8
        assert 1.0 <= toe.steps[0].seconds <= 3.0


def test_pauses_without_a_range_stretch_by_one_factor(ranged):
    durations = lengths(ranged)
    fitted = fit(ranged, 400.0, durations)
    r = fitted.routine
    assert r.intro[0].seconds == pytest.approx(2.0 * fitted.factor)
    assert r.techniques[0].rest_s == pytest.approx(1.0 * fitted.factor)
    assert r.techniques[0].pause_after_s == pytest.approx(2.0 * fitted.factor)
    assert r.techniques[1].hold_s == pytest.approx(5.0 * fitted.factor)
    assert r.techniques[0].side_pause_s == 2.0  # the time to change feet is not a pause that stretches


def test_repetitions_follow_the_length(ranged):
    durations = lengths(ranged)
    reps = [fit(ranged, t, durations).routine.techniques[0].repetitions for t in (45.0, 80.0, 110.0, 140.0, 200.0, 600.0)]
    assert reps == sorted(reps)
    assert reps[0] == 4 and reps[-1] == 8


def test_without_a_length_a_range_plays_at_its_middle(ranged):
    toe = ranged.techniques[0]
    assert (toe.repetitions, toe.hold_s, toe.steps[0].seconds) == (6, 6.5, 2.0)
    assert (toe.repetitions_range, toe.hold_range, toe.steps[0].pause_range) == ((4, 8), (3.0, 10.0), (1.0, 3.0))


def test_the_fit_shows_what_changed(ranged):
    fitted = fit(ranged, 300.0, lengths(ranged))
    shown = {(c.part, c.what): str(c) for c in fitted.changes}
    assert shown[("Toe press", "repetitions")] == "repetitions 4..8 → 8"
    assert shown[("Toe press", "hold")] == "hold 3s..10s → 10s"
    assert shown[("Arch", "hold")].startswith("hold 5s → ")
    data = fitted.to_json()
    assert data["target_s"] == 300.0
    assert {"part": "Toe press", "what": "repetitions", "from": 6, "to": 8, "range": [4.0, 8.0]} in data["changes"]


def test_a_length_too_short_is_one_line_with_the_shortest_and_longest(ranged):
    durations = lengths(ranged)
    shortest = fit(ranged, 100.0, durations).shortest_s
    with pytest.raises(LimitError) as err:
        fit(ranged, shortest - 5, durations)
    message = str(err.value)
    assert "\n" not in message
    assert "cannot fit the session into" in message and " can last from " in message
    assert fit(ranged, shortest, durations).routine.techniques[0].repetitions == 4


def test_a_length_too_long_for_the_ranges_is_refused(write_routine):
    routine = load_routine(write_routine("title: T\ntechniques:\n  - name: A\n    repetitions: 2..4\n    hold: 2s..4s\n"))
    durations = lengths(routine)
    fitted = fit(routine, 10.0, durations)
    with pytest.raises(LimitError, match=r"can last from \d+s to \d+s"):
        fit(routine, fitted.longest_s + 2 * TOLERANCE_S, durations)


def test_a_length_between_two_numbers_of_repetitions_is_refused(write_routine):
    # nothing stretches but the repetitions: only some lengths can be made
    text = "title: T\ntechniques:\n  - name: A\n    repetitions: 2..20\n    cue: 'Press now, number {n}, and hold.'\n"
    routine = load_routine(write_routine(text))
    durations = lengths(routine)
    made = {n: planned_at(routine, n, durations) for n in (5, 6)}
    assert made[6] - made[5] > 2 * TOLERANCE_S
    assert fit(routine, made[5], durations).routine.techniques[0].repetitions == 5
    assert fit(routine, made[6] + 0.5, durations).routine.techniques[0].repetitions == 6
    with pytest.raises(LimitError, match="but not between"):
        fit(routine, (made[5] + made[6]) / 2, durations)


def planned_at(routine, n, durations):
    version = at_n(routine, routine.techniques[0], n)
    return build_plan(version, script(version), durations).duration_s


def test_lines_a_new_count_needs_are_estimated_then_listed(ranged):
    durations = {u: 0.06 * len(u.spoken) for u in first_lines(ranged)}
    fitted = fit(ranged, 140.0, durations)
    assert fitted.repetitions == (7, 1)
    assert [u.text for u in fitted.missing] == ["Seven, last one."]  # not among the first lines
    more = {**durations, **{u: 0.06 * len(u.spoken) for u in fitted.missing}}
    again = fit(ranged, 140.0, more, repetitions=fitted.repetitions)
    assert not again.missing
    assert again.length_s == pytest.approx(140.0, abs=1e-6)


def test_first_lines_cover_the_fewest_and_most_repetitions(ranged):
    texts = {u.text for u in first_lines(ranged)}
    assert {"Four, last one.", "Six, last one.", "Eight, last one.", "Seven."} <= texts


def test_pauses_never_vanish(ranged):
    fitted = fit(ranged, fit(ranged, 100.0, lengths(ranged)).shortest_s, lengths(ranged))
    assert fitted.factor >= MIN_FACTOR
    assert fitted.routine.techniques[1].hold_s > 0


def test_a_routine_length_is_read(write_routine):
    routine = load_routine(write_routine("title: T\nlength: 20m\ntechniques:\n  - name: A\n"))
    assert routine.length_s == 1200.0


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("    hold: 12s..5s", "hold 12s..5s goes from longer to shorter — write the shorter length first: 5s..12s"),
        ("    repetitions: 6..", "repetitions '6..' is not a whole number or a range of them"),
        ("    repetitions: 10..6", "repetitions 10..6 goes from more to fewer"),
        ("    repetitions: 0..6", "repetitions 0..6 is outside 1–1000"),
        ("    rest: 1s..3x", "rest '1s..3x' is not a duration or a range of durations"),
        ("    pause_after: 1s..3h", "pause_after ends at 3h, longer than 2h"),
        ("    steps:\n      - pause: 5s..2s", "pause 5s..2s goes from longer to shorter"),
    ],
)
def test_bad_ranges_are_located_one_line_problems(write_routine, line, message):
    path = write_routine(f"title: T\ntechniques:\n  - name: A\n{line}\n")
    with pytest.raises(RoutineError) as err:
        load_routine(path)
    assert len(err.value.problems) == 1
    problem = err.value.problems[0]
    assert message in str(problem)
    assert problem.line == 3 + line.count("\n") + 1


@pytest.mark.parametrize(("value", "message"), [("0", "length is 0s"), ("5h", "length is 5h, longer than 4h")])
def test_bad_lengths_are_located(write_routine, value, message):
    with pytest.raises(RoutineError, match=message):
        load_routine(write_routine(f"title: T\nlength: {value}\ntechniques:\n  - name: A\n"))


@pytest.mark.slow  # walks 150,000 cues
def test_repetitions_at_the_top_of_their_ranges_keep_the_cue_limit(write_routine):
    technique = "  - name: A\n    repetitions: 1..1000\n    hold: 0.1s\n    sides: each\n"
    path = write_routine("title: T\ntechniques:\n" + technique * 30)
    with pytest.raises(RoutineError, match=f"passes the limit of {MAX_CUES:,} cues"):
        load_routine(path)
    at_top = at_repetitions(load_routine(write_routine("title: T\ntechniques:\n" + technique, "one.yaml")), 1)
    assert at_top.techniques[0].repetitions == 1000


def test_the_schema_takes_ranges_and_a_length():
    import json
    from importlib import resources

    import jsonschema
    import yaml

    schema = json.loads(resources.files("voiceguide.routine").joinpath("schema.json").read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    validator.validate({**yaml.safe_load(RANGED), "length": "20m"})
    for bad in ({"hold": "5s..", "name": "A"}, {"repetitions": "6..x", "name": "A"}, {"repetitions": 0, "name": "A"}):
        assert list(validator.iter_errors({"title": "T", "techniques": [bad]}))
