"""Faulty engines for narration tests, importable by workers as ``"<this module>:<Class>"``.

They keep the real engine's voices and version (so voices resolve as usual) but
never start espeak (except ``EspeakInWorkerEngine``, in the worker, where it must
not run). A hanging engine records its pid in ``$VOICEGUIDE_TEST_PID_DIR`` so a
test can check that the process making the clip is gone afterwards.
"""

from __future__ import annotations

import os
import resource
import signal
import threading
import time
from pathlib import Path

from voiceguide.narration.engines import Pyttsx3Engine


class _Fake(Pyttsx3Engine):
    def __init__(self) -> None:  # no espeak in the worker
        pass


class HangingEngine(_Fake):
    name = "fake-hang"

    def synthesize(self, text: str, voice: str, rate: int, volume: float, path: Path) -> None:
        pid_dir = os.environ.get("VOICEGUIDE_TEST_PID_DIR")
        if pid_dir:
            (Path(pid_dir) / f"{os.getpid()}.pid").write_text(str(os.getpid()))
        time.sleep(1000)


class ExitingEngine(_Fake):
    name = "fake-exit"

    def synthesize(self, text: str, voice: str, rate: int, volume: float, path: Path) -> None:
        os._exit(3)


class SegfaultEngine(_Fake):
    name = "fake-segv"

    def synthesize(self, text: str, voice: str, rate: int, volume: float, path: Path) -> None:
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # no core file in the working directory
        os.kill(os.getpid(), signal.SIGSEGV)


class FailingEngine(_Fake):
    name = "fake-fail"

    def synthesize(self, text: str, voice: str, rate: int, volume: float, path: Path) -> None:
        raise RuntimeError("the fake engine refuses")


class LoadFailingEngine(_Fake):
    """Its model cannot be loaded: the worker fails before its first clip."""

    name = "fake-load-failing"

    @classmethod
    def preload(cls) -> None:
        raise RuntimeError("the fake model file is damaged")


class ThreadInWorkerEngine(_Fake):
    """Starts a Python thread in the worker, which must then refuse to fork."""

    name = "fake-thread"

    @classmethod
    def preload(cls) -> None:
        threading.Thread(target=time.sleep, args=(1000,), daemon=True).start()

    def synthesize(self, text: str, voice: str, rate: int, volume: float, path: Path) -> None:
        raise AssertionError("a child was forked from a worker running two threads")


class EspeakInWorkerEngine(_Fake):
    """Starts espeak (and its native thread) in the worker, which must then refuse the clip."""

    name = "fake-espeak-in-worker"

    @classmethod
    def preload(cls) -> None:
        super().preload()
        Pyttsx3Engine()

    def synthesize(self, text: str, voice: str, rate: int, volume: float, path: Path) -> None:
        raise AssertionError("a clip was made after forking a worker running espeak")


class SlowEngine(Pyttsx3Engine):
    """The real espeak-ng voice, made several times slower than it is said: a narrator that falls behind the player."""

    name = "fake-slow"

    def synthesize(self, text: str, voice: str, rate: int, volume: float, path: Path) -> None:
        time.sleep(float(os.environ.get("VOICEGUIDE_TEST_SLOW_S", "2.5")))
        super().synthesize(text, voice, rate, volume, path)


class WorkerCountingEngine(Pyttsx3Engine):
    """The real espeak-ng voice; each clip notes which worker made it and when: a line ``start end text``
    in ``$VOICEGUIDE_TEST_PID_DIR/<worker pid>`` (monotonic seconds)."""

    name = "fake-counting"

    def synthesize(self, text: str, voice: str, rate: int, volume: float, path: Path) -> None:
        worker = os.getppid() if self.fork_per_clip else os.getpid()  # a clip is made in a fresh fork of its worker
        start = time.monotonic()
        time.sleep(0.5)  # long enough that no worker finishes its clip before every worker has one
        super().synthesize(text, voice, rate, volume, path)
        with (Path(os.environ["VOICEGUIDE_TEST_PID_DIR"]) / str(worker)).open("a", encoding="utf-8") as made:
            made.write(f"{start} {time.monotonic()} {text}\n")
