"""The studio's folders: the library of the person's routines, its trash, and the output folder; names confined to them."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from voiceguide.errors import VoiceguideError
from voiceguide.folders import user_folder

ROUTINE_SUFFIX = ".yaml"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,79}$")


class StudioError(VoiceguideError):
    """A request the studio refuses; ``status`` is its HTTP status, ``hint`` how to fix it."""

    def __init__(self, message: str, hint: str = "", status: int = 400) -> None:
        super().__init__(message, hint)
        self.status = status


def default_library() -> Path:
    """Where the studio keeps the person's routines unless told otherwise (``--library``)."""
    return user_folder("data") / "studio"


@dataclass(frozen=True)
class Folders:
    """The library (routines as NAME.yaml), its trash, and the output folder of builds."""

    library: Path
    output: Path

    @classmethod
    def at(cls, library: Path, output: Path | None = None) -> Folders:
        library = library.expanduser().absolute()
        return cls(library, (output or library / "output").expanduser().absolute())

    @property
    def trash(self) -> Path:
        return self.library / ".trash"

    def make(self) -> None:
        for folder in (self.library, self.output, self.trash):
            folder.mkdir(parents=True, exist_ok=True)

    def routine(self, name: str) -> Path:
        """The file of the person's routine ``name`` (which may not exist yet)."""
        return inside(self.library, check_name(name) + ROUTINE_SUFFIX)

    def output_file(self, relative: str) -> Path:
        """An existing regular file of the output folder named by a path relative to it."""
        path = inside(self.output, relative)
        if not path.is_file():
            raise StudioError(f"no such file: {relative}", "build the session first", 404)
        return path


def check_name(name: str) -> str:
    """A routine's name as the library stores it: letters, digits, - and _, up to 80 characters."""
    if not _NAME.match(name):
        raise StudioError(
            f"'{name[:60]}' is not a routine name", "use letters, digits, - and _ (up to 80), starting with a letter or digit"
        )
    return name


def inside(root: Path, relative: str) -> Path:
    """``root / relative``, refused (404) unless it stays inside ``root`` once links are followed.

    No absolute paths, no ``..``, no backslashes or NULs, and no link that points out of ``root``.
    """
    parts = relative.split("/")
    if not relative or relative.startswith("/") or "\\" in relative or "\0" in relative or any(p in ("", ".", "..") for p in parts):
        raise StudioError("no such file", "name a file inside the studio's folders", 404)
    real_root = Path(os.path.realpath(root))
    real = Path(os.path.realpath(root / relative))
    if not real.is_relative_to(real_root) or real == real_root:
        raise StudioError("no such file", "name a file inside the studio's folders", 404)
    return root / relative
