"""The clip cache on disk: one trimmed WAV per (engine, engine version, voice, rate, volume, spoken text).

Layout: ``<root>/clips/<first two hex digits>/<sha256>.wav``. Clips are written
atomically (see ``wav.write_mono16_atomic``), so builds sharing a cache never read
half a clip; anything unreadable, damaged (its checksum), empty or not a file is a
miss and is replaced. A cache that cannot be written is reported as such, naming the
folder and the fix (``check_writable``), before anything is synthesised.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import tempfile
from pathlib import Path

from voiceguide.errors import CacheError, VoiceguideError
from voiceguide.folders import user_folder
from voiceguide.narration import wav
from voiceguide.narration.base import Clip
from voiceguide.text import printable

# Bump when synthesis, trimming or storage changes, so old clips stop matching.
# 2: each clip synthesised in a fresh process (clips of format 1 could carry espeak state from earlier lines).
# 3: a checksum of the samples stored with each clip and checked on reading; empty clips are never stored.
CLIP_FORMAT = 3


def cache_root(cache_dir: Path | str | None = None) -> Path:
    """``cache_dir`` if given, else ``$VOICEGUIDE_CACHE``, else ``$XDG_CACHE_HOME/voiceguide``, else ``~/.cache/voiceguide``."""
    if cache_dir is not None:
        return Path(cache_dir)
    return user_folder("cache")


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
    """The cached clip at ``path``, or None if it is missing, damaged or empty (then it is made again)."""
    found = wav.stored_frames(path)
    if found is None:
        return None
    frames, rate = found
    return Clip(path=path, duration_s=frames / rate, sample_rate=rate)


def check_writable(root: Path) -> None:
    """CacheError, naming the folder and the fix, unless a clip can be stored under ``root`` now."""
    clips = root / "clips"
    try:
        clips.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=".voiceguide-check-", dir=clips)
        os.close(fd)
        os.unlink(name)
    except OSError as err:
        raise cache_problem(root, err) from None


def cache_problem(root: Path, err: OSError | Exception) -> CacheError:
    """The error for a clip cache that cannot be written: what is wrong with which folder, and what to do."""
    where = printable(root)
    move = "or set VOICEGUIDE_CACHE to another folder"
    code = err.errno if isinstance(err, OSError) else None
    if code in (errno.ENOTDIR, errno.EEXIST) or (code is None and "not a file" in str(err)):
        named = Path(err.filename) if isinstance(err, OSError) and err.filename else root / "clips"
        blocking = next((p for p in (named, *named.parents) if p.exists() and not p.is_dir()), None)
        if blocking is not None:
            return CacheError(
                f"the clip cache {where} cannot be used: {printable(blocking)} is a file, not a folder", f"move that file away, {move}"
            )
    if isinstance(err, OSError) and code in (errno.EROFS, errno.EACCES, errno.EPERM):
        return CacheError(f"the clip cache {where} is read-only ({err.strerror})", f"make it writable, {move}")
    if code in (errno.ENOSPC, errno.EDQUOT):
        return CacheError(f"the clip cache {where} has no space left", f"free some space there, {move}")
    reason = err.strerror if isinstance(err, OSError) and err.strerror else err.message if isinstance(err, VoiceguideError) else str(err)
    return CacheError(f"the clip cache {where} cannot be written ({reason})", f"check that folder, {move}")
