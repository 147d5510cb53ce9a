"""What the rest of voiceguide needs from a speech engine, and what it gets back."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Clip:
    """A synthesised utterance on disk: mono 16-bit WAV, leading and trailing silence trimmed."""

    path: Path
    duration_s: float
    sample_rate: int


@dataclass(frozen=True)
class VoiceInfo:
    """A voice an engine offers. ``priorities`` parallels ``languages``: lower means the engine prefers this voice for it."""

    id: str  # what a routine's ``voice`` may name
    name: str
    languages: tuple[str, ...]
    priorities: tuple[int, ...] = ()
    gender: str = ""  # "female", "male", or "" where the engine does not say
    installed: bool = True  # listed by the engine but its files are not here yet: False
    licence: str = ""
    by_language: bool = True  # False: chosen only by its id, never as a language's default (e.g. research-only voices)
