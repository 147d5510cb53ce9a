"""MP3 encoded on several encoders and joined: measured on decoded audio against one encoder's output.

Every comparison uses the same ffmpeg and settings on both sides. A join is good when
the joined file decodes to exactly the input's length, the audio before the first join
is the single encode's to the sample, and around each join the error against the source
is no larger than the codec's own error there.
"""

from __future__ import annotations

import os
import stat
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from audio_checks import decode
from mp3_checks import RATE, encode, noisy_tones

from voiceguide import ffmpeg
from voiceguide.build import BuildOptions, build
from voiceguide.errors import RenderError
from voiceguide.render import mp3join, parallel
from voiceguide.render.mp3frames import SAMPLES_PER_FRAME, crc16, frame_offsets, read_info
from voiceguide.render.settings import Codec

pytestmark = pytest.mark.slow  # real encoders in processes, decoded and measured

DECODER_DELAY = 529  # samples a decoder adds to the encoder's own delay (LAME's gapless convention)


def source_of(pcm: np.ndarray, block: int = 20_000) -> parallel.Source:
    def blocks(start: int, stop: int) -> Iterator[np.ndarray]:
        for first in range(start, stop, block):
            yield pcm[first : min(stop, first + block)]

    return blocks


def joined(pcm: np.ndarray, path: Path, count: int, workers: int = 2) -> bytes:
    path.touch()
    parallel.encode_mp3(path, Codec(), pcm.shape[0], source_of(pcm), workers=workers, count=count)
    return path.read_bytes()


def in_window(x: np.ndarray, boundary: int, delay: int) -> np.ndarray:
    """Decoded samples from a little before a nominal boundary to past the last frame a join may be made at."""
    first = (boundary - 2) * SAMPLES_PER_FRAME - delay - DECODER_DELAY
    last = (boundary + mp3join.OVERLAP_FRAMES + 2) * SAMPLES_PER_FRAME - delay - DECODER_DELAY
    return x[max(0, first) : last]


@pytest.mark.parametrize("extra", [0, 1, 45, 575, 576, 1151])
def test_joined_file_decodes_to_exactly_its_input(tmp_path: Path, extra: int) -> None:
    """Every length, including those where LAME pads more than a frame (which ffmpeg's own tag gets wrong)."""
    pcm = noisy_tones(5 * RATE // SAMPLES_PER_FRAME * SAMPLES_PER_FRAME + extra)
    data = joined(pcm, tmp_path / "joined.mp3", count=3)
    single = encode(pcm, tmp_path / "single.mp3")
    assert decode(tmp_path / "joined.mp3").shape[0] == pcm.shape[0]
    offsets, single_offsets = frame_offsets(data), frame_offsets(single)
    info, single_info = read_info(data[: offsets[1]]), read_info(single[: single_offsets[1]])
    assert info is not None and single_info is not None
    assert (info.frames, info.delay) == (single_info.frames, single_info.delay)
    assert info.padding == info.frames * SAMPLES_PER_FRAME - info.delay - pcm.shape[0]
    assert info.size == len(data) and info.music_crc == crc16(data[offsets[1] :])
    xing = 4 + 32
    toc, single_toc = np.frombuffer(data[xing + 16 : xing + 116], np.uint8), np.frombuffer(single[xing + 16 : xing + 116], np.uint8)
    assert np.abs(toc.astype(int) - single_toc).max() <= 1  # frame sizes differ by a padding byte here and there


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_joins_stay_within_the_codecs_own_noise(tmp_path: Path, seed: int) -> None:
    pcm = noisy_tones(16 * RATE + 1234, seed=seed)
    data = joined(pcm, tmp_path / "joined.mp3", count=4)
    encode(pcm, tmp_path / "single.mp3")
    source = pcm.astype(np.float64) / 32768.0
    joined_audio, single_audio = decode(tmp_path / "joined.mp3"), decode(tmp_path / "single.mp3")
    assert joined_audio.shape == source.shape
    info = read_info(data[: frame_offsets(data)[1]])
    assert info is not None
    parts = parallel.segments(pcm.shape[0], 4)
    head = (parts[1].boundary - 2) * SAMPLES_PER_FRAME - info.delay - DECODER_DELAY
    assert np.array_equal(joined_audio[:head], single_audio[:head]), "the first segment is the single encode, sample for sample"
    worst_single = np.abs(single_audio - source).max()
    for part in parts[1:]:
        err_joined = in_window(joined_audio, part.boundary, info.delay) - in_window(source, part.boundary, info.delay)
        err_single = in_window(single_audio, part.boundary, info.delay) - in_window(source, part.boundary, info.delay)
        rms_joined, rms_single = np.sqrt(np.mean(err_joined**2)), np.sqrt(np.mean(err_single**2))
        assert rms_joined <= 1.05 * rms_single, f"join near frame {part.boundary}: error {rms_joined:.2e} against {rms_single:.2e}"
        assert np.abs(err_joined).max() <= worst_single, f"a click near frame {part.boundary}"


def test_bytes_do_not_depend_on_the_number_of_workers(tmp_path: Path) -> None:
    pcm = noisy_tones(8 * RATE + 77)
    one = joined(pcm, tmp_path / "one.mp3", count=4, workers=1)
    two = joined(pcm, tmp_path / "two.mp3", count=4, workers=2)
    again = joined(pcm, tmp_path / "again.mp3", count=4, workers=3)
    assert one == two == again


def test_a_stream_that_cannot_be_joined_is_encoded_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(a: object, b: object) -> int:
        raise mp3join.CannotJoin("injected")

    monkeypatch.setattr(mp3join, "_choose_join", refuse)
    pcm = noisy_tones(6 * RATE + 600)
    assert joined(pcm, tmp_path / "whole.mp3", count=3) == encode(pcm, tmp_path / "single.mp3")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["single.mp3", "whole.mp3"]


def test_what_is_split() -> None:
    minute = 60 * RATE
    assert parallel.splittable(Codec(), 30 * minute)
    assert not parallel.splittable(Codec(fmt="flac"), 30 * minute)
    assert not parallel.splittable(Codec(fmt="ogg"), 30 * minute)
    assert not parallel.splittable(Codec(), minute)  # too short to pay for a second encoder
    counts = [parallel.segment_count(m * minute) for m in (1, 3, 30, 45, 180)]
    assert counts == [1, 2, 2, 4, 10]  # even, so two cores share evenly; a function of the length only


def test_a_failing_source_stops_every_encoder_and_leaves_nothing(tmp_path: Path) -> None:
    pcm = noisy_tones(6 * RATE)

    def failing(start: int, stop: int) -> Iterator[np.ndarray]:
        yield pcm[start : start + 10_000]
        raise KeyboardInterrupt

    path = tmp_path / "out.mp3"
    path.touch()
    with pytest.raises(KeyboardInterrupt):
        parallel.encode_mp3(path, Codec(), pcm.shape[0], failing, workers=2, count=3)
    assert [p.name for p in tmp_path.iterdir()] == ["out.mp3"]


def test_a_failing_encoder_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "ffmpeg"
    fake.write_text("#!/bin/sh\ncat > /dev/null\necho 'Unknown encoder libmp3lame' >&2\nexit 1\n")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setattr(ffmpeg, "ffmpeg_exe", lambda: str(fake))
    out = tmp_path / "out" / "x.mp3"
    out.parent.mkdir()
    out.touch()
    with pytest.raises(RenderError, match="Unknown encoder libmp3lame"):
        parallel.encode_mp3(out, Codec(), 6 * RATE, source_of(noisy_tones(6 * RATE)), count=2)
    assert os.listdir(out.parent) == ["x.mp3"]


def test_works_with_the_ffmpeg_on_this_machine() -> None:
    """The ffmpeg the tests run with (set VOICEGUIDE_FFMPEG to try another) has libmp3lame."""
    out = subprocess.run([ffmpeg.ffmpeg_exe(), "-hide_banner", "-encoders"], capture_output=True, text=True, check=True).stdout
    assert "libmp3lame" in out


LONG_ENOUGH = """
title: Split
intro:
  - Welcome. This session is long enough to be encoded on two encoders.
techniques:
  - name: Slow press
    steps:
      - Press the centre of the sole.
    repetitions: 6
    hold: 20s
    rest: 3s
outro:
  - That is all.
"""


def test_a_build_is_split_and_decodes_to_the_plans_length(
    tmp_path: Path, write_routine: Callable[[str, str], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """End to end, over the built-in bed: the joined file against a build by one encoder of the same session."""
    routine = write_routine(LONG_ENOUGH, "split.yaml")
    split = build(routine, BuildOptions(output=tmp_path / "split.mp3"))
    total = round(split.plan.duration_s * RATE)
    assert parallel.segment_count(total) == 2
    monkeypatch.setattr(parallel, "segment_count", lambda total, rate=RATE: 1)
    whole = build(routine, BuildOptions(output=tmp_path / "whole.mp3"))
    joined_audio, whole_audio = decode(split.path), decode(whole.path)
    assert joined_audio.shape[0] == whole_audio.shape[0] == total
    boundary = parallel.segments(total, 2)[1].boundary
    delay = 576 + DECODER_DELAY
    head = (boundary - 2) * SAMPLES_PER_FRAME - delay
    assert np.array_equal(joined_audio[:head], whole_audio[:head])
    near = slice(head, (boundary + mp3join.OVERLAP_FRAMES + 2) * SAMPLES_PER_FRAME - delay)
    difference = np.sqrt(np.mean((joined_audio[near] - whole_audio[near]) ** 2))
    level = np.sqrt(np.mean(whole_audio[near] ** 2))
    assert 20 * np.log10(level / max(difference, 1e-12)) >= 20.0  # the two encodes agree there to within codec noise
