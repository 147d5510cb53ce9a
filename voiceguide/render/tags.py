"""Metadata inside the audio file: ID3v2.3 with chapters for MP3, Vorbis comments for FLAC and OGG."""

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


def write_tags(path: Path, fmt: str, meta: Metadata, chapters: tuple[Chapter, ...]) -> None:
    if fmt == "mp3":
        _mp3(path, meta, chapters)
    elif fmt in ("flac", "ogg"):
        _vorbis(path, fmt, meta, chapters)


def _mp3(path: Path, meta: Metadata, chapters: tuple[Chapter, ...]) -> None:
    from mutagen.id3 import APIC, CHAP, COMM, CTOC, ID3, TALB, TDRC, TIT2, TPE1, CTOCFlags

    tags = ID3()
    tags.add(TIT2(encoding=3, text=[meta.title]))
    if meta.artist:
        tags.add(TPE1(encoding=3, text=[meta.artist]))
    if meta.album:
        tags.add(TALB(encoding=3, text=[meta.album]))
    if meta.year:
        tags.add(TDRC(encoding=3, text=[str(meta.year)]))
    if meta.comment:
        tags.add(COMM(encoding=3, lang="eng", desc="", text=[meta.comment]))
    if meta.cover:
        mime = "image/png" if meta.cover.suffix.lower() == ".png" else "image/jpeg"
        tags.add(APIC(encoding=3, mime=mime, type=3, desc="Cover", data=meta.cover.read_bytes()))
    ids = [f"chp{i}" for i in range(len(chapters))]
    # CTOC first: some players (Overcast) need the table of contents to show CHAP frames.
    tags.add(CTOC(element_id="toc", flags=CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED, child_element_ids=ids, sub_frames=[TIT2(encoding=3, text=["Chapters"])]))
    for element, chapter in zip(ids, chapters, strict=True):
        start, end = round(chapter.start_s * 1000), round(chapter.end_s * 1000)
        tags.add(CHAP(element_id=element, start_time=start, end_time=end, sub_frames=[TIT2(encoding=3, text=[chapter.title])]))
    tags.save(path, v2_version=3, padding=lambda info: 0)


def _vorbis(path: Path, fmt: str, meta: Metadata, chapters: tuple[Chapter, ...]) -> None:
    from mutagen.flac import FLAC
    from mutagen.oggvorbis import OggVorbis

    audio = FLAC(path) if fmt == "flac" else OggVorbis(path)
    assert audio.tags is not None or fmt == "flac"
    if audio.tags is None:
        audio.add_tags()
    fields = {"title": meta.title, "artist": meta.artist, "album": meta.album, "date": str(meta.year or ""), "description": meta.comment}
    for key, value in fields.items():
        if value:
            audio[key] = value
    for number, chapter in enumerate(chapters, start=1):
        ms = round(chapter.start_s * 1000)
        h, rest = divmod(ms, 3_600_000)
        m, rest = divmod(rest, 60_000)
        audio[f"CHAPTER{number:03d}"] = f"{h:02d}:{m:02d}:{rest // 1000:02d}.{rest % 1000:03d}"
        audio[f"CHAPTER{number:03d}NAME"] = chapter.title
    audio.save()
