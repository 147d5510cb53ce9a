"""The clip cache: where it lives, what its key covers, damaged files, and builds sharing it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from voiceguide.narration import narrate, wav
from voiceguide.narration.cache import cache_root, clip_key, clip_path, lookup
from voiceguide.plan import Utterance

REPO = Path(__file__).resolve().parents[1]
TEXT = "Slide your knuckles from heel to toe."


pytestmark = pytest.mark.usefixtures("cache_dir")  # every test here starts from an empty clip cache


def say(text: str = TEXT, voice: str = "en-us", rate: int = 175, volume: float = 1.0) -> Utterance:
    return Utterance(text, text, voice, rate, volume)


# --- location and key ----------------------------------------------------------------


def test_cache_root_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_root(tmp_path / "given") == tmp_path / "given"
    assert cache_root() == Path(os.environ["VOICEGUIDE_CACHE"])
    monkeypatch.delenv("VOICEGUIDE_CACHE")
    assert cache_root() == tmp_path / "xdg" / "voiceguide"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert cache_root() == tmp_path / "home" / ".cache" / "voiceguide"


BASE = ("pyttsx3", "pyttsx3 2.99; espeak-ng 1.52.0", "gmw/en-us", 175, 1.0, TEXT)


@pytest.mark.parametrize(
    "index, other",
    [(0, "espeak-cli"), (1, "pyttsx3 2.99; espeak-ng 1.51"), (2, "gmw/en"), (3, 176), (4, 0.9), (5, TEXT + "!")],
)
def test_key_covers_every_field(index: int, other: object) -> None:
    changed = list(BASE)
    changed[index] = other
    assert clip_key(*changed) != clip_key(*BASE)  # type: ignore[arg-type]


def test_key_is_stable_and_type_tolerant() -> None:
    assert clip_key(*BASE) == clip_key("pyttsx3", BASE[1], "gmw/en-us", 175, 1, TEXT)
    assert len(clip_key(*BASE)) == 64
    assert clip_path(Path("/c"), "ab" + "0" * 62) == Path("/c/clips/ab/ab" + "0" * 62 + ".wav")


def test_narrated_clips_differ_with_voice_rate_volume_and_text(cache_dir: Path) -> None:
    variants = [say(), say(voice="gmw/en"), say(rate=200), say(volume=0.8), say(TEXT + " Slowly.")]
    clips = narrate(variants)
    paths = {clips[u].path for u in variants}
    assert len(paths) == len(variants)
    assert all(p.is_relative_to(cache_dir / "clips") and p.parent.name == p.stem[:2] for p in paths)


def test_voice_named_differently_reuses_the_clip() -> None:
    stats: dict[str, int] = {}
    narrate([say(voice="gmw/en-us")])
    narrate([say(voice="English (America)"), say(voice="en-us")], stats=stats)
    assert stats == {"synthesised": 0, "cached": 1}


# --- damaged clips ---------------------------------------------------------------------


def truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:1000])


def garble(path: Path) -> None:
    path.write_bytes(b"not a wav at all")


def empty(path: Path) -> None:
    path.write_bytes(b"")


def stereo(path: Path) -> None:
    import wave

    with wave.open(str(path), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(22050)
        w.writeframes(b"\0\0" * 2000)


@pytest.mark.parametrize(
    "damage", [truncate, *(pytest.param(d, marks=pytest.mark.slow) for d in (garble, empty, stereo))]
)  # each narrates again: one kind in the fast layer
def test_damaged_clip_is_synthesised_again(damage: object) -> None:
    u = say()
    clip = narrate([u])[u]
    assert callable(damage)
    damage(clip.path)
    assert lookup(clip.path) is None
    stats: dict[str, int] = {}
    again = narrate([u], stats=stats)[u]
    assert stats == {"synthesised": 1, "cached": 0}
    assert again == clip and lookup(clip.path) == clip


def test_atomic_write_leaves_only_the_clip(tmp_path: Path) -> None:
    target = tmp_path / "ab" / "clip.wav"
    samples = np.arange(-500, 500, dtype=np.int16)
    wav.write_mono16_atomic(target, samples, 22050)
    assert [p.name for p in target.parent.iterdir()] == ["clip.wav"]
    assert wav.stored_frames(target) == (1000, 22050)
    got, rate = wav.read_mono16(target)
    assert rate == 22050 and np.array_equal(got, samples)


def test_durations_come_from_the_header() -> None:
    u = say()
    clip = narrate([u])[u]
    frames, rate = wav.stored_frames(clip.path) or (0, 0)
    assert lookup(clip.path) == clip and clip.duration_s == frames / rate
    assert clip.path.stat().st_size == wav.HEADER_BYTES + 2 * frames + wav.SUM_BYTES


# --- builds sharing one cache ------------------------------------------------------------

CHILD = """
import json, sys
from voiceguide.narration import narrate
from voiceguide.plan import Utterance
texts = json.loads(sys.argv[1])
stats = {}
clips = narrate([Utterance(t, t, "en-us", 175, 1.0) for t in texts], stats=stats)
print(json.dumps({"stats": stats, "clips": {u.text: [str(c.path), c.duration_s] for u, c in clips.items()}}))
"""


@pytest.mark.slow
def test_two_processes_share_one_cache(cache_dir: Path) -> None:
    texts = [f"Round {n}: circle the ankle gently." for n in ("one", "two", "three", "four", "five", "six")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, json.dumps(texts)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True
        )
        for _ in range(2)
    ]
    results = []
    for run in runs:
        out, err = run.communicate(timeout=120)
        assert run.returncode == 0, err
        results.append(json.loads(out))
    first, second = (r["clips"] for r in results)
    assert all(first[t][0] == second[t][0] for t in texts)
    # espeak's output depends slightly on what the process said before (a few ms), so
    # two builds may store slightly different clips for one key; either is a whole clip.
    assert all(first[t][1] == pytest.approx(second[t][1], abs=0.02) for t in texts)
    stats: dict[str, int] = {}
    clips = narrate([say(t) for t in texts], stats=stats)
    assert stats == {"synthesised": 0, "cached": len(texts)}
    for u, clip in clips.items():
        assert str(clip.path) == first[u.text][0]
        assert clip.duration_s in (first[u.text][1], second[u.text][1])
    assert not list(cache_dir.rglob("*.tmp"))
