"""The structure holds: what each part loads, where processes start and files are renamed, the size of functions.

The layers themselves are import-linter contracts in pyproject.toml (lint-imports, run in CI).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "voiceguide"
SOURCES = sorted(p for p in PACKAGE.rglob("*.py") if "routines" not in p.relative_to(PACKAGE).parts)
MAX_FUNCTION_LINES = 60


def _trees() -> dict[Path, ast.Module]:
    return {path: ast.parse(path.read_text(encoding="utf-8")) for path in SOURCES}


TREES = _trees()


def test_the_planner_loads_no_narration_no_rendering_and_no_command_line() -> None:
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, voiceguide.plan; print(' '.join(sorted(sys.modules)))"],
        capture_output=True, text=True, check=True, timeout=60,
    ).stdout.split()  # fmt: skip
    assert [m for m in loaded if m.startswith(("voiceguide.narration", "voiceguide.render", "click", "numpy"))] == []


def test_no_function_is_longer_than_sixty_lines() -> None:
    long = [
        f"{path.relative_to(PACKAGE)}:{node.lineno} {node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for path, tree in TREES.items()
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and (node.end_lineno or 0) - node.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert long == []


def _callers(owner: str, name: str) -> set[str]:
    """The modules (paths in the package) that call ``<owner>.<name>(…)``."""
    return {
        str(path.relative_to(PACKAGE))
        for path, tree in TREES.items()
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == name
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == owner
    }


@pytest.mark.parametrize(
    ("owner", "name", "only_in"),
    [("subprocess", "Popen", {"ffmpeg.py"}), ("os", "replace", {"output.py"}), ("os", "rename", set())],
)
def test_processes_start_and_files_are_renamed_in_one_place(owner: str, name: str, only_in: set[str]) -> None:
    """ffmpeg is started only by ffmpeg.py (a process to feed); a file is moved into place only by output.py."""
    assert _callers(owner, name) <= only_in
