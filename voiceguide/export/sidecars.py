"""Side files next to a session's audio: captions, JSON chapters and the plan.

For ``session.mp3`` they are ``session.vtt``, ``session.srt``, ``session.chapters.json``
and ``session.plan.json``. A build writes them with the audio as one result.
"""

from __future__ import annotations

import json
from pathlib import Path

from voiceguide.export.captions import to_srt, to_webvtt
from voiceguide.export.chapters import chapters_json
from voiceguide.output import Outputs
from voiceguide.plan import Plan

SUFFIXES = {"vtt": ".vtt", "srt": ".srt", "chapters": ".chapters.json", "plan": ".plan.json"}


def sidecar_path(audio: Path, kind: str) -> Path:
    """Where the side file of ``kind`` (a key of SUFFIXES) for ``audio`` lives."""
    return audio.with_name(audio.stem + SUFFIXES[kind])


def sidecar_paths(audio: Path) -> list[Path]:
    return [sidecar_path(audio, kind) for kind in SUFFIXES]


def sidecar_texts(plan: Plan) -> dict[str, str]:
    """The content of every side file, by kind (pure)."""
    return {
        "vtt": to_webvtt(plan),
        "srt": to_srt(plan),
        "chapters": json.dumps(chapters_json(plan), ensure_ascii=False, indent=2) + "\n",
        "plan": json.dumps(plan.to_json(), ensure_ascii=False, indent=2) + "\n",
    }


def sidecar_files(audio: Path, plan: Plan) -> dict[Path, str]:
    """Every side file of ``audio``: where it goes and what it holds (pure)."""
    return {sidecar_path(audio, kind): text for kind, text in sidecar_texts(plan).items()}


def write_sidecars(audio: Path, plan: Plan) -> list[Path]:
    """Write (or replace) every side file for ``audio``, all together; returns their paths."""
    with Outputs(force=True) as outputs:
        for path, text in sidecar_files(audio, plan).items():
            outputs.write_text(path, text)
        return outputs.commit()
