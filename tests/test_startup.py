"""Start-up: commands that only read text (help, validate, list) never load numpy.

numpy takes a good part of a second to import on a cold disk; ``voiceguide --help``
and ``validate`` are run often (by editors, by CI on routine files) and need none of it.
Each command runs in a fresh interpreter in which importing numpy fails loudly.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # each command in a fresh interpreter

ROUTINES = Path(__file__).resolve().parent.parent / "routines"

GUARD = """
import sys, traceback

class NoNumpy:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("numpy", "scipy"):
            traceback.print_stack(file=sys.stderr)
            sys.stderr.write("STARTUP: imported " + name + "\\n")
            raise ImportError(name + " must not load for this command")
        return None

sys.meta_path.insert(0, NoNumpy())
from voiceguide.entry import main
sys.argv = ["voiceguide", *sys.argv[1:]]
main()
"""


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["--version"],
        ["validate", *sorted(str(p) for p in ROUTINES.glob("*.yaml"))],
        ["list"],
    ],
    ids=["help", "version", "validate", "list"],
)
def test_command_runs_without_numpy(args: list[str]) -> None:
    proc = subprocess.run([sys.executable, "-c", GUARD, *args], capture_output=True, text=True, timeout=60, check=False)
    assert "STARTUP: imported" not in proc.stderr, proc.stderr
    assert proc.returncode == 0, proc.stderr


def test_invalid_routine_is_reported_without_numpy(write_routine: Callable[[str, str], Path]) -> None:
    bad = write_routine("title: Broken\ntechniques:\n  - name: One\n    repetitions: zero\n", "bad.yaml")
    proc = subprocess.run([sys.executable, "-c", GUARD, "validate", str(bad)], capture_output=True, text=True, timeout=60, check=False)
    assert "STARTUP: imported" not in proc.stderr, proc.stderr
    assert proc.returncode == 1
    assert "bad.yaml:4" in proc.stderr


def test_each_command_is_found_in_the_module_named_for_it() -> None:
    """``voiceguide NAME`` loads only the module that registers NAME (``COMMAND_MODULES``): it must be the right one."""
    from voiceguide.cli import COMMAND_MODULES, cli, commands  # noqa: F401  (commands registers them all)

    assert sorted(cli.commands) == sorted(COMMAND_MODULES)
    for name, command in cli.commands.items():
        assert command.callback is not None and command.callback.__module__ == f"voiceguide.cli.{COMMAND_MODULES[name]}", name
