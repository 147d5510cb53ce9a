"""What ``play --events FILE`` writes: one JSON object a line, as things happen, for scripts and tests.

Every line holds ``t`` (seconds since playing started), ``event`` and ``position_s`` (where
in the session), and what that event adds::

    {"t": 0.0, "event": "start", "position_s": 0.0}
    {"t": 0.41, "event": "speech", "position_s": 0.0, "text": "Welcome."}
    {"t": 3.2, "event": "wait", "position_s": 12.5, "seconds": 1.3}

The player writes ``start``, ``speech`` (a line starts to sound), ``wait`` (playback
waited this long for the narrator), ``chapter`` (with ``title``), ``pause``, ``resume``
and ``end`` (with ``finished``); with ``--listen``, ``command`` (with ``command``, ``score``, and
``to_s`` where it moved the session). Other parts of voiceguide may add events of their own
through the same ``EventLog.write``; readers skip events they do not know.
A line is written whole and flushed before ``write`` returns, from any thread.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import IO, Any

from voiceguide.errors import OutputError

PLAYER_EVENTS = ("start", "speech", "wait", "chapter", "pause", "resume", "end")


class EventLog:
    """Appends events to a file (or nowhere, for ``EventLog(None)``); a context manager that closes it."""

    def __init__(self, path: Path | None) -> None:
        self._lock = threading.Lock()
        self._start = time.monotonic()
        self._file: IO[str] | None = None
        if path is not None:
            try:
                self._file = path.open("w", encoding="utf-8")
            except OSError as err:
                raise OutputError(
                    f"cannot write the events file {path} ({err.strerror})", hint="choose another file for --events"
                ) from None

    def write(self, event: str, position_s: float, **fields: Any) -> None:
        """One line: ``t``, ``event``, ``position_s`` (rounded to the millisecond), then ``fields``."""
        if self._file is None:
            return
        line = {"t": round(time.monotonic() - self._start, 3), "event": event, "position_s": round(position_s, 3), **fields}
        text = json.dumps(line, ensure_ascii=False) + "\n"
        with self._lock:
            if self._file is not None:
                self._file.write(text)
                self._file.flush()

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None

    def __enter__(self) -> EventLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
