"""Arrays kept in the cache folder: written atomically with a sha256 of their bytes, checked on every read.

What is kept is derived from something cheaper to make again than to trust damaged: a
file that is missing, unreadable, foreign, truncated or changed is a miss, and a cache
that cannot be written only costs time.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
from pathlib import Path

import numpy as np

from voiceguide.errors import VoiceguideError
from voiceguide.narration.wav import DamagedClip, read_cached
from voiceguide.output import replacing

MAGIC = b"voiceguide kept arrays\n"
DIGEST_BYTES = 32


def keep(path: Path, *arrays: np.ndarray) -> None:
    """Keep ``arrays`` at ``path`` (replaced atomically); a cache that cannot be written is left as it is."""
    stream = io.BytesIO()
    stream.write(MAGIC)
    for array in arrays:
        np.save(stream, array, allow_pickle=False)
    body = stream.getvalue()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with replacing(path) as temp:
            temp.write_bytes(body + hashlib.sha256(body).digest())
    except (OSError, VoiceguideError):
        pass  # a read-only or full cache only costs time


def kept(path: Path, count: int, max_bytes: int) -> list[np.ndarray] | None:
    """The ``count`` arrays kept at ``path``, writable; None unless the file is whole, ours and unchanged."""
    try:
        blob = read_cached(path, max_bytes)
    except DamagedClip:
        return None
    body = memoryview(blob)[:-DIGEST_BYTES]  # a view: the arrays are copied once, by np.load
    if body[: len(MAGIC)] != MAGIC or hashlib.sha256(body).digest() != blob[-DIGEST_BYTES:]:
        return None
    stream = io.BytesIO(body[len(MAGIC) :])
    try:
        arrays = [np.load(stream, allow_pickle=False) for _ in range(count)]
    except (OSError, ValueError, EOFError):
        return None
    if stream.tell() != len(body) - len(MAGIC):
        return None
    with contextlib.suppress(OSError):
        os.utime(path)  # used now: what trimming the cache goes by
    return arrays
