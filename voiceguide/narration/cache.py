"""The clip cache on disk: one trimmed WAV per (engine, engine version, voice, rate, volume, spoken text).

Layout: ``<root>/clips/<first two hex digits>/<sha256>.wav``. Clips are written
atomically (see ``wav.write_mono16_atomic``), so builds sharing a cache never read
half a clip; anything unreadable is a miss and is replaced.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from voiceguide.narration import wav
from voiceguide.narration.base import Clip

# Bump when synthesis, trimming or storage changes, so old clips stop matching.
# 2: each clip synthesised in a fresh process (clips of format 1 could carry espeak state from earlier lines).
CLIP_FORMAT = 2


def cache_root(cache_dir: Path | str | None = None) -> Path:
    """``cache_dir`` if given, else ``$VOICEGUIDE_CACHE``, else ``$XDG_CACHE_HOME/voiceguide``, else ``~/.cache/voiceguide``."""
    if cache_dir is not None:
        return Path(cache_dir)
    if os.environ.get("VOICEGUIDE_CACHE"):
        return Path(os.environ["VOICEGUIDE_CACHE"])
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "voiceguide"


def clip_key(engine: str, engine_version: str, voice_id: str, rate: int, volume: float, spoken: str) -> str:
    """sha256 hex of a canonical JSON of everything that shapes the clip."""
    fields = {
        "format": CLIP_FORMAT,
        "engine": engine,
        "engine_version": engine_version,
        "voice": voice_id,
        "rate": int(rate),
        "volume": float(volume),
        "spoken": spoken,
    }
    blob = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def clip_path(root: Path, key: str) -> Path:
    return root / "clips" / key[:2] / f"{key}.wav"


def lookup(path: Path) -> Clip | None:
    """The cached clip at ``path`` (duration from its header), or None if it is missing or damaged."""
    found = wav.stored_frames(path)
    if found is None:
        return None
    frames, rate = found
    return Clip(path=path, duration_s=frames / rate, sample_rate=rate)
