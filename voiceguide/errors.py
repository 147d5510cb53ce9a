"""The one error hierarchy of voiceguide: the library raises these, the CLI prints them as one line."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class VoiceguideError(Exception):
    """Base of every error voiceguide raises on purpose. ``str(err)`` is the one line a user sees."""

    exit_code = 1


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file, located and with a hint on how to fix it."""

    path: Path | str
    line: int
    column: int
    message: str
    hint: str = ""

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}:{self.column}"
        return f"{where}: {self.message}" + (f" — {self.hint}" if self.hint else "")


class RoutineError(VoiceguideError):
    """A routine file is unreadable or invalid. Carries every problem found in one pass."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: (str(p.path), p.line, p.column))
        super().__init__("\n".join(str(p) for p in self.problems))


class NarratorError(VoiceguideError):
    """The speech engine failed, hung, or was asked for something it cannot do."""


class MusicError(VoiceguideError):
    """A music file cannot be used."""


class RenderError(VoiceguideError):
    """Rendering or encoding the session failed."""


class OutputError(VoiceguideError):
    """The output cannot be written where asked."""


class LimitError(VoiceguideError):
    """The session is beyond what voiceguide accepts."""
