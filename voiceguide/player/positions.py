"""Where a listener stopped in each file, so ``play`` can offer to resume there.

One small JSON file (``positions.json``) in ``$VOICEGUIDE_STATE``, else
``$XDG_STATE_HOME/voiceguide``, else ``~/.local/state/voiceguide``. A position belongs
to one file as it was (its size and modification time): a rebuilt session starts over.
A store that cannot be read or written only costs the resume offer, never the playback.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

from voiceguide.errors import OutputError
from voiceguide.folders import user_folder

STORE_NAME = "positions.json"
KEEP = 200  # files remembered; the least recently played are forgotten first
MIN_RESUME_S = 5.0  # stopping earlier than this, or closer than this to the end, is not worth a resume offer


def state_root() -> Path:
    return user_folder("state")


@dataclass(frozen=True)
class Positions:
    """The resume store at ``root`` (default: ``state_root()``)."""

    root: Path

    @classmethod
    def default(cls) -> Positions:
        return cls(state_root())

    @property
    def path(self) -> Path:
        return self.root / STORE_NAME

    def load(self, audio: Path) -> float | None:
        """Where the listener stopped in ``audio``, if it is the same file as then."""
        entry = self._read().get(_key(audio))
        if not isinstance(entry, dict) or entry.get("identity") != _identity(audio):
            return None
        position = entry.get("position_s")
        return float(position) if isinstance(position, (int, float)) and not isinstance(position, bool) else None

    def save(self, audio: Path, position_s: float, duration_s: float) -> None:
        """Remember ``position_s``; near either end of the session, forget instead."""
        entries = self._read()
        key = _key(audio)
        entries.pop(key, None)
        if MIN_RESUME_S <= position_s <= duration_s - MIN_RESUME_S:
            entries[key] = {"position_s": round(position_s, 3), "identity": _identity(audio), "saved": round(time.time())}
        recent = sorted(entries.items(), key=lambda kv: kv[1].get("saved", 0) if isinstance(kv[1], dict) else 0)[-KEEP:]
        self._write(dict(recent))

    def _read(self) -> dict[str, object]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _write(self, entries: dict[str, object]) -> None:
        from voiceguide.output import write_text_atomic

        try:
            self.root.mkdir(parents=True, exist_ok=True)
            write_text_atomic(self.path, json.dumps(entries, ensure_ascii=False, indent=1) + "\n")
        except (OSError, OutputError):
            pass  # the position is a convenience; playing went fine


def _key(audio: Path) -> str:
    return str(audio.resolve())


def _identity(audio: Path) -> list[int]:
    try:
        stat = audio.stat()
    except OSError:
        return []
    return [stat.st_size, stat.st_mtime_ns]
