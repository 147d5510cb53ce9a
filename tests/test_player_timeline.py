"""The player's pure parts: plan marks, timeline look-ups, skip targets, the clock, the screen and the resume store."""

from __future__ import annotations

import json

import pytest

from voiceguide.built.chapters import ChapterMark
from voiceguide.plan import build_plan, load_routine, script, utterances
from voiceguide.player.clock import SessionClock
from voiceguide.player.positions import MIN_RESUME_S, Positions
from voiceguide.player.screen import ASCII, View, log_line, screen_lines
from voiceguide.player.timeline import MIN_PAUSE_BAR_S, RESTART_GRACE_S, Track, moment, next_chapter, previous_target

ROUTINE = """
title: Follow test
music: none
intro:
  - Welcome.
  - pause: 3s
techniques:
  - name: Toe press
    steps:
      - Press your toes.
    repetitions: 2
    hold: 4s
    rest: 1s
    release: Release.
    sides: each
  - name: Arch stroke
    steps:
      - Stroke the arch.
    cue: none
    hold: 2s
outro:
  - Done.
"""


@pytest.fixture
def plan(write_routine):
    routine = load_routine(write_routine(ROUTINE))
    events = script(routine)
    return build_plan(routine, events, {u: 0.05 * len(u.spoken) for u in utterances(events)})


@pytest.fixture
def track(plan):
    return Track.from_plan_json(json.loads(json.dumps(plan.to_json())))  # exactly what the side file holds


def cue_named(plan, text, nth=0):
    return [c for c in plan.cues if c.text == text][nth]


def test_plan_marks_repetitions_sides_and_roles(plan):
    toe = [c for c in plan.cues if c.chapter == 1]
    holds = [c for c in toe if c.mark and c.mark.role == "hold"]
    assert [(c.mark.n, c.mark.of, c.mark.side) for c in holds] == [(1, 2, "right"), (2, 2, "right"), (1, 2, "left"), (2, 2, "left")]
    assert all(c.end_s - c.start_s == pytest.approx(4.0) for c in holds)
    assert [c.mark.side for c in toe if c.mark and c.mark.role == "rest"] == ["right", "left"]
    switch = cue_named(plan, "Now switch to your left foot.")
    assert (switch.mark.n, switch.mark.side) == (0, "left")
    assert cue_named(plan, "Toe press.").mark is None and cue_named(plan, "Done.").mark is None
    data = plan.to_json()["cues"]
    assert {"repetition", "repetitions", "side", "role"} <= set().union(*data)
    assert all("repetition" not in c for c in data if c.get("text") == "Welcome.")


def test_moment_while_speaking_and_holding(plan, track):
    two = cue_named(plan, "Two, last one.", 1)  # left foot, second count
    m = moment(track, (two.start_s + two.end_s) / 2)
    assert m.speaking and m.words == "Two, last one." and m.chapter_title == "Toe press"
    assert m.repetition_text == "Repetition 2 of 2 · left foot"
    assert m.next_words == "Release."
    hold = plan.cues[plan.cues.index(two) + 1]
    m = moment(track, hold.start_s + 1.0)
    assert not m.speaking and m.words == "Two, last one."  # the last line said stays, shown as silent
    assert m.countdown is not None and m.countdown.role == "hold"
    assert m.countdown.left_s == pytest.approx(3.0) and m.countdown.fraction_left == pytest.approx(0.75)
    assert m.position_s + m.remaining_s == pytest.approx(plan.duration_s)


def test_moment_at_every_spoken_cue_shows_its_words(plan, track):
    for cue in plan.cues:
        if cue.kind == "speech":
            m = moment(track, cue.start_s + 0.01)
            assert m.words == cue.text and m.chapter_title == plan.chapters[cue.chapter].title


def test_short_plain_pauses_show_no_countdown_and_long_ones_do(plan, track):
    gap = next(c for c in plan.cues if c.kind == "pause" and c.mark is None and c.end_s - c.start_s < MIN_PAUSE_BAR_S)
    assert moment(track, gap.start_s + 0.1).countdown is None
    intro_pause = next(c for c in plan.cues if c.kind == "pause" and c.end_s - c.start_s == pytest.approx(3.0) and c.chapter == 0)
    assert moment(track, intro_pause.start_s + 0.5).countdown.role == "pause"


def test_start_and_end_are_clamped(plan, track):
    assert moment(track, -5).words == "Welcome." and moment(track, -5).position_s == 0
    end = moment(track, plan.duration_s + 10)
    assert end.finished and end.remaining_s == 0 and end.next_words is None and end.countdown is None


def test_next_and_back(plan, track):
    toe, arch = track.chapters[1].start_s, track.chapters[2].start_s
    assert next_chapter(track, 0.0) == toe
    assert next_chapter(track, toe) == arch  # from a chapter's very start: the one after
    assert next_chapter(track, track.chapters[-1].start_s + 0.1) == track.duration_s
    assert previous_target(track, toe + RESTART_GRACE_S + 1) == toe  # back to this chapter's start
    assert previous_target(track, toe + 1.0) == 0.0  # again, near its start: the chapter before
    assert previous_target(track, 1.0) == 0.0


def test_chapters_only_track():
    track = Track.from_chapters("Old file", [ChapterMark(60.0, "B"), ChapterMark(0.0, "A")], 120.0)
    m = moment(track, 70.0)
    assert (m.chapter, m.chapter_title, m.words, m.countdown) == (1, "B", None, None)
    assert moment(track, 10).next_chapter_title == "B" and next_chapter(track, 10) == 60.0
    assert track.chapters[-1].end_s == 120.0


@pytest.mark.parametrize(
    "data",
    [
        [],
        {"duration_s": "long", "chapters": [], "cues": []},
        {"duration_s": 1.0},
        {"duration_s": 1.0, "chapters": [1], "cues": []},
        {
            "duration_s": 9.0,
            "chapters": [],
            "cues": [{"kind": "pause", "start_s": 5, "end_s": 6}, {"kind": "pause", "start_s": 1, "end_s": 2}],
        },
    ],
)
def test_bad_plan_json_is_a_value_error(data):
    with pytest.raises(ValueError):
        Track.from_plan_json(data)


def test_clock_runs_pauses_seeks_and_stops_at_the_end():
    now = [100.0]
    clock = SessionClock(60.0, now=lambda: now[0])
    assert clock.position() == 0 and not clock.running
    clock.play()
    now[0] += 2.5
    assert clock.position() == pytest.approx(2.5)
    clock.pause()
    now[0] += 10
    assert clock.position() == pytest.approx(2.5)
    clock.seek(30)
    assert clock.position() == 30 and not clock.running  # a paused clock stays paused
    clock.toggle()
    now[0] += 1
    clock.seek(40)
    now[0] += 1
    assert clock.position() == pytest.approx(41)
    now[0] += 100
    assert clock.position() == 60 and clock.finished
    clock.pause()
    clock.play()
    assert not clock.running  # nothing left to play


def test_screen_shows_everything_within_the_width(plan, track):
    two = cue_named(plan, "Two, last one.", 1)
    m = moment(track, two.end_s + 1.0)
    lines = screen_lines(m, View("Follow test", len(plan.chapters)), 50, ASCII, style=False)
    text = "\n".join(lines)
    assert all(len(line) <= 50 for line in lines)
    for expected in (
        "Chapter 2 of 4 · Toe press",
        "Two, last one.",
        "Repetition 2 of 2 · left foot",
        "Hold",
        "3.0 s left",
        "Next: Release.",
    ):
        assert expected in text
    assert "elapsed" in text and "left" in lines[-2] and "q quit" in lines[-1]
    paused = screen_lines(m, View("Follow test", 4, paused=True), 50, ASCII, style=False)
    assert "|| paused" in paused[0]
    assert log_line(moment(track, 0.01)).split() == ["0:00.0", "Introduction", "—", "Welcome."]


def test_positions_remember_per_file_and_forget_a_rebuilt_file(tmp_path):
    audio = tmp_path / "s.mp3"
    audio.write_bytes(b"x" * 10)
    store = Positions(tmp_path / "state")
    assert store.load(audio) is None
    store.save(audio, 42.0, 600.0)
    assert Positions(tmp_path / "state").load(audio) == 42.0
    store.save(audio, MIN_RESUME_S / 2, 600.0)  # stopped right at the start: nothing to resume
    assert store.load(audio) is None
    store.save(audio, 42.0, 600.0)
    audio.write_bytes(b"y" * 11)  # rebuilt
    assert store.load(audio) is None
    (tmp_path / "state" / "positions.json").write_text("{not json", encoding="utf-8")
    assert store.load(audio) is None  # a broken store costs only the offer
