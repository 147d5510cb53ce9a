"""A narration worker process as the process narrating sees it: started, given jobs, stopped, killed.

The worker's own loop (``workers.serve``, given to each) runs in the new process.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import TYPE_CHECKING

from voiceguide.narration import resident

if TYPE_CHECKING:
    from voiceguide.narration.maker import Job

STOP_GRACE_S = 5.0  # how long a worker may take to exit after being asked, or to report a hung child
Serve = Callable[[Connection, str, str, int], None]  # the worker's loop (``workers.serve``): pipe, engine, scratch, cores
SPRINT_CORES = 4  # the early narrator's threads at most (ONNX Runtime's gain for Kokoro was measured on two cores only)


class Narrator:
    """A narration worker process as the narration running it sees it: its pipe, its job and deadline."""

    def __init__(self, ctx: multiprocessing.context.SpawnContext, serve: Serve, ref: str, scratch: str, cores: int = 1) -> None:
        self.conn, child = ctx.Pipe()
        self.process: BaseProcess = ctx.Process(target=serve, args=(child, ref, scratch, cores), name="voiceguide-narrator", daemon=True)
        # A Ctrl-C while this worker's interpreter starts would print its traceback. An ignored
        # signal stays ignored across exec, so the worker starts ignoring SIGINT; meanwhile the
        # parent blocks it, so a Ctrl-C in this moment waits for the parent instead of being lost.
        previous_mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        previous_handler = signal.signal(signal.SIGINT, signal.SIG_IGN) if threading.current_thread() is threading.main_thread() else None
        try:
            self.process.start()
        finally:
            if previous_handler is not None:
                signal.signal(signal.SIGINT, previous_handler)
            signal.pthread_sigmask(signal.SIG_SETMASK, previous_mask)
        child.close()
        self.job: Job | None = None
        self.deadline = 0.0

    def alive(self) -> bool:
        return self.process.exitcode is None and self.job is None

    def give(self, job: Job) -> None:
        self.job = job
        self.deadline = time.monotonic() + job.timeout_s + STOP_GRACE_S  # the worker itself stops a hung child at timeout_s
        self.conn.send(job)

    def kill(self) -> None:
        pid = self.process.pid
        if pid is None or self.process.exitcode is not None:
            return
        try:
            os.killpg(pid, signal.SIGKILL)  # the worker and anything it started
        except OSError:
            self.process.kill()

    def end(self, graceful: bool) -> None:
        if graceful:
            try:
                self.conn.send(None)
            except OSError:
                pass
            self.process.join(STOP_GRACE_S)
        self.kill()
        self.process.join(STOP_GRACE_S)
        self.conn.close()  # the process object itself is left open: closed, it would fail multiprocessing's own
        # join of every child at exit, which may run meanwhile when a narration is stopped from another thread


SCRATCH_PREFIX = "voiceguide-narration-"


def remove_stale_scratch() -> None:
    """Remove scratch folders that killed narrations left behind (their process is gone)."""
    for folder in Path(tempfile.gettempdir()).glob(f"{SCRATCH_PREFIX}*"):
        pid = folder.name[len(SCRATCH_PREFIX) :].split("-", 1)[0]
        if not pid.isdigit():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except PermissionError:
            pass


def scratch_of(kept: resident.Kept | None, ref: str) -> str:
    """The folder for the engine's temporary files: kept with its narrators, else made for this narration."""
    prefix = f"{SCRATCH_PREFIX}{os.getpid()}-"
    return kept.scratch(ref, prefix) if kept else tempfile.mkdtemp(prefix=prefix)
