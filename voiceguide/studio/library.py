"""The person's routines: listed beside the built-in ones, read and saved with a version, copied, moved to the trash."""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass
from pathlib import Path

from voiceguide.errors import RoutineError
from voiceguide.output import Outputs, clean_stale, put_in_place, write_text_atomic
from voiceguide.plan import load_routine
from voiceguide.routine import builtin_routines
from voiceguide.routine.limits import MAX_FILE_BYTES
from voiceguide.routine.model import DEFAULT_BODY_PART, DEFAULT_LANGUAGE
from voiceguide.routine.starter import starter_text
from voiceguide.studio.folders import ROUTINE_SUFFIX, Folders, StudioError, check_name


@dataclass(frozen=True)
class Entry:
    name: str
    title: str
    language: str
    builtin: bool
    length_s: float | None = None  # the routine's length:, if it sets one
    built: float | None = None  # when its last build was written (seconds since the epoch)

    def to_json(self) -> dict[str, object]:
        return {
            "name": self.name, "title": self.title, "language": self.language, "builtin": self.builtin,
            "length_s": self.length_s, "built": self.built,
        }  # fmt: skip


def version_of(text: str) -> str:
    """What a save must name to replace this text: a digest of it."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


class Library:
    def __init__(self, folders: Folders) -> None:
        self.folders = folders

    def own(self) -> dict[str, Path]:
        found = {}
        for entry in sorted(os.scandir(self.folders.library), key=lambda e: e.name):
            stem = entry.name.removesuffix(ROUTINE_SUFFIX)
            if entry.name.endswith(ROUTINE_SUFFIX) and not entry.name.startswith(".") and entry.is_file(follow_symlinks=False):
                found[stem] = Path(entry.path)
        return found

    def entries(self) -> list[Entry]:
        own = self.own()
        listed = [(name, path, False) for name, path in own.items()]
        listed += [(name, path, True) for name, path in builtin_routines().items() if name not in own]
        return [self._entry(name, path, builtin) for name, path, builtin in listed]

    def _entry(self, name: str, path: Path, builtin: bool) -> Entry:
        try:
            routine = load_routine(path)
            title, language, length = routine.title, routine.language, routine.length_s
        except RoutineError:
            title, language, length = "(has problems)", "?", None
        built = [
            p.stat().st_mtime
            for p in self.folders.output.glob(f"{name}.*")
            if p.suffix in (".mp3", ".m4a", ".m4b", ".opus", ".flac", ".wav")
        ]
        return Entry(name, title, language, builtin, length, max(built, default=None))

    def path(self, name: str) -> tuple[Path, bool]:
        """The routine's file and whether it is built in (own routines first)."""
        own = self.folders.routine(name)
        if own.is_file():
            return own, False
        builtin = builtin_routines().get(name)
        if builtin is None:
            raise StudioError(f"no routine named '{name}'", "the library page lists them", 404)
        return builtin, True

    def read(self, name: str) -> tuple[str, str, bool]:
        """(text, version, built in) of a routine."""
        path, builtin = self.path(name)
        text = path.read_text(encoding="utf-8")
        return text, version_of(text), builtin

    def save(self, name: str, text: str, version: str | None) -> str:
        """Save ``text`` as the person's routine ``name``; ``version`` must be the one read (None: a new routine). Returns the new version."""
        path = self.folders.routine(name)
        if len(text.encode("utf-8")) > MAX_FILE_BYTES:
            raise StudioError("the routine is larger than 1 MiB", "split very long routines", 413)
        current = version_of(path.read_text(encoding="utf-8")) if path.is_file() else None
        if current is None and name in builtin_routines():
            raise StudioError(f"'{name}' is a built-in routine", "copy it under a new name to change it", 409)
        if current != (version or None):
            what = "was changed elsewhere" if current else "no longer exists" if version else "already exists"
            raise StudioError(f"the routine '{name}' {what}", "reload it (your text stays in the editor) and save again", 409)
        write_text_atomic(path, text)
        return version_of(text)

    def create(self, name: str, source: str | None = None, code: str | None = None) -> str:
        """A new routine ``name``: a copy of routine ``source``, else the starter routine of ``voiceguide new`` in
        language ``code``. Returns its version."""
        if source:
            text = self.read(source)[0]
        else:
            try:
                text = starter_text(f"{check_name(name)}{ROUTINE_SUFFIX}", code or DEFAULT_LANGUAGE, DEFAULT_BODY_PART)
            except LookupError:
                raise StudioError(
                    f"no starter routine in the language '{str(code)[:20]}'", "choose one of the languages listed", 422
                ) from None
        return self.save(check_name(name), text, None)

    def delete(self, name: str) -> Path:
        """Move the person's routine into the trash (never deleted outright); returns where it went."""
        path = self.folders.routine(name)
        if not path.is_file():
            raise StudioError(f"no routine of yours named '{name}'", "built-in routines cannot be deleted", 404)
        self.folders.trash.mkdir(parents=True, exist_ok=True)
        kept = self.folders.trash / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}{ROUTINE_SUFFIX}"
        with Outputs() as out:
            out.check(kept)
        put_in_place(path, kept)
        return kept

    def clean(self) -> None:
        """Remove what a stopped studio left half-written (temporary files of processes no longer running)."""
        for folder in (self.folders.library, self.folders.output):
            clean_stale(folder)
