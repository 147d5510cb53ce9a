"""Synthesis in worker processes that can hang or crash without taking the build with them.

A small pool of our own (``multiprocessing.Pool`` hangs when a worker dies): each
worker is a spawned process doing one job at a time, so the parent always knows
which text a worker is on and since when.

Engines whose output depends only on their input and that start threads of their own
(ONNX Runtime) set ``fork_per_clip`` False: their worker loads the model once and makes
every clip itself, and the parent's deadline stops it if it hangs.

Otherwise each worker is a zygote: it loads the engine once (``Engine.preload``) but never
starts it, and forks a child per clip that starts the engine, makes that one clip
and exits. espeak-ng keeps state from one utterance to the next inside a process
(the same line said again comes out with other samples and another length), and
that state survives re-initialising espeak; a child forked from an unstarted
worker always starts from the same state, so a clip depends only on its settings
and text, never on what its worker said before. Forking is only safe with one
thread, so the worker checks that before and after every fork.

The worker waits for its child with the job's deadline: a hung child is killed
and reported, a crashed one is reported with its exit status. The parent waits on
replies and worker sentinels, with the deadline plus a grace as a backstop; a
worker past it is killed with everything it started, a dead worker is reported,
and every worker is stopped on the way out, whatever the way out is (success,
error, KeyboardInterrupt).
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import NoReturn

from voiceguide.errors import CacheError, NarratorError, SilentLineError
from voiceguide.narration import resident
from voiceguide.narration.engines import Engine, load_engine
from voiceguide.narration.maker import Job, Made, attempt, keep_stderr, make_clip, message_of
from voiceguide.narration.narrator import SPRINT_CORES, STOP_GRACE_S, Narrator, remove_stale_scratch, scratch_of
from voiceguide.output import TEMP_MARK, clean_stale
from voiceguide.registry import DEFAULT_ENGINE, ENGINES


def _die_with_parent() -> None:
    """Linux: be killed when the process that started this one dies."""
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass


def _detach() -> None:
    """Worker setup: own process group (Ctrl-C is the parent's to handle), die with the parent, silent stdout."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})  # blocked by the parent while starting us
    try:
        os.setpgrp()
    except OSError:
        pass
    _die_with_parent()
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)  # pyttsx3 prints "Audio saved to …" on every save
    os.close(null)


def _os_threads() -> int:
    """Threads in this process as the OS counts them (Python's and native ones); 0 where unknown.

    Threads a library stopped for the fork (OpenBLAS does) may take a moment to leave the count.
    """
    deadline = time.monotonic() + 0.05
    while True:
        try:
            count = len(os.listdir("/proc/self/task"))
        except OSError:
            return 0
        if count <= 1 or time.monotonic() > deadline:
            return count
        time.sleep(0.001)


def _child(cls: type[Engine], job: Job, scratch: Path, reply: Connection, worker: int, close: Sequence[Connection]) -> NoReturn:
    """In the forked child: make the one clip, send the reply, exit without running any of the worker's clean-up."""
    code = 70  # EX_SOFTWARE: something failed before a reply could be sent
    try:
        for conn in close:
            conn.close()
        _die_with_parent()
        if os.getppid() != worker:  # the worker died before the line above
            os._exit(code)
        reply.send(attempt(lambda: make_clip(cls(), job, scratch)))
        code = 0
    finally:
        os._exit(code)


def clip_in_child(cls: type[Engine], job: Job, scratch: Path, keep_closed: Sequence[Connection] = ()) -> tuple[str, object]:
    """Fork a child that makes ``job``'s clip and wait for it until the job's deadline.

    Returns what ``attempt`` returns, ("crashed", exit code) or ("hung", None).

    ``keep_closed``: connections of this process the child must not hold open (the
    parent would not see this worker's end while the child lives).
    """
    if threading.active_count() != 1:
        raise RuntimeError(f"the narration worker runs {threading.active_count()} threads; it cannot fork safely")
    deadline = time.monotonic() + job.timeout_s
    receive, send = multiprocessing.Pipe(duplex=False)
    worker = os.getpid()
    pid = os.fork()
    if pid == 0:  # pragma: no cover -- runs in the child, which always leaves through os._exit
        _child(cls, job, scratch, send, worker, close=(receive, *keep_closed))
    send.close()
    reaped = False
    try:
        threads = _os_threads()  # libraries that know about fork (OpenBLAS) stop their threads for it
        if threads > 1:
            raise RuntimeError(f"the narration worker ran {threads} threads when it forked; the clip cannot be trusted")
        if not wait([receive], max(0.0, deadline - time.monotonic())):
            return ("hung", None)
        try:
            return receive.recv()
        except (EOFError, OSError):  # it died without a reply
            _, status = os.waitpid(pid, 0)
            reaped = True
            return ("crashed", os.waitstatus_to_exitcode(status))
    finally:
        receive.close()
        if not reaped:
            try:
                os.kill(pid, signal.SIGKILL)  # a no-op for a child that has exited after replying
            except ProcessLookupError:
                pass
            os.waitpid(pid, 0)


def clip_here(engine: Engine, job: Job, scratch: Path) -> tuple[str, object]:
    """Make ``job``'s clip in this process (engines with ``fork_per_clip`` False); a hang is the parent's to stop."""
    return attempt(lambda: make_clip(engine, job, scratch))


def _loaded(ref: str, cores: int) -> type[Engine] | str:
    """The engine ``ref`` with its model loaded for ``cores`` cores, or what went wrong (said in reply to the first job)."""
    try:
        cls = load_engine(ref)
        if not cls.fork_per_clip:  # a worker that forks must keep to one thread
            cls.cores = cores
        cls.preload()
    except Exception as exc:  # noqa: BLE001 -- any engine failure goes back to the parent as NarratorError
        return message_of(exc)
    return cls


def serve(conn: Connection, ref: str, scratch: str, cores: int = 1) -> None:
    """Worker main loop: load the engine at once (before the first job arrives: a narration
    started early speaks sooner), then receive a Job (None to stop), make its clip (in a child,
    or here), send back the reply. A worker started on more than one core makes its first clip
    so, then loads the engine again on one, like every other worker (so that they do not
    oversubscribe the cores)."""
    _detach()
    keep_stderr(scratch)
    tempfile.tempdir = scratch  # engines' temporary files go where the parent cleans up
    cls = _loaded(ref, cores)
    engine: Engine | None = None
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        try:
            if isinstance(cls, str):  # the engine failed to load: tried again for each job, which says why it fails
                cls = _loaded(ref, cores)
                if isinstance(cls, str):
                    raise RuntimeError(cls)
            if cls.fork_per_clip:
                reply = clip_in_child(cls, job, Path(scratch), keep_closed=(conn,))
            else:
                engine = engine or cls()
                reply = clip_here(engine, job, Path(scratch))
        except Exception as exc:  # noqa: BLE001 -- any engine failure goes back to the parent as NarratorError
            reply = ("error", message_of(exc))
        try:
            conn.send(reply)
        except OSError:
            return
        if cores > 1 and not isinstance(cls, str) and not cls.fork_per_clip:
            cores, engine = 1, None
            cls = _loaded(ref, cores)


def _snippet(text: str) -> str:
    return repr(text if len(text) <= 60 else text[:57] + "…")


def _how(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            return f"killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"killed by signal {-exitcode}"
    return f"exit code {exitcode}"


class _Failure:
    def __init__(self, engine: str) -> None:
        self.engine = engine
        other = "espeak-cli" if engine == DEFAULT_ENGINE or engine not in ENGINES else DEFAULT_ENGINE
        self.fix = f"try --engine {other} or check the voice"

    def hung(self, job: Job) -> NarratorError:
        return NarratorError(
            f"the {self.engine} engine did not finish saying {_snippet(job.text)} within {job.timeout_s:g} s and was stopped",
            hint=f"{self.fix} {job.voice!r}",
        )

    def crashed(self, job: Job, exitcode: int | None) -> NarratorError:
        return NarratorError(
            f"the {self.engine} engine crashed ({_how(exitcode)}) while saying {_snippet(job.text)}",
            hint=f"{self.fix} {job.voice!r}",
        )

    def failed(self, job: Job, message: str) -> NarratorError:
        return NarratorError(f"the {self.engine} engine failed on {_snippet(job.text)}: {message}", hint=f"{self.fix} {job.voice!r}")

    def silent(self, job: Job, words: str) -> SilentLineError:
        said = f" ({self.engine}: {words})" if words else ""
        return SilentLineError(
            f"the {self.engine} engine made no sound for {_snippet(job.text)}{said}",
            job.text,
            "reword the line; if every line is silent, reinstall the narrator (pip install --force-reinstall voiceguide)",
        )


def start_early(ref: str) -> None:
    """Start a narrator for the engine ``ref`` now, kept for this process's next narration with that engine.

    It loads the engine (Kokoro: its model) while the caller does other work, and uses up to
    ``SPRINT_CORES`` cores (where the engine can), so that a narration's first clip, made alone
    (``run_jobs``'s ``first_alone``), comes sooner: ``play`` of a routine speaks within seconds.
    """
    kept = resident.keep()
    remove_stale_scratch()
    cores = max(1, min(SPRINT_CORES, os.cpu_count() or 1))
    kept.give_back(ref, [Narrator(multiprocessing.get_context("spawn"), serve, ref, scratch_of(kept, ref), cores)])


def run_jobs(
    jobs: Sequence[Job], ref: str, engine: str, on_made: Callable[[Job, Made], None], processes: int | None = None,
    first_alone: bool = False,
) -> None:  # fmt: skip
    """Make every job's clip on up to ``processes`` workers (default: one per core, at most one per job).

    ``on_made`` is called in this process as each clip is stored. ``first_alone``: the first
    job's clip is made before any other worker starts or works (it comes soonest so; the
    rest then share every core). Raises NarratorError on the first hang, crash or engine
    error; no worker outlives the call.
    """
    if not jobs:
        return
    ctx = multiprocessing.get_context("spawn")
    count = max(1, min(processes or os.cpu_count() or 1, len(jobs)))
    queue = deque(jobs)
    failure = _Failure(engine)
    kept = resident.kept()  # a long-lived process keeps its narrators from one narration to the next
    remove_stale_scratch()
    scratch = scratch_of(kept, ref)
    workers: list[Narrator] = kept.take(ref, count) if kept else []  # type: ignore[assignment]
    finished = False
    try:
        alone = first_alone
        while True:
            working = 1 if alone else count
            workers.extend(Narrator(ctx, serve, ref, scratch) for _ in range(working - len(workers)))
            _give(workers[:working], queue, failure)
            busy = [w for w in workers if w.job is not None]
            if not busy:
                break
            timeout = max(0.0, min(w.deadline for w in busy) - time.monotonic())
            ready = wait([w.conn for w in busy] + [w.process.sentinel for w in busy], timeout)
            for w in busy:
                if w.conn in ready or w.process.sentinel in ready:
                    _collect(w, failure, on_made)
                    alone = False
                elif time.monotonic() >= w.deadline:
                    assert w.job is not None
                    raise failure.hung(w.job)
        finished = True
    finally:
        _finish(workers, kept, ref, scratch, finished)


def _give(workers: Sequence[Narrator], queue: deque[Job], failure: _Failure) -> None:
    """A job from ``queue`` to each idle worker."""
    for w in workers:
        if w.job is None and queue:
            job = queue.popleft()
            try:
                w.give(job)
            except OSError:
                w.process.join(1.0)
                raise failure.crashed(job, w.process.exitcode) from None


def _finish(workers: list[Narrator], kept: resident.Kept | None, ref: str, scratch: str, finished: bool) -> None:
    """Keep the workers of a narration that finished (in a process that keeps them), else stop them; clean up after them."""
    if kept and finished:
        kept.give_back(ref, list(workers))
        workers = []
    try:
        for index, w in enumerate(workers):
            try:
                w.end(graceful=finished)
            except BaseException:
                for rest in workers[index + 1 :]:  # interrupted while stopping: stop the rest at once
                    rest.end(graceful=False)
                raise
    finally:
        if not kept:
            shutil.rmtree(scratch, ignore_errors=True)
        _clean_killed([w.job.out for w in workers if w.job is not None])


def _clean_killed(outs: Sequence[Path]) -> None:
    """Remove the temporary files that clips being stored when their processes were killed left in the cache.

    A killed process takes a moment to die, and its temporary file is only known stale once it has:
    wait for that (a short while at most; a file still in use is another build's, and stays).
    """
    deadline = time.monotonic() + STOP_GRACE_S
    left = list(outs)
    while left:
        for out in left:
            clean_stale(out.parent)
        left = [out for out in left if any(p.name.startswith(f".{out.name}{TEMP_MARK}") for p in _listed(out.parent))]
        if not left or time.monotonic() >= deadline:
            return
        time.sleep(0.02)


def _listed(folder: Path) -> list[Path]:
    try:
        return list(folder.iterdir())
    except OSError:
        return []


def _collect(w: Narrator, failure: _Failure, on_made: Callable[[Job, Made], None]) -> None:
    """Take a worker's reply, or report how it died."""
    job = w.job
    assert job is not None
    try:
        reply = w.conn.recv() if w.conn.poll() else None
    except (EOFError, OSError):
        reply = None
    if reply is None:
        w.process.join(1.0)
        raise failure.crashed(job, w.process.exitcode)
    kind, payload = reply
    if kind == "hung":
        raise failure.hung(job)
    if kind == "crashed":
        assert payload is None or isinstance(payload, int)
        raise failure.crashed(job, payload)
    if kind == "silent":
        raise failure.silent(job, str(payload))
    if kind == "cache":
        raise CacheError(*payload)
    if kind != "ok":
        raise failure.failed(job, str(payload))
    w.job = None
    assert isinstance(payload, Made)
    on_made(job, payload)
