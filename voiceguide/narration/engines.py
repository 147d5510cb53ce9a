"""Speech engines behind one small interface (the registry names them), and the two built on espeak-ng.

Class methods (``check``, ``version``, ``voices``) run in the calling process.
Narration workers are spawned, so an engine is named by its name in the registry or by an
importable ``"module:Class"`` path (how tests inject faulty engines). A worker calls
``preload`` once, then, for engines with ``fork_per_clip``, forks a child per clip;
the child makes an instance, calls ``synthesize`` once and exits. So every clip
starts from the same state, whatever the worker made before (espeak-ng keeps state
from one utterance to the next). Other engines make every clip in the worker itself.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import re
import shutil
import subprocess
import threading
import time
from abc import ABC, abstractmethod
from pathlib import Path
from typing import ClassVar

from voiceguide import registry
from voiceguide.errors import NarratorError
from voiceguide.narration import espeak_lib, wav
from voiceguide.narration.base import VoiceInfo


class Engine(ABC):
    """A text-to-speech engine that writes one WAV file per call."""

    name: ClassVar[str]
    rate_range: ClassVar[tuple[int, int]] = registry.RATE_RANGE
    # True: each clip is made in a fresh fork of the worker (engines that keep state between
    # utterances, like espeak-ng). False: the worker makes every clip itself, for engines whose
    # output depends only on their input and which start threads a fork cannot carry (ONNX Runtime).
    fork_per_clip: ClassVar[bool] = True
    # Clip deadlines are made for espeak-ng (hundreds of times real time); a neural model near
    # real time on a busy machine needs this many times longer before it is presumed hung.
    timeout_factor: ClassVar[float] = 1.0
    # How many cores one clip may use: set by the worker before ``preload`` (more than one for the
    # narrator that makes the first clip alone, see ``workers.start_early``). Only engines that do not
    # fork per clip may start threads; an engine that cannot use more cores keeps to one.
    cores: ClassVar[int] = 1

    @classmethod
    def takes_rate(cls, rate: int) -> bool:
        """True when the engine speaks at ``rate`` words a minute (within ``rate_range``): the one rate check."""
        low, high = cls.rate_range
        return low <= rate <= high

    @classmethod
    def check(cls) -> None:
        """Raise NarratorError, saying how to fix it, if the engine cannot run here."""
        return None

    @classmethod
    def preload(cls) -> None:
        """Once per worker, before its first clip: import and load what every clip needs.

        With ``fork_per_clip``, workers fork a child per clip, which is only safe in a process
        with one thread: start no thread here and leave the engine itself unstarted (that is
        the child's job).
        """
        return None

    @classmethod
    @abstractmethod
    def version(cls) -> str:
        """Everything that changes the audio for the same settings; part of the cache key."""

    @classmethod
    @abstractmethod
    def voices(cls) -> list[VoiceInfo]:
        """Every voice the engine offers."""

    @abstractmethod
    def synthesize(self, text: str, voice: str, rate: int, volume: float, path: Path) -> None:
        """Write ``text`` said by voice id ``voice`` at ``rate`` wpm and ``volume`` (0–1) to ``path`` as WAV; whole on return."""


def engine_ref(engine: str) -> str:
    """The ``"module:Class"`` path for a registered name or a path given as is."""
    if engine in registry.ENGINES:
        return registry.ENGINES[engine].code
    if ":" in engine:
        return engine
    raise NarratorError(f"unknown engine {engine!r}", hint=f"choose one of {', '.join(registry.ENGINES)}")


def load_engine(ref: str) -> type[Engine]:
    """Import the engine class a ``"module:Class"`` path names."""
    try:
        cls = registry.load(ref)
    except (ImportError, AttributeError) as exc:
        raise NarratorError(f"cannot load engine {ref!r}: {exc}") from exc
    if not (isinstance(cls, type) and issubclass(cls, Engine)):
        raise NarratorError(f"engine {ref!r} is not a voiceguide Engine")
    return cls


class Pyttsx3Engine(Engine):
    """pyttsx3 driving the espeak-ng library from the espeakng-loader wheel (the default).

    pyttsx3's espeak driver runs espeak asynchronously, and its run loop calls
    ``espeak_Cancel`` whenever espeak still has queued commands; Cancel drops queued
    rate and volume changes (this is how a rate change gets lost). So every step here
    waits until espeak's queue is empty, checks that espeak holds the requested
    voice, rate and volume, and only then synthesises.
    """

    name = "pyttsx3"
    SETTLE_S = 5.0  # bound on each wait for espeak's queue to drain

    @classmethod
    def check(cls) -> None:
        if importlib.util.find_spec("pyttsx3") is None:
            raise NarratorError("pyttsx3 is not installed", hint="reinstall voiceguide's dependencies or use --engine espeak-cli")
        espeak_lib.load()

    @classmethod
    def preload(cls) -> None:
        """Import pyttsx3 and its espeak driver (which loads libespeak-ng); espeak itself, and its thread, start in the child."""
        espeak_lib.prepare_for_pyttsx3()
        import pyttsx3  # noqa: F401 -- loaded here once, so each clip's child starts with it
        from pyttsx3.drivers import espeak as driver

        if driver.EspeakDriver._moduleInitialized:  # pyttsx3 initialises espeak once per process
            raise RuntimeError("espeak is already running in the narration worker; its clips would not be reproducible")
        # espeak builds its table of voices by reading every voice file the first time a voice
        # is chosen by name (about 4 ms); build it here once, and every child starts with it.
        espeak_lib.list_voices()

    @classmethod
    def version(cls) -> str:
        return f"pyttsx3 {importlib.metadata.version('pyttsx3')}; espeak-ng {espeak_lib.version()}"

    @classmethod
    def voices(cls) -> list[VoiceInfo]:
        return espeak_lib.list_voices()

    def __init__(self) -> None:
        espeak_lib.prepare_for_pyttsx3()
        import pyttsx3

        self._tts = pyttsx3.init("espeak")
        self._finished = threading.Event()
        self._completed = False
        self._tts.connect("finished-utterance", self._on_finished)
        # The driver starts "busy" with its defaults still queued in espeak, and while busy
        # it only queues property changes. Once espeak has applied the defaults, mark the
        # driver idle as its run loop does when it first starts (no throwaway synthesis).
        self._settle(driver=False)
        self._tts.proxy.setBusy(False)

    def _on_finished(self, completed: bool = True, **_: object) -> None:
        self._completed = completed
        self._finished.set()

    def _settle(self, driver: bool = True) -> None:
        """Wait until espeak's queue is empty and (with ``driver``) pyttsx3's driver is idle."""
        deadline = time.monotonic() + self.SETTLE_S
        while espeak_lib.busy() or (driver and self._tts.isBusy()):
            if time.monotonic() > deadline:
                raise RuntimeError("espeak stayed busy")
            time.sleep(0.0005)

    def _say(self, text: str, path: Path) -> None:
        self._finished.clear()
        self._tts.save_to_file(text, str(path))
        self._tts.runAndWait()
        if not self._finished.wait(self.SETTLE_S) or not self._completed:
            raise RuntimeError("espeak stopped before the end of the text")
        self._settle()
        _wait_whole(path, self.SETTLE_S)

    def synthesize(self, text: str, voice: str, rate: int, volume: float, path: Path) -> None:
        want = (voice.lower(), int(rate), int(round(volume * 100, 2)))  # pyttsx3 sends round(volume * 100)
        for _attempt in range(2):
            self._settle()
            self._tts.setProperty("voice", voice)
            self._tts.setProperty("rate", int(rate))
            self._tts.setProperty("volume", float(volume))
            self._settle()
            if espeak_lib.current_settings() == want:
                break
        else:
            got = espeak_lib.current_settings()
            if got[0] != want[0]:
                raise RuntimeError(f"espeak could not load voice {voice!r} (it kept {got[0]!r})")
            raise RuntimeError(f"espeak kept rate {got[1]} and volume {got[2]} instead of {want[1]} and {want[2]}")
        self._say(text, path)
        if espeak_lib.current_settings() != want:
            raise RuntimeError("espeak changed its settings during synthesis")


def _wait_whole(path: Path, limit_s: float) -> None:
    """Wait until the WAV at ``path`` is whole (header matches the data) and its size holds still."""
    deadline = time.monotonic() + limit_s
    last = -1
    while True:
        size = path.stat().st_size if path.exists() else -1
        if size == last and wav.is_complete(path):
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"{path.name} was not written completely")
        last = size
        time.sleep(0.002)


class EspeakCliEngine(Engine):
    """The ``espeak-ng`` program, one synchronous run per clip. Needs ``espeak-ng`` on PATH."""

    name = "espeak-cli"

    @staticmethod
    def _exe() -> str:
        exe = shutil.which("espeak-ng")
        if exe is None:
            raise NarratorError("espeak-ng is not on PATH", hint="install it (e.g. apt install espeak-ng) or use --engine pyttsx3")
        return exe

    @classmethod
    def check(cls) -> None:
        cls._exe()

    @classmethod
    def _run(cls, *args: str) -> str:
        done = subprocess.run([cls._exe(), *args], capture_output=True, text=True, timeout=30, check=False)
        if done.returncode != 0:
            raise NarratorError(f"espeak-ng {' '.join(args)} failed: {done.stderr.strip() or done.returncode}")
        return done.stdout

    @classmethod
    def version(cls) -> str:
        return "espeak-ng " + cls._run("--version").strip()

    @classmethod
    def voices(cls) -> list[VoiceInfo]:
        return parse_voice_table(cls._run("--voices"))

    def synthesize(self, text: str, voice: str, rate: int, volume: float, path: Path) -> None:
        say = " " + text if text.startswith("-") else text  # never read as an option
        args = ["-v", voice, "-s", str(int(rate)), "-a", str(round(volume * 100)), "-w", str(path), say]
        done = subprocess.run([self._exe(), *args], capture_output=True, text=True, check=False)
        if done.returncode != 0 or not path.exists():
            raise RuntimeError(f"espeak-ng exited with {done.returncode}: {done.stderr.strip()[:200]}")


_OTHER = re.compile(r"\((\S+) (\d+)\)")


def parse_voice_table(table: str) -> list[VoiceInfo]:
    """Voices from ``espeak-ng --voices``: ``Pty Language Age/Gender VoiceName File (other 5)(langs 3)``."""
    voices: list[VoiceInfo] = []
    for line in table.splitlines()[1:]:
        parts = line.split(None, 5)
        if len(parts) < 5 or not parts[0].isdigit():
            continue
        priority, language, _age, name, ident = parts[:5]
        others = _OTHER.findall(parts[5]) if len(parts) > 5 else []
        voices.append(
            VoiceInfo(
                id=ident.lower(),
                name=name.replace("_", " "),
                languages=(language, *(lang for lang, _ in others)),
                priorities=(int(priority), *(int(p) for _, p in others)),
                gender={"M": "male", "F": "female"}.get(_age.rsplit("/", 1)[-1], ""),
                licence=espeak_lib.LICENCE,
            )
        )
    return voices
