"""MP3 frames, the LAME Info tag and CRC-16, checked against what ffmpeg's own LAME encoder writes."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from audio_checks import decode
from hypothesis import given
from hypothesis import strategies as st
from mp3_checks import RATE, encode, noisy_tones

from voiceguide.render.mp3frames import (
    SAMPLES_PER_FRAME,
    InfoTag,
    SeekTable,
    crc16,
    crc16_join,
    crc16_zeros,
    file_frame_offsets,
    frame_offsets,
    parse_frame,
    read_info,
    write_info,
)


@pytest.fixture(scope="module")
def stream(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return encode(noisy_tones(6 * RATE + 300), tmp_path_factory.mktemp("mp3") / "stream.mp3")


def test_crc16_is_crc16_arc() -> None:
    assert crc16(b"123456789") == 0xBB3D  # the catalogue's check value for CRC-16/ARC


@given(st.binary(max_size=600), st.binary(max_size=600))
def test_crc16_of_a_join_follows_from_its_parts(a: bytes, b: bytes) -> None:
    assert crc16_join(crc16(a), crc16(b), len(b)) == crc16(a + b)


@given(st.integers(0, 0xFFFF), st.integers(-100_000, 100_000))
def test_crc16_zero_bytes_can_be_undone(register: int, count: int) -> None:
    assert crc16_zeros(crc16_zeros(register, count), -count) == register
    assert crc16_zeros(register, 32767) == register  # the order the module relies on


@pytest.mark.slow  # encodes with ffmpeg
def test_info_tag_describes_the_stream(stream: bytes) -> None:
    offsets = frame_offsets(stream)
    info = read_info(stream[: offsets[1]])
    assert info is not None
    assert info.frames == len(offsets) - 1
    assert info.size == len(stream)
    assert info.delay == 576  # LAME's encoder delay
    assert info.music_crc == crc16(stream[offsets[1] :])


@pytest.mark.slow  # encodes with ffmpeg
def test_seek_table_is_the_encoders(stream: bytes) -> None:
    offsets = [*frame_offsets(stream), len(stream)]
    table = SeekTable(offsets[1])
    for a, b in itertools.pairwise(offsets[1:]):
        table.add(b - a)
    xing = 4 + 32
    assert table.toc() == stream[xing + 16 : xing + 116]


@pytest.mark.slow  # encodes with ffmpeg
def test_side_information_follows_the_bit_reservoir(stream: bytes) -> None:
    """Parsed main_data_begin and part2_3_length lay every frame's main data out as ISO 11172-3 requires."""
    frames = [parse_frame(stream, o) for o in frame_offsets(stream)[1:]]
    assert frames[0].main_data_begin == 0
    position, previous_end = 0, 0  # counted in main-data area bytes
    for frame in frames:
        start = position - frame.main_data_begin
        assert frame.main_data_begin <= 511
        assert start >= previous_end  # after the previous frame's main data
        assert start + frame.main_bytes <= position + frame.area  # inside what has arrived by the end of this frame
        position, previous_end = position + frame.area, start + frame.main_bytes
    kinds = {t for frame in frames for t in frame.block_types}
    assert kinds <= {0, 1, 2, 3} and {1, 2, 3} & kinds  # the bursts' attacks switch to short blocks and back


@pytest.mark.slow  # encodes with ffmpeg
def test_rewritten_tag_is_read_back_and_decoded_by_ffmpeg(stream: bytes, tmp_path: Path) -> None:
    offsets = frame_offsets(stream)
    template = stream[: offsets[1]]
    info = read_info(template)
    assert info is not None
    longer = InfoTag(info.frames, info.size, info.delay, info.padding - 100, info.music_crc)
    frame = write_info(template, longer)
    assert read_info(frame) == longer
    assert len(frame) == len(template)
    path = tmp_path / "changed.mp3"
    path.write_bytes(frame + stream[offsets[1] :])
    samples = info.frames * SAMPLES_PER_FRAME - info.delay
    assert decode(path).shape[0] == samples - longer.padding  # ffmpeg follows the tag: 100 samples more


def test_broken_frames_are_refused() -> None:
    with pytest.raises(ValueError, match="no MPEG-1 Layer III frame"):
        frame_offsets(b"\xff\xfb\x90\x00" + bytes(413) + b"garbage")
    assert read_info(bytes(417)) is None


@pytest.mark.slow  # encodes with ffmpeg
@pytest.mark.parametrize("chunk", [417, 1000, 4096, 1 << 20])
def test_frames_of_a_file_are_found_a_chunk_at_a_time(stream: bytes, tmp_path: Path, chunk: int) -> None:
    path = tmp_path / "stream.mp3"
    path.write_bytes(stream)
    assert list(file_frame_offsets(path, chunk)) == frame_offsets(stream)
    path.write_bytes(stream[:-100])
    with pytest.raises(ValueError, match="no whole MPEG-1 Layer III frame"):
        file_frame_offsets(path, chunk)
