"""Shared fixtures. Tests never touch the user's clip cache or the working directory."""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

_SESSION_CACHE = tempfile.mkdtemp(prefix="voiceguide-test-cache-")
os.environ["VOICEGUIDE_CACHE"] = _SESSION_CACHE  # set before any test imports the narrator
# Where Kokoro is installed it is the default narrator; the tests speak with espeak-ng unless they
# choose otherwise, so they mean the same with and without it (tests of the default unset this).
os.environ.setdefault("VOICEGUIDE_ENGINE", "pyttsx3")
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    # Started in the background by a shell without job control: programs the tests start
    # would inherit the ignored Ctrl-C, and the interruption tests would test nothing.
    signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(scope="session", autouse=True)
def _shared_clip_cache() -> Iterator[None]:
    """One clip cache for the whole run (clips are small; sharing keeps tests fast)."""
    os.environ["VOICEGUIDE_CACHE"] = _SESSION_CACHE
    yield
    shutil.rmtree(_SESSION_CACHE, ignore_errors=True)


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty clip cache of this test's own (most tests share the session's)."""
    root = tmp_path / "cache"
    monkeypatch.setenv("VOICEGUIDE_CACHE", str(root))
    return root


@pytest.fixture
def write_routine(tmp_path: Path) -> Callable[[str, str], Path]:
    """Write a routine file (dedented YAML text) into tmp_path and return its path."""

    def write(text: str, name: str = "routine.yaml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return write


TINY = """
title: Tiny
music: none
intro:
  - Welcome.
techniques:
  - name: Toe press
    steps:
      - Press your toes.
    repetitions: 2
    hold: 1s
    rest: 0.5s
outro:
  - Done.
"""


@pytest.fixture
def tiny_routine(write_routine: Callable[[str, str], Path]) -> Path:
    return write_routine(TINY, "tiny.yaml")
