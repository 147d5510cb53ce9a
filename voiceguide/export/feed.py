"""A podcast feed from a folder of built sessions: RSS 2.0 with the iTunes and Podcasting 2.0 namespaces.

One item per ``*.mp3`` in the folder, sorted by file name. Each item takes its title
and description from the MP3's tags, its chapters and duration from the side files
(``<name>.chapters.json``, ``<name>.plan.json``) when present, else from the MP3.

- ``guid``: a UUID5 of the episode's URL (base URL + file name), not of its bytes, so
  rebuilding a session (another voice, new music) keeps it the same episode in podcast
  apps. Renaming the file or moving the base URL makes it a new episode.
- ``pubDate``: the MP3's modification time (RFC 2822, UTC). Rebuilding a session
  therefore re-dates it; ``touch -d`` sets a date by hand.
- Side files whose plan is more than ``STALE_S`` longer or shorter than the MP3 come
  from another build (captions would drift): that is an error, not a silent mismatch.
"""

from __future__ import annotations

import json
import re
import uuid
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import quote, urlsplit

from voiceguide import ffmpeg
from voiceguide.errors import OutputError
from voiceguide.export.chapters import ChapterMark, marks_from_chapters_json, marks_from_plan_json, show_notes
from voiceguide.export.sidecars import sidecar_path
from voiceguide.language import known_languages, language
from voiceguide.output import write_text_atomic
from voiceguide.player.page import page_path

ITUNES = "http://www.itunes.com/dtds/podcast-1.0.dtd"
PODCAST = "https://podcastindex.org/namespace/1.0"
CATEGORY = "Health & Fitness"
FEED_NAME = "feed.xml"
HINT = "build sessions first: voiceguide build ROUTINE -o DIR --sidecars"
TRANSCRIPTS = (("vtt", "text/vtt"), ("srt", "application/x-subrip"))
STALE_S = 1.0  # plan and audio lengths further apart than this: the side files are from another build
_DURATION = re.compile(r"Duration:\s*(\d+):(\d{2}):(\d{2}(?:\.\d+)?)")
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")  # XML 1.0 Char production


@dataclass(frozen=True)
class FeedInfo:
    """What the channel says about itself; ``base_url`` is where the folder is served."""

    title: str
    base_url: str
    author: str = ""
    description: str = ""
    image: str | None = None
    language: str | None = None  # default: the episodes' own (the most common), else en


@dataclass(frozen=True)
class Probe:
    """What ffmpeg reports about an audio file: its tags, chapters and duration."""

    tags: dict[str, str]
    chapters: list[ChapterMark]
    duration_s: float | None


@dataclass(frozen=True)
class Episode:
    """One item of the feed, read from an MP3 and its side files."""

    name: str  # file name, relative to the base URL
    title: str
    description: str
    author: str
    duration_s: float | None
    length: int  # bytes
    modified: datetime
    chapters: list[ChapterMark] = field(default_factory=list)
    sidecars: frozenset[str] = frozenset()  # kinds of side file present (see sidecars.SUFFIXES)
    page: bool = False  # a follow-along page (build --player) lies beside the audio
    language: str = ""  # from the plan, else from the MP3's language tag; empty when unknown


@dataclass(frozen=True)
class FeedResult:
    path: Path
    episodes: int


def check_url(url: str, what: str = "base URL") -> str:
    """``url`` if it is an absolute http(s) URL without query or fragment, else OutputError."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise OutputError(f"the {what} '{url}' is not an http(s) address — write it like https://example.com/sessions")
    return url


def file_url(base_url: str, name: str) -> str:
    """The URL of ``name`` under ``base_url``; the name is percent-encoded (spaces, accents, #, ?)."""
    return base_url.rstrip("/") + "/" + quote(name, safe="")


def episode_guid(base_url: str, name: str) -> str:
    """A stable id for an episode: UUID5 of its URL (independent of the audio's bytes)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, file_url(base_url, name)))


def parse_ffmetadata(text: str) -> tuple[dict[str, str], list[ChapterMark]]:
    """Global tags (keys lower-cased) and chapters from ffmpeg's FFMETADATA text.

    Escapes: a backslash makes the next character literal (``= ; # \\`` and newline).
    """
    tags: dict[str, str] = {}
    sections: list[dict[str, str]] = []
    for chars in _logical_lines(text):
        raw = "".join(c for c, _ in chars)
        if not chars or (chars[0][0] in ";#" and not chars[0][1]):
            continue
        if raw.strip() == "[CHAPTER]" and not any(escaped for _, escaped in chars):
            sections.append({})
            continue
        equals = next((i for i, (c, escaped) in enumerate(chars) if c == "=" and not escaped), None)
        if equals is None:
            continue
        key, value = raw[:equals].lower(), raw[equals + 1 :]
        (sections[-1] if sections else tags)[key] = value
    return tags, [mark for s in sections if (mark := _chapter(s)) is not None]


def _logical_lines(text: str) -> list[list[tuple[str, bool]]]:
    """Lines split at unescaped newlines, each character paired with 'was escaped'."""
    lines: list[list[tuple[str, bool]]] = [[]]
    escaped = False
    for c in text:
        if escaped:
            lines[-1].append((c, True))
            escaped = False
        elif c == "\\":
            escaped = True
        elif c == "\n":
            lines.append([])
        else:
            lines[-1].append((c, False))
    return lines


def _chapter(section: dict[str, str]) -> ChapterMark | None:
    try:
        num, _, den = section.get("timebase", "1/1000").partition("/")
        start = int(section["start"]) * int(num) / int(den or "1")
    except (KeyError, ValueError, ZeroDivisionError):
        return None
    return ChapterMark(start, section.get("title", ""))


def probe(audio: Path) -> Probe:
    """Read ``audio``'s tags, chapters and duration with one ffmpeg call (there is no ffprobe)."""
    result = ffmpeg.run(
        ["-loglevel", "info", *ffmpeg.SAFE_INPUT, "-i", str(audio), "-f", "ffmetadata", "-"],
        f"reading the tags of {audio.name}", timeout_s=60,
    )  # fmt: skip
    tags, chapters = parse_ffmetadata(result.stdout.decode("utf-8", "replace"))
    match = _DURATION.search(result.stderr.decode("utf-8", "replace"))
    duration = int(match[1]) * 3600 + int(match[2]) * 60 + float(match[3]) if match else None
    return Probe(tags, chapters, duration)


def _load_json(path: Path) -> object | None:
    """A side file's JSON, None when there is none; OutputError when it is unreadable."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, ValueError) as err:
        raise OutputError(f"cannot read {path} ({err}) — rebuild the session with --sidecars, or delete the file") from None


def read_episode(audio: Path) -> Episode:
    """An episode from an MP3 and whatever side files lie next to it."""
    info = probe(audio)
    present = frozenset(kind for kind in ("vtt", "srt", "chapters", "plan") if sidecar_path(audio, kind).is_file())
    plan = _load_json(sidecar_path(audio, "plan")) if "plan" in present else None
    plan_dict = plan if isinstance(plan, dict) else {}
    try:
        if "chapters" in present:
            marks = marks_from_chapters_json(_load_json(sidecar_path(audio, "chapters")))
        elif plan is not None:
            marks = marks_from_plan_json(plan)
        else:
            marks = info.chapters
    except ValueError as err:
        raise OutputError(f"the chapters beside {audio.name} are not valid ({err}) — rebuild the session with --sidecars") from None
    duration = plan_dict.get("duration_s")
    if isinstance(duration, bool) or not isinstance(duration, (int, float)):
        duration = info.duration_s
    elif info.duration_s is not None and abs(duration - info.duration_s) > STALE_S:
        raise OutputError(
            f"the side files beside {audio.name} belong to another build (plan {duration:.1f} s, audio {info.duration_s:.1f} s)"
            f" — rebuild it with --sidecars, or delete {audio.stem}.* side files"
        )
    title = info.tags.get("title") or str(plan_dict.get("title") or "") or audio.stem
    notes = show_notes(marks)
    description = "\n\n".join(part for part in (info.tags.get("comment", "").strip(), notes) if part)
    stat = audio.stat()
    return Episode(
        name=audio.name, title=title, description=description or title, author=info.tags.get("artist", ""),
        duration_s=duration, length=stat.st_size, modified=datetime.fromtimestamp(stat.st_mtime, UTC),
        chapters=marks, sidecars=present, page=page_path(audio).is_file(),
        language=_episode_language(plan_dict, info.tags),
    )  # fmt: skip


def _episode_language(plan: dict[str, object], tags: dict[str, str]) -> str:
    """The session's language code: the plan says it; the MP3's tag (ISO 639-2, deu) is mapped back to de."""
    code = plan.get("language")
    if isinstance(code, str) and code:
        return code
    tag = tags.get("language", "").strip().lower()
    return next((c for c in known_languages() if language(c).iso639_2 == tag), "")


def feed_language(info: FeedInfo, episodes: list[Episode]) -> str:
    """The channel's language: as given, else the one most episodes are in, else en."""
    if info.language:
        return info.language
    found = Counter(e.language for e in episodes if e.language).most_common(1)
    return found[0][0] if found else "en"


def find_audio(folder: Path) -> list[Path]:
    """The MP3s of ``folder`` by name; hidden files (unfinished builds) are left out. OutputError if none."""
    if not folder.is_dir():
        raise OutputError(f"{folder} is not a folder — {HINT}")
    found = sorted(
        (p for p in folder.iterdir() if p.suffix.lower() == ".mp3" and not p.name.startswith(".") and p.is_file()),
        key=lambda p: p.name,
    )
    if not found:
        raise OutputError(f"no MP3 files in {folder} — {HINT}")
    return found


def _sub(parent: ET.Element, tag: str, content: str | None = None, /, **attrs: str) -> ET.Element:
    """A child element; characters XML 1.0 cannot carry (ElementTree writes them anyway) are dropped."""
    element = ET.SubElement(parent, tag, {key: _NOT_XML.sub("", value) for key, value in attrs.items()})
    if content is not None:
        element.text = _NOT_XML.sub("", content)
    return element


def feed_xml(info: FeedInfo, episodes: list[Episode]) -> bytes:
    """The RSS document (UTF-8, with XML declaration) for ``episodes`` in the given order."""
    ET.register_namespace("itunes", ITUNES)
    ET.register_namespace("podcast", PODCAST)
    rss = ET.Element("rss", {"version": "2.0"})
    channel = _sub(rss, "channel")
    _sub(channel, "title", info.title)
    _sub(channel, "link", info.base_url)
    _sub(channel, "description", info.description or info.title)
    _sub(channel, "language", feed_language(info, episodes))
    author = info.author or next((e.author for e in episodes if e.author), "")
    if author:
        _sub(channel, f"{{{ITUNES}}}author", author)
    if info.image:
        _sub(channel, f"{{{ITUNES}}}image", href=info.image)
    _sub(channel, f"{{{ITUNES}}}category", text=CATEGORY)
    _sub(channel, f"{{{ITUNES}}}explicit", "false")
    for e in episodes:
        item = _sub(channel, "item")
        _sub(item, "title", e.title)
        page_url = file_url(info.base_url, page_path(Path(e.name)).name) if e.page else None
        _sub(item, "description", e.description + (f"\n\nFollow along on screen: {page_url}" if page_url else ""))
        if page_url:
            _sub(item, "link", page_url)
        _sub(item, "guid", episode_guid(info.base_url, e.name), isPermaLink="false")
        _sub(item, "pubDate", format_datetime(e.modified, usegmt=True))
        _sub(item, "enclosure", url=file_url(info.base_url, e.name), length=str(e.length), type="audio/mpeg")
        if e.duration_s is not None:
            _sub(item, f"{{{ITUNES}}}duration", str(round(e.duration_s)))
        if "chapters" in e.sidecars:
            url = file_url(info.base_url, sidecar_path(Path(e.name), "chapters").name)
            _sub(item, f"{{{PODCAST}}}chapters", url=url, type="application/json+chapters")
        for kind, mime in TRANSCRIPTS:
            if kind in e.sidecars:
                url = file_url(info.base_url, sidecar_path(Path(e.name), kind).name)
                extra = {"language": e.language} if e.language else {}
                _sub(item, f"{{{PODCAST}}}transcript", url=url, type=mime, rel="captions", **extra)
    ET.indent(rss)
    return ET.tostring(rss, encoding="utf-8", xml_declaration=True) + b"\n"


def write_feed(folder: Path, info: FeedInfo, output: Path | None = None) -> FeedResult:
    """Write the feed for every MP3 in ``folder`` to ``output`` (default ``folder/feed.xml``), atomically."""
    check_url(info.base_url)
    if info.image:
        check_url(info.image, "image URL")
    episodes = [read_episode(path) for path in find_audio(folder)]
    path = output if output is not None else folder / FEED_NAME
    write_text_atomic(path, feed_xml(info, episodes).decode("utf-8"))
    return FeedResult(path, len(episodes))
