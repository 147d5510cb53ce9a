"""The codec's loudness change is measured once per excerpt, encoder setting and ffmpeg, then kept."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from mp3_checks import RATE, noisy_tones

from voiceguide import ffmpeg
from voiceguide.render import calibrate
from voiceguide.render.settings import Codec


def refuse(*args: object, **kwargs: object) -> object:
    raise AssertionError("ffmpeg ran: the factor was measured again")


@pytest.mark.usefixtures("cache_dir")
def test_a_measured_factor_is_kept_and_read_back_exactly(monkeypatch: pytest.MonkeyPatch) -> None:
    pcm = noisy_tones(3 * RATE)
    measured = calibrate.codec_factor(pcm, Codec("mp3"))
    assert 1.0 <= measured < 1.25
    monkeypatch.setattr(ffmpeg, "run", refuse)
    assert calibrate.codec_factor(pcm, Codec("mp3")) == measured  # to the last bit: warm and cold builds give the same bytes


@pytest.mark.usefixtures("cache_dir")
def test_another_excerpt_setting_or_a_damaged_entry_is_measured(monkeypatch: pytest.MonkeyPatch, cache_dir: Path) -> None:
    pcm = noisy_tones(3 * RATE)
    calibrate.codec_factor(pcm, Codec("mp3"))
    runs: list[object] = []
    real = ffmpeg.run

    def counting(*args: object, **kwargs: object) -> object:
        runs.append(args)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ffmpeg, "run", counting)
    calibrate.codec_factor(pcm, Codec("mp3", bitrate="192k"))
    louder = np.clip(pcm.astype(np.int32) * 2, -32768, 32767).astype("<i2")
    calibrate.codec_factor(louder, Codec("mp3"))
    for kept in (cache_dir / "codec").iterdir():
        kept.write_text("not a number")
    calibrate.codec_factor(pcm, Codec("mp3"))
    assert len(runs) == 3 * 2  # encode and decode, three times


def test_lossless_formats_need_no_measurement(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ffmpeg, "run", refuse)
    assert calibrate.codec_factor(noisy_tones(2 * RATE), Codec("flac")) == 1.0
