"""AAC on every core: segments encoded side by side and joined decode to the session's exact length, as one encoder's."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from audio_checks import gliding_voice

from voiceguide import ffmpeg
from voiceguide.errors import RenderError
from voiceguide.plan import Chapter
from voiceguide.render import SAMPLE_RATE
from voiceguide.render.aacjoin import FRAME, adts_frames, encode_aac, frame_count
from voiceguide.render.metadata import ffmetadata_chapters, mp4_muxing
from voiceguide.render.settings import Codec

SECONDS = 20.3  # not a whole number of frames


AUDIO = gliding_voice(SECONDS)


def source(start: int, stop: int) -> Iterator[np.ndarray]:
    for at in range(start, stop, 4096):
        yield AUDIO[at : min(stop, at + 4096)]


def decoded(path: Path) -> np.ndarray:
    out = subprocess.run([ffmpeg.ffmpeg_exe(), "-v", "error", "-i", str(path), "-f", "s16le", "-"], capture_output=True, check=True)
    return np.frombuffer(out.stdout, "<i2").reshape(-1, 2).astype(np.float64)


def snr_db(x: np.ndarray, start: int, stop: int) -> float:
    ref = AUDIO[start:stop].astype(np.float64)
    return float(10 * np.log10((ref**2).mean() / ((x[start:stop] - ref) ** 2).mean()))


@pytest.fixture(scope="module")
def whole(tmp_path_factory: pytest.TempPathFactory) -> np.ndarray:
    path = tmp_path_factory.mktemp("aac") / "whole.m4a"
    encode_aac(path, Codec("m4a"), len(AUDIO), source, [], ["-map_metadata", "-1"], count=1)
    return decoded(path)


@pytest.mark.parametrize("count", [2, 3])
def test_joined_segments_decode_to_the_exact_length_as_one_encoder(count: int, whole: np.ndarray, tmp_path: Path) -> None:
    path = tmp_path / "joined.m4a"
    encode_aac(path, Codec("m4a"), len(AUDIO), source, [], ["-map_metadata", "-1"], count=count)
    joined = decoded(path)
    assert len(joined) == len(whole) == len(AUDIO)  # the priming and the last frame's padding trimmed in the edit list
    frames = frame_count(len(AUDIO))
    for i in range(1, count):
        join = (round(i * frames / count) - 1) * FRAME  # where the next segment's first frame starts to sound
        span = (join - 4 * FRAME, join + 4 * FRAME)
        assert snr_db(joined, *span) > snr_db(whole, *span) - 1.0  # no click, no gap at the join
        ref = AUDIO[span[0] : span[1]].astype(np.float64)
        worst = np.abs(whole[span[0] : span[1]] - ref).max()
        assert np.abs(joined[span[0] : span[1]] - ref).max() < 1.5 * worst  # no sample further off than one encoder's
    assert snr_db(joined, 0, len(AUDIO)) > snr_db(whole, 0, len(AUDIO)) - 0.3  # as good as one encoder's, within its own spread


def test_chapters_are_muxed_with_the_join(tmp_path: Path) -> None:
    listing = tmp_path / "chapters.txt"
    listing.write_text(ffmetadata_chapters((Chapter("One", 0.0, 10.0), Chapter("Two", 10.0, SECONDS))), encoding="utf-8")
    path = tmp_path / "book.m4b"
    encode_aac(path, Codec("m4b"), len(AUDIO), source, ["-f", "ffmetadata", "-i", str(listing)], mp4_muxing(1, "eng", True), count=2)
    from mutagen.mp4 import MP4

    audio = MP4(path)
    assert [(round(c.start, 3), c.title) for c in audio.chapters] == [(0.0, "One"), (10.0, "Two")]
    assert audio.info.length == pytest.approx(len(AUDIO) / SAMPLE_RATE, abs=0.03)


def test_a_stream_that_is_not_adts_is_refused() -> None:
    with pytest.raises(RenderError, match="ADTS"):
        adts_frames(b"\x00" * 20)
    with pytest.raises(RenderError, match="middle of a frame"):
        adts_frames(bytes([0xFF, 0xF1, 0x50, 0x80, 0x20, 0x1F, 0xFC]) + b"\x00")  # says 256 bytes, has 8
