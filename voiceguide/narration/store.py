"""A clip store that machines share: any fsspec URL (``s3://bucket/prefix``, ``gs://…``), behind the local clip cache.

The local cache stays where clips are read from; the store is a second place, looked in
when a clip is not here and given every clip made here. Objects are named like the
local clips (``<prefix>/clips/<two hex digits>/<key>.wav``, the key a hash of everything
that shapes the clip), and each carries the sha256 of its samples (``wav``): an object is
checked on every read, and one that is damaged or partial is a miss, so its clip is made
again and replaces it. Writes are whole-or-nothing: object stores show an object only
once it is complete; elsewhere it is written under a temporary name and moved into place.

Credentials and endpoint come from the usual environment of each file system
(``AWS_ACCESS_KEY_ID``, ``AWS_ENDPOINT_URL``, … for S3). ``VOICEGUIDE_STORE`` names the
store for the builds of this process, ``using`` for one thread's.
"""

from __future__ import annotations

import importlib.util
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Protocol

from voiceguide.errors import CacheError
from voiceguide.narration import wav
from voiceguide.output import replacing

STORE_VARIABLE = "VOICEGUIDE_STORE"
ATOMIC_PUT = ("s3", "s3a", "gs", "gcs", "az", "abfs", "abfss", "memory")  # an object appears whole or not at all
EXTRAS = {"s3": ("s3fs", "s3"), "s3a": ("s3fs", "s3"), "gs": ("gcsfs", "gcs"), "gcs": ("gcsfs", "gcs")}


class ClipStore(Protocol):
    """Where clips are shared: ``fetch`` a clip into a local file (False when it is not there whole), ``put`` one."""

    url: str

    def fetch(self, key: str, destination: Path) -> bool: ...

    def put(self, key: str, source: Path) -> None: ...


def is_url(text: str) -> bool:
    """Whether ``text`` names a store by URL (``scheme://…``) rather than a local folder."""
    scheme, sep, _ = text.partition("://")
    return bool(sep) and scheme.replace("+", "").replace("-", "").isalnum() and len(scheme) > 1


def check_url(url: str) -> None:
    """CacheError, in one line with the fix, unless ``url`` names a store this machine can open."""
    scheme = url.partition("://")[0].lower()
    if importlib.util.find_spec("fsspec") is None:
        raise CacheError(f"the clip store {url} needs fsspec", f"pip install 'voiceguide[{EXTRAS.get(scheme, ('', 's3'))[1]}]'")
    from fsspec.registry import known_implementations

    if scheme not in known_implementations and scheme != "file":
        raise CacheError(f"the clip store {url}: no file system is known for {scheme}://", "give a folder or an s3:// or gs:// URL")
    module, extra = EXTRAS.get(scheme, ("", ""))
    if module and importlib.util.find_spec(module) is None:
        raise CacheError(f"the clip store {url} needs {module}", f"pip install 'voiceguide[{extra}]'")
    if not url.partition("://")[2].strip("/"):
        raise CacheError(f"the clip store {url} names no bucket or folder", f"write it as {scheme}://bucket/prefix")


class RemoteStore:
    """Clips under ``url``, through fsspec."""

    def __init__(self, url: str) -> None:
        import fsspec

        self.url = url.rstrip("/")
        self._fs: Any
        self._fs, self._root = fsspec.core.url_to_fs(self.url)
        self._atomic = url.partition("://")[0].lower() in ATOMIC_PUT

    def _name(self, key: str) -> str:
        return f"{self._root}/clips/{key[:2]}/{key}.wav"

    def fetch(self, key: str, destination: Path) -> bool:
        try:
            data = self._fs.cat_file(self._name(key))
        except FileNotFoundError:
            return False
        except Exception as err:  # noqa: BLE001 -- any failure of the store's client library is reported as the store's problem
            raise self._problem("read", err) from None
        destination.parent.mkdir(parents=True, exist_ok=True)
        try:
            with replacing(destination) as temp:
                temp.write_bytes(data)
                if wav.stored_frames(temp) is None:
                    raise wav.DamagedClip(key)  # not kept: the clip is made again, and the object replaced
        except wav.DamagedClip:
            return False
        return True

    def put(self, key: str, source: Path) -> None:
        data = wav.read_cached(source)
        name = self._name(key)
        try:
            if self._atomic:
                self._fs.pipe_file(name, data)
            else:
                temp = f"{name}.{uuid.uuid4().hex}.partial"
                self._fs.makedirs(name.rsplit("/", 1)[0], exist_ok=True)
                self._fs.pipe_file(temp, data)
                self._fs.mv(temp, name)
        except Exception as err:  # noqa: BLE001 -- as in fetch
            raise self._problem("write", err) from None

    def _problem(self, action: str, err: Exception) -> CacheError:
        reason = " ".join(str(err).split())[:200] or type(err).__name__
        return CacheError(
            f"cannot {action} the clip store {self.url} ({reason})", "check the URL, the credentials (AWS_* for s3://) and the endpoint"
        )


_OPEN: dict[str, ClipStore] = {}
_CHOSEN: ContextVar[str | None] = ContextVar("voiceguide_store", default=None)


@contextmanager
def using(url: str | None) -> Iterator[None]:
    """``url`` as the store for what this thread narrates meanwhile (threads of one process may use different stores)."""
    token = _CHOSEN.set(url)
    try:
        yield
    finally:
        _CHOSEN.reset(token)


def store_from_environment() -> ClipStore | None:
    """The store ``using`` chose in this thread, else the one ``$VOICEGUIDE_STORE`` names, opened once per process; None when
    none is named."""
    url = _CHOSEN.get() or os.environ.get(STORE_VARIABLE, "")
    if not url:
        return None
    if url not in _OPEN:
        check_url(url)
        _OPEN[url] = RemoteStore(url)
    return _OPEN[url]
