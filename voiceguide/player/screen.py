"""The terminal side of ``play``: the screen drawn from a Moment, and the keys read one at a time.

``screen_lines`` is pure (a Moment and a width in, text lines out). ``Screen`` redraws
them in place; ``LineLog`` prints one line per new step when the output is not a
terminal. ``Keys`` reads single key presses without waiting for Enter.
"""

from __future__ import annotations

import os
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TextIO

from voiceguide.durations import format_clock
from voiceguide.player.timeline import Moment
from voiceguide.text import printable

BOLD, DIM, RESET = "\x1b[1m", "\x1b[2m", "\x1b[0m"
HELP = "space pause · →/n next chapter · ←/p back · q quit"
MIN_WIDTH = 30
MAX_WIDTH = 100


@dataclass(frozen=True)
class View:
    """What the player knows beyond the moment: the session's title, chapter count and state."""

    title: str
    chapters: int
    paused: bool = False
    full: bool = True  # False: only chapters are known (no plan beside the audio)
    notice: str = ""


@dataclass(frozen=True)
class Glyphs:
    full: str = "█"
    empty: str = "░"
    rule: str = "─"
    playing: str = "▶ playing"
    paused: str = "❚❚ paused"


ASCII = Glyphs("#", "-", "-", "> playing", "|| paused")


def glyphs_for(stream: TextIO) -> Glyphs:
    encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
    return Glyphs() if encoding.startswith("utf") else ASCII


def bar(fraction: float, width: int, g: Glyphs) -> str:
    filled = round(min(1.0, max(0.0, fraction)) * width)
    return g.full * filled + g.empty * (width - filled)


def screen_lines(m: Moment, view: View, width: int, g: Glyphs = Glyphs(), style: bool = True) -> list[str]:
    """The player's screen at moment ``m``, at most ``width`` columns (styles do not count)."""
    width = max(MIN_WIDTH, min(width, MAX_WIDTH))
    bold, dim, reset = (BOLD, DIM, RESET) if style else ("", "", "")
    state = "finished" if m.finished else g.paused if view.paused else g.playing
    lines = [_two(printable(view.title), state, width), g.rule * width]  # text from files: shown, never obeyed
    where = f"Chapter {m.chapter + 1} of {view.chapters}" if m.chapter >= 0 else ""
    chapter = printable(m.chapter_title)
    lines.append(_fit(f"{where} · {chapter}" if where else chapter, width))
    lines.append("")
    words = printable(m.words or "") or ("" if view.full else "(no plan beside this file: chapters only)")
    wrapped = textwrap.wrap(words, width - 4) or [""]
    look = bold if m.speaking else dim
    lines.extend(f"  {look}{line}{reset}" if line else "" for line in wrapped[:4])
    lines.append("")
    lines.append(_fit(printable(m.repetition_text), width))
    if m.countdown is not None:
        c = m.countdown
        label, left = f"{c.role.capitalize():<6}", f" {c.left_s:4.1f} s left"
        lines.append(label + bar(c.fraction_left, max(5, width - len(label) - len(left)), g) + left)
    else:
        lines.append("")
    lines.append("")
    if m.next_words:
        lines.append(_fit(f"Next: {printable(m.next_words)}", width))
    elif m.next_chapter_title and not view.full:
        lines.append(_fit(f"Next chapter: {printable(m.next_chapter_title)}", width))
    else:
        lines.append("")
    lines.append("")
    elapsed, remaining = f"{format_clock(m.position_s)} elapsed ", f" {format_clock(m.remaining_s)} left"
    total = m.position_s + m.remaining_s
    lines.append(elapsed + bar(m.position_s / total if total else 1.0, max(5, width - len(elapsed) - len(remaining)), g) + remaining)
    lines.append(_fit(printable(view.notice) or HELP, width))
    return lines


def log_line(m: Moment) -> str:
    """One line for a log (output not a terminal): time, chapter and the words."""
    line = f"{format_clock(m.position_s):>9}  {m.chapter_title}" + (f" — {m.words}" if m.speaking and m.words else "")
    return printable(line)


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _two(left: str, right: str, width: int) -> str:
    room = width - len(right) - 1
    return _fit(left, room).ljust(room) + " " + right


class Screen:
    """Draws screens in place on a terminal (alternate screen, hidden cursor) and restores it on exit."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.glyphs = glyphs_for(stream)
        self._last: list[str] = []

    def width(self) -> int:
        try:
            return os.get_terminal_size(self.stream.fileno()).columns
        except (OSError, ValueError):
            return 80

    def draw(self, lines: list[str]) -> None:
        if lines == self._last:
            return
        self._last = lines
        self.stream.write("\x1b[H" + "".join(line + "\x1b[K\r\n" for line in lines) + "\x1b[J")
        self.stream.flush()

    @contextmanager
    def shown(self) -> Iterator[Screen]:
        self.stream.write("\x1b[?1049h\x1b[?25l\x1b[H\x1b[2J")
        self.stream.flush()
        try:
            yield self
        finally:
            self.stream.write("\x1b[?25h\x1b[?1049l")
            self.stream.flush()


class LineLog:
    """Prints a line each time a new step starts (for pipes and logs)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self._last: tuple[str, str | None] | None = None

    def show(self, m: Moment) -> None:
        """Print ``m``'s line if what it says (chapter, words) changed since the last one: never only its time."""
        key = (m.chapter_title, m.words if m.speaking else "")
        if key != self._last:
            self._last = key
            self.stream.write(log_line(m) + "\n")
            self.stream.flush()


KEY_NAMES = {" ": "space", "n": "next", "N": "next", "p": "back", "P": "back", "q": "quit", "Q": "quit", "\x1b[C": "next", "\x1b[D": "back"}
ANSWERS = {"y": "yes", "Y": "yes", "\r": "yes", "\n": "yes", "n": "no", "N": "no", "q": "quit", "Q": "quit"}


class Keys:
    """Single key presses from a terminal, read without echo; ``read`` waits at most ``timeout_s``."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    @contextmanager
    def raw(self) -> Iterator[Keys]:
        if sys.platform == "win32":
            yield self
            return
        import termios
        import tty

        fd = self.stream.fileno()
        saved = termios.tcgetattr(fd)
        try:
            tty.setcbreak(fd)  # keys one at a time, no echo; Ctrl-C still interrupts
            yield self
        finally:
            termios.tcsetattr(fd, termios.TCSADRAIN, saved)

    def read(self, timeout_s: float) -> str | None:
        """The next key as typed (an arrow is its whole escape sequence), or None after ``timeout_s``."""
        if sys.platform == "win32":
            return _read_windows(timeout_s)
        import select

        fd = self.stream.fileno()
        if not select.select([fd], [], [], timeout_s)[0]:
            return None
        data = os.read(fd, 1)
        if data == b"\x1b":  # an escape sequence arrives in one burst
            while select.select([fd], [], [], 0.02)[0]:
                data += os.read(fd, 1)
                if data[-1:].isalpha() or data[-1:] == b"~" or len(data) > 8:
                    break
        return data.decode("utf-8", "replace")


def _read_windows(timeout_s: float) -> str | None:
    import time

    msvcrt: Any = __import__("msvcrt")  # Windows only
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        if msvcrt.kbhit():
            key = msvcrt.getwch()
            if key in ("\x00", "\xe0"):
                return {"M": "\x1b[C", "K": "\x1b[D"}.get(msvcrt.getwch(), "")
            return key
        time.sleep(0.02)
    return None
