"""The README's Use section runs as written, top to bottom, in a folder laid out like a fresh clone after the demo.

Lines that name no engine speak with the tests' engine; the lines that choose Kokoro run where Kokoro is set up
(as the demo sets it up wherever it can) and are skipped where it is not.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from installed import VOICEGUIDE

ROOT = Path(__file__).resolve().parent.parent


def use_section() -> list[str]:
    """The command lines of the first code block under '## Use' in README.md."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Use\n", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert block is not None, "the Use section has no sh code block"
    return [line for line in block.group(1).splitlines() if line.strip() and not line.lstrip().startswith("#")]


def kokoro_ready() -> bool:
    if importlib.util.find_spec("kokoro_onnx") is None or importlib.util.find_spec("onnxruntime") is None:
        return False
    from voiceguide.narration import models

    return bool(models.kokoro_files().installed())


def test_the_use_section_names_what_a_newcomer_has():
    lines = use_section()
    assert lines[0].startswith("voiceguide list") and any(line.startswith("voiceguide new my-routine") for line in lines)
    assert not any("calm.mp3" in line.split("#")[0] for line in lines)  # no music file a newcomer does not have
    first_use = {line.split()[2]: i for i, line in reversed(list(enumerate(lines))) if len(line.split()) > 2}
    assert first_use["my-routine.yaml"] > first_use.get("my-routine", -1) >= 0


@pytest.mark.slow
def test_the_use_section_runs_top_to_bottom_after_the_demo(tmp_path):
    clone = tmp_path / "clone"
    shutil.copytree(ROOT / "routines", clone / "routines")  # what a clone holds beside the README
    command = shlex.join(VOICEGUIDE)
    env = {**os.environ, "NO_COLOR": "1"}
    bash = ["bash", "-c", f'voiceguide() {{ {command} "$@"; }}; set -e; ' + "{line}"]

    def run(line: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*bash[:2], bash[2].replace("{line}", line)], cwd=clone, env=env, capture_output=True, text=True, timeout=1800, check=False
        )

    demo = run("voiceguide build gentle-foot-unwind --force")  # what scripts/demo leaves: output/gentle-foot-unwind.mp3
    assert demo.returncode == 0, demo.stderr
    skipped = []
    for line in use_section():
        if "--engine kokoro" in line and not kokoro_ready():
            skipped.append(line)  # the demo could not set Kokoro up here: its lines need it
            continue
        done = run(line)
        assert done.returncode == 0, f"{line}\n{done.stderr}"
    assert (clone / "my-routine.yaml").is_file() and (clone / "session.mp3").is_file()
    assert (clone / "output" / "my-routine.flac").is_file() and (clone / "output" / "gentle-foot-unwind.m4b").is_file()
    assert len(skipped) <= 2
