"""Progress on stderr, only when stderr is a terminal (never in pipes, logs or CI)."""

from __future__ import annotations

import sys
import time

from voiceguide import terminal

WIDTH = 48  # columns the line takes: label, percentage and bar


class Progress:
    """A one-line progress display: ``label  42%  [=====     ]``, redrawn at most ten times a second."""

    def __init__(self, enabled: bool | None = None) -> None:
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self._last = 0.0
        self._shown = False

    def update(self, label: str, done: float, total: float) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if done < total and now - self._last < 0.1:
            return
        self._last = now
        fraction = 0.0 if total <= 0 else min(1.0, done / total)
        bar = "=" * int(fraction * 24)
        terminal.status(f"{label:<12} {fraction * 100:3.0f}% [{bar:<24}]")
        self._shown = True

    def done(self) -> None:
        if self._shown:
            terminal.clear_status(WIDTH)
            self._shown = False
