"""A test-only engine, bed and format, each added to voiceguide by one registry entry and its code here.

``python tests/registry_extras.py ARGS`` is the ``voiceguide`` command with the three added
(test_registry.py runs it): the engine and the bed are named by ``"module:attr"`` strings,
so narration workers, which are separate processes, import them from here as voiceguide's
own.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from voiceguide import registry
from voiceguide.narration import wav
from voiceguide.narration.base import VoiceInfo
from voiceguide.narration.engines import Engine
from voiceguide.registry import BedKind, EngineKind, FormatKind

TONE_HZ = 440.0
HUM_HZ = (110.0, 165.0)  # whole numbers of cycles in the loop: it repeats without a seam
HUM_LOOP_S = 8


class ToneEngine(Engine):
    """Says every line as a tone of 440 Hz, longer for longer lines."""

    name = "test-tone"
    fork_per_clip = False

    @classmethod
    def version(cls) -> str:
        return "test tone 1"

    @classmethod
    def voices(cls) -> list[VoiceInfo]:
        return [VoiceInfo(id="tone", name="Tone", languages=("en",), licence="none")]

    def synthesize(self, text: str, voice: str, rate: int, volume: float, path: Path) -> None:
        rate_hz = 22050
        t = np.arange(round((0.3 + 0.02 * len(text)) * rate_hz)) / rate_hz
        wav.write_float(path, 0.5 * np.sin(2 * np.pi * TONE_HZ * t), rate_hz, volume)


def hum(rate: int) -> np.ndarray:
    """A low hum of two tones: one seamless loop, stereo float32."""
    t = np.arange(HUM_LOOP_S * rate) / rate
    mono = sum(0.1 * np.sin(2 * np.pi * f * t) for f in HUM_HZ)
    return np.stack([mono, mono], axis=1).astype(np.float32)


def tag_nothing(path: Path, meta: object, chapters: object, cover: object) -> None:
    """AIFF files here carry no tags."""


ENTRIES = (
    EngineKind("test-tone", f"{__name__}:ToneEngine" if __name__ != "__main__" else "registry_extras:ToneEngine"),
    BedKind("hum", "registry_extras:hum", 1, "A low hum of two tones, for tests."),
    FormatKind("aiff", ("-c:a", "pcm_s16be"), "aiff", "aiff", "aiff", "audio/aiff", "registry_extras:tag_nothing"),
)


def main() -> None:
    registry.add(*ENTRIES)
    from voiceguide.cli import main as voiceguide

    voiceguide()


if __name__ == "__main__":
    sys.exit(main())
