"""The person's own folders for voiceguide, where the XDG base directory rules put them (each caller lets a
``VOICEGUIDE_*`` variable point elsewhere first)."""

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


def user_folder(kind: Literal["cache", "config", "data", "state"]) -> Path:
    """``$XDG_<KIND>_HOME/voiceguide``, else its usual place under the home folder (``~/.cache/voiceguide`` …)."""
    variable, usual = _XDG[kind]
    base = os.environ.get(variable)
    return (Path(base) if base else Path.home().joinpath(*usual)) / "voiceguide"
