"""Helpers for the hostile tests: run the installed command as a user would, and check what a failure looks like.

The contract every failure keeps: a non-zero exit, no traceback, every line of stderr
one message that starts with ``voiceguide:`` (or ``FILE:LINE:COL:`` from validate) and
holds no control or invisible character, and the file at fault named in it.
"""

from __future__ import annotations

import os
import resource
import subprocess
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from installed import VOICEGUIDE

HIDDEN = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}  # what may never reach a terminal unescaped
ROUTINE = """\
title: Hostile test
music: none
intro:
  - Welcome.
techniques:
  - name: Toe press
    steps:
      - Press your toes.
outro:
  - Done.
"""


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str

    @property
    def lines(self) -> list[str]:
        return self.stderr.splitlines()


def run(
    *args: str | Path,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    limits: dict[int, int] | None = None,
    timeout: float = 300,
) -> Run:
    """``voiceguide ARGS`` as a program; ``limits`` are resource limits set in it first (``{resource.RLIMIT_NOFILE: 14}``)."""

    def limit() -> None:
        for which, value in (limits or {}).items():
            resource.setrlimit(which, (value, value))

    done = subprocess.run(
        [*VOICEGUIDE, *map(os.fsdecode, args)], cwd=cwd, env={**os.environ, **(env or {})}, capture_output=True, timeout=timeout,
        check=False, preexec_fn=limit if limits else None,
    )  # fmt: skip
    return Run(done.returncode, done.stdout.decode("utf-8", "replace"), done.stderr.decode("utf-8", "replace"))


def hidden(text: str) -> list[str]:
    """The control or invisible characters in ``text``, line ends aside."""
    return [ch for ch in text.replace("\n", "") if unicodedata.category(ch) in HIDDEN]


def assert_clean_output(result: Run) -> None:
    """Nothing a terminal would obey, on either stream."""
    assert not hidden(result.stdout), f"stdout carries {hidden(result.stdout)!r}: {result.stdout!r}"
    assert not hidden(result.stderr), f"stderr carries {hidden(result.stderr)!r}: {result.stderr!r}"


def assert_refused(result: Run, *names: str, lines: int | None = 1, code: int | None = None) -> str:
    """A failure as the contract says; each of ``names`` appears in the message. Returns stderr."""
    assert result.code != 0, f"accepted: {result.stdout!r} {result.stderr!r}"
    if code is not None:
        assert result.code == code, (result.code, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    assert_clean_output(result)
    found = result.lines
    assert found, "no message at all"
    if lines is not None:
        assert len(found) == lines, f"{len(found)} lines: {result.stderr!r}"
    for line in found:
        assert line.startswith("voiceguide: ") or line.count(":") >= 3, line
    for name in names:
        assert name in result.stderr, f"{name!r} not named in {result.stderr!r}"
    return result.stderr
