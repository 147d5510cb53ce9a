"""Keeping the cache folder in bounds: what it holds, which clips running builds hold, and trimming the rest.

The cache folder keeps narrated clips (``clips/``), clips prepared for mixing
(``prepared/``), generated beds (``bed-*.kept``) and small codec notes (``codec/``).
Every file there can be made again, so trimming costs only time: the least recently
used files go first (a use sets a file's modification time: ``touch``).

A clip a running build holds is never removed. A build holds its clips with a file in
``holds/`` that lists their keys and stays locked (``flock``) while its owner lives; the
trimmer takes ``holds/.lock`` exclusively while it reads the holds and removes files,
and a build takes it shared while it adds keys, so a clip is either listed in a hold the
trimmer sees or looked up after the trimmer is done (then it is made again). A hold whose
owner died is unlocked and is removed by the next trim.

Which engine and voice made a clip is written to ``labels.tsv`` when the clip is made
(its key names neither); clips made before that file existed are counted as unlabelled.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import re
import secrets
import stat
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from voiceguide.errors import VoiceguideError
from voiceguide.output import replacing

DEFAULT_LIMIT_BYTES = 2 * 1000**3  # 2 GB, unless the person's config says ``cache_limit``
HOLDS = "holds"
LABELS = "labels.tsv"
UNLABELLED = ("?", "?")  # engine and voice of a clip made before labels were written
_ORPHAN_HOLD_S = 24 * 3600  # without flock, a hold older than this is taken as its owner's leftover
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?)b?\s*$", re.IGNORECASE)
_AGE = re.compile(r"(\d+(?:\.\d+)?)\s*(w|d|h|m|s)", re.IGNORECASE)
_AGE_WHOLE = re.compile(r"^\s*(?:\d+(?:\.\d+)?\s*[wdhms]\s*)+$", re.IGNORECASE)
_AGE_UNIT_S = {"w": 7 * 86400.0, "d": 86400.0, "h": 3600.0, "m": 60.0, "s": 1.0}


def parse_size(text: str) -> int:
    """Bytes for ``500MB``, ``2GB``, ``1.5G``, ``800MiB`` or plain bytes; ValueError saying how to write it."""
    found = _SIZE.match(str(text))
    if not found:
        raise ValueError(f"'{text}' is not a size; write it as 500MB, 2GB or a number of bytes")
    number, unit, binary = found.groups()
    power = "kmgt".find(unit.lower()) + 1 if unit else 0
    return int(float(number) * (1024 if binary else 1000) ** power)


def parse_age(text: str) -> float:
    """Seconds for ``30d``, ``2w``, ``12h``, ``1d12h`` or ``90m``; ValueError saying how to write it."""
    if not _AGE_WHOLE.match(str(text)):
        raise ValueError(f"'{text}' is not an age; write it as 30d, 2w, 12h or 90m")
    return sum(float(n) * _AGE_UNIT_S[u.lower()] for n, u in _AGE.findall(text))


def format_size(size: int) -> str:
    """``1234567`` → ``1.2 MB`` (decimal units, as ``parse_size`` reads them)."""
    for unit, scale in (("GB", 1000**3), ("MB", 1000**2), ("kB", 1000)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} B"


# --- holds --------------------------------------------------------------------------------


@contextlib.contextmanager
def _lock(root: Path, shared: bool) -> Iterator[None]:
    """``holds/.lock``, shared (adding to a hold) or exclusive (trimming)."""
    folder = root / HOLDS
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "a+b") as f:
        _flock(f, shared)
        yield


def _flock(f: IO[bytes], shared: bool) -> None:
    """Wait for ``f``'s lock (shared or exclusive); Windows has no flock: there holds are kept by age alone."""
    if sys.platform != "win32":
        import fcntl

        fcntl.flock(f, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)


def _abandoned(f: IO[bytes]) -> bool:
    """Whether no live process holds the hold ``f`` (its lock is free; then it is ours)."""
    if sys.platform == "win32":
        return time.time() - os.fstat(f.fileno()).st_mtime > _ORPHAN_HOLD_S
    import fcntl

    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


class Hold:
    """The clips one running build uses, listed in a locked file under ``holds/`` until ``release``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.path = root / HOLDS / f"{os.getpid()}-{secrets.token_hex(6)}.hold"
        self._file: IO[bytes] | None = None

    def add(self, keys: Iterable[str]) -> None:
        """Hold these clips too; a cache that cannot be written holds nothing (nothing can trim it here either)."""
        lines = "".join(f"{k}\n" for k in keys).encode()
        try:
            with _lock(self.root, shared=True):
                if self._file is None:
                    self._file = open(self.path, "ab")  # noqa: SIM115 - open for the hold's whole life
                    _flock(self._file, shared=False)
                self._file.write(lines)
                self._file.flush()
        except OSError:
            pass

    def release(self) -> None:
        if self._file is not None:
            with contextlib.suppress(OSError):
                self.path.unlink(missing_ok=True)
            self._file.close()
            self._file = None


_ACTIVE: contextvars.ContextVar[dict[Path, Hold] | None] = contextvars.ContextVar("voiceguide_holds", default=None)


@contextlib.contextmanager
def holding() -> Iterator[None]:
    """Clips narrated inside this block stay held until it ends (a build holds its clips until they are mixed)."""
    token = _ACTIVE.set({})
    try:
        yield
    finally:
        for hold in (_ACTIVE.get() or {}).values():
            hold.release()
        _ACTIVE.reset(token)


@contextlib.contextmanager
def held(root: Path, keys: Iterable[str]) -> Iterator[None]:
    """Hold ``keys`` for this block, or for the enclosing ``holding`` block if there is one."""
    active = _ACTIVE.get()
    if active is not None:
        hold = active.get(root) or active.setdefault(root, Hold(root))
        hold.add(keys)
        yield
        return
    hold = Hold(root)
    hold.add(keys)
    try:
        yield
    finally:
        hold.release()


def _held_keys(root: Path) -> set[str]:
    """Keys listed in live holds (call with the exclusive lock); holds of processes that died are removed."""
    keys: set[str] = set()
    for path in (root / HOLDS).glob("*.hold"):
        try:
            with open(path, "rb") as f:
                if not _abandoned(f):
                    keys.update(f.read().decode(errors="replace").split())
                    continue
                path.unlink(missing_ok=True)  # its owner is gone
        except OSError:
            continue
    return keys


# --- labels and use -------------------------------------------------------------------------


def label(root: Path, made: Iterable[tuple[str, str, str]]) -> None:
    """Note the engine and voice of newly made clips (key, engine, voice); a cache that cannot be written is left as it is."""
    text = "".join(f"{key}\t{_field(engine)}\t{_field(voice)}\n" for key, engine, voice in made)
    if not text:
        return
    with contextlib.suppress(OSError), _lock(root, shared=True), open(root / LABELS, "a", encoding="utf-8") as f:
        f.write(text)


def _field(text: str) -> str:
    return " ".join(text.split()) or "?"


def _labels(root: Path) -> dict[str, tuple[str, str]]:
    found: dict[str, tuple[str, str]] = {}
    with contextlib.suppress(OSError, UnicodeDecodeError):
        for line in (root / LABELS).read_text(encoding="utf-8").splitlines():
            parts = line.split("\t")
            if len(parts) == 3:
                found[parts[0]] = (parts[1], parts[2])
    return found


def touch(paths: Iterable[Path]) -> None:
    """Mark these cached files as used now (what least-recently-used trimming goes by)."""
    for path in paths:
        with contextlib.suppress(OSError):
            os.utime(path)


# --- what the cache holds -------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    path: Path
    size: int
    used: float  # seconds since the epoch
    key: str | None  # a clip's key; None for everything else the cache keeps


@dataclass
class Usage:
    """What the cache folder holds: clips by (engine, voice), and everything else it keeps."""

    root: Path
    clips: dict[tuple[str, str], tuple[int, int]] = field(default_factory=dict)  # (engine, voice) → (count, bytes)
    other: dict[str, tuple[int, int]] = field(default_factory=dict)  # kind → (count, bytes)

    @property
    def size(self) -> int:
        return sum(b for _, b in self.clips.values()) + sum(b for _, b in self.other.values())


def entries(root: Path) -> list[Entry]:
    """Every file the cache keeps, with its size and last use (not the holds, labels or temporary files)."""
    files: list[tuple[os.DirEntry[str], bool]] = []
    for folder, suffix in (("clips", ".wav"), ("prepared", ".kept")):
        for sub in _files(root / folder, ""):
            if sub.is_dir(follow_symlinks=False):
                files.extend((f, folder == "clips") for f in _files(Path(sub.path), suffix))
    files.extend((f, False) for f in _files(root / "codec", ".txt"))
    files.extend((f, False) for f in _files(root, ".kept") if f.name.startswith("bed-"))
    return [entry for f, clip in files if (entry := _entry(f, clip)) is not None]


def _files(folder: Path, suffix: str) -> list[os.DirEntry[str]]:
    """What ``folder`` holds whose name ends with ``suffix`` (not temporary files); nothing if it cannot be read."""
    try:
        with os.scandir(folder) as found:
            return [f for f in found if f.name.endswith(suffix) and not f.name.startswith(".")]
    except OSError:
        return []


def _entry(found: os.DirEntry[str], clip: bool) -> Entry | None:
    """The regular file ``found`` as an entry; None for anything else, or a file removed meanwhile."""
    try:
        info = found.stat(follow_symlinks=False)
    except OSError:
        return None
    if not stat.S_ISREG(info.st_mode):
        return None
    return Entry(Path(found.path), info.st_size, info.st_mtime, found.name.removesuffix(".wav") if clip else None)


_KINDS = {"prepared": "prepared for mixing", "codec": "codec notes"}


def usage(root: Path) -> Usage:
    """What the cache at ``root`` holds, counted and sized; an empty or missing folder holds nothing."""
    labels = _labels(root)
    found = Usage(root)
    for entry in entries(root):
        if entry.key is not None:
            group = labels.get(entry.key, UNLABELLED)
            count, size = found.clips.get(group, (0, 0))
            found.clips[group] = (count + 1, size + entry.size)
        else:
            kind = _KINDS.get(entry.path.parent.parent.name) or _KINDS.get(entry.path.parent.name) or "music beds"
            count, size = found.other.get(kind, (0, 0))
            found.other[kind] = (count + 1, size + entry.size)
    return found


# --- trimming -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pruned:
    removed: int
    freed: int
    kept_held: int  # files over the limit or age kept because a running build holds them
    size: int  # what the cache holds afterwards


def prune(root: Path, max_size: int | None = None, older_than_s: float | None = None, now: float | None = None) -> Pruned:
    """Remove least recently used files until the cache holds at most ``max_size`` bytes, and any unused for ``older_than_s``.

    Clips a running build holds stay, whatever their age; so may the cache stay over ``max_size``.
    """
    if not (root / "clips").is_dir() and not root.is_dir():
        return Pruned(0, 0, 0, 0)
    now = time.time() if now is None else now
    with _lock(root, shared=False):
        held = _held_keys(root)
        everything = sorted(entries(root), key=lambda e: e.used)
        total = sum(e.size for e in everything)
        removed = freed = kept_held = 0
        for entry in everything:
            too_old = older_than_s is not None and now - entry.used > older_than_s
            too_big = max_size is not None and total - freed > max_size
            if not (too_old or too_big):
                continue
            if entry.key is not None and entry.key in held:
                kept_held += 1
                continue
            with contextlib.suppress(FileNotFoundError):
                entry.path.unlink()
                removed += 1
                freed += entry.size
        if removed:
            _compact_labels(root)
    return Pruned(removed, freed, kept_held, total - freed)


def trim(root: Path, limit: int) -> Pruned | None:
    """After a build: prune to ``limit`` if the cache is over it (quietly: trimming never fails a build)."""
    try:
        if sum(e.size for e in entries(root)) <= limit:
            return None
        return prune(root, max_size=limit)
    except OSError:
        return None


def _compact_labels(root: Path) -> None:
    """Drop the labels of clips no longer kept (called with the exclusive lock, so no label is being added)."""
    labels = _labels(root)
    present = {e.key for e in entries(root) if e.key is not None}
    text = "".join(f"{k}\t{engine}\t{voice}\n" for k, (engine, voice) in labels.items() if k in present)
    with contextlib.suppress(OSError, VoiceguideError), replacing(root / LABELS) as temp:
        temp.write_text(text, encoding="utf-8")
