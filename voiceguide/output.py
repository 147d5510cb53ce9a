"""Writing files safely: every writer of voiceguide goes through here.

A result (an audio file and its side files, a feed, a cached clip) is written to
temporary siblings of its destinations and moved into place only when all of it is
complete. Existing files are replaced together: each is first kept as a hard link, so
if replacing a later one fails, the earlier ones are put back. An interrupted or failed
write leaves every existing file as it was, and temporary files of killed processes are
cleaned up by the next write into the same folder.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import shutil
import stat
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import TracebackType

from voiceguide.errors import OutputError, VoiceguideError, resource_error
from voiceguide.text import printable

TEMP_MARK = ".voiceguide-"  # in every temporary name: ".<name>.voiceguide-<pid>-<random><suffix>"
_KEPT = ".kept"  # suffix of the link that keeps a replaced file until the result is complete
NAME_MAX = 255  # bytes in one file name on the usual file systems
PATH_MAX = 4096  # bytes in a whole path (Linux)
_STALE = re.compile(re.escape(TEMP_MARK) + r"(\d+)-")
Replaces = Callable[[Path], bool]  # whether an existing file may be replaced (it is one this writer made)


class Outputs:
    """Files written as one result. ``reserve`` gives a temporary path per destination; ``commit`` moves all into place.

    Used as a context manager, anything not committed is removed on the way out.
    ``inputs`` are files the result is made from: an output that is one of them is refused.
    """

    def __init__(self, force: bool = False, inputs: Sequence[Path] = ()) -> None:
        self.force = force
        self.inputs = [p for p in inputs if p is not None]
        self._temps: dict[Path, Path] = {}  # destination → temporary sibling

    def __enter__(self) -> Outputs:
        return self

    def __exit__(self, kind: type[BaseException] | None, err: BaseException | None, tb: TracebackType | None) -> None:
        self.discard()

    def check(self, destination: Path, replaces: Replaces | None = None) -> None:
        """Refuse a destination that cannot or may not be written; create its folder.

        ``replaces``: if given, an existing file is replaced only if it says yes (a feed
        replaces the feed it wrote before, never another file that happens to have its name).
        """
        shown = _printable(destination)
        check_path(destination)
        if destination in self._temps or any(_same(destination, other) for other in self._temps):
            raise OutputError(f"{shown} would be written twice by this build", hint="choose another output name with -o")
        if any(_same(destination, source) for source in self.inputs):
            raise OutputError(f"{shown} is one of this build's own inputs", hint="choose another output path with -o")
        try:
            present = destination.is_symlink() or destination.exists()
            regular = destination.is_file()
        except OSError as err:  # a loop of links, a folder that cannot be searched, …
            raise OutputError(f"cannot use {shown} ({_reason(err)})", hint=_fix(err)) from None
        if present:
            if not regular:
                raise OutputError(f"{shown} exists and is not a file", hint="choose another output path with -o")
            if not self.force:
                raise OutputError(f"{shown} already exists", hint="add --force to replace it, or -o to write elsewhere")
            if replaces is not None and not replaces(destination):
                raise OutputError(f"{shown} exists and is not a file voiceguide wrote", hint="choose another name with -o, or move it away")
        folder = destination.parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise OutputError(
                f"cannot create the folder {_printable(folder)} ({_reason(err)})",
                hint="choose another output path with -o",
            ) from None
        if not os.access(folder, os.W_OK):
            raise OutputError(f"cannot write into {_printable(folder)} (permission denied)", hint="choose another output path with -o")

    def reserve(self, destination: Path, replaces: Replaces | None = None) -> Path:
        """A new, empty temporary file beside ``destination`` for its content (after ``check``)."""
        self.check(destination, replaces)
        clean_stale(destination.parent)
        temp = temp_path(destination)
        self._temps[destination] = temp
        return temp

    def write_bytes(self, destination: Path, data: bytes, replaces: Replaces | None = None) -> None:
        temp = self.reserve(destination, replaces)
        try:
            temp.write_bytes(data)
        except OSError as err:
            raise _failed(err, "write", destination) from None

    def write_text(self, destination: Path, text: str, replaces: Replaces | None = None) -> None:
        self.write_bytes(destination, text.encode("utf-8"), replaces)

    @property
    def destinations(self) -> list[Path]:
        return list(self._temps)

    def commit(self) -> list[Path]:
        """Move every file into place, all or none; returns the destinations."""
        kept: dict[Path, Path] = {}
        placed: list[Path] = []
        try:
            for destination, temp in self._temps.items():
                os.chmod(temp, _mode_for(destination))
                if destination.exists():
                    kept[destination] = _keep(destination)
            for destination, temp in self._temps.items():
                os.replace(temp, destination)
                placed.append(destination)
        except BaseException as err:
            for destination in placed:  # put back what was there, or remove what was not
                if destination in kept:
                    os.replace(kept.pop(destination), destination)
                else:
                    destination.unlink(missing_ok=True)
            for link in kept.values():
                link.unlink(missing_ok=True)
            if isinstance(err, OSError):
                raise _failed(err, "replace", Path(err.filename) if err.filename else None) from None
            raise
        for link in kept.values():
            link.unlink(missing_ok=True)
        written = list(self._temps)
        self._temps.clear()
        return written

    def discard(self) -> None:
        """Remove every temporary file not yet committed."""
        for temp in self._temps.values():
            temp.unlink(missing_ok=True)
        self._temps.clear()


def write_text_atomic(path: Path, text: str) -> None:
    """Replace (or create) one text file at once."""
    with Outputs(force=True) as out:
        out.write_text(path, text)
        out.commit()


@contextlib.contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """A temporary sibling of ``path`` to write; it replaces ``path`` if the block ends normally (for caches).

    In a cache, a FIFO, socket, device or link where the file should be is in the way, not
    something to keep: it is removed (a folder is not, and is refused).
    """
    with contextlib.suppress(OSError):
        kind = os.lstat(path).st_mode
        if not stat.S_ISREG(kind) and not stat.S_ISDIR(kind):
            path.unlink()
    with Outputs(force=True) as out:
        yield out.reserve(path)
        out.commit()


def put_in_place(temp: Path, destination: Path) -> None:
    """Move the finished file ``temp`` (from ``temp_path``) onto ``destination`` in one step: the one rename voiceguide makes."""
    os.replace(temp, destination)


def temp_path(destination: Path, suffix: str = "") -> Path:
    """A new empty file beside ``destination`` whose name marks it temporary and fits the file system's limit."""
    suffix = suffix or ".partial" + "".join(destination.suffixes[-1:])
    tail = f"{TEMP_MARK}{os.getpid()}-{secrets.token_hex(4)}{suffix}"
    room = NAME_MAX - 1 - len(tail.encode())
    stem = destination.name
    while len(os.fsencode(stem)) > room:  # shortened by whole characters, whatever the name's bytes
        stem = stem[:-1]
    path = destination.with_name(f".{stem}{tail}")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o600)
    except OSError as err:
        raise _failed(err, "write into", destination.parent, destination) from None
    os.close(fd)
    return path


def check_path(path: Path) -> None:
    """Refuse a path the file system cannot hold: a file or folder name over ``NAME_MAX`` bytes, or a path over ``PATH_MAX``."""
    for part in path.parts:
        if len(os.fsencode(part)) > NAME_MAX:
            what = "file" if part == path.name else "folder"
            raise OutputError(f"{_abridged(path)}: the {what} name is longer than {NAME_MAX} bytes", hint="choose a shorter output name")
    try:
        whole = len(os.fsencode(path.absolute()))
    except OSError:  # the working folder is gone
        whole = len(os.fsencode(path))
    if whole >= PATH_MAX:
        raise OutputError(f"{_abridged(path)}: the path is longer than {PATH_MAX} bytes", hint="choose a shorter output path")


def destination_of(path: Path) -> Path:
    """The file a temporary sibling stands for (``.x.mp3.voiceguide-12-ab.partial.mp3`` → ``x.mp3``); other paths as they are.

    For messages: a user asked for ``x.mp3`` and should read that name, not a hidden one.
    A name shortened to fit the file system's limit comes back shortened.
    """
    name = path.name
    while name.startswith(".") and (at := name.rfind(TEMP_MARK)) > 1:  # a temporary of a temporary, too
        name = name[1:at]
    return path.with_name(name)


def _keep(destination: Path) -> Path:
    """Keep the current ``destination`` under a temporary name (a hard link, else a copy)."""
    link = temp_path(destination, _KEPT)
    link.unlink()
    try:
        os.link(destination, link)
    except OSError:
        shutil.copy2(destination, link)
    return link


def clean_stale(folder: Path) -> None:
    """Remove temporary files that killed processes left in ``folder``; put back files they had set aside."""
    try:
        names = [entry.name for entry in os.scandir(folder) if entry.name.startswith(".") and TEMP_MARK in entry.name]
    except OSError:
        return
    for name in names:
        match = _STALE.search(name)
        if not match or _alive(int(match.group(1))):
            continue
        stale = folder / name
        if name.endswith(_KEPT):
            if len(os.fsencode(name)) >= NAME_MAX:
                continue  # the original's name was shortened to fit: leave the copy for its owner
            original = folder / name[1 : match.start()]
            if not original.exists():  # killed between setting it aside and replacing it
                with contextlib.suppress(OSError):
                    os.replace(stale, original)
                continue
        with contextlib.suppress(OSError):
            stale.unlink()


def _alive(pid: int) -> bool:
    """Whether process ``pid`` may still write: a zombie (killed, not yet reaped: an orphan waits for a
    system that may never reap it) writes nothing more."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            state = f.read().rsplit(b")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state not in (b"Z", b"X")


def _same(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and os.path.samefile(a, b))
    except (OSError, ValueError, RuntimeError):  # RuntimeError: a symlink loop (Python < 3.13)
        return False


def _mode_for(path: Path) -> int:
    """The mode of the file being replaced, or what a new file gets (outputs are meant to be shared)."""
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _failed(err: OSError, action: str, path: Path | None, destination: Path | None = None) -> VoiceguideError:
    """The one-line error for an OSError while writing: what ran out (disk, file size limit), else what failed and how to fix it."""
    target = destination or (destination_of(path) if path is not None else None)
    found = resource_error(err, target)
    if found is not None:
        return found
    return OutputError(f"cannot {action} {_printable(path) if path is not None else 'the output'} ({_reason(err)})", hint=_fix(err))


def _reason(err: OSError) -> str:
    return err.strerror or type(err).__name__


def _fix(err: OSError) -> str:
    if err.errno == errno.ENOSPC:
        return "free some space, or write elsewhere with -o"
    if err.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return "check the folder's permissions, or write elsewhere with -o"
    if err.errno == errno.ENAMETOOLONG:
        return "choose a shorter output name"
    if err.errno == errno.EFBIG:
        return "raise the file size limit (ulimit -f), or write a shorter session"
    return "check the folder, or write elsewhere with -o"


def _abridged(path: Path, keep: int = 40) -> str:
    """A long path for a message: its start and its end (where the suffix says what the file is)."""
    text = _printable(path)
    return text if len(text) <= 2 * keep + 1 else f"{text[:keep]}…{text[-keep:]}"


def _printable(path: Path) -> str:
    """A path for a one-line message: control characters shown escaped."""
    return printable(path)
