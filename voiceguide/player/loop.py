"""The terminal player: one loop that reads keys, moves the clock, keeps the sound with it and redraws.

Keys: space pauses and resumes, → or n goes to the next chapter, ← or p to the start of
this chapter (pressed again near its start: the one before), q quits. The position is
remembered when the player stops before the end.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Literal, Protocol, TextIO

from voiceguide.durations import format_clock
from voiceguide.player.audio import Output
from voiceguide.player.clock import SessionClock
from voiceguide.player.events import EventLog
from voiceguide.player.hands_free import WORDS, Listening
from voiceguide.player.positions import Positions
from voiceguide.player.screen import ANSWERS, KEY_NAMES, Keys, LineLog, Screen, View, screen_lines
from voiceguide.player.source import Playable
from voiceguide.player.timeline import Track, again_target, moment, next_chapter, previous_target

TICK_S = 0.1  # redraw at most ten times a second
VOLUME_STEP_DB = 3.0  # "louder" / "softer"
NOTICE_S = 3.0  # a heard command stays on screen this long
Resume = Literal["ask", "yes", "no"]
WAITING = "Waiting for the narrator …"


class Growing(Protocol):
    """A session still being narrated while it plays (``player.ahead.Ahead``)."""

    chapter_count: int

    @property
    def complete(self) -> bool: ...

    def ready_until(self) -> float: ...

    def wait(self, timeout_s: float) -> None: ...

    def track(self) -> Track: ...


@dataclass(frozen=True)
class Outcome:
    """How playing ended: where, and whether it reached the end."""

    position_s: float
    finished: bool
    interrupted: bool = False


class Player:
    """Plays ``playable`` on ``output``, showing it on ``out`` and reading keys from ``keys`` (None: no keys)."""

    def __init__(
        self,
        playable: Playable,
        output: Output,
        out: TextIO,
        keys: Keys | None,
        positions: Positions,
        events: EventLog | None = None,
        ahead: Growing | None = None,
        listening: Listening | None = None,
    ) -> None:
        self.playable = playable
        self.ahead = ahead
        self._beyond: float | None = None  # a place asked for past what is narrated (resumed or skipped to)
        self.events = events or EventLog(None)
        self._seen = (-1, -1)  # the chapter and item last told to the events file
        self._moved = True  # sent somewhere since the last look (started, a key or a command): no line was passed over
        self.track = playable.track
        self.output = output
        self.out = out
        self.keys = keys
        self.positions = positions
        self.clock = SessionClock(self.track.duration_s)
        chapters = ahead.chapter_count if ahead is not None else len(self.track.chapters)
        self.view = View(self.track.title, chapters, full=playable.full)
        self.listening = listening
        self._notice_until = 0.0

    def run(self, resume: Resume = "ask") -> Outcome:
        interactive = self.keys is not None and self.out.isatty()
        try:
            if interactive:
                assert self.keys is not None
                with self.keys.raw(), Screen(self.out).shown() as screen:
                    start = self._start_at(resume, screen)
                    if start is None:
                        return Outcome(0.0, False)
                    return self._loop(start, screen)
            start = self._start_at(resume if resume != "ask" else "no", None)
            return self._loop(start or 0.0, None)
        finally:
            self.output.stop()
            self.output.close()
            if self.listening is not None:
                self.listening.close()

    def _start_at(self, resume: Resume, screen: Screen | None) -> float | None:
        """Where to begin: the remembered position if wanted (asked on screen), else 0; None to quit."""
        saved = self.positions.load(self.playable.audio)
        if saved is None or resume == "no":
            return 0.0
        if resume == "yes" or screen is None or self.keys is None:
            return saved if resume == "yes" else 0.0
        title = moment(self.track, saved).chapter_title
        question = f"You stopped at {format_clock(saved)}" + (f" in “{title}”" if title else "") + ". Resume there? [Y/n]"
        screen.draw([self.view.title, "", question])
        while True:
            answer = ANSWERS.get(self.keys.read(3600.0) or "")
            if answer is not None:
                return None if answer == "quit" else saved if answer == "yes" else 0.0

    def _loop(self, start_s: float, screen: Screen | None) -> Outcome:
        log = LineLog(self.out) if screen is None else None
        self._jumped(start_s)
        self.clock.seek(self.output.start(start_s))
        self.clock.play()
        self.events.write("start", self.clock.position())
        if self.listening is not None:
            self.listening.start(self.clock, lambda: self.track)
        try:
            while True:
                key = self.keys.read(TICK_S) if self.keys is not None and screen is not None else _wait(TICK_S)
                if key is not None and self._press(KEY_NAMES.get(key, "")) == "quit":
                    return self._stop(finished=False)
                if self.ahead is not None and not self._caught_up(screen, log):
                    return self._stop(finished=False)
                for command in self.listening.poll() if self.listening is not None else []:
                    self._obey(command.command, command.score, log)
                m = moment(self.track, self.clock.position())
                self._tell(m.position_s, m.chapter, m.chapter_title)
                if screen is not None:
                    notice = self.view.notice if _now() < self._notice_until else ""
                    view = replace(self.view, paused=not self.clock.running and not m.finished, notice=notice)
                    screen.draw(screen_lines(m, view, screen.width(), screen.glyphs))
                elif log is not None:
                    log.show(m)
                if m.finished:
                    return self._stop(finished=True)
        except KeyboardInterrupt:
            outcome = self._stop(finished=False)
            return replace(outcome, interrupted=True)

    def _press(self, action: str) -> str:
        position = self.clock.position()
        if action == "space":
            if self.clock.running:
                self.output.stop()
                self.clock.pause()
                self.events.write("pause", position)
            else:
                self.clock.seek(self.output.start(position))
                self.clock.play()
                self.events.write("resume", self.clock.position())
        elif action in ("next", "back"):
            target = next_chapter(self.track, position) if action == "next" else previous_target(self.track, position)
            self._jumped(target)
            if self.clock.running:
                self.output.stop()
                target = self.output.start(target)
            self.clock.seek(target)
        return action

    def _obey(self, command: str, score: float, log: LineLog | None) -> None:
        """Act on a spoken command as its key would (pause and continue, next, back), or go "again", or change the volume."""
        position = self.clock.position()
        if command in ("pause", "continue"):
            if self.clock.running == (command == "pause"):
                self._press("space")
        elif command in ("next", "back"):
            self._press(command)
        elif command == "again":
            target = again_target(self.track, position)
            self._moved = True
            if self.clock.running:
                self.output.stop()
                target = self.output.start(target)
            self.clock.seek(target)
        else:
            self.output.set_gain_db(self.output.gain_db + (VOLUME_STEP_DB if command == "louder" else -VOLUME_STEP_DB))
        moved = {"to_s": round(self.clock.position(), 3)} if command in ("again", "next", "back") else {}
        self.events.write("command", position, command=command, score=round(score, 3), **moved)
        if self.listening is not None:
            self.listening.hush()
        self.output.earcon(rising=command != "pause")
        words = f"heard “{command}”: {WORDS[command]}"
        self.view = replace(self.view, notice=words)
        self._notice_until = _now() + NOTICE_S
        if log is not None:
            log.stream.write(f"{format_clock(position):>9}  ({words})\n")
            log.stream.flush()

    def _stop(self, finished: bool) -> Outcome:
        position = self.clock.position()
        self.clock.pause()
        self.output.stop()
        self.positions.save(self.playable.audio, 0.0 if finished else position, self.track.duration_s)
        self.events.write("end", position, finished=finished)
        return Outcome(position, finished)

    def _jumped(self, target: float) -> None:
        """Remember a place asked for beyond what is narrated: playing waits there, not at the first line missing."""
        self._moved = True
        if self.ahead is not None:
            self._beyond = target if target > self.ahead.ready_until() else None

    def _caught_up(self, screen: Screen | None, log: LineLog | None) -> bool:
        """Grow the timeline; where playing reaches what is not narrated yet, wait at the start of that line. False: quit."""
        assert self.ahead is not None
        self._grow()
        position = self.clock.position()
        if not self.clock.running or self.ahead.complete or position < self.ahead.ready_until():
            return True
        at = self._beyond if self._beyond is not None else self.ahead.ready_until()  # never inside a line
        self._beyond = None
        self.output.stop()
        self.clock.pause()
        self.clock.seek(at)
        began = time.monotonic()
        if screen is not None:
            screen.draw(screen_lines(moment(self.track, at), replace(self.view, notice=WAITING), screen.width(), screen.glyphs))
        elif log is not None:
            log.stream.write(f"{format_clock(at):>9}  {WAITING}\n")
            log.stream.flush()
        while not self.ahead.complete and self.ahead.ready_until() <= at:
            if self.keys is not None and screen is not None and KEY_NAMES.get(self.keys.read(0.0) or "") == "quit":
                return False
            self.ahead.wait(TICK_S)
        self.events.write("wait", at, seconds=round(time.monotonic() - began, 3))
        self._grow()
        self.clock.seek(self.output.start(at))
        self.clock.play()
        return True

    def _grow(self) -> None:
        assert self.ahead is not None
        self.track = self.ahead.track()
        self.clock.duration_s = self.track.duration_s

    def _tell(self, position_s: float, chapter: int, title: str) -> None:
        """A ``chapter`` event when a chapter begins, a ``speech`` event when a line starts to sound."""
        item = self.track.item_at(position_s)
        if chapter != self._seen[0] and chapter >= 0:
            self.events.write("chapter", position_s, title=title)
        if not self._moved and 0 <= self._seen[1] < item:  # lines played between two looks (a busy machine looks late)
            for passed in self.track.items[self._seen[1] + 1 : item]:
                if passed.kind == "speech" and passed.text:
                    self.events.write("speech", passed.start_s, text=passed.text)
        if item != self._seen[1] and item >= 0 and position_s < self.track.duration_s:
            found = self.track.items[item]
            if found.kind == "speech" and found.text:
                self.events.write("speech", position_s, text=found.text)
        self._seen, self._moved = (chapter, item), False


def _now() -> float:
    import time

    return time.monotonic()


def _wait(seconds: float) -> str | None:
    """No keys to read: just let the time pass."""
    import time

    time.sleep(seconds)
    return None
