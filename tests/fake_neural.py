"""Faulty engines in the neural engines' worker mode (no fork per clip), importable by workers as ``"<module>:<Class>"``.

They list Kokoro's catalogue of voices, all as installed, so voices resolve as usual whether Kokoro is installed or not;
they never load the model.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import time
from pathlib import Path

from voiceguide.narration.base import VoiceInfo
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

    @classmethod
    def voices(cls) -> list[VoiceInfo]:
        return [dataclasses.replace(voice, installed=True) for voice in super().voices()]


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
