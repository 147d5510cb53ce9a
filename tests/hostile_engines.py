"""The real narrator in a hostile environment, importable by narration workers as ``"hostile_engines:<Class>"``.

Each is the real pyttsx3 engine (same name, same version: its clips share the real
engine's cache keys) with one thing of its surroundings broken, set up in the worker
only: the test process itself is never changed.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from voiceguide.narration import espeak_lib
from voiceguide.narration.engines import Pyttsx3Engine


def _redirect_data() -> None:
    """espeak reads its data from ``$VOICEGUIDE_TEST_ESPEAK_DATA`` (a copy with a dictionary missing, say)."""
    folder = os.environ["VOICEGUIDE_TEST_ESPEAK_DATA"]
    espeak_lib.data_path = lambda: folder


class BrokenDataEngine(Pyttsx3Engine):
    """espeak-ng whose data folder is not what it should be (``$VOICEGUIDE_TEST_ESPEAK_DATA``)."""

    @classmethod
    def preload(cls) -> None:
        _redirect_data()
        super().preload()

    def __init__(self) -> None:
        _redirect_data()
        super().__init__()


class CacheRemovingEngine(Pyttsx3Engine):
    """Removes the whole clip cache (``$VOICEGUIDE_CACHE``) once, as its third clip is made: clips stored before it are gone."""

    def synthesize(self, text: str, voice: str, rate: int, volume: float, path: Path) -> None:
        super().synthesize(text, voice, rate, volume, path)
        mark = os.environ["VOICEGUIDE_TEST_MARK"]
        for n in range(1, 100):  # this clip's place in the order, across the workers' processes
            try:
                os.close(os.open(f"{mark}-{n}", os.O_CREAT | os.O_EXCL | os.O_WRONLY))
                break
            except FileExistsError:
                continue
        if n == 3:
            shutil.rmtree(os.environ["VOICEGUIDE_CACHE"], ignore_errors=True)
            Path(mark).write_text("removed")
