"""Routine files on disk: reading one safely, and finding built-in routines by name."""

from __future__ import annotations

import difflib
import os
import stat
from importlib import resources
from pathlib import Path

from voiceguide.errors import Problem, RoutineError
from voiceguide.routine.limits import MAX_FILE_BYTES


def read_text(path: Path) -> str:
    """The file's text, or a RoutineError saying why it cannot be a routine.

    Only regular files are read: a FIFO, a device or a socket is refused before it is
    opened (a FIFO nobody writes would block forever), and the file is opened without
    blocking in case it is swapped for one in between.
    """

    def fail(message: str, hint: str, line: int = 1, column: int = 1) -> RoutineError:
        return RoutineError([Problem(path, line, column, message, hint)])

    try:
        kind = file_kind(os.stat(path).st_mode)
        if kind == "a folder":
            raise fail("this is a folder, not a routine file", "name a .yaml file inside it")
        if kind:
            raise fail(f"this is {kind}, not a routine file", "save the routine as a file and name that file")
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
        try:
            info = os.fstat(fd)
            if file_kind(info.st_mode):
                raise fail("this is not a regular file", "save the routine as a file and name that file")
            if info.st_size > MAX_FILE_BYTES:
                raise fail(
                    f"the file is {info.st_size / 1048576:.1f} MiB; routines are at most 1 MiB",
                    "is this the right file? split very long routines",
                )
            data = read_at_most(fd, MAX_FILE_BYTES + 1)
        finally:
            os.close(fd)
    except (FileNotFoundError, NotADirectoryError):
        raise fail("no such file", "check the path; 'voiceguide list' shows the built-in routines") from None
    except PermissionError:
        raise fail("the file cannot be read (permission denied)", "check its permissions") from None
    except OSError as err:
        raise fail(f"the file cannot be read ({err.strerror or err})", "check the path") from None
    except ValueError:  # a NUL in the name
        raise fail("this is not a valid file name", "check the path") from None
    if len(data) > MAX_FILE_BYTES:  # grew while being read
        raise fail("the file is larger than 1 MiB; routines are at most 1 MiB", "is this the right file? split very long routines")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise fail("the file is UTF-16 text", "save it as UTF-8 in your editor")
    if b"\0" in data:
        raise fail("this is a binary file, not a routine", "a routine is a YAML text file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        before = data[: err.start]
        line = before.count(b"\n") + 1
        column = len(before[before.rfind(b"\n") + 1 :].decode("utf-8", "replace")) + 1
        raise fail("the file is not UTF-8 text", "save it as UTF-8 in your editor", line, column) from None
    text = text.removeprefix("\ufeff")
    if not text.strip() or all(not ln.strip() or ln.lstrip().startswith("#") for ln in text.splitlines()):
        raise fail("the file is empty", "a routine needs at least a title and one technique; see docs/routines.md for the format")
    return text


def file_kind(mode: int) -> str:
    """What a file of this mode is, if not a regular file ("" if it is one)."""
    if stat.S_ISREG(mode):
        return ""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def read_at_most(fd: int, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while size < limit:
        chunk = os.read(fd, min(1 << 20, limit - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def builtin_routines() -> dict[str, Path]:
    """The routines shipped with voiceguide, by name (file stem)."""
    folder = resources.files("voiceguide").joinpath("routines")
    found: dict[str, Path] = {}
    for entry in folder.iterdir():
        if entry.name.endswith(".yaml"):
            found[entry.name[: -len(".yaml")]] = Path(str(entry))
    return dict(sorted(found.items()))


def find_routine(name_or_path: str) -> Path:
    """A routine file path from a path or a built-in routine's name."""
    path = Path(name_or_path)
    if path.exists() or path.suffix in (".yaml", ".yml") or os.sep in name_or_path:
        return path
    builtins = builtin_routines()
    if name_or_path in builtins:
        return builtins[name_or_path]
    close = difflib.get_close_matches(name_or_path, list(builtins), n=1)
    hint = f"did you mean '{close[0]}'?" if close else "'voiceguide list' shows the built-in routines"
    raise RoutineError([Problem(name_or_path, 1, 1, "no such routine file or built-in routine", hint)])
