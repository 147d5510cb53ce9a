"""Kokoro-82M through ONNX Runtime (kokoro-onnx), CPU only, with the model voiceguide installs.

The model and voices come from ``voiceguide voices install kokoro`` (see ``models``);
kokoro-onnx is only asked to run what is already on disk. Kokoro phonemises through
espeak-ng, from the same espeakng-loader library the default narrator uses.

Speed: kokoro-onnx takes a speed factor (0.5–2). ``rate`` means words a minute here as
for every engine: the factor is ``rate / WPM_AT_SPEED_1``, measured on the lines of the
built-in routines (``scripts/bench_voices.py`` reports how close it comes).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, ClassVar

from voiceguide.errors import NarratorError
from voiceguide.narration import models, onnx, pins, wav
from voiceguide.narration.base import VoiceInfo
from voiceguide.narration.engines import Engine

WPM_AT_SPEED_1 = 197.0  # words a minute af_heart speaks at speed 1.0 on the lines of gentle-foot-unwind (at speed 0.65: 128)
SPEED_RANGE = (0.5, 2.0)  # what kokoro-onnx accepts
LICENCE = "Apache-2.0"

# The first letter of a voice id is its language, the second its gender (f/m).
LANGUAGES: dict[str, tuple[str, str, str]] = {
    # letter: (language code shown and matched, espeak-ng language for phonemes, name)
    "a": ("en-us", "en-us", "American English"),
    "b": ("en-gb", "en-gb", "British English"),
    "e": ("es", "es", "Spanish"),
    "f": ("fr-fr", "fr-fr", "French"),
    "h": ("hi", "hi", "Hindi"),
    "i": ("it", "it", "Italian"),
    "j": ("ja", "ja", "Japanese"),
    "p": ("pt-br", "pt-br", "Brazilian Portuguese"),
    "z": ("zh", "cmn", "Mandarin Chinese"),
}
PREFERRED = frozenset({"af_heart", "bf_emma", "ef_dora", "ff_siwis", "hf_alpha", "if_sara", "jf_alpha", "pf_dora", "zf_xiaobei"})


def _info(ident: str, installed: bool) -> VoiceInfo:
    code, _, language = LANGUAGES[ident[0]]
    family = code.split("-")[0]
    priority = 1 if ident in PREFERRED else 5
    gender = {"f": "female", "m": "male"}.get(ident[1], "")
    return VoiceInfo(
        id=ident,
        name=f"{ident.split('_', 1)[1].capitalize()} ({language}, {gender})",
        languages=(code, family) if family != code else (code,),
        priorities=(priority, priority) if family != code else (priority,),
        gender=gender,
        installed=installed,
        licence=LICENCE,
    )


class KokoroEngine(Engine):
    """Kokoro-82M int8 ONNX; a worker loads the model once, each clip is made in a fresh child of it."""

    name = "kokoro"
    fork_per_clip = False
    timeout_factor = 5.0  # about real time on one core; a busy machine slows it several times
    rate_range = (math.ceil(SPEED_RANGE[0] * WPM_AT_SPEED_1), min(Engine.rate_range[1], math.floor(SPEED_RANGE[1] * WPM_AT_SPEED_1)))
    _runner: ClassVar[Any] = None

    @classmethod
    def check(cls) -> None:
        onnx.require("kokoro")
        if not models.kokoro_files().installed():
            raise NarratorError(
                f"the Kokoro model is not installed in {models.kokoro_files().folder}",
                hint="run: voiceguide voices install kokoro",
            )

    @classmethod
    def preload(cls) -> None:
        """Load the model (on ``cores`` threads) and the phonemiser, once per worker."""
        from kokoro_onnx import Kokoro

        files = models.kokoro_files()
        # Unoptimised: the optimisations cost 0.35 of the 0.6 CPU s a session takes to make (before the
        # first word of ``play``) and neither speed up synthesis nor change a sample of it (scripts/bench --voices).
        cls._runner = Kokoro.from_session(onnx.session(files.model, optimise=False, threads=cls.cores), str(files.voices))

    @classmethod
    def version(cls) -> str:
        files = models.kokoro_files()
        model = models.file_sha256(files.model)
        voices = models.file_sha256(files.voices)
        return f"{onnx.versions('kokoro-onnx', 'onnxruntime')}; model sha256 {model}; voices sha256 {voices}; {WPM_AT_SPEED_1:g} wpm at speed 1"

    @classmethod
    def voices(cls) -> list[VoiceInfo]:
        files = models.kokoro_files()
        have = files.voice_ids() if files.installed() else frozenset()
        return [_info(ident, ident in have) for ident in pins.KOKORO_VOICE_SHA256]

    @staticmethod
    def speed(rate: int) -> float:
        """kokoro-onnx's speed factor for ``rate`` words a minute."""
        return min(SPEED_RANGE[1], max(SPEED_RANGE[0], rate / WPM_AT_SPEED_1))

    def synthesize(self, text: str, voice: str, rate: int, volume: float, path: Path) -> None:
        if type(self)._runner is None:
            type(self).preload()
        audio, sample_rate = type(self)._runner.create(text, voice=voice, speed=self.speed(rate), lang=LANGUAGES[voice[0]][1])
        wav.write_float(path, audio, int(sample_rate), volume)
