"""What the render stage keeps in the cache: prepared clips and generated beds with their loudness profile.

Each kept file carries a sha256 of its bytes, checked on every read: a file that is
damaged, truncated, foreign or a FIFO is a miss and is made again, never used; a cache
that cannot be written only costs time. The shortcuts that make levelling and the music's
gain cheap give the very numbers of their definitions.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import numpy as np
import pytest

from voiceguide import registry
from voiceguide.narration import wav
from voiceguide.plan import Utterance
from voiceguide.render import SAMPLE_RATE, beds, prepared
from voiceguide.render.dsp import moving_average, running_min
from voiceguide.render.kept import keep, kept
from voiceguide.render.master import _Sound, keep_attack
from voiceguide.render.mixer import PROBE_FRAMES, between_probes
from voiceguide.render.music import builtin_music

RNG = np.random.default_rng(11)


def test_kept_arrays_come_back_as_they_were_and_writable(tmp_path: Path) -> None:
    a, b = RNG.random(1000).astype(np.float32), np.arange(7.0)
    keep(tmp_path / "x.kept", a, b)
    got = kept(tmp_path / "x.kept", 2, 1 << 20)
    assert got is not None and np.array_equal(got[0], a) and got[0].dtype == np.float32 and np.array_equal(got[1], b)
    got[0] *= 2  # the level model scales prepared clips in place
    assert [p.name for p in tmp_path.iterdir()] == ["x.kept"]  # no temporary file left


@pytest.mark.parametrize("damage", ["one bit", "truncated", "foreign", "empty", "too many arrays", "too large", "fifo", "folder"])
def test_a_damaged_or_foreign_kept_file_is_a_miss(damage: str, tmp_path: Path) -> None:
    path = tmp_path / "x.kept"
    keep(path, RNG.random(1000), np.arange(3))
    data = bytearray(path.read_bytes())
    if damage == "one bit":
        data[len(data) // 2] ^= 0x10
        path.write_bytes(bytes(data))
    elif damage == "truncated":
        path.write_bytes(bytes(data[:-100]))
    elif damage == "foreign":
        with path.open("wb") as handle:
            np.save(handle, np.arange(10))
    elif damage == "empty":
        path.write_bytes(b"")
    elif damage == "fifo":
        path.unlink()
        os.mkfifo(path)  # would block a plain open() for ever
    elif damage == "folder":
        path.unlink()
        path.mkdir()
    count, limit = (3, 1 << 20) if damage == "too many arrays" else (2, 100 if damage == "too large" else 1 << 20)
    assert kept(path, count, limit) is None


def test_keeping_in_a_cache_that_cannot_be_written_only_costs_time(tmp_path: Path) -> None:
    (tmp_path / "file").write_bytes(b"")
    keep(tmp_path / "file" / "x.kept", np.arange(3))  # a file where the folder should be: no error
    (tmp_path / "ro").mkdir()
    (tmp_path / "ro").chmod(0o500)
    try:
        keep(tmp_path / "ro" / "sub" / "x.kept", np.arange(3))  # a read-only folder: no error
    finally:
        (tmp_path / "ro").chmod(0o700)
    assert (tmp_path / "file").read_bytes() == b""


def _stored_clip(cache: Path, samples: np.ndarray, rate: int = 22050) -> Path:
    path = cache / "clips" / "ab" / "abcdef.wav"
    wav.write_mono16_atomic(path, samples, rate)
    return path


def _line() -> np.ndarray:
    t = np.arange(22050) / 22050
    return (np.sin(2 * np.pi * 220 * t) * np.minimum(1, t * 20) * 12000).astype(np.int16)


def test_a_prepared_clip_is_kept_and_read_back_as_made(tmp_path: Path) -> None:
    clip = _stored_clip(tmp_path, _line())
    made = prepared.prepared(clip, Utterance("a", "a", "en", 150, 1.0))
    [kept_file] = (tmp_path / "prepared").rglob("*.kept")
    assert wav.read_stored_summed(clip)[2].hex() in kept_file.name
    again = prepared.prepared(clip, Utterance("a", "a", "en", 150, 1.0))
    assert all(np.array_equal(x, y) and x.dtype == y.dtype for x, y in zip(made, again, strict=True))
    assert made[0].size == SAMPLE_RATE  # one second at the output rate


def test_a_damaged_prepared_clip_is_made_again_with_the_same_numbers(tmp_path: Path) -> None:
    clip = _stored_clip(tmp_path, _line())
    made = prepared.prepared(clip, Utterance("a", "a", "en", 150, 1.0))
    [kept_file] = (tmp_path / "prepared").rglob("*.kept")
    data = bytearray(kept_file.read_bytes())
    data[len(data) // 3] ^= 0x01  # one bit of one sample: it would still load
    kept_file.write_bytes(bytes(data))
    again = prepared.prepared(clip, Utterance("a", "a", "en", 150, 1.0))
    assert all(np.array_equal(x, y) for x, y in zip(made, again, strict=True))
    assert prepared._read(kept_file) is not None  # and kept again, whole


def test_a_clip_outside_a_cache_is_prepared_without_keeping_anything(tmp_path: Path) -> None:
    clip = tmp_path / "line.wav"
    wav.write_mono16_atomic(clip, _line(), 22050)
    prepared.prepared(clip, Utterance("a", "a", "en", 150, 1.0))
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["line.wav"]


def test_a_generated_bed_keeps_its_profile_and_it_is_the_one_measured(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[str] = []

    def make(rate: int) -> np.ndarray:
        made.append("pad")
        return (RNG.random((3 * SAMPLE_RATE + 17, 2)) * 0.1).astype(np.float32)

    monkeypatch.setitem(registry.BEDS, "pad", dataclasses.replace(registry.BEDS["pad"], version=99))
    monkeypatch.setattr(beds, "maker", lambda name: make)
    bed, profile = beds._generated("pad", SAMPLE_RATE)
    again_bed, again_profile = beds._generated("pad", SAMPLE_RATE)
    assert made == ["pad"] and np.array_equal(bed, again_bed) and np.array_equal(profile, again_profile)
    measured = builtin_music(bed)
    assert np.array_equal(measured.profile, profile)
    assert builtin_music(bed, profile).loudness_lufs == measured.loudness_lufs


@pytest.mark.parametrize("frames", [1, 2, 31, 32, 33, 64, 65, 1000, 65535, 65536, 65537])
def test_the_music_gain_between_probes_is_np_interp_exactly(frames: int) -> None:
    offsets = np.append(np.arange(0, frames, PROBE_FRAMES, dtype=np.float64), frames - 1)
    level = RNG.random(offsets.size).astype(np.float32).astype(np.float64)
    level[offsets == frames - 1] = level[-1]  # a probe at the same frame has the same value
    flat_ends = level.copy()
    flat_ends[: offsets.size // 3] = flat_ends[offsets.size // 3]  # a ramp that starts and ends inside the block
    flat_ends[2 * offsets.size // 3 :] = flat_ends[2 * offsets.size // 3]
    for probes in (level, flat_ends, np.full(offsets.size, 0.5)):
        assert np.array_equal(between_probes(probes, frames), np.interp(np.arange(frames, dtype=np.float64), offsets, probes))


def _ride_by_definition(clip: np.ndarray, level: float, ceiling: float) -> np.ndarray:
    need = np.minimum(1.0, ceiling / np.maximum(np.abs(clip) * level, 1e-9))
    radius = int(0.005 * SAMPLE_RATE)
    return keep_attack(clip, moving_average(running_min(need, 2 * radius), radius)).astype(np.float32)


@pytest.mark.parametrize("level", [0.9, 1.7, 3.1])
def test_the_ceilings_ride_is_the_one_its_definition_gives(level: float) -> None:
    t = np.arange(SAMPLE_RATE) / SAMPLE_RATE
    clip = (np.sin(2 * np.pi * 180 * t) * (0.2 + 0.6 * RNG.random(t.size) ** 4) * np.minimum(1, t * 30)).astype(np.float32)
    sound = _Sound(clip.copy())
    for trial in (level, level * 1.1, level):  # the parts found once serve every trial gain
        ride = sound.ride(trial, 0.7)
        assert ride is not None and np.array_equal(ride, _ride_by_definition(clip, trial, 0.7))
