"""The structure holds: what each part loads, and the size of its functions."""

from __future__ import annotations

import subprocess
import sys


def test_the_planner_loads_no_narration_no_rendering_and_no_command_line() -> None:
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, voiceguide.plan; print(' '.join(sorted(sys.modules)))"],
        capture_output=True, text=True, check=True, timeout=60,
    ).stdout.split()  # fmt: skip
    assert [m for m in loaded if m.startswith(("voiceguide.narration", "voiceguide.render", "click", "numpy"))] == []
