"""A whole build spoken by Kokoro passes the checks the espeak-ng build passes, measured on the decoded file.

Onsets within 80 ms of the plan, silent pauses, a hold that starts when its cue ends,
podcast loudness, one chapter per technique, and the same bytes from an empty clip cache.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from audio_checks import MP3_FRAME, RATE, decode, ebur128, onset_s, rms_dbfs, span
from mutagen.id3 import ID3
from neural import require

from voiceguide.build import BuildOptions, BuildResult, build

pytestmark = pytest.mark.slow

ROUTINE = """
title: Kokoro check
author: voiceguide tests
narration: {engine: kokoro, voice: af_heart}
intro:
  - say: Breathe in slowly, and let your shoulders drop.
    pause: 3s
techniques:
  - name: Toe press
    steps:
      - say: Press your toes down and hold.
        pause: 1s
    repetitions: 2
    hold: 3s
    rest: 1s
  - name: Arch
    steps:
      - say: Stroke the arch with your thumb.
        pause: 2s
outro:
  - say: That is the end of the session.
    pause: 2s
"""


@dataclass(frozen=True)
class Built:
    result: BuildResult
    audio: np.ndarray


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require("kokoro")
    path = tmp_path_factory.mktemp("kokoro-build")
    (path / "check.yaml").write_text(ROUTINE.lstrip("\n"), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def silent(folder: Path) -> Built:
    result = build(folder / "check.yaml", BuildOptions(output=folder / "silent.mp3", music="none"))
    return Built(result, decode(result.path))


@pytest.fixture(scope="module")
def default(folder: Path) -> Built:
    result = build(folder / "check.yaml", BuildOptions(output=folder / "default.mp3"))
    return Built(result, decode(result.path))


def test_every_line_is_spoken_by_kokoro(silent: Built) -> None:
    lines = [c.utterance for c in silent.result.plan.cues if c.utterance is not None]
    assert lines and {(u.engine, u.voice) for u in lines} == {("kokoro", "af_heart")}
    assert {clip.sample_rate for clip in silent.result.session.clips.values()} == {24000}


def test_decoded_length_is_the_planned_length(silent: Built) -> None:
    assert abs(silent.audio.shape[0] - round(silent.result.plan.duration_s * RATE)) <= MP3_FRAME


def test_speech_starts_on_its_cue(silent: Built) -> None:
    starts = [c.start_s for c in silent.result.plan.cues if c.kind == "speech"]
    onsets = [onset_s(silent.audio, max(0.0, a - 0.1), threshold_dbfs=-45.0) for a in starts]
    assert None not in onsets
    assert onsets == pytest.approx(starts, abs=0.080)


def test_pauses_and_holds_are_silent(silent: Built) -> None:
    quiet = [(c.start_s, c.end_s) for c in silent.result.plan.cues if c.kind == "pause" and c.end_s - c.start_s >= 1.0]
    assert len(quiet) >= 5
    levels = {(round(a, 3), round(b, 3)): rms_dbfs(span(silent.audio, a + 0.05, b - 0.05)) for a, b in quiet}
    assert {k: v for k, v in levels.items() if v >= -60.0} == {}


def test_a_hold_starts_the_moment_its_cue_ends(silent: Built) -> None:
    cues = silent.result.plan.cues
    holds = [(cues[i - 1], c) for i, c in enumerate(cues) if c.kind == "pause" and c.end_s - c.start_s == pytest.approx(3.0)]
    assert holds
    for cue, hold in holds:
        assert hold.start_s == cue.end_s
        assert rms_dbfs(span(silent.audio, cue.end_s - 0.15, cue.end_s - 0.01)) > -60.0  # the cue sounds to its very end
        assert rms_dbfs(span(silent.audio, hold.start_s + 0.05, hold.start_s + 0.5)) < -60.0


def test_loudness_and_chapters(default: Built) -> None:
    measured = ebur128(default.result.path)
    assert measured.integrated_lufs == pytest.approx(-16.0, abs=1.0)
    assert measured.true_peak_dbtp <= -1.0
    chapters = sorted(ID3(default.result.path).getall("CHAP"), key=lambda f: f.start_time)
    planned = default.result.plan.chapters
    assert [str(f.sub_frames["TIT2"]) for f in chapters] == [c.title for c in planned]
    assert [f.start_time for f in chapters] == pytest.approx([c.start_s * 1000 for c in planned], abs=1)


def test_a_build_from_an_empty_clip_cache_gives_the_same_bytes(
    silent: Built, folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VOICEGUIDE_CACHE", str(tmp_path / "cache"))
    again = build(folder / "check.yaml", BuildOptions(output=tmp_path / "again.mp3", music="none"))
    assert again.session.synthesised == len(silent.result.session.clips)
    assert again.path.read_bytes() == silent.result.path.read_bytes()
