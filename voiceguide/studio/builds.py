"""Builds in the background: queued, run one at a time by the build the command line uses, followed, cancelled.

One failing build does not stop the next. Files appear whole or not at all (the build
writes through the atomic writer); a cancelled build stops at its next progress report and
leaves nothing behind; what a stopped studio left half-written is removed when it starts again.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from voiceguide.errors import RoutineError, VoiceguideError, resource_error
from voiceguide.progress import Progress
from voiceguide.routine import Routine
from voiceguide.studio.folders import Folders, StudioError

if TYPE_CHECKING:
    from voiceguide.build import BuildOptions

log = logging.getLogger("voiceguide.studio")
KEEP_FINISHED = 50  # finished builds remembered for their page
STAGES = {"narrating": (0.0, 0.4)}  # narration's share of the progress bar; the rest is rendering


class Cancelled(VoiceguideError):
    """The build was cancelled from the page."""


@dataclass
class Build:
    id: str
    routine: Routine
    options: BuildOptions
    state: str = "queued"  # queued, running, done, failed, cancelled
    stage: str = ""
    progress: float = 0.0
    files: list[Path] = field(default_factory=list)
    error: dict[str, object] | None = None
    duration_s: float | None = None
    cancel: threading.Event = field(default_factory=threading.Event)
    changed: float = field(default_factory=time.monotonic)

    @property
    def finished(self) -> bool:
        return self.state in ("done", "failed", "cancelled")

    def to_json(self, output: Path) -> dict[str, object]:
        files = [{"url": "/files/" + p.relative_to(output).as_posix(), "kind": kind_of(p)} for p in self.files]
        return {
            "id": self.id, "name": self.routine.name, "title": self.routine.title, "state": self.state, "stage": self.stage,
            "progress": round(self.progress, 3), "files": files, "error": self.error, "duration_s": self.duration_s,
        }  # fmt: skip


def kind_of(path: Path) -> str:
    name = path.name
    for suffix, kind in (
        (".plan.json", "plan"),
        (".chapters.json", "chapters"),
        (".html", "page"),
        (".vtt", "captions"),
        (".srt", "captions"),
    ):
        if name.endswith(suffix):
            return kind
    return "audio"


class _Reporter(Progress):
    """The build's progress kept on its record; a cancelled build stops at its next report."""

    def __init__(self, build: Build) -> None:
        super().__init__(enabled=False)
        self.build = build

    def update(self, label: str, done: float, total: float) -> None:
        if self.build.cancel.is_set():
            raise Cancelled("the build was cancelled")
        start, end = STAGES.get(label, (0.4, 1.0))
        fraction = 0.0 if total <= 0 else min(1.0, done / total)
        self.build.stage = label
        self.build.progress = max(self.build.progress, start + (end - start) * fraction)
        self.build.changed = time.monotonic()


class Builds:
    """The queue of builds and the one thread that runs them."""

    def __init__(self, folders: Folders) -> None:
        self.folders = folders
        self.all: dict[str, Build] = {}
        self._queue: deque[Build] = deque()
        self._wake = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="voiceguide-studio-builds", daemon=True)
        self._thread.start()

    def add(self, routine: Routine, options: BuildOptions) -> Build:
        build = Build(secrets.token_hex(6), routine, options)
        with self._wake:
            self.all[build.id] = build
            self._queue.append(build)
            self._forget_old()
            self._wake.notify()
        return build

    def get(self, build_id: str) -> Build:
        build = self.all.get(build_id)
        if build is None:
            raise StudioError(f"no build '{build_id[:20]}'", "builds are kept until the studio stops", 404)
        return build

    def cancel(self, build_id: str) -> Build:
        build = self.get(build_id)
        with self._wake:
            if build.state == "queued":
                self._queue.remove(build)
                self._finish(build, "cancelled")
        build.cancel.set()
        return build

    def _forget_old(self) -> None:
        finished = [b for b in self.all.values() if b.finished]
        for build in finished[: max(0, len(finished) - KEEP_FINISHED)]:
            del self.all[build.id]

    def _finish(self, build: Build, state: str, error: dict[str, object] | None = None) -> None:
        build.state, build.error, build.changed = state, error, time.monotonic()

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._queue:
                    self._wake.wait()
                build = self._queue.popleft()
                build.state = "running"
            self._one(build)

    def _one(self, build: Build) -> None:
        from voiceguide.build import build as run_build

        try:
            result = run_build(build.routine, build.options, _Reporter(build))
        except Cancelled:
            self._finish(build, "cancelled")
        except RoutineError as err:
            problems = [{"line": p.line, "column": p.column, "message": p.message, "hint": p.hint} for p in err.problems]
            self._finish(build, "failed", {"message": "the routine has problems", "hint": "see the problems", "problems": problems})
        except VoiceguideError as err:
            self._finish(build, "failed", error_json(err))
        except Exception as err:  # a failing build never stops the queue
            found = resource_error(err)
            if found is None:
                log.exception("build %s failed", build.id)
            self._finish(build, "failed", error_json(found) if found else unexpected_json())
        else:
            build.files = [result.path, *result.side_files]
            build.duration_s = result.plan.duration_s
            build.progress = 1.0
            self._finish(build, "done")


def error_json(err: VoiceguideError) -> dict[str, object]:
    """An error as the studio answers it: its message and its hint apart."""
    return {"message": err.message or type(err).__name__, "hint": err.hint}


def unexpected_json() -> dict[str, object]:
    return {"message": "something went wrong inside the studio", "hint": "the studio's log has the details; please report it"}
