"""Making one clip where a worker runs it: synthesise, trim, store, and the reply the parent gets.

A line the engine says nothing for is never stored (an empty clip in the cache would be
served to every later build); a clip the cache will not take is reported as the cache's
problem, not the engine's. The engine's stderr goes to a file in the scratch folder, so
what espeak prints never reaches the user's terminal but its last words reach the error.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from voiceguide.errors import VoiceguideError
from voiceguide.narration import wav
from voiceguide.narration.cache import cache_problem
from voiceguide.narration.engines import Engine
from voiceguide.narration.trim import trim


@dataclass(frozen=True)
class Job:
    """One clip to make: say ``text`` with these settings, trim it, store it at ``out``."""

    key: str
    text: str
    voice: str
    rate: int
    volume: float
    out: Path
    timeout_s: float


@dataclass(frozen=True)
class Made:
    key: str
    frames: int
    sample_rate: int


class SilentClip(Exception):
    """The engine made no sound for the line: nothing is stored (an empty clip would be served to every later build)."""


class ClipNotStored(Exception):
    """The clip was made but the cache would not take it: ``args`` are the message naming the cache, and the fix."""


def make_clip(engine: Engine, job: Job, scratch: Path) -> Made:
    """Synthesise, trim and store one clip (runs in the child forked for it)."""
    raw = scratch / f"{job.key}-{os.getpid()}.wav"
    try:
        engine.synthesize(job.text, job.voice, job.rate, job.volume, raw)
        samples, rate = wav.read_mono16(raw)
    finally:
        raw.unlink(missing_ok=True)
    clip = trim(samples, rate)
    if len(clip) == 0:
        raise SilentClip(engine_words())
    for attempt in range(3):
        try:
            wav.write_mono16_atomic(job.out, clip, rate)
            break
        except (OSError, VoiceguideError) as err:  # the cache folder, not the engine
            if attempt == 2 or job.out.parent.is_dir():  # unless the folder was removed meanwhile: then again
                problem = cache_problem(job.out.parent.parent.parent, err)
                raise ClipNotStored(problem.message, problem.hint) from None
    return Made(job.key, len(clip), rate)


_STDERR_LOG: Path | None = None  # where this worker's (and its children's) stderr goes


def keep_stderr(scratch: str) -> None:
    """Send this worker's stderr (espeak writes there) to a file: never to the user's terminal, but into error messages."""
    global _STDERR_LOG
    _STDERR_LOG = Path(scratch) / f"stderr-{os.getpid()}.log"
    fd = os.open(_STDERR_LOG, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(fd, 2)
    os.close(fd)


def engine_words() -> str:
    """The last thing the engine wrote to stderr (e.g. espeak's "Can't read dictionary file"), or ""."""
    try:
        with open(_STDERR_LOG or os.devnull, "rb") as f:
            f.seek(max(0, os.fstat(f.fileno()).st_size - 2000))
            lines = [ln.strip() for ln in f.read().decode("utf-8", "replace").splitlines() if ln.strip()]
    except OSError:
        return ""
    return " ".join(lines[-1].split())[:160] if lines else ""


def attempt(make: Callable[[], Made]) -> tuple[str, object]:
    """The reply for making a clip: ("ok", Made), ("silent", engine words), ("cache", (message, hint)) or ("error", message)."""
    try:
        return ("ok", make())
    except SilentClip as exc:
        return ("silent", str(exc))
    except ClipNotStored as exc:
        return ("cache", exc.args)
    except Exception as exc:  # noqa: BLE001 -- any engine failure goes back to the parent as NarratorError
        return ("error", message_of(exc))


def message_of(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__
