"""The built-in routines, followed with eyes closed: time to change feet, the hands placed again for the second
foot, the last repetition always marked, long holds ended aloud, toes numbered the same way everywhere.

The measurements of the whole mix on every built-in routine (swells between lines, chimes
against the voice, where the bed's energy lies, loudness, ducking, timing) build five long
sessions several times over, so they run only when asked:

    VOICEGUIDE_ROUTINE_MIX=1 pytest tests/test_mix_routines.py -s

and print one line of figures per routine.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest
from audio_checks import RATE, ebur128, mono, onset_s, rms_dbfs, span
from mix_checks import band_share, chime_levels, gap_rises, hold_spans, seam_roughness, separate

from voiceguide.ffmpeg import ffmpeg_exe
from voiceguide.plan import Event, load_routine, repetition_cue, script, speech_of
from voiceguide.routine import Routine, builtin_routines
from voiceguide.routine.model import DEFAULT_SWITCH_PAUSE_S, Technique

ENGLISH = [name for name, path in builtin_routines().items() if load_routine(path).language == "en"]
LONG_HOLD_S = 8.0


@pytest.fixture(scope="module", params=ENGLISH)
def routine(request: pytest.FixtureRequest) -> Routine:
    return load_routine(builtin_routines()[request.param])


def test_there_are_five_english_routines() -> None:
    assert len(ENGLISH) == 5


def sided(routine: Routine) -> list[tuple[int, Technique]]:
    return [(chapter, t) for chapter, t in enumerate(routine.techniques, start=1) if t.sides == "each"]


def switching(events: list[Event], chapter: int, side: str) -> list[Event]:
    """The events from the switch cue to the second foot's first repetition cue."""
    inside = [e for e in events if e.chapter == chapter and e.mark is not None and e.mark.side == side]
    first = next(i for i, e in enumerate(inside) if e.kind == "speech")
    last = next(i for i, e in enumerate(inside) if e.kind == "speech" and e.mark is not None and e.mark.n >= 1)
    return inside[first:last]


def test_time_to_change_feet(routine: Routine) -> None:
    """After the switch cue, and the hands placed again, at least 6 s before the first count."""
    events = script(routine)
    short = {}
    for chapter, t in sided(routine):
        second = "left" if t.first_side == "right" else "right"
        moving = switching(events, chapter, second)
        quiet = sum(e.seconds for e in moving[[i for i, e in enumerate(moving) if e.kind == "speech"][-1] :] if e.kind == "pause")
        if quiet < DEFAULT_SWITCH_PAUSE_S:
            short[t.name] = quiet
    assert short == {}


def test_the_switch_says_where_the_hands_go(routine: Routine) -> None:
    events = script(routine)
    for chapter, t in sided(routine):
        second = "left" if t.first_side == "right" else "right"
        said = [e.utterance.text for e in switching(events, chapter, second) if e.utterance is not None]
        assert len(said) == 2 and t.switch_hands is not None and said[1] == t.switch_hands, t.name


def test_the_last_repetition_is_always_marked(routine: Routine) -> None:
    speech = speech_of(routine)
    unmarked = []
    for t in routine.techniques:
        if t.repetitions > 1 and repetition_cue(t, 1, speech):
            plain = repetition_cue(dataclasses.replace(t, last_cue=""), t.repetitions, speech)
            if repetition_cue(t, t.repetitions, speech) == plain:
                unmarked.append(t.name)
    assert unmarked == []


def test_long_holds_end_with_a_spoken_release(routine: Routine) -> None:
    assert [t.name for t in routine.techniques if t.hold_s > LONG_HOLD_S and not t.release] == []


def test_toe_one_is_the_big_toe(routine: Routine) -> None:
    """Counting toes goes from the big toe to the little toe, in every routine."""
    for t in routine.techniques:
        if t.cue.lower().startswith("toe {n}"):
            assert "little toe" in (t.last_cue or ""), t.name
            starts = " ".join(s.text for s in t.steps) + (t.side_start or "")
            assert "big toe" in starts and "starting at the little toe" not in starts, t.name


@pytest.mark.parametrize(
    ("keys", "seconds"),
    [("", DEFAULT_SWITCH_PAUSE_S), (", side_pause: 2s", 2.0), (", side_pause: 2s, switch: {say: Other foot., pause: 9s}", 9.0)],
    ids=["default", "side_pause for both feet", "the switch's own"],
)
def test_time_to_change_feet_in_any_routine(tmp_path: Path, keys: str, seconds: float) -> None:
    path = tmp_path / "sides.yaml"
    path.write_text(f"title: T\ntechniques:\n  - {{name: A, sides: each, repetitions: 2, hold: 1s{keys}}}\n", encoding="utf-8")
    events = script(load_routine(path))
    after_switch = events[next(i for i, e in enumerate(events) if e.mark is not None and e.mark.side == "left") + 1]
    assert (after_switch.kind, after_switch.seconds) == ("pause", seconds)


# --------------------------------------------------------------------- the mix, measured on each routine

measured = pytest.mark.skipif(not os.environ.get("VOICEGUIDE_ROUTINE_MIX"), reason="five long sessions: set VOICEGUIDE_ROUTINE_MIX=1")


def decode32(path: Path) -> np.ndarray:
    """A decoded build as float32 frames × 2 (sessions are long: half the memory of float64)."""
    raw = subprocess.run(
        [ffmpeg_exe(), "-nostdin", "-v", "error", "-i", str(path), "-f", "s16le", "-ac", "2", "-ar", str(RATE), "pipe:1"],
        capture_output=True,
        check=True,
        timeout=300,
    ).stdout
    return np.frombuffer(raw, dtype="<i2").reshape(-1, 2).astype(np.float32) / np.float32(32768)


def bed_file(path: Path, bed: np.ndarray) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(np.rint(np.clip(bed, -1, 1) * 32767).astype("<i2").tobytes())
    return path


@measured
@pytest.mark.slow
@pytest.mark.parametrize("name", ENGLISH)
def test_the_whole_mix(name: str, tmp_path: Path) -> None:
    """The issue's measures on the build a listener gets, and on the same routine built over the bed and over the
    bed inverted (the default bed written to a file: same level and ducking), which separates music from speech."""
    from voiceguide.build import BuildOptions, build
    from voiceguide.render.beds import BUILTIN, generated_bed

    figures: dict[str, object] = {"routine": name}
    listener = build(name, BuildOptions(output=tmp_path / f"{name}.mp3"))
    loudness = ebur128(listener.path)
    audio = decode32(listener.path)
    chimes = chime_levels(audio, listener.plan)
    holds = np.concatenate([span(audio, a, b) for a, b in hold_spans(listener.plan)])
    seams, ordinary = seam_roughness(audio, listener.plan, generated_bed(BUILTIN, RATE).shape[0] / RATE)
    figures.update(
        lufs=loudness.integrated_lufs,
        dbtp=loudness.true_peak_dbtp,
        chimes=len(chimes.chimes),
        chime_over_median_line_db=round(chimes.loudest_over_lines_db, 1),
        hold_share_300_6k=round(band_share(holds), 3),
        seams_in_holds=len(seams),
        worst_seam_roughness=round(max(seams, default=0.0), 2),
        ordinary_roughness_p99=round(ordinary, 2),
    )
    del audio, holds
    bed = generated_bed(BUILTIN, RATE)
    builds = [
        build(name, BuildOptions(output=tmp_path / f"{sign}.mp3", music=bed_file(tmp_path / f"{sign}.wav", factor * bed)))
        for sign, factor in (("plus", 1.0), ("minus", -1.0))
    ]
    stems = separate(builds[0].plan, decode32(builds[0].path), decode32(builds[1].path))
    gaps = [g.rise_db for g in gap_rises(stems.music, stems.plan)]
    full = float(np.median([rms_dbfs(mono(span(stems.music, a, b))) for a, b in hold_spans(stems.plan)]))
    lines = [
        (c.start_s, c.end_s) for c in stems.plan.cues if c.kind == "speech" and c.start_s > 3.0 and c.end_s < stems.plan.duration_s - 4
    ]
    starts = [c.start_s for c in stems.plan.cues if c.kind == "speech"]
    onsets = [onset_s(stems.speech, max(0.0, s - 0.1)) for s in starts]
    figures.update(
        gaps=len(gaps),
        gaps_over_4db=sum(1 for g in gaps if g > 4.0),
        max_rise_db=round(max(gaps), 1),
        min_duck_db=round(min(full - rms_dbfs(mono(span(stems.music, a, b))) for a, b in lines), 1),
        min_speech_over_music_db=round(
            min(rms_dbfs(mono(span(stems.speech, a, b))) - rms_dbfs(mono(span(stems.music, a, b))) for a, b in lines), 1
        ),
        max_onset_error_ms=round(1000 * max(abs(o - s) for o, s in zip(onsets, starts, strict=True) if o is not None)),
    )
    print(json.dumps(figures))
    assert figures["gaps_over_4db"] == 0
    assert max(seams, default=0.0) <= ordinary  # no loop seam stands out from the music around it
    assert chimes.loudest_over_lines_db <= 0.0
    assert band_share(np.concatenate([span(stems.music, a, b) for a, b in hold_spans(stems.plan)])) >= 0.25
    assert loudness.integrated_lufs == pytest.approx(-16.0, abs=1.0) and loudness.true_peak_dbtp <= -1.0
    assert figures["min_duck_db"] >= 8.0 and figures["min_speech_over_music_db"] >= 20.0  # type: ignore[operator]
    assert None not in onsets and figures["max_onset_error_ms"] <= 80  # type: ignore[operator]
