"""A small real session (narrated, encoded, with side files and page) for the player and page tests."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from click.testing import CliRunner

import voiceguide.cli.commands  # noqa: F401  (registers the subcommands)
from voiceguide.cli import cli
from voiceguide.player.timeline import Track

ROUTINE = """
title: Follow along
music: none
intro:
  - Welcome to the test session.
techniques:
  - name: Toe press
    steps:
      - Press your toes gently.
    repetitions: 2
    hold: 2s
    rest: 1s
    release: Release.
    sides: each
    side_pause: 1s
  - name: Arch stroke
    steps:
      - say: Stroke the arch slowly.
        pause: 2s
outro:
  - That is all.
"""


def build_session(folder: Path, *extra: str) -> Path:
    """Build the routine above into ``folder/follow-along.mp3`` with its page (``build --player``); returns the MP3."""
    folder.mkdir(parents=True, exist_ok=True)
    routine = folder / "follow-along.yaml"
    routine.write_text(textwrap.dedent(ROUTINE).lstrip(), encoding="utf-8")
    result = CliRunner().invoke(cli, ["build", str(routine), "-o", str(folder), "--player", "--force", "-q", *extra])
    assert result.exit_code == 0, result.output
    return folder / "follow-along.mp3"


def track_of(audio: Path) -> Track:
    return Track.from_plan_json(json.loads(audio.with_name(audio.stem + ".plan.json").read_text(encoding="utf-8")))
