"""What the registry lists is what voiceguide accepts, lists and builds: a test-only engine, bed and format,
each added by one registry entry and its code (tests/registry_extras.py), are validated, listed and built."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from audio_checks import RATE, decode, span, tone_dbfs

from voiceguide import registry
from voiceguide.player.source import is_audio

EXTRAS = Path(__file__).with_name("registry_extras.py")
ROUTINE = """\
title: Registry
narration: {engine: test-tone}
music: {bed: hum, level: -10}
techniques:
  - name: Tones
    steps:
      - say: A line said as a tone.
        pause: 2s
"""


def voiceguide(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(EXTRAS), *args], capture_output=True, text=True, cwd=cwd, timeout=300, check=False)


def test_every_format_is_a_suffix_the_player_plays() -> None:
    assert all(is_audio(f"session{f.suffix}") for f in registry.FORMATS.values())
    assert set(registry.feed_formats()) <= set(registry.FORMATS)


@pytest.mark.slow  # four runs of the command
def test_an_engine_a_bed_and_a_format_added_to_the_registry_are_validated_and_listed(tmp_path: Path) -> None:
    (tmp_path / "r.yaml").write_text(ROUTINE, encoding="utf-8")
    assert voiceguide("validate", "r.yaml", cwd=tmp_path).returncode == 0
    music = voiceguide("music", "--json", cwd=tmp_path)
    assert "hum" in [bed["name"] for bed in json.loads(music.stdout)]
    usage = voiceguide("build", "--help", cwd=tmp_path).stdout
    assert "test-tone" in usage and "aiff" in usage and "hum" in usage
    without = subprocess.run(
        [sys.executable, "-m", "voiceguide", "validate", "r.yaml"], capture_output=True, text=True, cwd=tmp_path, timeout=60, check=False
    )
    assert without.returncode == 1 and "test-tone" in without.stderr  # not in the registry: refused, named


@pytest.mark.slow
def test_an_engine_a_bed_and_a_format_added_to_the_registry_build_a_session(tmp_path: Path) -> None:
    (tmp_path / "r.yaml").write_text(ROUTINE, encoding="utf-8")
    done = voiceguide("build", "r.yaml", "-o", "out.aiff", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    audio = decode(tmp_path / "out.aiff")
    seconds = audio.shape[0] / RATE
    assert seconds > 2.0
    whole = span(audio, 0.0, seconds)
    assert tone_dbfs(whole, 440.0) > -40.0  # the engine's tone is in it
    assert tone_dbfs(whole, 110.0) > -60.0  # and the bed's hum under it
