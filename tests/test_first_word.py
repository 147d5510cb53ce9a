"""The first word of ``play ROUTINE``: its narrator starts before the player is ready and makes the first clip alone."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from installed import engine_in_tests
from neural import require

from voiceguide.errors import NarratorError
from voiceguide.narration import narrate, resident, start_early, stop_narrators
from voiceguide.narration.engines import engine_ref
from voiceguide.plan import Utterance

LINES = [Utterance(f"Line {n}.", f"Line {n}.", "en-us", 150, 1.0) for n in range(5)]


def made_by_worker(folder: Path) -> dict[int, list[tuple[float, float, str]]]:
    """What each worker made: (start, end, text) of every clip, by worker pid."""
    found: dict[int, list[tuple[float, float, str]]] = {}
    for notes in folder.iterdir():
        for row in notes.read_text(encoding="utf-8").splitlines():
            start, end, text = row.split(" ", 2)
            found.setdefault(int(notes.name), []).append((float(start), float(end), text))
    return found


def early_pids(engine: str) -> list[int]:
    kept = resident.kept()
    assert kept is not None
    narrators = kept.take(engine_ref(engine), 8)
    kept.give_back(engine_ref(engine), narrators)
    return [n.process.pid for n in narrators]  # type: ignore[attr-defined]


@pytest.fixture
def notes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "workers"
    folder.mkdir()
    monkeypatch.setenv("VOICEGUIDE_TEST_PID_DIR", str(folder))
    return folder


@pytest.mark.usefixtures("cache_dir")
def test_the_narrator_started_early_makes_the_first_clip_alone_then_every_core_works(notes: Path) -> None:
    engine = engine_in_tests("fake_engines", "WorkerCountingEngine")
    try:
        start_early(LINES[0], engine)
        early = early_pids(engine)
        order: list[str] = []
        narrate(LINES, engine=engine, first_soon=True, on_clip=lambda u, _: order.append(u.text))
    finally:
        stop_narrators()
    made = made_by_worker(notes)
    assert len(early) == 1 and LINES[0].text in [text for _, _, text in made[early[0]]]
    first_end = next(end for clips in made.values() for _, end, text in clips if text == LINES[0].text)
    assert all(start >= first_end for clips in made.values() for start, _, text in clips if text != LINES[0].text)
    assert order[0] == LINES[0].text and sorted(order) == sorted(u.text for u in LINES)
    assert len(made) == min(os.cpu_count() or 1, len(LINES))  # then one worker per core, as for a build
    assert resident.kept() is None  # stopped: no narrator waits for the player to end


def test_a_first_line_already_cached_starts_no_narrator(cache_dir: Path) -> None:
    narrate(LINES[:1], engine="pyttsx3")
    try:
        start_early(LINES[0], "pyttsx3")
        assert resident.kept() is None
    finally:
        stop_narrators()


@pytest.mark.usefixtures("cache_dir")
def test_an_engine_that_cannot_load_in_the_early_narrator_is_one_error_and_no_process_is_left() -> None:
    engine = engine_in_tests("fake_engines", "LoadFailingEngine")
    try:
        start_early(LINES[0], engine)
        narrators = early_pids(engine)
        with pytest.raises(NarratorError, match="the fake model file is damaged") as raised:
            narrate(LINES, engine=engine, first_soon=True)
        assert "Line 0." in raised.value.message
    finally:
        stop_narrators()
    for pid in narrators:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


@pytest.mark.slow
def test_kokoros_early_narrator_on_every_core_says_what_a_build_says(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Its clips (the first made alone on every core, the next shared with the others) are the build's, byte for byte."""
    require("kokoro")
    lines = [
        Utterance(text, text, "af_heart", 140, 1.0)
        for text in ("Welcome. This is a gentle massage you give your own feet.", "Press.", "Breathe out slowly, and let the foot rest.")
    ]
    made: dict[str, dict[Utterance, bytes]] = {}
    for kind in ("build", "early"):
        monkeypatch.setenv("VOICEGUIDE_CACHE", str(tmp_path / kind))
        try:
            if kind == "early":
                start_early(lines[0], "kokoro")
            clips = narrate(lines, engine="kokoro", first_soon=kind == "early")
        finally:
            stop_narrators()
        made[kind] = {u: clip.path.read_bytes() for u, clip in clips.items()}
    assert made["early"] == made["build"]
