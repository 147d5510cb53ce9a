"""The one error hierarchy of voiceguide: the library raises these, the CLI prints them as one line."""

from __future__ import annotations

import errno
from dataclasses import dataclass
from pathlib import Path


def shown(message: str, hint: str = "") -> str:
    """What is wrong and how to fix it, as the one line a user reads: ``what — how to fix``."""
    return f"{message} — {hint}" if hint else message


class VoiceguideError(Exception):
    """Base of every error voiceguide raises on purpose: ``message`` says what is wrong, ``hint`` how to fix it
    (empty when there is nothing to add). ``str(err)`` is the two as the one line a user sees."""

    exit_code = 1

    def __init__(self, message: str = "", hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return shown(self.message, self.hint)

    def as_json(self) -> dict[str, str]:
        """The error as the studio sends it: ``{"message", "hint"}``."""
        return {"message": self.message, "hint": self.hint}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file, located and with a hint on how to fix it."""

    path: Path | str
    line: int
    column: int
    message: str
    hint: str = ""

    def __str__(self) -> str:
        return shown(f"{self.path}:{self.line}:{self.column}: {self.message}", self.hint)

    def as_json(self) -> dict[str, str]:
        """The problem as the studio sends it: ``{"message", "hint"}``, the message located."""
        return {"message": f"{self.path}:{self.line}:{self.column}: {self.message}", "hint": self.hint}


class RoutineError(VoiceguideError):
    """A routine file is unreadable or invalid. Carries every problem found in one pass."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: (str(p.path), p.line, p.column))
        super().__init__("\n".join(str(p) for p in self.problems))


class NarratorError(VoiceguideError):
    """The speech engine failed, hung, or was asked for something it cannot do."""


class SilentLineError(NarratorError):
    """The narrator made no sound for a line; ``spoken`` is what it was given (the session locates the line)."""

    def __init__(self, message: str, spoken: str, hint: str = "") -> None:
        super().__init__(message, hint)
        self.spoken = spoken


class CacheError(NarratorError):
    """The clip cache cannot be read or written: the message names the folder and how to fix it."""


class MusicError(VoiceguideError):
    """A music file cannot be used."""


class RenderError(VoiceguideError):
    """Rendering or encoding the session failed."""


class OutputError(VoiceguideError):
    """The output cannot be written where asked."""


class LimitError(VoiceguideError):
    """The session is beyond what voiceguide accepts."""


class ResourceError(VoiceguideError):
    """The machine ran out of something a build needs: memory, open files, disk space, or the file size limit."""


def resource_error(err: BaseException, where: Path | str | None = None) -> ResourceError | None:
    """The one-line error for running out of memory, open files, disk space or the file size limit; None for anything else.

    ``where``: the file being written, when known (else the error's own file name).
    """
    cannot_start = isinstance(err, RuntimeError) and "can't start new thread" in str(err)  # its stack did not fit
    if isinstance(err, MemoryError) or cannot_start or (isinstance(err, OSError) and err.errno == errno.ENOMEM):
        limit = _limit("RLIMIT_AS", 1024 * 1024, " MiB")
        return ResourceError(
            "ran out of memory" + (f" (the limit is {limit}: ulimit -v)" if limit else ""),
            "close other programs, raise the limit, or build a shorter session",
        )  # fmt: skip
    if not isinstance(err, OSError):
        return None
    target = where if where is not None else err.filename
    if err.errno == errno.EMFILE:
        limit = _limit("RLIMIT_NOFILE", 1, "")
        return ResourceError(
            "too many open files" + (f" (the limit is {limit}: ulimit -n)" if limit else ""), "raise it, e.g. ulimit -n 1024"
        )
    if err.errno == errno.ENFILE:
        return ResourceError("the system has too many open files", hint="close some programs and try again")
    if err.errno in (errno.ENOSPC, errno.EDQUOT):
        folder = Path(str(target)).parent if target else None
        what = "no space left" if err.errno == errno.ENOSPC else "disk quota exceeded"
        return ResourceError(f"{what} in {folder if folder else 'the output folder'}", hint="free some space, or write elsewhere with -o")
    if err.errno == errno.EFBIG:
        return file_size_limit(target)
    return None


def file_size_limit(target: Path | str | None) -> ResourceError:
    """The error for a file that passed the file size limit (``ulimit -f``) while being written."""
    limit = _limit("RLIMIT_FSIZE", 1024, " KiB")
    return ResourceError(
        f"{'writing ' + str(target) + ' passed' if target else 'a file passed'} the file size limit"
        + (f" of {limit} (ulimit -f)" if limit else ""), "raise it (ulimit -f unlimited), or write a shorter session",
    )  # fmt: skip


def _limit(name: str, unit: int, suffix: str) -> str:
    """The soft limit ``resource.<name>`` in ``unit``s, or "" where there is none or it cannot be read."""
    try:
        import resource

        soft = resource.getrlimit(getattr(resource, name))[0]
    except (ImportError, AttributeError, OSError, ValueError):
        return ""
    return "" if soft == resource.RLIM_INFINITY else f"{soft // unit:,}{suffix}"


class BatchError(VoiceguideError):
    """A batch cannot run as asked (its spec, its scheduler, a variant that cannot be resolved)."""
