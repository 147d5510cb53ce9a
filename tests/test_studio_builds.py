"""Builds through the studio's API, against the running server: queued in the background, one failing not stopping the
others, cancelled, followed by server-sent events, served with byte ranges; a studio killed mid-build leaves whole files only."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

pytest.importorskip("starlette", reason="the studio extra is not installed (pip install 'voiceguide[studio]')")

from audio_checks import RATE, decode
from studio_server import Running, running_studio

from voiceguide.output import TEMP_MARK
from voiceguide.routine import builtin_routines
from voiceguide.session import prepare

pytestmark = pytest.mark.slow

SHORT = """\
title: Short
music:
  bed: pad
intro:
  - Sit comfortably.
techniques:
  - name: Toe press
    steps:
      - Press your toes.
    repetitions: 2
    hold: 2s
    rest: 1s
"""


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    with running_studio(tmp_path_factory.mktemp("library")) as running:
        yield running


def wait_for(studio, build_id: str, timeout_s: float = 300) -> dict:
    deadline = time.monotonic() + timeout_s
    while True:
        status, build = studio.json("GET", f"/api/builds/{build_id}")
        assert status == 200
        if build["state"] in ("done", "failed", "cancelled") or time.monotonic() > deadline:
            return build
        time.sleep(0.2)


def test_builds_queue_and_one_failing_does_not_stop_the_others(studio):
    ids = []
    for options in ({}, {"voice": "no-such-voice-anywhere"}, {"music": "none", "format": "wav"}):
        status, answer = studio.json("POST", "/api/builds", {"yaml": SHORT, "name": "short", "options": options})
        assert status == 202
        ids.append(answer["id"])
    first, failed, third = (wait_for(studio, i) for i in ids)
    assert first["state"] == "done" and third["state"] == "done"
    assert failed["state"] == "failed" and "no-such-voice-anywhere" in failed["error"]["message"] and failed["error"]["hint"]
    kinds = {f["kind"]: f["url"] for f in first["files"]}
    assert kinds["audio"] == "/files/short.mp3" and kinds["page"] == "/files/short.html" and kinds["plan"] == "/files/short.plan.json"
    assert {f["kind"]: f["url"] for f in third["files"]}["audio"] == "/files/short.wav"


def test_the_result_decodes_to_the_plan_and_is_served_with_ranges(studio, tmp_path):
    status, answer = studio.json("POST", "/api/builds", {"yaml": SHORT, "name": "short"})
    build = wait_for(studio, answer["id"])
    assert build["state"] == "done"
    status, headers, data = studio.request("GET", "/files/short.mp3")
    assert status == 200 and headers["accept-ranges"] == "bytes"
    copy = tmp_path / "short.mp3"
    copy.write_bytes(data)
    assert len(decode(copy)) / RATE == pytest.approx(build["duration_s"], abs=0.030)
    status, headers, part = studio.request("GET", "/files/short.mp3", headers={"Range": "bytes=1000-1999"})
    assert status == 206 and part == data[1000:2000] and headers["content-range"] == f"bytes 1000-1999/{len(data)}"
    status, _, page = studio.request("GET", "/files/short.html")
    assert status == 200 and b'data-testid="current-step"' in page


def test_events_follow_the_build_and_end_with_it(studio):
    status, answer = studio.json("POST", "/api/builds", {"yaml": SHORT.replace("Short", "Short events"), "name": "events"})
    status, headers, data = studio.request("GET", f"/api/builds/{answer['id']}/events")  # returns only once the stream ends
    assert status == 200 and headers["content-type"].startswith("text/event-stream")
    events = [json.loads(line[len("data: ") :]) for line in data.decode().splitlines() if line.startswith("data: ")]
    assert events[-1]["state"] == "done" and events[-1]["progress"] == 1.0
    progress = [e["progress"] for e in events]
    assert progress == sorted(progress)


def test_a_cancelled_build_leaves_nothing(studio):
    long = SHORT.replace("repetitions: 2", "repetitions: 40").replace("Short", "Long one")
    _, first = studio.json("POST", "/api/builds", {"yaml": long, "name": "cancelled-running"})
    _, queued = studio.json("POST", "/api/builds", {"yaml": long, "name": "cancelled-queued"})
    assert studio.json("DELETE", f"/api/builds/{queued['id']}")[1]["state"] == "cancelled"
    while studio.json("GET", f"/api/builds/{first['id']}")[1]["state"] == "queued":
        time.sleep(0.05)
    assert studio.json("DELETE", f"/api/builds/{first['id']}")[0] == 200
    assert wait_for(studio, first["id"])["state"] == "cancelled"
    left = [p.name for p in studio.folders.output.iterdir() if p.name.startswith(("cancelled-", ".cancelled-"))]
    assert left == []


def test_plan_is_what_plan_json_gives(studio):
    path = builtin_routines()["stretch-sole-and-ankle"]
    status, plan = studio.json("POST", "/api/plan", {"yaml": path.read_text(), "name": "stretch-sole-and-ankle"})
    assert status == 200
    assert plan == json.loads(json.dumps(prepare(path).to_json()))


def test_say_speaks_a_line_and_a_bed_can_be_heard(studio, tmp_path):
    status, headers, wav = studio.request("POST", "/api/say", {"text": "Press gently into the arch."})
    assert status == 200 and headers["content-type"] == "audio/wav" and wav[:4] == b"RIFF"
    (tmp_path / "line.wav").write_bytes(wav)
    assert 0.8 < len(decode(tmp_path / "line.wav")) / RATE < 5
    status, headers, bed = studio.request("GET", "/api/beds/rain")
    assert status == 200 and bed[:4] == b"RIFF"
    (tmp_path / "bed.wav").write_bytes(bed)
    assert len(decode(tmp_path / "bed.wav")) / RATE == pytest.approx(12.0, abs=0.01)
    assert studio.json("GET", "/api/beds/nothing")[0] == 404


def test_a_studio_killed_mid_build_leaves_whole_files_and_the_next_start_cleans_up(tmp_path):
    library = tmp_path / "library"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "voiceguide", "studio", "--no-browser", "--library", str(library)]
    studio = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, env=env, start_new_session=True)
    try:
        running = _client(*_address_of(studio))
        long = SHORT.replace("repetitions: 2", "repetitions: 30")
        status, answer = running.json("POST", "/api/builds", {"yaml": long, "name": "killed"})
        assert status == 202
        while (build := running.json("GET", f"/api/builds/{answer['id']}")[1])["stage"] != "rendering" or build["progress"] < 0.5:
            assert build["state"] in ("queued", "running"), build
            time.sleep(0.05)
        os.killpg(studio.pid, signal.SIGKILL)
        studio.wait(10)
    finally:
        if studio.poll() is None:
            os.killpg(studio.pid, signal.SIGKILL)
            studio.wait(10)
        studio.stderr.close()
    output = library / "output"
    assert not (output / "killed.mp3").exists()  # never a half-written file under the real name
    assert [p for p in output.iterdir() if TEMP_MARK in p.name]  # what the killed build was writing
    again = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, env=env, start_new_session=True)
    try:
        _client(*_address_of(again))
        assert [p.name for p in output.iterdir() if TEMP_MARK in p.name] == []
    finally:
        os.killpg(again.pid, signal.SIGTERM)
        again.wait(10)
        again.stderr.close()


def _address_of(process: subprocess.Popen) -> tuple[int, str]:
    """The port and token the studio printed."""
    assert process.stderr is not None
    for line in process.stderr:
        if "the studio is at" in line:
            url = line.split()[4]
            return int(url.split("127.0.0.1:")[1].split("/")[0]), url.split("token=")[1]
    raise AssertionError(f"the studio did not start (exit {process.wait()})")


def _client(port: int, token: str) -> Running:
    client = Running(port, None, None, token)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if client.request("GET", "/api/routines")[0] == 200:
                return client
        except OSError:
            time.sleep(0.1)
    raise AssertionError("the studio did not answer")


def test_publish_gathers_the_picked_sessions_with_their_feed(studio):
    import feedparser

    for name in ("pub-one", "pub-two"):
        status, answer = studio.json("POST", "/api/builds", {"yaml": SHORT.replace("Short", name), "name": name})
        assert wait_for(studio, answer["id"])["state"] == "done"
    request = {
        "sessions": ["pub-one.mp3", "pub-two.mp3"],
        "title": "Feet",
        "base_url": "https://example.com/feet",
        "email": "a@example.com",
    }
    status, answer = studio.json("POST", "/api/feed", request)
    assert status == 200 and answer["episodes"] == 2 and answer["feed"] == "/files/podcast/feed.xml"
    status, _, xml = studio.request("GET", answer["feed"])
    assert status == 200
    assert sorted(e.title for e in feedparser.parse(xml).entries) == ["pub-one", "pub-two"]
    status, answer = studio.json("POST", "/api/feed", {**request, "sessions": ["pub-two.mp3"]})
    assert answer["episodes"] == 1
    podcast = studio.folders.output / "podcast"
    assert not (podcast / "pub-one.mp3").exists() and (studio.folders.output / "pub-one.mp3").exists()  # left the feed, kept
    for bad, said in (
        ({"sessions": ["nothing.mp3"]}, "no such file"),
        ({"sessions": ["../x.mp3"]}, "no such file"),
        ({"title": ""}, "title"),
    ):
        status, body = studio.json("POST", "/api/feed", {**request, **bad})
        assert 400 <= status < 500 and said in body["message"]
