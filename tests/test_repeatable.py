"""Repeatability: the same routine built twice with the same version gives the same bytes.

Holds for MP3 and FLAC, without music, with the built-in bed and with a music file,
through the library and the command line, from a cold clip cache and then a warm one
(the warm build reads the clips the cold one stored).

Two *cold* caches must hold the same clips too. espeak-ng keeps state from one line to
the next inside a process (a line came out a few to a few hundred samples different
depending on what the worker said before), so each clip is made by a fresh fork of a
preloaded worker; the test on two cold caches names every clip that differs, if any.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from installed import VOICEGUIDE

from voiceguide import ffmpeg
from voiceguide.build import BuildOptions, build
from voiceguide.narration import wav

pytestmark = pytest.mark.slow  # end-to-end: real builds compared byte for byte

ROUTINE = """\
title: Repeatable
author: Tests
intro:
  - Welcome. Sit comfortably and take a slow breath.
techniques:
  - name: Toe press
    steps:
      - Press your toes gently into the floor.
      - {say: Breathe out slowly., pause: 2s}
    repetitions: 3
    hold: 3s
    rest: 1s
    release: Release.
  - name: Ankle circles
    sides: each
    steps: [Draw a slow circle with your ankle.]
    repetitions: 2
    hold: 2s
outro:
  - That is the end of the session.
"""


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass
class Builder:
    folder: Path
    routine: Path
    monkeypatch: pytest.MonkeyPatch
    count: int = 0

    def __call__(self, cache: Path, fmt: str = "mp3", music: Path | str = "none") -> Path:
        """Build the routine with this clip cache into a new file; return its path."""
        self.count += 1
        out = self.folder / f"build-{self.count}.{fmt}"
        self.monkeypatch.setenv("VOICEGUIDE_CACHE", str(cache))
        build(self.routine, BuildOptions(output=out, music=music, fmt=fmt))  # type: ignore[arg-type]
        return out


@pytest.fixture(scope="module")
def builder(tmp_path_factory: pytest.TempPathFactory) -> Builder:
    folder = tmp_path_factory.mktemp("repeatable")
    routine = folder / "repeatable.yaml"
    routine.write_text(ROUTINE)
    patch = pytest.MonkeyPatch()
    yield Builder(folder, routine, patch)  # type: ignore[misc]
    patch.undo()


@pytest.fixture(scope="module")
def tone(builder: Builder) -> Path:
    path = builder.folder / "tone.mp3"
    subprocess.run(
        [ffmpeg.ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "sine=frequency=330:duration=7",
         "-ac", "2", "-y", str(path)],
        check=True, timeout=120,
    )  # fmt: skip
    return path


@pytest.fixture(scope="module")
def cold_then_warm(builder: Builder) -> tuple[Path, Path, Path]:
    """A cold build (empty cache) and a warm one (same cache) of the MP3 without music, and that cache."""
    cache = builder.folder / "cache-a"
    cold = builder(cache)
    warm = builder(cache)
    return cold, warm, cache


def test_cold_and_warm_cache_give_the_same_mp3(cold_then_warm: tuple[Path, Path, Path]) -> None:
    cold, warm, _ = cold_then_warm
    assert sha(cold) == sha(warm)


@pytest.mark.parametrize("fmt", ["mp3", "flac"])
@pytest.mark.parametrize("music", ["none", "builtin", "file"])
def test_twice_with_one_cache_gives_the_same_bytes(
    fmt: str, music: str, builder: Builder, cold_then_warm: tuple[Path, Path, Path], tone: Path
) -> None:
    _, _, cache = cold_then_warm
    choice: Path | str = tone if music == "file" else music
    first, second = builder(cache, fmt, choice), builder(cache, fmt, choice)
    assert first.stat().st_size > 10_000
    assert sha(first) == sha(second)


def test_cold_cache_with_the_builtin_bed(builder: Builder) -> None:
    """The built-in bed is made and stored in the cache on first use; the stored bed gives the same file."""
    cache = builder.folder / "cache-bed"
    cold = builder(cache, "mp3", "builtin")
    assert list(cache.glob("bed-*.kept")), "the bed was not stored"
    assert sha(cold) == sha(builder(cache, "mp3", "builtin"))


def test_command_line_gives_the_library_s_bytes(builder: Builder, cold_then_warm: tuple[Path, Path, Path], tmp_path: Path) -> None:
    cold, _, cache = cold_then_warm
    out = tmp_path / "cli.mp3"
    done = subprocess.run(
        [*VOICEGUIDE, "build", str(builder.routine), "-o", str(out), "--no-music", "--quiet"],
        capture_output=True, text=True, timeout=180, env={**os.environ, "VOICEGUIDE_CACHE": str(cache)}, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert sha(out) == sha(cold)


def _clip_differences(a: Path, b: Path) -> list[str]:
    """Each clip stored in both caches that differs, as 'key: frames a/b, largest sample difference'."""
    found = []
    for clip in sorted((a / "clips").rglob("*.wav")):
        other = b / "clips" / clip.relative_to(a / "clips")
        assert other.exists(), f"{clip.name} is only in one cache"
        x, _ = wav.read_mono16(clip)
        y, _ = wav.read_mono16(other)
        if len(x) != len(y) or not np.array_equal(x, y):
            common = min(len(x), len(y))
            peak = int(np.abs(x[:common].astype(np.int32) - y[:common]).max()) if common else 0
            found.append(
                f"{clip.stem[:12]}: {len(x)}/{len(y)} frames ({(len(x) - len(y)) / 22.05:+.1f} ms), largest sample difference {peak}"
            )
    return found


def test_two_cold_caches_give_the_same_clips_and_file(builder: Builder, cold_then_warm: tuple[Path, Path, Path]) -> None:
    """Each clip is made by a fresh fork of a preloaded worker, so no line depends on what was said before it."""
    cold, _, cache_a = cold_then_warm
    cache_b = builder.folder / "cache-b"
    other = builder(cache_b)
    differences = _clip_differences(cache_a, cache_b)
    total = len(list((cache_a / "clips").rglob("*.wav")))
    assert differences == [], f"{len(differences)} of {total} clips differ between two cold caches: " + "; ".join(differences)
    assert sha(other) == sha(cold)


def test_rebuild_from_a_cache_filled_by_another_build_is_repeatable(builder: Builder, cold_then_warm: tuple[Path, Path, Path]) -> None:
    """Whatever clips a cache holds, every build from it is the same: a third cache, filled cold, then twice warm."""
    cache = builder.folder / "cache-c"
    builder(cache)
    assert sha(builder(cache)) == sha(builder(cache))
