"""Opus on every core: segments' packets joined in one Ogg stream, measured on decoded audio against one encoder's file.

A join is good when the joined file decodes to exactly one encoder's length and loudness, ffmpeg reads it without
a complaint, and around each join its error against the source is no larger than one encoder's there (no click, no gap).
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from audio_checks import ebur128, ffmetadata, gliding_voice

from voiceguide import ffmpeg
from voiceguide.build import BuildOptions, build
from voiceguide.errors import RenderError
from voiceguide.plan import Chapter
from voiceguide.render import SAMPLE_RATE, pipeline
from voiceguide.render.encode import Encoder
from voiceguide.render.metadata import Metadata, write_tags
from voiceguide.render.oggpages import LAST, Stream, crc32, page, read_stream
from voiceguide.render.opusjoin import FRAME, INPUT_FRAME, OPUS_RATE, encode_opus, packet_samples
from voiceguide.render.settings import Codec

SECONDS = 20.3  # not a whole number of frames
AUDIO = gliding_voice(SECONDS)
PRE_SKIP = 312  # libopus's look-ahead at 48 kHz, which the header tells a player to skip
WINDOW = 4800  # 100 ms at 48 kHz each side of a join


def source(start: int, stop: int) -> Iterator[np.ndarray]:
    for at in range(start, stop, 4096):
        yield AUDIO[at : min(stop, at + 4096)]


def decoded(path: Path, raw: bool = False) -> np.ndarray:
    """``path`` decoded at 48 kHz (``raw``: the session's PCM itself, resampled as the encoder resamples it)."""
    form = ["-f", "s16le", "-ar", "44100", "-ac", "2"] if raw else []
    command = [ffmpeg.ffmpeg_exe(), "-v", "error", *form, "-i", str(path), "-f", "s16le", "-ar", str(OPUS_RATE), "-"]
    out = subprocess.run(command, capture_output=True, check=True)
    return np.frombuffer(out.stdout, "<i2").reshape(-1, 2).astype(np.float64)


def snr_db(x: np.ndarray, ref: np.ndarray) -> float:
    return float(10 * np.log10((ref**2).mean() / ((x - ref) ** 2).mean()))


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("opus")


@pytest.fixture(scope="module")
def reference(folder: Path) -> np.ndarray:
    raw = folder / "session.raw"
    raw.write_bytes(AUDIO.tobytes())
    return decoded(raw, raw=True)


@pytest.fixture(scope="module")
def whole(folder: Path) -> Path:
    """One ffmpeg encoding the session into its own Ogg file, as shorter sessions are."""
    path = folder / "whole.opus"
    encoder = Encoder(path, Codec("opus"))
    for block in source(0, len(AUDIO)):
        encoder.write(block)
    encoder.finish()
    return path


def test_one_segment_rewritten_is_ffmpegs_own_file_byte_for_byte(whole: Path, folder: Path) -> None:
    path = folder / "one.opus"
    encode_opus(path, Codec("opus"), len(AUDIO), source, count=1)  # packets read and written again in pages of our own
    assert path.read_bytes() == whole.read_bytes()


@pytest.mark.parametrize("count", [2, 3])
def test_joined_segments_decode_as_one_encoder_with_no_click(count: int, whole: Path, reference: np.ndarray, folder: Path) -> None:
    path = folder / f"joined-{count}.opus"
    encode_opus(path, Codec("opus"), len(AUDIO), source, count=count)
    joined, single = decoded(path), decoded(whole)
    assert len(joined) == len(single) == len(reference)  # the last page's granule trims the padding as one encoder's does
    frames = -(-len(AUDIO) // INPUT_FRAME)
    for i in range(1, count):
        at = round(i * frames / count) * FRAME - PRE_SKIP  # where the next segment's first packet starts to sound
        near = slice(at - WINDOW, at + WINDOW)
        assert snr_db(joined[near], reference[near]) > snr_db(single[near], reference[near]) - 1.0
        worst = np.abs(single[near] - reference[near]).max()
        assert np.abs(joined[near] - reference[near]).max() < 1.5 * worst  # no sample further off than one encoder's
    assert snr_db(joined, reference) > snr_db(single, reference) - 0.3
    assert ebur128(path).integrated_lufs == pytest.approx(ebur128(whole).integrated_lufs, abs=0.1)
    check = subprocess.run([ffmpeg.ffmpeg_exe(), "-v", "error", "-i", str(path), "-f", "null", "-"], capture_output=True, check=True)
    assert check.stderr == b""


def test_tags_and_chapters_are_written_into_the_joined_file(folder: Path) -> None:
    path = folder / "tagged.opus"
    encode_opus(path, Codec("opus"), len(AUDIO), source, count=2)
    chapters = (Chapter("One", 0.0, 10.0), Chapter("Two", 10.0, SECONDS))
    write_tags(path, "opus", Metadata(title="Joined", artist="voiceguide tests"), chapters)
    from mutagen.oggopus import OggOpus

    audio = OggOpus(path)
    assert audio.info.length == pytest.approx(SECONDS, abs=0.001)
    assert (audio["title"], audio["CHAPTER002NAME"]) == (["Joined"], ["Two"])
    demuxed = ffmetadata(path, stream_tags=True)
    assert demuxed.tags["title"] == "Joined"
    assert [(c.title, c.start_s) for c in demuxed.chapters] == [("One", 0.0), ("Two", 10.0)]


def bitwise_crc(data: bytes) -> int:
    """RFC 3533's CRC a bit at a time: polynomial 0x04C11DB7, most significant bit first, from 0, not inverted."""
    crc = 0
    for byte in data:
        crc ^= byte << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7 if crc & 0x80000000 else crc << 1) & 0xFFFFFFFF
    return crc


def test_pages_carry_ogg_checksums_and_whole_packets(whole: Path) -> None:
    rng = np.random.default_rng(3)
    for size in (0, 1, 27, 300, 4099):
        data = rng.integers(0, 256, size, dtype=np.uint8).tobytes()
        assert crc32(data) == bitwise_crc(data)
    data = whole.read_bytes()
    first = data[: 27 + data[26] + sum(data[27 : 27 + data[26]])]  # ffmpeg's first page: the header packet
    assert crc32(first[:22] + bytes(4) + first[26:]) == int.from_bytes(first[22:26], "little")
    packets = [b"a" * 255, b"b" * 600, b""]  # a packet of exactly 255 bytes ends with a zero lacing value
    written = page(packets, 1920, 5, 2, LAST)
    assert written[5] == LAST and written[26] == 2 + 3 + 1
    assert read_stream(written + page([b"c" * 9], 2880, 5, 3)) == Stream([*packets, b"c" * 9], 2880)


@pytest.mark.parametrize(
    ("toc", "samples"), [(bytes([31 << 3]), 960), (bytes([28 << 3 | 1]), 240), (bytes([1 << 3 | 2]), 1920), (bytes([3 << 3 | 3, 2]), 5760)]
)
def test_a_packets_length_is_read_from_its_table_of_contents(toc: bytes, samples: int) -> None:
    assert packet_samples(toc) == samples


def test_a_stream_that_is_not_ogg_is_refused() -> None:
    with pytest.raises(RenderError, match="Ogg pages"):
        read_stream(b"\x00" * 40)
    with pytest.raises(RenderError, match="middle of a page"):
        read_stream(page([b"x" * 100], 0, 1, 0)[:-10])


def test_a_failing_source_stops_every_encoder_and_leaves_nothing(tmp_path: Path) -> None:
    def failing(start: int, stop: int) -> Iterator[np.ndarray]:
        yield AUDIO[start : start + 10_000]
        raise KeyboardInterrupt

    path = tmp_path / "out.opus"
    path.touch()
    with pytest.raises(KeyboardInterrupt):
        encode_opus(path, Codec("opus"), len(AUDIO), failing, count=3)
    assert [p.name for p in tmp_path.iterdir()] == ["out.opus"]


LONG_ENOUGH = """
title: Joined
intro:
  - Welcome. This session is long enough for its Opus to be encoded on two encoders.
techniques:
  - name: Slow press
    steps:
      - Press the centre of the sole.
    repetitions: 3
    hold: 20s
    rest: 3s
  - name: Ankle circles
    steps:
      - Circle the ankle slowly.
    repetitions: 3
    hold: 20s
    rest: 3s
outro:
  - That is all.
"""


@pytest.mark.slow
def test_a_build_is_joined_with_one_encoders_length_loudness_and_chapters(
    tmp_path: Path, write_routine: Callable[[str, str], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """End to end, over the built-in bed: the joined file against a build of the same session by one encoder."""
    routine = write_routine(LONG_ENOUGH, "joined.yaml")
    split = build(routine, BuildOptions(output=tmp_path / "split.opus", fmt="opus"))
    assert pipeline.segment_count(round(split.plan.duration_s * SAMPLE_RATE)) == 2
    monkeypatch.setattr(pipeline, "segment_count", lambda total: 1)
    whole = build(routine, BuildOptions(output=tmp_path / "whole.opus", fmt="opus"))
    joined, single = decoded(split.path), decoded(whole.path)
    assert len(joined) == len(single) == round(split.plan.duration_s * OPUS_RATE)
    assert snr_db(joined, single) > 20.0  # two encodings of the same session, agreeing to within the codec's noise
    assert ebur128(split.path).integrated_lufs == pytest.approx(ebur128(whole.path).integrated_lufs, abs=0.1)
    assert ffmetadata(split.path, stream_tags=True) == ffmetadata(whole.path, stream_tags=True)  # tags and chapters
    check = subprocess.run([ffmpeg.ffmpeg_exe(), "-v", "error", "-i", str(split.path), "-f", "null", "-"], capture_output=True, check=True)
    assert check.stderr == b""
