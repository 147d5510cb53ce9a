"""How code outside the tests reaches them: the ``voiceguide`` command of the environment running the tests, for tests
that start it as a program, and test engines by a ``module:Class`` reference narration workers can import."""

from __future__ import annotations

import importlib
import os
import shutil
import sys
from pathlib import Path


def _command() -> list[str]:
    """Its console script beside this Python, else on PATH, else ``python -m voiceguide``."""
    script = shutil.which("voiceguide", path=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    return [script] if script else [sys.executable, "-m", "voiceguide"]


VOICEGUIDE = _command()


def engine_in_tests(module: str, name: str) -> str:
    """``module:name`` for an engine in tests/``module``.py, as workers can import it: as a package module, or from tests/ on sys.path."""
    for found in (f"tests.{module}", module):
        try:
            importlib.import_module(found)
        except ImportError:
            continue
        return f"{found}:{name}"
    raise ImportError(f"tests/{module}.py is not importable")
