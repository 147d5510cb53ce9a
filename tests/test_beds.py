"""The generated beds: energy where phone speakers play, no seam, the same bytes every time, chosen by name.

Each bed is measured as made (one loop, stereo float32) and, in the slow layer, in the holds
of a decoded build that chose it by name.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from audio_checks import RATE, decode, ebur128, span
from click.testing import CliRunner
from mix_checks import band_share, hold_spans

from voiceguide import registry
from voiceguide.errors import MusicError, RoutineError
from voiceguide.plan import load_routine
from voiceguide.registry import DEFAULT_BED
from voiceguide.render import beds as beds_module
from voiceguide.render.beds import BUILTIN, MusicBed, generated_bed, maker
from voiceguide.render.music import builtin_music

BED_NAMES = registry.bed_names()
BEDS = tuple(registry.BEDS.values())
PHONE_SHARE = 0.25  # of a bed's energy between 300 Hz and 6 kHz, at least


@pytest.fixture(scope="module")
def beds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, np.ndarray]:
    """Every bed, made once through the cache (a cache of this module's own)."""
    cache = tmp_path_factory.mktemp("bed-cache")
    patch = pytest.MonkeyPatch()
    patch.setenv("VOICEGUIDE_CACHE", str(cache))
    try:
        return {name: generated_bed(name, RATE) for name in BED_NAMES}
    finally:
        patch.undo()


def levels_db(x: np.ndarray, window_s: float = 0.1) -> np.ndarray:
    mid = x.astype(np.float64).mean(axis=1)
    window = round(window_s * RATE)
    blocks = mid[: mid.size // window * window].reshape(-1, window)
    return 10 * np.log10(np.mean(np.square(blocks), axis=1))


# ------------------------------------------------------------------ the list of beds


def test_every_listed_bed_has_a_maker_and_the_schema_knows_them() -> None:
    from test_schema import SCHEMA

    assert all(callable(maker(name)) for name in BED_NAMES)
    assert DEFAULT_BED in BED_NAMES
    music = SCHEMA["properties"]["music"]["oneOf"][2]["properties"]
    assert music["bed"]["enum"] == [*BED_NAMES, "none"]
    assert all(bed.sound.endswith(".") and len(bed.sound) > 30 for bed in BEDS)


def test_music_lists_the_beds_as_json() -> None:
    from voiceguide.cli import cli, commands  # noqa: F401

    result = CliRunner().invoke(cli, ["music", "--json"])
    assert result.exit_code == 0
    listed = json.loads(result.stdout)
    assert [b["name"] for b in listed] == list(BED_NAMES)
    assert [b["name"] for b in listed if b["default"]] == [DEFAULT_BED]
    text = CliRunner().invoke(cli, ["music"])
    assert text.exit_code == 0 and len(text.stdout.splitlines()) == len(BED_NAMES)


@pytest.mark.parametrize(
    "module",
    ["voiceguide.render.settings", "voiceguide.registry", "voiceguide.render.beds", "voiceguide.routine", "voiceguide.cli.music"],
)
@pytest.mark.slow  # a fresh interpreter each; lint-imports (no cycle between siblings) keeps this in the fast checks
def test_each_module_that_knows_the_beds_imports_first(module: str) -> None:
    """The beds' names are read by the routine loader and the render stage alike: no import cycle, whichever comes first."""
    subprocess.run([sys.executable, "-c", f"import {module}"], check=True, timeout=60)


# ------------------------------------------------------------------ each bed as made


@pytest.mark.parametrize("name", BED_NAMES)
def test_a_real_share_of_the_energy_where_phones_play(beds: dict[str, np.ndarray], name: str) -> None:
    assert band_share(beds[name]) >= PHONE_SHARE


@pytest.mark.parametrize("name", BED_NAMES)
def test_loops_without_a_seam(beds: dict[str, np.ndarray], name: str) -> None:
    """Across the loop point the waveform moves as it does everywhere else: no step, no click."""
    bed = beds[name].astype(np.float64)
    around = np.concatenate([bed[-RATE // 100 :], bed[: RATE // 100]])  # 10 ms either side of the seam
    roughness = np.sqrt(np.mean(np.square(np.diff(around, n=2, axis=0))))
    starts = np.linspace(RATE, bed.shape[0] - RATE, 200).astype(int)
    elsewhere = [np.sqrt(np.mean(np.square(np.diff(bed[s - RATE // 100 : s + RATE // 100], n=2, axis=0)))) for s in starts]
    assert roughness <= np.percentile(elsewhere, 99)
    step = np.abs(bed[0] - bed[-1]).max()
    assert step <= np.percentile(np.abs(np.diff(bed, axis=0)).max(axis=1), 99.9)


@pytest.mark.parametrize("name", BED_NAMES)
def test_the_looped_stream_reads_straight_across_the_seam(beds: dict[str, np.ndarray], name: str) -> None:
    bed = beds[name]
    music = builtin_music(bed)
    assert np.array_equal(music.read(bed.shape[0] - 100, 200), np.concatenate([bed[-100:], bed[:100]]))


@pytest.mark.parametrize("name", BED_NAMES)
def test_moves_slowly(beds: dict[str, np.ndarray], name: str) -> None:
    """Within any 1.5 s the bed's own level moves by at most 4 dB: a pause between two lines never sounds like a pump."""
    db = levels_db(beds[name])
    wrapped = np.concatenate([db, db[:15]])
    swing = max(wrapped[i : i + 15].max() - wrapped[i : i + 15].min() for i in range(db.size))
    assert swing <= 4.0


@pytest.mark.slow  # makes every bed a second time
@pytest.mark.parametrize("name", BED_NAMES)
def test_the_same_to_the_byte(beds: dict[str, np.ndarray], name: str) -> None:
    again = maker(name)(RATE)
    assert again.dtype == np.float32 and again.shape == beds[name].shape and again.shape[1] == 2
    assert again.tobytes() == beds[name].tobytes()


# ------------------------------------------------------------------ the cache


def test_cache_is_keyed_on_the_bed_and_its_version(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[str] = []

    def maker(name: str) -> Callable[[int], np.ndarray]:
        def make(rate: int) -> np.ndarray:
            made.append(name)
            return np.full((rate, 2), 0.1 * len(made), dtype=np.float32)

        return make

    makers = {"pad": maker("pad"), "rain": maker("rain")}
    monkeypatch.setattr(beds_module, "maker", makers.__getitem__)
    for name in makers:
        monkeypatch.setitem(registry.BEDS, name, dataclasses.replace(registry.BEDS[name], version=1))
    first = generated_bed(BUILTIN, 100)
    assert made == ["pad"] and (cache_dir / "bed-pad-v1-100.kept").exists()
    assert generated_bed("pad", 100).tobytes() == first.tobytes() and made == ["pad"]  # from the cache
    generated_bed("rain", 100)
    assert made == ["pad", "rain"]
    monkeypatch.setitem(registry.BEDS, "pad", dataclasses.replace(registry.BEDS["pad"], version=2))  # the pad's sound changed
    makers["pad"] = maker("pad")
    assert generated_bed("pad", 100).tobytes() != first.tobytes() and made == ["pad", "rain", "pad"]
    (cache_dir / "bed-rain-v1-100.kept").write_bytes(b"not a bed")
    generated_bed("rain", 100)  # a damaged file is made again
    assert made[-1] == "rain" and len(made) == 4


# ------------------------------------------------------------------ choosing a bed


def test_a_routine_chooses_a_bed(write_routine: Callable[[str, str], Path]) -> None:
    routine = load_routine(write_routine("title: T\nmusic: {bed: rain, level: -18}\ntechniques: [{name: A}]\n", "r.yaml"))
    assert (routine.music.kind, routine.music.bed, routine.music.level_db) == ("builtin", "rain", -18.0)
    silent = load_routine(write_routine("title: T\nmusic: {bed: none, chime_level: -9}\ntechniques: [{name: A}]\n", "s.yaml"))
    assert (silent.music.kind, silent.music.chime_level_db) == ("none", -9.0)
    default = load_routine(write_routine("title: T\ntechniques: [{name: A}]\n", "d.yaml"))
    assert (default.music.kind, default.music.bed) == ("builtin", DEFAULT_BED)


@pytest.mark.parametrize(
    ("music", "words"),
    [
        ("{bed: rian}", r"r\.yaml:2:\d+: music bed is 'rian'.*did you mean 'rain'"),
        ("{bed: rain, file: x.mp3}", r"r\.yaml:2:\d+: music has both file: and bed:"),
        ("{chime_level: -50}", r"r\.yaml:2:\d+: music chime_level"),
    ],
)
def test_a_bad_bed_is_a_located_problem(write_routine: Callable[[str, str], Path], music: str, words: str) -> None:
    path = write_routine(f"title: T\nmusic: {music}\ntechniques: [{{name: A}}]\n", "r.yaml")
    with pytest.raises(RoutineError, match=words):
        load_routine(path)


def test_an_unknown_bed_name_is_refused_at_once(tmp_path: Path) -> None:
    with pytest.raises(MusicError, match=r"no music bed called 'lounge'.*pad"):
        MusicBed("lounge", tmp_path)


@pytest.mark.parametrize("args", [["--bed", "rain", "--no-music"], ["--bed", "lounge"]])
def test_build_bed_option_is_checked(tiny_routine: Path, args: list[str]) -> None:
    from voiceguide.cli import cli, commands  # noqa: F401

    result = CliRunner().invoke(cli, ["build", str(tiny_routine), *args])
    assert result.exit_code == 2


# ------------------------------------------------------------------ in a build


ROUTINE = """
title: Bed check
intro:
  - say: Welcome. Rest your hands on your knees, and listen.
    pause: 14s
techniques:
  - name: Toe press
    repetitions: 2
    hold: 8s
outro:
  - say: That is the end of the session.
    pause: 3s
"""


@pytest.mark.slow
@pytest.mark.parametrize("name", BED_NAMES)
def test_built_with_each_bed(name: str, beds: dict[str, np.ndarray], tmp_path: Path) -> None:
    """Decoded, the holds carry the chosen bed, sample for sample, with its share of phone-speaker energy, at podcast loudness."""
    from voiceguide.build import BuildOptions, build

    routine = tmp_path / "bed.yaml"
    routine.write_text(ROUTINE.lstrip("\n"), encoding="utf-8")
    result = build(routine, BuildOptions(output=tmp_path / "bed.mp3", music=name))
    audio = decode(result.path)
    holds = np.concatenate([span(audio, a, b) for a, b in hold_spans(result.plan)])
    assert holds.shape[0] >= 10 * RATE
    assert band_share(holds) >= PHONE_SHARE
    a, b = hold_spans(result.plan)[0]
    heard = span(audio, a, b).mean(axis=1)
    frames = np.arange(round(a * RATE), round(a * RATE) + heard.size) % beds[name].shape[0]  # the bed starts with the session
    made = beds[name][frames].astype(np.float64).mean(axis=1)
    assert np.dot(heard, made) / np.sqrt(np.dot(heard, heard) * np.dot(made, made)) >= 0.9
    loudness = ebur128(result.path)
    assert loudness.integrated_lufs == pytest.approx(-16.0, abs=1.0) and loudness.true_peak_dbtp <= -1.0
