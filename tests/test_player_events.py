"""The events file ``play --events`` writes, on a short timeline played without sound."""

from __future__ import annotations

import io
import json
from pathlib import Path

from voiceguide.player.audio import Silent
from voiceguide.player.events import EventLog
from voiceguide.player.loop import Player
from voiceguide.player.positions import Positions
from voiceguide.player.source import Playable
from voiceguide.player.timeline import Item, Span, Track

TRACK = Track(
    "Short",
    1.2,
    (Span("Introduction", 0.0, 0.6), Span("Toes", 0.6, 1.2)),
    (Item("speech", 0.0, 0.3, "Welcome."), Item("pause", 0.3, 0.6), Item("speech", 0.6, 0.9, "Press."), Item("pause", 0.9, 1.2)),
)


def read_events(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_events_of_a_session_played_to_the_end(tmp_path: Path) -> None:
    audio = tmp_path / "short.mp3"
    audio.write_bytes(b"")
    with EventLog(tmp_path / "events.jsonl") as events:
        outcome = Player(Playable(audio, TRACK, True), Silent(), io.StringIO(), None, Positions(tmp_path / "state"), events).run("no")
    assert outcome.finished
    got = read_events(tmp_path / "events.jsonl")
    assert [(e["event"], e.get("text") or e.get("title")) for e in got] == [
        ("start", None), ("chapter", "Introduction"), ("speech", "Welcome."), ("chapter", "Toes"), ("speech", "Press."), ("end", None),
    ]  # fmt: skip
    assert got[0]["position_s"] == 0.0 and got[-1]["finished"] is True
    assert all(set(e) >= {"t", "event", "position_s"} for e in got)
    assert [e["t"] for e in got] == sorted(e["t"] for e in got)
    speech = [e for e in got if e["event"] == "speech"]
    assert speech[1]["position_s"] >= 0.6  # "Press." is told when it starts to sound, not before


def test_other_parts_can_add_their_own_events(tmp_path: Path) -> None:
    """How ``play --listen`` adds a heard command: the same writer, an event name of its own."""
    with EventLog(tmp_path / "events.jsonl") as events:
        events.write("start", 0.0)
        events.write("command", 12.3456, text="pause")
    assert read_events(tmp_path / "events.jsonl")[1] == {
        "t": read_events(tmp_path / "events.jsonl")[1]["t"], "event": "command", "position_s": 12.346, "text": "pause",
    }  # fmt: skip


def test_no_events_file_writes_nothing(tmp_path: Path) -> None:
    with EventLog(None) as events:
        events.write("start", 0.0)
    assert list(tmp_path.iterdir()) == []
