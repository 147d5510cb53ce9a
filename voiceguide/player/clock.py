"""The session clock: a position in seconds that runs, pauses and jumps.

The same clock drives the display with or without sound; the audio output follows it
(it restarts from the clock's position after every pause and jump). ``now`` is
injectable so tests step time by hand.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class SessionClock:
    """Position within a session of ``duration_s`` seconds; starts paused at ``start_s``."""

    def __init__(self, duration_s: float, start_s: float = 0.0, now: Callable[[], float] = time.monotonic) -> None:
        self.duration_s = duration_s
        self._now = now
        self._base_s = self._clamp(start_s)
        self._since: float | None = None  # monotonic time when it last started running

    @property
    def running(self) -> bool:
        return self._since is not None

    def position(self) -> float:
        if self._since is None:
            return self._base_s
        return self._clamp(self._base_s + self._now() - self._since)

    @property
    def finished(self) -> bool:
        return self.position() >= self.duration_s

    def play(self) -> None:
        if self._since is None and not self.finished:
            self._since = self._now()

    def pause(self) -> None:
        if self._since is not None:
            self._base_s = self.position()
            self._since = None

    def toggle(self) -> None:
        if self.running:
            self.pause()
        else:
            self.play()

    def seek(self, seconds: float) -> None:
        """Jump to ``seconds``; a running clock keeps running from there."""
        self._base_s = self._clamp(seconds)
        if self._since is not None:
            self._since = self._now()

    def _clamp(self, seconds: float) -> float:
        return min(max(0.0, seconds), self.duration_s)
