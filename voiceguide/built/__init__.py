"""A built session's files: the audio and, beside it, captions, JSON chapters, the plan and the follow-along page.

For ``session.mp3`` the side files are ``session.vtt``, ``session.srt``,
``session.chapters.json`` and ``session.plan.json``, and the page ``session.html``. A
build writes them with the audio as one result; the player, the feed and the studio
read them back (``built.reader``). Below both the player and the export stage, so
either can name and read these files without knowing the other.
"""

from __future__ import annotations

import json
from pathlib import Path

from voiceguide.built.captions import to_srt, to_webvtt
from voiceguide.built.chapters import chapters_json
from voiceguide.output import Outputs
from voiceguide.plan import Plan

SUFFIXES = {"vtt": ".vtt", "srt": ".srt", "chapters": ".chapters.json", "plan": ".plan.json"}
PAGE_SUFFIX = ".html"  # the follow-along page (build --player)


def sidecar_path(audio: Path, kind: str) -> Path:
    """Where the side file of ``kind`` (a key of SUFFIXES) for ``audio`` lives."""
    return audio.with_name(audio.stem + SUFFIXES[kind])


def page_path(audio: Path) -> Path:
    """Where the follow-along page of ``audio`` lives."""
    return audio.with_suffix(PAGE_SUFFIX)


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
