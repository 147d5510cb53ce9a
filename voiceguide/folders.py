"""The person's own folders for voiceguide: where a ``VOICEGUIDE_*`` variable points, else where the XDG base
directory rules put them."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

_XDG: dict[str, tuple[str, tuple[str, ...]]] = {
    "cache": ("XDG_CACHE_HOME", (".cache",)),
    "config": ("XDG_CONFIG_HOME", (".config",)),
    "data": ("XDG_DATA_HOME", (".local", "share")),
    "state": ("XDG_STATE_HOME", (".local", "state")),
}


_OWN = {"cache": "VOICEGUIDE_CACHE", "data": "VOICEGUIDE_DATA", "state": "VOICEGUIDE_STATE"}  # $VOICEGUIDE_CONFIG names a file


def user_folder(kind: Literal["cache", "config", "data", "state"]) -> Path:
    """``$VOICEGUIDE_<KIND>`` if set (cache, data, state), else ``$XDG_<KIND>_HOME/voiceguide``, else its usual
    place under the home folder (``~/.cache/voiceguide`` …)."""
    own = os.environ.get(_OWN.get(kind, ""), "")
    if own:
        return Path(own)
    variable, usual = _XDG[kind]
    base = os.environ.get(variable)
    return (Path(base) if base else Path.home().joinpath(*usual)) / "voiceguide"
