"""Ducking as a listener hears it: a short routine built over a pure tone, measured on the decoded files.

The routine is built twice, over the tone and over the tone inverted, so the music and
the speech can be measured apart (see ``mix_checks.separate``). Lines follow each other
after a breath, after 1 s and 1.5 s pauses and in a fast count, and there are real
pauses the music should come up in.
"""

from __future__ import annotations

import numpy as np
import pytest
from audio_checks import RATE, decode, mono, rms_dbfs, sine_wav, span
from mix_checks import Stems, gap_rises, separate

from voiceguide.build import BuildOptions, build
from voiceguide.render.envelope import DuckShape

pytestmark = pytest.mark.slow  # end-to-end: real builds decoded and measured

ROUTINE = """
title: Ducking check
intro:
  - say: Welcome. Sit comfortably, with your feet on the floor.
    pause: 6s
  - Lift your right foot.
  - Rest it across your left knee.
  - say: Wrap both hands around your ankle.
    pause: 1s
  - say: Breathe out slowly.
    pause: 1.5s
  - say: Good.
    pause: 6s
techniques:
  - name: Quick presses
    repetitions: 5
    hold: 1.5s
    rest: 0.5s
    pause_after: 6s
outro:
  - say: That is the end of the session.
    pause: 4s
"""
TONE_HZ = 220.0
SHAPE = DuckShape()


@pytest.fixture(scope="module")
def stems(tmp_path_factory: pytest.TempPathFactory) -> Stems:
    folder = tmp_path_factory.mktemp("ducking")
    routine = folder / "ducking.yaml"
    routine.write_text(ROUTINE.lstrip("\n"), encoding="utf-8")
    frames = 90 * RATE  # longer than the session: the loop's crossfade stays out of these figures (test_build has it)
    builds = []
    for name, amplitude in (("tone", 0.5), ("inverted", -0.5)):
        music = sine_wav(folder / f"{name}.wav", TONE_HZ, frames, amplitude=amplitude)
        result = build(routine, BuildOptions(output=folder / f"{name}.mp3", music=music))
        builds.append((result.plan, decode(result.path)))
    (plan, mix), (plan_b, inverted) = builds
    assert plan == plan_b
    return separate(plan, mix, inverted)


def speech(stems: Stems) -> list[tuple[float, float]]:
    """The lines, away from the fades."""
    return [
        (c.start_s, c.end_s)
        for c in stems.plan.cues
        if c.kind == "speech" and c.start_s > SHAPE.fade_in_s and c.end_s < stems.plan.duration_s - SHAPE.fade_out_s
    ]


def full_level(stems: Stems) -> float:
    """The music's level in the middle of the pauses it comes up in."""
    pauses = [(c.start_s, c.end_s) for c in stems.plan.cues if c.kind == "pause" and c.end_s - c.start_s >= 6.0]
    return float(np.median([rms_dbfs(mono(span(stems.music, a + 2.0, b - 1.0))) for a, b in pauses]))


def test_no_swell_in_short_gaps_between_lines(stems: Stems) -> None:
    gaps = gap_rises(stems.music, stems.plan, 0.2, 1.5)
    assert {round(g.length_s, 1) for g in gaps} >= {0.6, 1.0, 1.5}  # the routine has what this test is about
    assert {round(g.start_s, 2): round(g.rise_db, 1) for g in gaps if g.rise_db > 1.0} == {}


def test_a_fast_count_holds_the_music_down(stems: Stems) -> None:
    """Counts every two seconds or so: the music stays under them, no dip at each count."""
    counts = gap_rises(stems.music, stems.plan, 1.5, 2.5)
    assert len(counts) >= 4
    assert {round(g.start_s, 2): round(g.rise_db, 1) for g in counts if g.rise_db > 1.0} == {}


def test_music_is_well_under_every_line(stems: Stems) -> None:
    full = full_level(stems)
    depth = {round(a, 2): full - rms_dbfs(mono(span(stems.music, a, b))) for a, b in speech(stems)}
    assert {t: round(d, 1) for t, d in depth.items() if d < 8.0} == {}
    margin = {round(a, 2): rms_dbfs(mono(span(stems.speech, a, b))) - rms_dbfs(mono(span(stems.music, a, b))) for a, b in speech(stems)}
    assert {t: round(m, 1) for t, m in margin.items() if m < 20.0} == {}  # WCAG 1.4.7


def test_music_is_down_when_a_line_starts(stems: Stems) -> None:
    """The music goes down before the voice: its first 50 ms are already over the duck."""
    floor = full_level(stems) - SHAPE.depth_db
    start = {round(a, 2): rms_dbfs(mono(span(stems.music, a, a + 0.05))) - floor for a, _ in speech(stems)}
    assert {t: round(d, 1) for t, d in start.items() if d > 1.0} == {}


def test_music_comes_up_slowly_in_a_real_pause(stems: Stems) -> None:
    """After the voice, the music waits a moment, then rises over hundreds of milliseconds, evenly."""
    full = full_level(stems)
    pause = next(c for c in stems.plan.cues if c.kind == "pause" and c.end_s - c.start_s >= 6.0 and c.start_s > SHAPE.fade_in_s)
    hop = RATE // 100  # 10 ms steps, 20 ms windows
    music = mono(span(stems.music, pause.start_s, pause.start_s + 3.0))
    levels = np.array([rms_dbfs(music[i : i + 2 * hop]) for i in range(0, music.size - 2 * hop, hop)]) - full
    times = np.arange(levels.size) * 0.01 + 0.01
    ten = times[np.argmax(levels > -0.9 * SHAPE.depth_db)]
    ninety = times[np.argmax(levels > -0.1 * SHAPE.depth_db)]
    assert levels[-50:] == pytest.approx(np.zeros(50), abs=1.0)  # up by the end
    assert ten >= 0.1 and ninety - ten >= 0.4
    assert np.abs(np.diff(levels)).max() <= 1.0  # no step of more than 1 dB in 10 ms
