"""Finding the voice a routine names: by id, by name or by language code. Pure functions over ``VoiceInfo`` lists."""

from __future__ import annotations

import difflib
import re

from voiceguide.errors import NarratorError
from voiceguide.narration.base import VoiceInfo

_LANGUAGE_CODE = re.compile(r"[a-z]{2,3}(-[a-z0-9]{2,8})*")


def _norm(text: str) -> str:
    return text.strip().lower().replace("_", "-")


def speaks(voice: VoiceInfo, language: str) -> bool:
    """Whether ``voice`` lists ``language`` or a dialect of it (``en`` matches ``en-us``; ``en-us`` not ``en``)."""
    want = _norm(language)
    return any(lang.lower() == want or lang.lower().startswith(want + "-") for lang in voice.languages)


def filter_voices(voices: list[VoiceInfo], language: str | None) -> list[VoiceInfo]:
    return list(voices) if not language else [v for v in voices if speaks(v, language)]


def resolve_voice(spec: str, voices: list[VoiceInfo], engine: str) -> VoiceInfo:
    """The voice ``spec`` names: an id (``gmw/en-us``), a name (``English (America)``) or a language (``en-us``).

    For a language the engine's own preference decides (lowest priority number, then list order).
    Raises NarratorError listing close matches when nothing fits.
    """
    want = _norm(spec)
    if not want:
        raise NarratorError(f"no voice given for engine {engine}", hint="name a voice id, voice name or language code")
    for v in voices:
        if _norm(v.id) == want:
            return v
    for v in voices:
        if v.name.strip().lower() == spec.strip().lower():
            return v
    ranked: list[tuple[int, int, VoiceInfo]] = []
    for order, v in enumerate(voices):
        if not v.by_language:
            continue
        for index, lang in enumerate(v.languages):
            if lang.lower() == want:
                priority = v.priorities[index] if index < len(v.priorities) else 100
                ranked.append((priority, order, v))
    if ranked:
        return min(ranked, key=lambda r: (r[0], r[1]))[2]
    for v in voices:
        if _norm(v.id).rsplit("/", 1)[-1] == want:
            return v
    if re.fullmatch(r"[a-z]{2,3}-([a-z]{2}|[0-9]{3})", want):  # language-REGION without a voice of its own (de-ch): the language's
        return resolve_voice(want.split("-", 1)[0], voices, engine)
    raise NarratorError(*_unknown(spec, voices, engine))


def usable_voice(spec: str, voices: list[VoiceInfo], engine: str) -> VoiceInfo:
    """``resolve_voice``, refusing a voice the engine lists but has not installed."""
    voice = resolve_voice(spec, voices, engine)
    if not voice.installed:
        raise NarratorError(f"voice {voice.id} of engine {engine} is not installed", hint=f"run: voiceguide voices install {engine}")
    return voice


def _unknown(spec: str, voices: list[VoiceInfo], engine: str) -> tuple[str, str]:
    candidates: dict[str, str] = {}
    for v in voices:
        for label in (v.id, v.name, *(v.languages if v.by_language else ())):
            candidates.setdefault(label.lower(), label)
    close = [c for c in difflib.get_close_matches(spec.strip().lower(), list(candidates), n=6, cutoff=0.6) if c != _norm(spec)]
    head = f"unknown voice {spec!r} for engine {engine}"
    if close:
        others = f" (close matches: {', '.join(candidates[c] for c in close[1:])})" if len(close) > 1 else ""
        return head, f"did you mean '{candidates[close[0]]}'?{others}"
    if _LANGUAGE_CODE.fullmatch(_norm(spec)):
        return f"no {engine} voice speaks {spec!r}", f"name a voice with voice: ('voiceguide voices --engine {engine}' lists them)"
    return head, f"none of its {len(voices)} voices is close; 'voiceguide voices --engine {engine}' lists them"
