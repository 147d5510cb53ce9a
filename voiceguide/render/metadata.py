"""Metadata and chapters in ffmpeg's FFMETADATA form, which ffmpeg turns into each format's own tags.

For MP3 that is an ID3v2.3 tag with one CHAP frame per chapter and a CTOC frame listing
them in order (podcast apps need both); FLAC and OGG get Vorbis comments with CHAPTERnnn
entries.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from voiceguide.plan import Chapter


@dataclass(frozen=True)
class Metadata:
    title: str
    artist: str = ""
    album: str = ""
    year: int | None = None
    comment: str = ""
    cover: Path | None = None
    language: str = ""  # ISO 639-2, three letters (deu): ID3 TLAN, Vorbis LANGUAGE


def _escape(value: str) -> str:
    """FFMETADATA escaping: = ; # \\ and newlines take a backslash."""
    out = value
    for ch in ("\\", "=", ";", "#", "\n"):
        out = out.replace(ch, "\\" + ch)
    return out


def ffmetadata(meta: Metadata, chapters: tuple[Chapter, ...]) -> str:
    lines = [";FFMETADATA1"]
    fields = {"title": meta.title, "artist": meta.artist, "album": meta.album, "date": str(meta.year or ""), "comment": meta.comment}
    fields["language"] = meta.language  # ID3 TLAN
    lines += [f"{key}={_escape(value)}" for key, value in fields.items() if value]
    for chapter in chapters:
        lines += [
            "[CHAPTER]",
            "TIMEBASE=1/1000",
            f"START={round(chapter.start_s * 1000)}",
            f"END={round(chapter.end_s * 1000)}",
            f"title={_escape(chapter.title)}",
        ]
    return "\n".join(lines) + "\n"
