"""The ``voiceguide`` command of the environment running the tests, for tests that start it as a program."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path


def _command() -> list[str]:
    """Its console script beside this Python, else on PATH, else ``python -m voiceguide``."""
    script = shutil.which("voiceguide", path=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    return [script] if script else [sys.executable, "-m", "voiceguide"]


VOICEGUIDE = _command()
