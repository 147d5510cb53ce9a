"""The planner is pure: routines plus clip durations in, a timeline out. No audio here."""

from __future__ import annotations

import itertools

import pytest

from voiceguide.errors import LimitError
from voiceguide.plan import NO_OVERRIDES, build_plan, load_routine, script, utterances
from voiceguide.routine import Narration


def fake_durations(events):
    """A made-up clip length per utterance: 60 ms per character."""
    return {u: 0.06 * len(u.spoken) for u in utterances(events)}


def plan_of(path, overrides=NO_OVERRIDES):
    routine = load_routine(path)
    events = script(routine, overrides)
    return routine, events, build_plan(routine, events, fake_durations(events))


ROUTINE = """
title: Plan test
pronunciations:
  plantar: plan tar
intro:
  - Welcome.
  - pause: 2s
precautions:
  - Be gentle with your plantar fascia.
techniques:
  - name: Toe press
    chime: true
    steps:
      - Press your toes.
    repetitions: 3
    hold: 4s
    rest: 1s
    release: Release.
    sides: each
    pause_after: 3s
  - name: Arch stroke
    steps:
      - say: Stroke the arch.
        pause: 1s
    repetitions: 2
    cue: none
    hold: 2s
outro:
  - Done.
"""


def test_timeline_is_sorted_gap_free_and_ends_at_total(write_routine):
    _, _, plan = plan_of(write_routine(ROUTINE))
    assert plan.cues[0].start_s == 0
    for before, after in itertools.pairwise(plan.cues):
        assert after.start_s == before.end_s
        assert before.end_s > before.start_s
    assert plan.cues[-1].end_s == plan.duration_s
    assert [c.title for c in plan.chapters] == ["Introduction", "Toe press", "Arch stroke", "Closing"]
    assert plan.chapters[0].start_s == 0 and plan.chapters[-1].end_s == plan.duration_s
    for before, after in itertools.pairwise(plan.chapters):
        assert after.start_s == before.end_s


def test_holds_start_when_their_cue_ends(write_routine):
    _, _, plan = plan_of(write_routine(ROUTINE))
    cues = list(plan.cues)
    spoken = [c.text for c in cues if c.kind == "speech"]
    assert spoken[:7] == [
        "Welcome.",
        "Be gentle with your plantar fascia.",
        "Toe press.",
        "Press your toes.",
        "Start with your right foot.",
        "One.",
        "Release.",
    ]
    one = next(i for i, c in enumerate(cues) if c.text == "One.")
    hold = cues[one + 1]
    assert hold.kind == "pause" and hold.start_s == cues[one].end_s and hold.end_s - hold.start_s == pytest.approx(4.0)
    assert "Three, last one." in spoken and "Now switch to your left foot." in spoken
    assert spoken.count("Release.") == 6  # three repetitions on each foot
    name = next(i for i, c in enumerate(cues) if c.text == "Toe press.")
    assert cues[name - 1].kind == "chime"  # the chime comes before the technique's name


def test_total_is_exactly_the_sum_of_parts(write_routine):
    _, events, plan = plan_of(write_routine(ROUTINE))
    durations = fake_durations(events)
    expected = sum(durations[e.utterance] if e.utterance else e.seconds for e in events)
    assert plan.duration_s == pytest.approx(expected, abs=1e-9)


def test_pronunciations_change_the_spoken_words_only(write_routine):
    _, events, _ = plan_of(write_routine(ROUTINE))
    u = next(u for u in utterances(events) if "fascia" in u.text)
    assert "plantar" in u.text and "plan tar" in u.spoken


def test_command_line_rate_overrides_every_level(write_routine):
    path = write_routine(ROUTINE.replace("    pause_after: 3s\n", "    pause_after: 3s\n    narration: {rate: 200}\n"))
    routine = load_routine(path)
    assert {u.rate for u in utterances(script(routine))} == {150, 200}
    assert {u.rate for u in utterances(script(routine, Narration(rate=120)))} == {120}


def test_plan_json_shape(write_routine):
    _, _, plan = plan_of(write_routine(ROUTINE))
    data = plan.to_json()
    assert set(data) == {"title", "language", "duration_s", "chapters", "cues"}
    assert data["language"] == "en"
    assert {c["kind"] for c in data["cues"]} == {"speech", "pause", "chime"}
    assert all(("text" in c) == (c["kind"] == "speech") for c in data["cues"])


def test_session_longer_than_the_limit_is_refused(write_routine):
    path = write_routine("title: Long\ntechniques:\n  - name: A\n    repetitions: 1000\n    hold: 1h\n")
    with pytest.raises(LimitError, match="limit"):
        plan_of(path)
