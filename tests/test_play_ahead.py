"""``voiceguide play ROUTINE``: speaking at once while the narrator works ahead, waiting at the start of a line when it falls behind."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import time
import wave
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from installed import VOICEGUIDE, engine_in_tests

from voiceguide.build import BuildOptions, build
from voiceguide.narration import narrate, wav
from voiceguide.plan import Utterance, load_routine, script, utterances
from voiceguide.player.ahead import Ahead
from voiceguide.player.audio import Silent
from voiceguide.player.events import EventLog
from voiceguide.player.loop import Player
from voiceguide.player.positions import Positions
from voiceguide.player.source import Playable
from voiceguide.render import SAMPLE_RATE
from voiceguide.render.beds import MusicBed
from voiceguide.render.loudness import integrated_loudness
from voiceguide.render.settings import DEFAULT_TARGET_LUFS, MixSettings

SHORT = """
title: Quick
music:
  bed: pad
intro:
  - Welcome to a quick session.
techniques:
  - name: Toe press
    steps:
      - Press your toes.
    repetitions: 3
    hold: 0.3s
    rest: 0.2s
outro:
  - That is all.
"""


def read_events(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def play(routine_file: Path, engine: str, tmp_path: Path, bed: MusicBed | None = None) -> tuple[Ahead, list[dict[str, object]]]:
    """Play the routine without sound while ``engine`` narrates it; the events written."""
    routine = load_routine(routine_file)
    mix = MixSettings(routine.music.level_db, DEFAULT_TARGET_LUFS, routine.music.chime_level_db)
    ahead = Ahead(routine, script(routine), engine, mix, bed)
    with EventLog(tmp_path / "events.jsonl") as events:
        ahead.start()
        try:
            playable = Playable(routine.source, ahead.track(), True)
            outcome = Player(playable, Silent(), io.StringIO(), None, Positions(tmp_path / "state"), events, ahead).run("no")
        finally:
            ahead.stop()
    assert outcome.finished
    return ahead, read_events(tmp_path / "events.jsonl")


@pytest.mark.slow
@pytest.mark.usefixtures("cache_dir")
def test_a_narrator_behind_the_player_makes_it_wait_at_the_start_of_a_line(
    write_routine: Callable[[str, str], Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VOICEGUIDE_TEST_SLOW_S", "4")  # each line takes 4 s to make and a second or two to say
    slow = engine_in_tests("fake_engines", "SlowEngine")
    ahead, got = play(write_routine(SHORT, "quick.yaml"), slow, tmp_path)
    plan = ahead.plan()
    starts = [c.start_s for c in plan.cues if c.kind == "speech"]
    waits = [e for e in got if e["event"] == "wait"]
    assert got[0]["event"] == "start" and got[-1]["event"] == "end"
    assert len(waits) >= 2 and all(float(w["seconds"]) > 0 for w in waits)  # type: ignore[arg-type]
    assert all(min(abs(s - float(w["position_s"])) for s in starts) < 1e-3 for w in waits)  # type: ignore[arg-type]
    said = [e["text"] for e in got if e["event"] == "speech"]
    assert said == [c.text for c in plan.cues if c.kind == "speech"]
    stats: dict[str, int] = {}
    narrate(utterances(script(ahead.routine)), engine=slow, stats=stats)  # what a build would narrate now
    assert stats == {"synthesised": 0, "cached": len(set(said))}


@pytest.mark.slow
def test_play_of_a_routine_with_a_cold_cache_speaks_first_and_fills_the_cache(
    write_routine: Callable[[str, str], Path], tmp_path: Path, cache_dir: Path
) -> None:
    routine = write_routine(SHORT.replace("bed: pad", "bed: none"), "quick.yaml")
    env = {**os.environ, "VOICEGUIDE_STATE": str(tmp_path / "state")}
    events = tmp_path / "events.jsonl"
    done = subprocess.run(
        [*VOICEGUIDE, "play", str(routine), "--no-audio", "--events", str(events)],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    got = read_events(events)
    kinds = [e["event"] for e in got]
    assert kinds[0] == "start" and kinds[-1] == "end" and got[-1]["finished"] is True
    first = next(e for e in got if e["event"] == "speech")
    assert first["text"] == "Welcome to a quick session." and first["position_s"] == pytest.approx(0.0, abs=0.2)
    if "wait" in kinds[: kinds.index("speech")]:  # the first line narrated while the player waited for it (its narrator
        assert "Waiting for the narrator" in done.stdout  # started early, espeak-ng may have it ready before)
    built = subprocess.run(
        [*VOICEGUIDE, "build", str(routine), "-o", str(tmp_path / "quick.mp3")],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr
    assert "(0 lines synthesised" in built.stdout + built.stderr  # everything play narrated is in the cache


@pytest.mark.slow
@pytest.mark.usefixtures("cache_dir")
def test_the_mix_is_the_builds(write_routine: Callable[[str, str], Path], tmp_path: Path) -> None:
    """With every line narrated before playing starts, the sound played is the build's, sample for sample."""
    routine_file = write_routine(SHORT, "quick.yaml")
    result = build(routine_file, BuildOptions(output=tmp_path / "quick.wav", force=True))
    with wave.open(str(result.path)) as f:
        built = np.frombuffer(f.readframes(f.getnframes()), dtype="<i2").reshape(-1, 2)
    routine = load_routine(routine_file)
    mix = MixSettings(routine.music.level_db, DEFAULT_TARGET_LUFS, routine.music.chime_level_db)
    ahead = Ahead(routine, script(routine), "pyttsx3", mix, MusicBed("pad", tmp_path))
    ahead.start()
    try:
        while not ahead.complete:
            ahead.wait(1.0)
        played = np.concatenate([ahead.frames(first, SAMPLE_RATE) for first in range(0, built.shape[0], SAMPLE_RATE)])
    finally:
        ahead.stop()
    assert played.shape == built.shape
    assert int(np.abs(played.astype(np.int32) - built).max()) <= 1


@pytest.mark.slow
def test_an_engine_not_installed_is_the_install_line_without_a_sound_device(
    write_routine: Callable[[str, str], Path], tmp_path: Path
) -> None:
    routine = write_routine(SHORT.replace("title: Quick", "title: Quick\nnarration:\n  engine: kokoro"), "quick.yaml")
    env = {**os.environ, "VOICEGUIDE_DATA": str(tmp_path / "empty"), "VOICEGUIDE_STATE": str(tmp_path / "state")}
    done = subprocess.run([*VOICEGUIDE, "play", str(routine)], check=False, capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 1
    assert len(done.stderr.strip().splitlines()) == 1 and "install" in done.stderr
    assert "audio" not in done.stderr and "Traceback" not in done.stderr


def long_routine(write_routine: Callable[[str, str], Path]) -> Path:
    """SHORT with forty lines of introduction and no music: narrating it takes a while."""
    lines = "\n".join(f"  - This is line number {n} of a long introduction." for n in range(40))
    return write_routine(SHORT.replace("bed: pad", "bed: none").replace("  - Welcome to a quick session.", lines), "long.yaml")


def interrupted(routine: Path, tmp_path: Path, presses: int = 1, after_s: float = 0.0) -> tuple[int, str, str]:
    """``play ROUTINE --no-audio``, Ctrl-C pressed ``presses`` times (10 ms apart) ``after_s`` after it first speaks:
    (exit status, stdout, stderr); the events go to tmp_path/events.jsonl."""
    env = {**os.environ, "VOICEGUIDE_STATE": str(tmp_path / "state")}
    events = tmp_path / "events.jsonl"
    program = subprocess.Popen(
        [*VOICEGUIDE, "play", str(routine), "--no-audio", "--start-over", "--events", str(events)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while not (events.is_file() and '"speech"' in events.read_text(encoding="utf-8")):
            assert time.monotonic() < deadline and program.poll() is None
            time.sleep(0.05)
        time.sleep(after_s)
        for press in range(presses):
            time.sleep(0.01 if press else 0.0)
            program.send_signal(signal.SIGINT)
        out, err = program.communicate(timeout=60)
    finally:
        program.kill()
        program.wait()
    return program.returncode, out, err


@pytest.mark.slow
def test_ctrl_c_while_narrating_ahead_leaves_whole_clips_only(
    write_routine: Callable[[str, str], Path], tmp_path: Path, cache_dir: Path
) -> None:
    code, _, said = interrupted(long_routine(write_routine), tmp_path)
    assert code == 130 and "Traceback" not in said
    time.sleep(1.0)  # the narration workers are gone with the player; their files are what is left
    stored = [p for p in (cache_dir / "clips").rglob("*") if p.is_file()]
    assert stored and all(wav.is_complete(p) for p in stored if not p.name.startswith("."))
    made = {p for p in stored if not p.name.startswith(".")}
    assert 0 < len(made) < 40  # stopped part-way
    assert read_events(tmp_path / "events.jsonl")[-1]["event"] == "end"


@pytest.mark.usefixtures("cache_dir")
def test_narrating_ahead_keeps_every_core_busy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A guard for what play and build rely on: every distinct line once, on one worker per core (at most one per line)."""
    workers = tmp_path / "workers"
    workers.mkdir()
    monkeypatch.setenv("VOICEGUIDE_TEST_PID_DIR", str(workers))
    lines = [Utterance(f"Line {n}.", f"Line {n}.", "en-us", 150, 1.0) for n in range(6)]
    seen: list[Utterance] = []
    stats: dict[str, int] = {}
    narrate(
        [*lines, *lines], engine=engine_in_tests("fake_engines", "WorkerCountingEngine"), stats=stats, on_clip=lambda u, _: seen.append(u)
    )
    assert len(list(workers.iterdir())) == min(os.cpu_count() or 1, len(lines))
    assert stats == {"synthesised": len(lines), "cached": 0} and sorted(seen, key=lines.index) == lines


@pytest.mark.slow
@pytest.mark.usefixtures("cache_dir")
def test_with_a_cold_cache_the_levels_wait_for_a_line_and_stay_near_the_builds(
    write_routine: Callable[[str, str], Path], tmp_path: Path
) -> None:
    routine_file = write_routine(SHORT, "quick.yaml")
    routine = load_routine(routine_file)
    mix = MixSettings(routine.music.level_db, DEFAULT_TARGET_LUFS, routine.music.chime_level_db)
    ahead = Ahead(routine, script(routine), "pyttsx3", mix, MusicBed("pad", tmp_path))
    ahead.start()
    try:
        assert ahead.frames(0, 4096) is None  # nothing narrated: no sound, and no levels chosen on nothing
        while ahead.ready_until() == 0.0:
            ahead.wait(0.1)
        first = ahead.frames(0, 4096)  # the levels, chosen on what is narrated now
        while not ahead.complete:
            ahead.wait(0.5)
        total = round(ahead.plan().duration_s * SAMPLE_RATE)
        played = np.concatenate([first, *(ahead.frames(f, SAMPLE_RATE) for f in range(4096, total, SAMPLE_RATE))])
    finally:
        ahead.stop()
    result = build(routine_file, BuildOptions(output=tmp_path / "quick.wav", force=True))
    with wave.open(str(result.path)) as f:
        built = np.frombuffer(f.readframes(f.getnframes()), dtype="<i2").reshape(-1, 2)
    assert played.shape == built.shape
    loudness = [integrated_loudness(x.astype(np.float64) / 32768, SAMPLE_RATE) for x in (played, built)]
    assert loudness[0] == pytest.approx(loudness[1], abs=1.5)  # dB: the same mix, its gain chosen on fewer lines


@pytest.mark.slow
def test_ctrl_c_twice_while_narrating_ahead_is_still_one_line(
    write_routine: Callable[[str, str], Path], tmp_path: Path, cache_dir: Path
) -> None:
    """The second Ctrl-C lands while the player stops its narrator: still where it stopped, no traceback (at exit neither)."""
    routine = long_routine(write_routine)
    for round_ in range(3):
        code, out, err = interrupted(routine, tmp_path, presses=2, after_s=0.3 * round_)
        assert code == 130, err
        assert "Traceback" not in err and "Exception ignored" not in err, err
        assert "stopped at" in out or "interrupted" in err
        (tmp_path / "events.jsonl").unlink()
