"""Faulty engines in the neural engines' worker mode (no fork per clip), importable by workers as ``"<module>:<Class>"``.

They list Kokoro's voices and version, so voices resolve as usual, but never load the model.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from voiceguide.narration.kokoro import KokoroEngine


class _Fake(KokoroEngine):
    @classmethod
    def check(cls) -> None:
        return None

    @classmethod
    def preload(cls) -> None:
        return None

    @classmethod
    def version(cls) -> str:
        return f"fake {cls.__name__}"


class HangingModel(_Fake):
    name = "fake-hung-model"

    def synthesize(self, text: str, voice: str, rate: int, volume: float, path: Path) -> None:
        time.sleep(1000)


class CrashingModel(_Fake):
    name = "fake-crashing-model"

    def synthesize(self, text: str, voice: str, rate: int, volume: float, path: Path) -> None:
        os.kill(os.getpid(), signal.SIGKILL)


class FailingModel(_Fake):
    name = "fake-failing-model"

    def synthesize(self, text: str, voice: str, rate: int, volume: float, path: Path) -> None:
        raise RuntimeError("the model's input is malformed")
