"""Piper with the real engine and the test voice on a few short lines, and installing a voice from a file."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import numpy as np
import pytest
from neural import TEST_PIPER_VOICE, require

from voiceguide.errors import NarratorError
from voiceguide.narration import models, narrate, wav
from voiceguide.narration.piper import PiperEngine, find_voices
from voiceguide.narration.voices import resolve_voice
from voiceguide.plan import Utterance

pytestmark = pytest.mark.slow

TEXT = "Slide your hands slowly along the foot. Then let go."


def line(text: str = TEXT, rate: int = 150, volume: float = 1.0) -> Utterance:
    return Utterance(text, text, TEST_PIPER_VOICE, rate, volume)


@pytest.fixture(scope="module", autouse=True)
def piper() -> None:
    require("piper")


@pytest.mark.usefixtures("cache_dir")
def test_clip_is_speech_at_the_voice_rate() -> None:
    u = line()
    clip = narrate([u], engine="piper")[u]
    samples, rate = wav.read_mono16(clip.path)
    assert rate == 22050
    assert 2.0 < clip.duration_s < 6.0
    assert float(10 * np.log10(np.mean((samples / 32768.0) ** 2))) > -35.0


@pytest.mark.usefixtures("cache_dir")
def test_rate_is_words_a_minute() -> None:
    slow, fast = line(rate=100), line(rate=200)
    clips = narrate([slow, fast], engine="piper")
    assert clips[slow].duration_s / clips[fast].duration_s == pytest.approx(2.0, rel=0.2)


def test_same_line_gives_the_same_bytes_although_piper_draws_noise(tmp_path: Path) -> None:
    texts = ["Welcome.", TEXT, "Two."]
    first = narrate([line(t) for t in texts], engine="piper", cache_dir=tmp_path / "a")
    second = narrate([line(t) for t in reversed(texts)], engine="piper", cache_dir=tmp_path / "b")
    digest = {u.text: hashlib.sha256(c.path.read_bytes()).hexdigest() for u, c in first.items()}
    assert digest == {u.text: hashlib.sha256(c.path.read_bytes()).hexdigest() for u, c in second.items()}


def test_research_only_voice_is_never_a_language_default() -> None:
    voices = PiperEngine.voices()
    test_voice = next(v for v in voices if v.id == TEST_PIPER_VOICE)
    assert not test_voice.by_language and "research-only" in test_voice.licence
    assert resolve_voice(TEST_PIPER_VOICE, voices, "piper").id == TEST_PIPER_VOICE
    if all(not v.by_language for v in voices):
        with pytest.raises(NarratorError, match="no piper voice speaks"):
            resolve_voice("en-us", voices, "piper")


def test_install_copies_a_voice_and_its_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOICEGUIDE_DATA", str(tmp_path / "data"))
    source = find_voices()[TEST_PIPER_VOICE].model
    mine = tmp_path / "mine"
    mine.mkdir()
    shutil.copy(source, mine / "en_US-mine-medium.onnx")
    shutil.copy(source.with_name(source.name + ".json"), mine / "en_US-mine-medium.onnx.json")
    done = models.install_piper(mine / "en_US-mine-medium.onnx")
    assert done.voices == 1
    installed = find_voices()["en_US-mine-medium"]
    assert installed.model.parent == models.piper_folder()
    assert installed.info.by_language and installed.info.languages == ("en-us", "en")
    assert resolve_voice("en", PiperEngine.voices(), "piper").id == "en_US-mine-medium"


def test_install_refuses_a_model_without_its_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOICEGUIDE_DATA", str(tmp_path / "data"))
    (tmp_path / "lonely.onnx").write_bytes(b"x")
    with pytest.raises(NarratorError, match=r"\.onnx\.json"):
        models.install_piper(tmp_path / "lonely.onnx")
    assert not models.piper_folder().exists()
