"""Whole builds with the real narrator and encoder, measured on the decoded files.

A few short sessions are built once per module and checked many ways: timing without
music, a test tone as music (looping, ducking, speech over music), the built-in bed
(loudness, tags, chapters), the other formats, safe writing and repeatability.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from audio_checks import (
    MP3_FRAME,
    RATE,
    decode,
    ebur128,
    ffmetadata,
    ffprobe_chapters,
    highpass_dbfs,
    merge_spans,
    onset_s,
    rms_dbfs,
    sine_wav,
    span,
    step_ratios,
    tone_dbfs,
)
from click.testing import CliRunner, Result
from mutagen.id3 import ID3, CTOCFlags

from voiceguide.build import BuildOptions, BuildResult, build
from voiceguide.output import TEMP_MARK
from voiceguide.plan import Plan
from voiceguide.render.envelope import DuckShape
from voiceguide.render.music import CROSSFADE_S

pytestmark = pytest.mark.slow  # end-to-end: real builds decoded and measured

# About 50 s: a long opening hold (it spans the test tone's first loop seam), counted
# holds with rests, and single lines, in three chapters and a closing one.
ROUTINE = """
title: Build check
author: voiceguide tests
intro:
  - say: Breathe in slowly, and let your shoulders drop.
    pause: 12s
techniques:
  - name: Toe press
    steps:
      - say: Press your toes down and hold.
        pause: 1s
    repetitions: 3
    hold: 4s
    rest: 1s
  - name: Ankle circles
    steps:
      - Circle your ankle slowly.
    repetitions: 2
    hold: 2.5s
outro:
  - say: That is the end of the session.
    pause: 3s
"""

TONE_HZ = 440.0
# Ten seconds and 25 frames. The music loops with period = length − crossfade, and over
# that period (308 725 frames) a 440 Hz tone runs 3080¼ cycles: the loop meets the tone
# a quarter cycle out of phase. A hard cut there would click; an equal-power crossfade
# of two copies in quadrature keeps the amplitude exactly constant.
TONE_FRAMES = 10 * RATE + 25
CROSSFADE_FRAMES = int(min(CROSSFADE_S, TONE_FRAMES / RATE / 3) * RATE)
LOOP_PERIOD_S = (TONE_FRAMES - CROSSFADE_FRAMES) / RATE
RAMP_MARGIN_S = 0.2  # distance kept from duck ramps and fades when measuring the music alone
LEVEL_WINDOW_S = 0.5


# ---------------------------------------------------------------------------- fixtures


@dataclass(frozen=True)
class Built:
    result: BuildResult
    audio: np.ndarray  # the file decoded: frames × 2, full scale ±1

    @property
    def plan(self) -> Plan:
        return self.result.plan

    @property
    def path(self) -> Path:
        return self.result.path


def build_and_decode(routine: Path, options: BuildOptions) -> Built:
    result = build(routine, options)
    return Built(result, decode(result.path))


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("build")


@pytest.fixture(scope="module")
def routine(folder: Path) -> Path:
    path = folder / "check.yaml"
    path.write_text(ROUTINE.lstrip("\n"), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def silent(routine: Path, folder: Path) -> Built:
    """Built without music."""
    return build_and_decode(routine, BuildOptions(output=folder / "silent.mp3", music="none"))


@pytest.fixture(scope="module")
def default(routine: Path, folder: Path) -> Built:
    """Built with everything left to the routine: the built-in bed."""
    return build_and_decode(routine, BuildOptions(output=folder / "default.mp3"))


@dataclass(frozen=True)
class Stems:
    """The tone build, and its music and speech separated.

    The same routine is built twice, over the tone and over the tone inverted. Everything
    else (clips, gains, timing) is the same, so half the difference of the two decoded
    files is the music alone and half their sum is the speech alone, up to coding noise.
    Speech has energy near 440 Hz too (up to 20 dB under the voice, measured here), so a
    narrow band of the mix alone cannot tell a ducked tone from the voice.
    """

    plan: Plan
    mix: np.ndarray
    music: np.ndarray
    speech: np.ndarray


@pytest.fixture(scope="module")
def stems(routine: Path, folder: Path) -> Stems:
    tone = sine_wav(folder / "tone.wav", TONE_HZ, TONE_FRAMES, amplitude=0.5)
    inverted = sine_wav(folder / "tone-inverted.wav", TONE_HZ, TONE_FRAMES, amplitude=-0.5)
    a = build_and_decode(routine, BuildOptions(output=folder / "tone.mp3", music=tone))
    b = build_and_decode(routine, BuildOptions(output=folder / "tone-inverted.mp3", music=inverted))
    assert a.plan == b.plan and a.audio.shape == b.audio.shape
    return Stems(a.plan, a.audio, (a.audio - b.audio) / 2, (a.audio + b.audio) / 2)


def speech_cues(plan: Plan) -> list[tuple[float, float]]:
    return [(c.start_s, c.end_s) for c in plan.cues if c.kind == "speech"]


def music_only(plan: Plan) -> list[tuple[float, float]]:
    """Holds (runs of pauses the music rises in) shrunk away from duck ramps and fades: the music plays alone and at full level."""
    shape = DuckShape()
    lo, hi = shape.fade_in_s + RAMP_MARGIN_S, plan.duration_s - shape.fade_out_s - RAMP_MARGIN_S
    up, down = shape.hang_s + shape.release_s + RAMP_MARGIN_S, shape.attack_s + RAMP_MARGIN_S
    holds = merge_spans((c.start_s, c.end_s) for c in plan.cues if c.kind == "pause")
    out = [(max(lo, a + up), min(hi, b - down)) for a, b in holds if b - a >= shape.bridge_s]
    return [(a, b) for a, b in out if b - a >= LEVEL_WINDOW_S]


def away_from_fades(plan: Plan, cues: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Cues during which the music is not fading in or out (the fades would flatter the figures)."""
    shape = DuckShape()
    return [(a, b) for a, b in cues if a >= shape.fade_in_s and b <= plan.duration_s - shape.fade_out_s]


def windows(spans: list[tuple[float, float]], length_s: float) -> Iterator[tuple[float, float]]:
    for a, b in spans:
        for k in range(int((b - a) // length_s)):
            yield a + k * length_s, a + (k + 1) * length_s


def loop_seams(duration_s: float) -> list[tuple[str, float]]:
    """Where the looped music starts and ends each crossfade (LoopedMusic: period = length − crossfade)."""
    seams = []
    k = 1
    while k * LOOP_PERIOD_S < duration_s:
        seams += [("crossfade starts", k * LOOP_PERIOD_S), ("crossfade ends", k * LOOP_PERIOD_S + CROSSFADE_FRAMES / RATE)]
        k += 1
    return [(kind, t) for kind, t in seams if t < duration_s]


def held_levels(stems: Stems) -> list[float]:
    """The tone's level (dBFS) in every half second of music alone."""
    return [tone_dbfs(span(stems.music, a, b), TONE_HZ) for a, b in windows(music_only(stems.plan), LEVEL_WINDOW_S)]


def seams_in_holds(plan: Plan, margin_s: float = 0.5) -> list[tuple[str, float]]:
    """The loop seams with only music within ``margin_s`` either side."""
    held = music_only(plan)
    return [(kind, t) for kind, t in loop_seams(plan.duration_s) if any(a <= t - margin_s and t + margin_s <= b for a, b in held)]


# ------------------------------------------------------------- 1. timing, without music


def test_decoded_length_is_the_planned_length(silent: Built) -> None:
    planned = round(silent.plan.duration_s * RATE)
    frames = silent.audio.shape[0]
    # Gapless decoding (the LAME/Xing header's delay and padding honoured): sample 0 is our frame 0.
    assert abs(frames - planned) <= MP3_FRAME
    assert frames / RATE == pytest.approx(silent.plan.duration_s, abs=0.030)


def test_speech_starts_on_its_cue(silent: Built) -> None:
    starts = [a for a, _ in speech_cues(silent.plan)]
    onsets = [onset_s(silent.audio, max(0.0, a - 0.1), threshold_dbfs=-45.0) for a in starts]
    assert None not in onsets
    assert onsets == pytest.approx(starts, abs=0.080)


def test_pauses_are_silent(silent: Built) -> None:
    pauses = [(c.start_s, c.end_s) for c in silent.plan.cues if c.kind == "pause" and c.end_s - c.start_s >= 1.0]
    assert len(pauses) >= 5
    levels = {(round(a, 3), round(b, 3)): rms_dbfs(span(silent.audio, a + 0.05, b - 0.05)) for a, b in pauses}
    assert {k: v for k, v in levels.items() if v >= -60.0} == {}


# ------------------------------------------------------------- 2. a test tone as music


def test_inverted_build_separates_music_from_speech(stems: Stems) -> None:
    """Checks the method the next tests rely on: in holds the two builds' music cancels."""
    held = music_only(stems.plan)
    for a, b in held:
        assert rms_dbfs(span(stems.speech, a, b)) < rms_dbfs(span(stems.music, a, b)) - 40.0


def test_loop_seams_fall_in_holds(stems: Stems) -> None:
    """The tone tests below look at the seams in holds; the routine must put some there."""
    assert {kind for kind, _ in seams_in_holds(stems.plan)} == {"crossfade starts", "crossfade ends"}


def test_music_loops_without_a_click(stems: Stems) -> None:
    held = music_only(stems.plan)
    # No step between samples larger than a 440 Hz sine of the local amplitude can take (× 1.5).
    ratios = np.concatenate([step_ratios(span(stems.mix, a, b), TONE_HZ) for a, b in held])
    assert ratios.max() <= 1.5
    # Around each seam in a hold, nothing above 2 kHz (a click is broadband; the tone is not).
    tone_level = float(np.median(held_levels(stems)))
    residual = {
        round(t, 3): highpass_dbfs(stems.mix, t, 2000.0, half_width_s=0.05, context_s=0.5) - tone_level
        for _, t in seams_in_holds(stems.plan)
    }
    assert residual and {t: r for t, r in residual.items() if r > -60.0} == {}


def test_music_level_is_steady_through_the_loop(stems: Stems) -> None:
    """No dip or bump at the seams: an equal-power crossfade of the tone with itself in quadrature is level."""
    levels = held_levels(stems)
    assert len(levels) >= 20
    assert levels == pytest.approx([float(np.median(levels))] * len(levels), abs=1.0)


def test_music_ducks_under_speech(stems: Stems) -> None:
    full = float(np.median(held_levels(stems)))
    cues = away_from_fades(stems.plan, speech_cues(stems.plan))
    assert len(cues) >= 5
    depth = {(round(a, 3), round(b, 3)): full - tone_dbfs(span(stems.music, a, b), TONE_HZ) for a, b in cues}
    assert {k: d for k, d in depth.items() if d < 8.0} == {}


def test_speech_stands_above_the_music(stems: Stems) -> None:
    """WCAG 1.4.7: background sound at least 20 dB below speech, cue by cue."""
    cues = away_from_fades(stems.plan, speech_cues(stems.plan))
    margin = {(round(a, 3), round(b, 3)): rms_dbfs(span(stems.speech, a, b)) - rms_dbfs(span(stems.music, a, b)) for a, b in cues}
    assert {k: m for k, m in margin.items() if m < 20.0} == {}


# ------------------------------------------------ 3. the default build: loudness, tags, chapters


def test_default_build_meets_podcast_loudness(default: Built) -> None:
    measured = ebur128(default.path)
    assert measured.integrated_lufs == pytest.approx(-16.0, abs=1.0)
    assert measured.true_peak_dbtp <= -1.0
    assert default.result.loudness_lufs == pytest.approx(measured.integrated_lufs, abs=0.5)  # what the CLI reports


def test_id3_tags_and_chapters(default: Built) -> None:
    tags = ID3(default.path)
    assert tags.version == (2, 3, 0)
    assert str(tags["TIT2"]) == "Build check"
    assert str(tags["TPE1"]) == "voiceguide tests"
    chaps = sorted(tags.getall("CHAP"), key=lambda f: f.start_time)
    planned = default.plan.chapters
    assert [str(f.sub_frames["TIT2"]) for f in chaps] == [c.title for c in planned]
    assert [f.start_time for f in chaps] == pytest.approx([c.start_s * 1000 for c in planned], abs=1)
    assert [f.end_time for f in chaps] == pytest.approx([c.end_s * 1000 for c in planned], abs=1)
    (toc,) = tags.getall("CTOC")
    assert toc.flags & CTOCFlags.TOP_LEVEL and toc.flags & CTOCFlags.ORDERED
    assert toc.child_element_ids == [f.element_id for f in chaps]


def test_ffmpeg_demuxer_reads_tags_and_chapters(default: Built) -> None:
    demuxed = ffmetadata(default.path)
    assert demuxed.tags["title"] == "Build check"
    assert demuxed.tags["artist"] == "voiceguide tests"
    planned = default.plan.chapters
    assert [c.title for c in demuxed.chapters] == [c.title for c in planned]
    # ffmpeg moves chapter times by the encoder delay (about 25 ms)
    assert [c.start_s for c in demuxed.chapters] == pytest.approx([c.start_s for c in planned], abs=0.050)
    probed = ffprobe_chapters(default.path)
    if probed is not None:
        assert [c.title for c in probed] == [c.title for c in planned]
        assert [c.start_s for c in probed] == pytest.approx([c.start_s for c in planned], abs=0.050)


# ------------------------------------------------------------------------ 4. formats


@pytest.mark.parametrize("fmt", ["wav", "flac", "ogg"])
def test_other_formats_decode_to_the_planned_length(fmt: str, routine: Path, folder: Path) -> None:
    built = build_and_decode(routine, BuildOptions(output=folder / f"session.{fmt}", fmt=fmt))
    assert built.path.suffix == f".{fmt}"
    planned = round(built.plan.duration_s * RATE)
    assert built.audio.shape[0] / RATE == pytest.approx(built.plan.duration_s, abs=0.030)
    if fmt in ("wav", "flac"):
        assert built.audio.shape[0] == planned  # lossless: frame exact
    assert ebur128(built.path).integrated_lufs == pytest.approx(-16.0, abs=1.0)


# ------------------------------------------------------------------------ 5. safe writing


@pytest.fixture
def cli() -> Callable[..., Result]:
    from voiceguide.cli import cli as group
    from voiceguide.cli import commands  # noqa: F401  (registers the subcommands)

    def invoke(*args: str | Path) -> Result:
        return CliRunner().invoke(group, [str(a) for a in args], catch_exceptions=False)

    return invoke


@pytest.fixture
def existing(tmp_path: Path) -> Path:
    """An output folder holding a previous session."""
    path = tmp_path / "out" / "session.mp3"
    path.parent.mkdir()
    path.write_bytes(b"ID3 the previous session\x00\xff" * 100)
    return path


def test_existing_output_is_refused_without_force(cli: Callable[..., Result], tiny_routine: Path, existing: Path) -> None:
    before = existing.read_bytes()
    result = cli("build", tiny_routine, "-o", existing, "--quiet")
    assert result.exit_code == 1
    assert len(result.stderr.splitlines()) == 1 and result.stdout == ""
    assert "--force" in result.stderr
    assert existing.read_bytes() == before
    assert sorted(p.name for p in existing.parent.iterdir()) == [existing.name]


def _text_file(path: Path) -> Path:
    path.write_text("This is a note about the music, not the music.\n" * 20, encoding="utf-8")
    return path


def _noise_file(path: Path) -> Path:
    path.write_bytes(random.Random(7).randbytes(4096))  # passes the text check, fails decoding
    return path


def _too_short(path: Path) -> Path:
    return sine_wav(path.with_suffix(".wav"), TONE_HZ, RATE)  # decodes, but 1 s is too short to loop


@pytest.mark.parametrize("make_music", [_text_file, _noise_file, _too_short], ids=["text", "noise", "one-second"])
def test_bad_music_fails_in_one_line_and_keeps_the_old_file(
    cli: Callable[..., Result], tiny_routine: Path, existing: Path, tmp_path: Path, make_music: Callable[[Path], Path]
) -> None:
    music = make_music(tmp_path / "calm.mp3")
    before = existing.read_bytes()
    result = cli("build", tiny_routine, "-o", existing, "--music", music, "--force", "--quiet")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and "music" in lines[0] and result.stdout == "", result.stderr
    assert existing.read_bytes() == before
    assert sorted(p.name for p in existing.parent.iterdir()) == [existing.name]  # no TEMP_MARK files left
    assert not list(existing.parent.glob(f"*{TEMP_MARK}*"))


# ------------------------------------------------------------------------ 6. repeatability


def test_rebuild_is_byte_identical(default: Built, routine: Path, folder: Path) -> None:
    again = build(routine, BuildOptions(output=folder / "default-again.mp3"))
    assert again.session.synthesised == 0  # the clips came from the cache
    assert again.path.read_bytes() == default.path.read_bytes()


def test_rebuild_with_an_empty_clip_cache_is_byte_identical(
    silent: Built, routine: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = len(silent.result.session.clips)
    if (os.cpu_count() or 1) >= lines:
        pytest.skip("one narration worker per line: every clip is its worker's first, which is reproducible")
    monkeypatch.setenv("VOICEGUIDE_CACHE", str(tmp_path / "cache"))
    again = build(routine, BuildOptions(output=tmp_path / "silent.mp3", music="none"))
    assert again.session.synthesised == lines
    assert again.plan == silent.plan
    assert again.path.read_bytes() == silent.path.read_bytes()
