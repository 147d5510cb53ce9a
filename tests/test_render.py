"""The render modules on synthetic plans and generated sounds: no narrator, seconds of audio, numbers checked.

End-to-end builds (tests/test_build.py) check what needs the real narrator and a whole
session; the properties here belong to one module each.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from audio_checks import decode, ebur128, onset_s

from voiceguide.narration.wav import write_mono16_atomic
from voiceguide.plan import Chapter, ChimeSound, Cue, Plan, Utterance
from voiceguide.render import SAMPLE_RATE
from voiceguide.render.beds import BUILTIN, NONE, MusicBed
from voiceguide.render.calibrate import codec_factor
from voiceguide.render.dsp import moving_average, resample_clip, running_min
from voiceguide.render.encode import Encoder
from voiceguide.render.envelope import DuckShape, MusicEnvelope
from voiceguide.render.loudness import integrated_loudness
from voiceguide.render.master import compress, master
from voiceguide.render.metadata import Metadata
from voiceguide.render.mixer import render, total_frames
from voiceguide.render.pipeline import MixSettings, render_session
from voiceguide.render.settings import Codec


def tone(seconds: float, frequency: float = 440.0, amplitude: float = 0.5, rate: int = SAMPLE_RATE) -> np.ndarray:
    t = np.arange(round(seconds * rate)) / rate
    return (amplitude * np.sin(2 * np.pi * frequency * t)).astype(np.float32)


def utterance(text: str) -> Utterance:
    return Utterance(text, text, "en", 150, 1.0)


def make_plan(items: list[tuple[str, float]], title: str = "Test") -> Plan:
    """A plan of ("say:TEXT" | "pause" | "chime", seconds) items, one chapter each."""
    cues: list[Cue] = []
    chapters: list[Chapter] = []
    now = 0.0
    for index, (what, seconds) in enumerate(items):
        kind = "speech" if what.startswith("say:") else what
        cue = Cue(kind, now, now + seconds, index, utterance(what[4:]) if kind == "speech" else None)  # type: ignore[arg-type]
        cues.append(cue)
        chapters.append(Chapter(f"Part {index + 1}", now, now + seconds))
        now += seconds
    return Plan(title, now, tuple(chapters), tuple(cues))


def whole(blocks: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(blocks).astype(np.float64) / 32768.0


# --------------------------------------------------------------------------- mixer


def test_every_sound_starts_on_its_cue_frame() -> None:
    plan = make_plan([("pause", 0.25), ("say:a", 0.5), ("pause", 0.3), ("chime", 0.4)])
    click = np.zeros(SAMPLE_RATE // 2, dtype=np.float32)
    click[0] = 0.5
    sounds = {utterance("a"): click, ChimeSound(0.4): click[: round(0.4 * SAMPLE_RATE)]}
    out = whole(list(render(plan, sounds, block_frames=1000)))
    assert out.shape == (total_frames(plan), 2)
    assert np.flatnonzero(out[:, 0]).tolist() == [round(0.25 * SAMPLE_RATE), round(1.05 * SAMPLE_RATE)]


@pytest.mark.parametrize("block_frames", [1, 997, 1 << 16])
def test_blocks_join_into_the_same_signal_whatever_their_size(block_frames: int) -> None:
    plan = make_plan([("say:a", 0.2), ("pause", 0.05), ("say:b", 0.1)])
    sounds = {utterance("a"): tone(0.2), utterance("b"): tone(0.1, 660)}
    reference = whole(list(render(plan, sounds)))
    assert np.array_equal(whole(list(render(plan, sounds, block_frames=block_frames))), reference)
    start, stop = 3000, 9000
    assert np.array_equal(whole(list(render(plan, sounds, start=start, stop=stop, block_frames=block_frames))), reference[start:stop])


def test_overlapping_sounds_add_and_clip_to_full_scale() -> None:
    plan = make_plan([("say:a", 0.1), ("say:b", 0.1)])
    loud = np.full(round(0.2 * SAMPLE_RATE), 0.8, dtype=np.float32)  # a's sound runs into b's cue
    out = whole(list(render(plan, {utterance("a"): loud, utterance("b"): loud})))
    assert out[: round(0.1 * SAMPLE_RATE), 0].max() == pytest.approx(0.8, abs=1e-4)
    assert out[round(0.1 * SAMPLE_RATE) :, 0].max() == pytest.approx(32767 / 32768)


# --------------------------------------------------------------------------- envelope


def test_music_is_down_under_speech_and_up_in_pauses() -> None:
    shape = DuckShape(depth_db=12.0)
    envelope = MusicEnvelope([(10.0, 12.0)], 30.0, shape)
    gains = envelope.gains(np.array([5.0, 10.0, 11.0, 12.0, 20.0]))
    down = 20 * math.log10(10 ** (-12 / 20))
    assert 20 * np.log10(gains[1:4]) == pytest.approx([down] * 3, abs=0.01)
    assert gains[0] == pytest.approx(1.0) and gains[4] == pytest.approx(1.0)


def test_music_starts_down_before_the_voice_and_fades_in_and_out() -> None:
    shape = DuckShape(depth_db=12.0)
    envelope = MusicEnvelope([(10.0, 12.0)], 30.0, shape)
    before = envelope.gains(np.array([10.0 - shape.attack_s / 2]))[0]
    assert 10 ** (-12 / 20) < before < 1.0
    edges = envelope.gains(np.array([0.0, shape.fade_in_s, 30.0 - shape.fade_out_s, 30.0]))
    assert edges[0] == 0.0 and edges[1] == pytest.approx(1.0) and edges[2] == pytest.approx(1.0) and edges[3] == 0.0


def test_envelope_blocks_match_the_gains_at_their_times() -> None:
    envelope = MusicEnvelope([(1.0, 2.0), (2.3, 3.0)], 5.0, DuckShape())
    frames = np.arange(0, 5 * SAMPLE_RATE, 4410)
    assert np.allclose(envelope.block(4410 * 3, 4410, SAMPLE_RATE), envelope.gains((4410 * 3 + np.arange(4410)) / SAMPLE_RATE))
    assert envelope.gains(frames / SAMPLE_RATE).min() >= 0.0


# --------------------------------------------------------------------------- master


def test_master_meets_the_loudness_target_it_predicts() -> None:
    plan = make_plan([("say:a", 2.0), ("pause", 1.0), ("say:b", 2.0), ("pause", 1.0), ("chime", 1.5)])
    voice_a, voice_b = tone(2.0, 300, 0.2), tone(2.0, 500, 0.1)
    sounds = {utterance("a"): voice_a, utterance("b"): voice_b, ChimeSound(1.5): tone(1.5, 800, 0.3)}
    mastered = master(plan, sounds, -16.0)
    rendered = whole(list(render(plan, mastered.sounds)))
    assert mastered.loudness_lufs == pytest.approx(-16.0, abs=0.1)
    assert integrated_loudness(rendered, SAMPLE_RATE) == pytest.approx(mastered.loudness_lufs, abs=0.1)


def test_master_keeps_peaks_under_the_ceiling() -> None:
    spiky = tone(2.0, 300, 0.05)
    spiky[SAMPLE_RATE // 2 : SAMPLE_RATE // 2 + 40] = 0.9  # a click far above the speech
    plan = make_plan([("say:a", 2.0)])
    mastered = master(plan, {utterance("a"): spiky}, -12.0)
    assert 20 * math.log10(np.abs(mastered.sounds[utterance("a")]).max()) <= -2.5


def test_chimes_sit_under_the_voice() -> None:
    plan = make_plan([("say:a", 3.0), ("chime", 3.0)])
    mastered = master(plan, {utterance("a"): tone(3.0, 300, 0.2), ChimeSound(3.0): tone(3.0, 700, 0.9)}, -16.0)
    voice = integrated_loudness(mastered.sounds[utterance("a")].astype(np.float64), SAMPLE_RATE)
    chime = integrated_loudness(mastered.sounds[ChimeSound(3.0)].astype(np.float64), SAMPLE_RATE)
    assert chime < voice


def test_compress_evens_out_without_overshooting() -> None:
    x = np.concatenate([tone(0.5, 300, 0.8), tone(0.5, 300, 0.1)])
    y = compress(x)
    loud, quiet = np.abs(y[: SAMPLE_RATE // 4]).max(), np.abs(y[-SAMPLE_RATE // 4 :]).max()
    assert loud / quiet < 0.8 / 0.1  # closer together than before
    assert np.abs(y).max() <= np.abs(x).max() + 1e-6


# --------------------------------------------------------------------------- dsp


def test_resampling_keeps_a_tone_and_the_length() -> None:
    x = tone(1.0, 1000, 0.5, rate=22050)
    y = resample_clip(x, 22050, SAMPLE_RATE)
    assert y.shape[0] == SAMPLE_RATE
    middle = y[SAMPLE_RATE // 4 : 3 * SAMPLE_RATE // 4]
    assert np.sqrt(np.mean(middle**2)) == pytest.approx(0.5 / math.sqrt(2), rel=0.01)


def test_running_min_and_moving_average_match_their_definitions() -> None:
    rng = np.random.default_rng(7)
    a = rng.random(500)
    for radius in (0, 1, 5, 33):
        naive_min = [a[max(0, i - radius) : i + radius + 1].min() for i in range(a.size)]
        padded = np.concatenate([np.full(radius, a[0]), a, np.full(radius, a[-1])])
        naive_mean = [padded[i : i + 2 * radius + 1].mean() for i in range(a.size)]
        assert np.array_equal(running_min(a, radius), naive_min)
        assert np.allclose(moving_average(a, radius), naive_mean)


# --------------------------------------------------------------------------- encode and calibrate


@pytest.mark.parametrize("fmt", ["mp3", "flac"])
def test_encoder_writes_the_frames_it_is_given(fmt: str, tmp_path: Path) -> None:
    pcm = (np.stack([tone(1.5, 440), tone(1.5, 660)], axis=1) * 32767).astype("<i2")
    path = tmp_path / f"out.{fmt}"
    encoder = Encoder(path, Codec(fmt))
    for block in np.array_split(pcm, 7):
        encoder.write(block)
    encoder.finish()
    decoded = decode(path)
    assert decoded.shape[0] == pcm.shape[0]
    if fmt == "flac":
        assert np.array_equal(np.rint(decoded * 32768).astype("<i2"), pcm)


def test_abort_stops_the_encoder_and_leaves_no_process(tmp_path: Path) -> None:
    encoder = Encoder(tmp_path / "out.mp3", Codec("mp3"))
    encoder.write(np.zeros((4410, 2), dtype="<i2"))
    encoder.abort()
    assert encoder.process.poll() is not None


def test_codec_factor_makes_up_for_the_mp3_loss() -> None:
    pcm = (np.stack([tone(8.0, 300, 0.3)] * 2, axis=1) * 32767).astype("<i2")
    factor = codec_factor(pcm, Codec("mp3"))
    assert 1.0 <= factor < 1.2
    assert codec_factor(pcm, Codec("flac")) == 1.0


# --------------------------------------------------------------------------- beds and the entry point


def test_no_music_bed_gives_none_and_the_builtin_bed_loops(tmp_path: Path) -> None:
    none = MusicBed(NONE, tmp_path)
    none.start()
    assert none.result() is None
    none.close()
    bed = MusicBed(BUILTIN, tmp_path)
    try:
        bed.start()
        music = bed.result()
        assert music is not None and music.crossfade == 0
        assert np.array_equal(music.read(music.length, 100), music.read(0, 100))  # seamless by construction
    finally:
        bed.close()
    assert list(tmp_path.iterdir()) == []


def test_render_session_places_speech_on_the_plan_and_meets_the_target(tmp_path: Path) -> None:
    plan = make_plan([("pause", 0.5), ("say:a", 1.0), ("pause", 1.0), ("say:b", 1.0), ("pause", 0.5)])
    clips = {}
    for name, frequency in (("a", 300.0), ("b", 450.0)):
        clips[utterance(name)] = tmp_path / f"{name}.wav"
        write_mono16_atomic(clips[utterance(name)], (tone(1.0, frequency, 0.3, rate=22050) * 32767).astype("<i2"), 22050)
    bed = MusicBed(NONE, tmp_path)
    bed.start()
    out = tmp_path / "session.flac"
    rendered = render_session(plan, clips, bed, MixSettings(target_lufs=-18.0), Codec("flac"), Metadata(title="T"), out)
    decoded = decode(out)
    assert decoded.shape[0] == total_frames(plan)
    for cue in plan.cues:
        if cue.kind == "speech":
            assert onset_s(decoded, cue.start_s - 0.2) == pytest.approx(cue.start_s, abs=0.005)
    assert integrated_loudness(decoded, SAMPLE_RATE) == pytest.approx(rendered.loudness_lufs, abs=0.2)
    assert rendered.loudness_lufs == pytest.approx(-18.0, abs=0.1)
    assert ebur128(out).true_peak_dbtp <= -1.0
