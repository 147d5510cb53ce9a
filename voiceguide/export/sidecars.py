"""Side files next to a session's audio: captions, JSON chapters and the plan.

For ``session.mp3`` they are ``session.vtt``, ``session.srt``, ``session.chapters.json``
and ``session.plan.json``. Each is written to a temporary file in the same folder and
moved into place, so a reader never sees half a file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from voiceguide.errors import OutputError
from voiceguide.export.captions import to_srt, to_webvtt
from voiceguide.export.chapters import chapters_json
from voiceguide.plan import Plan

SUFFIXES = {"vtt": ".vtt", "srt": ".srt", "chapters": ".chapters.json", "plan": ".plan.json"}


def sidecar_path(audio: Path, kind: str) -> Path:
    """Where the side file of ``kind`` (a key of SUFFIXES) for ``audio`` lives."""
    return audio.with_name(audio.stem + SUFFIXES[kind])


def sidecar_texts(plan: Plan) -> dict[str, str]:
    """The content of every side file, by kind (pure)."""
    return {
        "vtt": to_webvtt(plan),
        "srt": to_srt(plan),
        "chapters": json.dumps(chapters_json(plan), ensure_ascii=False, indent=2) + "\n",
        "plan": json.dumps(plan.to_json(), ensure_ascii=False, indent=2) + "\n",
    }


def write_sidecars(audio: Path, plan: Plan) -> list[Path]:
    """Write every side file for ``audio`` (which need not exist yet); returns their paths."""
    written = []
    for kind, text in sidecar_texts(plan).items():
        path = sidecar_path(audio, kind)
        write_text_atomic(path, text)
        written.append(path)
    return written


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` through a temporary file in the same folder.

    The result gets the mode a plain new file would (umask applied), or keeps the mode
    of the file it replaces: side files and feeds are meant to be served to others.
    """
    from voiceguide.build import temp_name  # at call time: build may import this module

    try:
        temp = temp_name(path.parent, path.name, ".tmp")
    except OSError as err:
        raise OutputError(f"cannot write into {path.parent} ({err.strerror}) — choose another folder") from None
    try:
        temp.write_text(text, encoding="utf-8")
        os.chmod(temp, _mode_for(path))
        os.replace(temp, path)
    except OSError as err:
        raise OutputError(f"cannot write {path} ({err.strerror}) — check the folder's permissions and free space") from None
    finally:
        temp.unlink(missing_ok=True)


def _mode_for(path: Path) -> int:
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
