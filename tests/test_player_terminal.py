"""``voiceguide play`` through a pseudo-terminal, reading the screen as a terminal shows it; the decoder and the no-device line."""

from __future__ import annotations

import fcntl
import os
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import numpy as np
import pyte
import pytest
from installed import VOICEGUIDE
from player_fixtures import build_session, track_of

from voiceguide import ffmpeg
from voiceguide.player.audio import NoAudioDevice, Speaker, decode_stream
from voiceguide.player.timeline import moment

pytestmark = pytest.mark.slow  # the real command in a pseudo-terminal

ROWS, COLUMNS = 24, 80
WAIT_S = 10.0  # generous: the figure that matters (first screen in well under a second) is measured, not asserted
BUILD_S = 300.0  # a build comes first: minutes on a busy machine


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    return build_session(tmp_path_factory.mktemp("play"))


class Terminal:
    """A program running on a pseudo-terminal, with the screen a VT100 would show."""

    def __init__(self, args: list[str], env: dict[str, str], cwd: Path | None = None) -> None:
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLUMNS, 0, 0))
        program = [sys.executable, "-c", "from voiceguide.entry import main; main()", *args]
        self.process = subprocess.Popen(program, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=cwd, close_fds=True)
        os.close(slave)
        self.screen = pyte.Screen(COLUMNS, ROWS)
        self.stream = pyte.ByteStream(self.screen)

    def text(self) -> str:
        return "\n".join(self.screen.display)

    def pump(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            if select.select([self.master], [], [], left)[0]:
                try:
                    self.stream.feed(os.read(self.master, 65536))
                except OSError:  # the program has ended and closed its side
                    return

    def wait_for(self, *words: str, within: float = WAIT_S) -> float:
        """Seconds until every one of ``words`` is on screen (the program is stopped if they never are)."""
        start = time.monotonic()
        while not all(w in self.text() for w in words):
            if time.monotonic() - start > within:
                self.process.kill()
                self.process.wait()
                raise AssertionError(f"never showed {words} within {within:.0f} s; screen:\n{self.text()}")
            self.pump(0.05)
        return time.monotonic() - start

    def press(self, keys: str) -> None:
        os.write(self.master, keys.encode())

    def finish(self) -> int:
        try:
            code = self.process.wait(WAIT_S)
        finally:
            self.process.kill()
        self.pump(0.2)
        os.close(self.master)
        return code


def run_play(args: list[str], tmp_path: Path) -> Terminal:
    env = {**os.environ, "VOICEGUIDE_STATE": str(tmp_path / "state"), "TERM": "xterm-256color", "LANG": "C.UTF-8"}
    return Terminal(["play", *args, "--no-audio"], env)


def test_build_player_writes_the_page_and_the_plan_play_reads(session):
    assert sorted(p.name for p in session.parent.glob("follow-along.*")) == [
        "follow-along.html", "follow-along.mp3", "follow-along.plan.json", "follow-along.yaml",
    ]  # fmt: skip


def test_first_line_and_chapter_at_once_then_keys(session, tmp_path):
    track = track_of(session)
    first = moment(track, 0.0)
    term = run_play([str(session)], tmp_path)
    shown_after = term.wait_for(first.words, "Introduction", "Chapter 1 of 4")
    print(f"first screen after {shown_after:.2f} s")
    term.press("n")
    term.wait_for("Chapter 2 of 4 · Toe press")
    term.press("n")
    term.wait_for("Chapter 3 of 4 · Arch stroke", "Stroke the arch slowly.")
    term.press("p")  # within the grace period of the chapter's start: the chapter before
    term.wait_for("Chapter 2 of 4")
    term.press(" ")
    term.wait_for("paused")
    paused_at = term.text()
    term.pump(1.2)
    assert term.text() == paused_at, "the clock moved while paused"
    term.press("\x1b[C")  # → next chapter, still paused
    term.wait_for("Chapter 3 of 4", "paused")
    term.press("\x1b[D")  # ← back
    term.wait_for("Chapter 2 of 4", "paused")
    term.press("q")
    assert term.finish() == 0


def test_remembers_where_it_stopped_and_offers_to_resume(session, tmp_path):
    track = track_of(session)
    arch = track.chapters[2]
    term = run_play([str(session)], tmp_path)
    term.wait_for("Chapter 1 of 4")
    term.press("nn ")
    term.wait_for("Arch stroke", "paused")
    term.press("q")
    assert term.finish() == 0
    assert "stopped at" in term.text()

    again = run_play([str(session)], tmp_path)
    again.wait_for("Resume there?", "Arch stroke")
    again.press("y")
    again.wait_for("Chapter 3 of 4 · Arch stroke")
    again.press(" q")
    assert again.finish() == 0

    fresh = run_play([str(session)], tmp_path)
    fresh.wait_for("Resume there?")
    fresh.press("n")
    fresh.wait_for("Chapter 1 of 4")
    fresh.press("q")
    assert fresh.finish() == 0
    assert arch.start_s > 5  # the resume offer needs a position worth resuming


def test_ctrl_c_stops_restores_the_terminal_and_remembers(session, tmp_path):
    term = run_play([str(session)], tmp_path)
    term.wait_for("Chapter 1 of 4")
    term.press("nn")
    term.wait_for("Chapter 3 of 4")
    term.process.send_signal(signal.SIGINT)
    assert term.finish() == 130
    assert "stopped at" in term.text() and "Traceback" not in term.text()
    assert not term.screen.cursor.hidden  # the cursor is back
    again = run_play([str(session)], tmp_path)
    again.wait_for("Resume there?", "Arch stroke")
    again.press("q")
    assert again.finish() == 0


def test_plays_to_the_end_and_says_so(tmp_path):
    session = build_session(tmp_path / "short", "--rate", "300", "--sidecars")
    term = run_play([str(session), "--start-over"], tmp_path)
    term.wait_for("Chapter 1 of 4")
    term.press("nnn")  # the closing chapter: a few seconds from the end
    term.wait_for("That is all.")
    assert term.finish() == 0
    assert "to the end" in term.text()


def test_a_routine_plays_its_up_to_date_build_else_while_it_is_narrated(tmp_path):
    folder = tmp_path / "work"
    build_session(folder)  # only to write the routine file beside
    routine = folder / "follow-along.yaml"
    env = {**os.environ, "VOICEGUIDE_STATE": str(tmp_path / "state"), "TERM": "xterm-256color", "LANG": "C.UTF-8"}
    first = Terminal(["play", str(routine), "--no-audio"], env, cwd=folder)  # no build: played while it is narrated
    first.wait_for("Chapter 1 of 4", "Welcome to the test session.", within=BUILD_S)
    first.press("q")
    assert first.finish() == 0
    assert not (folder / "output").exists()  # nothing built
    done = subprocess.run(
        [*VOICEGUIDE, "build", str(routine), "--sidecars"], cwd=folder, env=env, capture_output=True, timeout=BUILD_S, check=False
    )
    assert done.returncode == 0
    built = folder / "output" / "follow-along.mp3"
    stamp = built.stat().st_mtime_ns
    second = Terminal(["play", str(routine), "--no-audio"], env, cwd=folder)
    second.wait_for("Chapter 1 of 4")
    second.press("q")
    assert second.finish() == 0
    assert built.stat().st_mtime_ns == stamp  # up to date: played as it is
    routine.write_text(routine.read_text(encoding="utf-8").replace("That is all.", "That is all for now."), encoding="utf-8")
    third = Terminal(["play", str(routine), "--no-audio", "--start-over"], env, cwd=folder)
    third.wait_for("Chapter 1 of 4", within=BUILD_S)
    third.pump(3.0)
    third.press("nnn")
    third.wait_for("That is all for now.", within=BUILD_S)  # the changed routine, narrated as it plays
    assert third.finish() == 0
    assert built.stat().st_mtime_ns == stamp


def test_missing_plan_plays_with_chapters_only(session, tmp_path):
    bare = tmp_path / "bare.mp3"
    bare.write_bytes(session.read_bytes())
    term = run_play([str(bare)], tmp_path)
    term.wait_for("Chapter 1 of 4 · Introduction", "chapters only")
    term.press("n")
    term.wait_for("Chapter 2 of 4 · Toe press")
    term.press("q")
    assert term.finish() == 0


def test_stale_plan_is_one_line(session, tmp_path):
    stale = tmp_path / "stale.mp3"
    stale.write_bytes(session.read_bytes())
    plan = session.with_name(session.stem + ".plan.json").read_text(encoding="utf-8")
    stale.with_name("stale.plan.json").write_text(plan.replace('"duration_s": ', '"duration_s": 1', 1), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-c", "from voiceguide.entry import main; main()", "play", str(stale), "--no-audio"],
        check=False, capture_output=True, text=True, timeout=60, env={**os.environ, "VOICEGUIDE_STATE": str(tmp_path)},
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "belongs to another build" in result.stderr and "Traceback" not in result.stderr


def test_no_audio_device_is_one_line_suggesting_no_audio(session, tmp_path):
    try:
        Speaker(session).close()
    except NoAudioDevice:
        pass
    else:
        pytest.skip("this machine has a sound device: play would really play")
    result = subprocess.run(
        [sys.executable, "-c", "from voiceguide.entry import main; main()", "play", str(session)],
        check=False, capture_output=True, text=True, timeout=60, env={**os.environ, "VOICEGUIDE_STATE": str(tmp_path)},
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "--no-audio" in result.stderr and "no audio output device" in result.stderr


def _ffmpeg_pcm(path: Path, rate: int, channels: int) -> np.ndarray:
    out = ffmpeg.run(["-i", str(path), "-f", "s16le", "-ac", str(channels), "-ar", str(rate), "-"], "decoding", timeout_s=60)
    return np.frombuffer(out.stdout, dtype=np.int16).reshape(-1, channels)


@pytest.mark.parametrize("position_s", [0.0, 4.25])
def test_decoder_matches_ffmpeg_from_any_position(session, position_s):
    stream, rate, channels = decode_stream(session, position_s)
    ours = np.frombuffer(b"".join(bytes(chunk) for chunk in stream), dtype=np.int16).reshape(-1, channels)
    reference = _ffmpeg_pcm(session, rate, channels)
    track = track_of(session)
    assert len(reference) / rate == pytest.approx(track.duration_s, abs=0.03)
    start = round(position_s * rate)
    assert len(ours) == pytest.approx(len(reference) - start, abs=rate * 0.03)
    # both decoders drop the encoder delay; allow a few samples of difference in alignment
    window = reference[start : start + rate].astype(np.float64)
    best = min(np.abs(ours[shift : shift + rate].astype(np.float64) - window).max() for shift in range(8))
    print(f"position {position_s} s: largest sample difference {best:.0f} of 32768")
    assert best <= 64
