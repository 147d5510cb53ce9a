"""Narrators kept between narrations in a long-lived process (a batch, a Dask worker): each engine loaded once.

By default every ``narrate`` starts its narration workers and stops them when done, which
costs an engine's start-up (Kokoro: its model) each time. A process that narrates again
and again calls ``keep()``: then the workers a narration used go back to an idle list when
it succeeds, and the next narration with the same engine takes them. A narration that
fails, hangs or is interrupted still stops its workers. ``release()`` (also at exit)
stops those kept.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
import threading
from typing import Protocol


class Narrator(Protocol):
    """A narration worker as ``workers`` runs it."""

    def alive(self) -> bool: ...

    def end(self, graceful: bool) -> None: ...


class Kept:
    """The idle narrators of this process, by engine, and each engine's scratch folder."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._idle: dict[str, list[Narrator]] = {}
        self._scratch: dict[str, str] = {}

    def scratch(self, ref: str, prefix: str) -> str:
        with self._lock:
            if ref not in self._scratch:
                self._scratch[ref] = tempfile.mkdtemp(prefix=prefix)
            return self._scratch[ref]

    def take(self, ref: str, most: int) -> list[Narrator]:
        """Up to ``most`` idle narrators of the engine ``ref`` that are still alive (the others are dropped)."""
        with self._lock:
            idle = [n for n in self._idle.get(ref, []) if n.alive()]
            taken, self._idle[ref] = idle[:most], idle[most:]
        return taken

    def give_back(self, ref: str, narrators: list[Narrator]) -> None:
        with self._lock:
            self._idle.setdefault(ref, []).extend(narrators)

    def release(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, {}
            scratch, self._scratch = self._scratch, {}
        for narrators in idle.values():
            for n in narrators:
                n.end(graceful=True)
        for folder in scratch.values():
            shutil.rmtree(folder, ignore_errors=True)


_KEPT: Kept | None = None


def keep() -> Kept:
    """Keep narrators from now on in this process (idempotent)."""
    global _KEPT
    if _KEPT is None:
        _KEPT = Kept()
        atexit.register(release)
    return _KEPT


def kept() -> Kept | None:
    """The kept narrators, when this process keeps them."""
    return _KEPT


def release() -> None:
    """Stop the kept narrators; narrations start and stop their own again."""
    global _KEPT
    if _KEPT is not None:
        _KEPT.release()
        _KEPT = None
