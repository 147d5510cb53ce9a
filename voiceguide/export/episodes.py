"""Built sessions as feed episodes: each audio file with its tags, cover and side files.

Title, description, author, language and cover come from the file's own tags (read by
mutagen, whatever the format); chapters, duration and language from the side files
(``<name>.chapters.json``, ``<name>.plan.json``) when present, else from the file. Side
files whose plan is more than ``STALE_S`` longer or shorter than the audio come from
another build (captions would drift): that is an error, not a silent mismatch.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from voiceguide import ffmpeg
from voiceguide.errors import OutputError, RenderError
from voiceguide.export.chapters import ChapterMark, marks_from_chapters_json, marks_from_plan_json, show_notes
from voiceguide.export.sidecars import sidecar_path
from voiceguide.language import known_languages, language
from voiceguide.player.page import page_path
from voiceguide.registry import DEFAULT_FORMAT

HINT = "build sessions first: voiceguide build ROUTINE -o DIR --sidecars"
STALE_S = 1.0  # plan and audio lengths further apart than this: the side files are from another build
_DURATION = re.compile(r"Duration:\s*(\d+):(\d{2}):(\d{2}(?:\.\d+)?)")


@dataclass(frozen=True)
class Probe:
    """What ffmpeg reports about an audio file: its tags, chapters and duration."""

    tags: dict[str, str]
    chapters: list[ChapterMark]
    duration_s: float | None


@dataclass(frozen=True)
class Episode:
    """One item of the feed, read from an audio file and its side files."""

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
    language: str = ""  # from the plan, else from the file's language tag; empty when unknown
    cover: bytes | None = None  # the picture the file carries


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
        ["-loglevel", "info", *ffmpeg.SAFE_INPUT, "-i", ffmpeg.path_arg(audio), "-f", "ffmetadata", "-"],
        f"reading the tags of {audio.name}", timeout_s=60,
    )  # fmt: skip
    tags, chapters = parse_ffmetadata(result.stdout.decode("utf-8", "replace"))
    match = _DURATION.search(result.stderr.decode("utf-8", "replace"))
    duration = int(match[1]) * 3600 + int(match[2]) * 60 + float(match[3]) if match else None
    return Probe(tags, chapters, duration)


def _load_json(path: Path) -> object | None:
    """A side file's JSON, None when there is none; OutputError when it is unreadable."""
    try:
        return json.loads(path.read_text(encoding="utf-8"), parse_constant=_not_finite, parse_float=_finite)
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, ValueError) as err:
        raise OutputError(f"cannot read {path} ({err})", hint="rebuild the session with --sidecars, or delete the file") from None


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e400
        raise ValueError(f"{text[:20]} is too large a number")
    return value


def _not_finite(text: str) -> float:
    raise ValueError(f"{text} is not a number a side file holds")  # NaN, Infinity, -Infinity


def read_episode(audio: Path) -> Episode:
    """An episode from an audio file and whatever side files lie next to it."""
    from voiceguide.render.metadata import read_tags  # mutagen: not loaded for the other commands

    try:
        tags = read_tags(audio)
    except RenderError as err:
        raise OutputError(f"{err}", hint="rebuild it, or move it out of the folder") from None
    present = frozenset(kind for kind in ("vtt", "srt", "chapters", "plan") if sidecar_path(audio, kind).is_file())
    plan = _load_json(sidecar_path(audio, "plan")) if "plan" in present else None
    plan_dict = plan if isinstance(plan, dict) else {}
    try:
        if "chapters" in present:
            marks = marks_from_chapters_json(_load_json(sidecar_path(audio, "chapters")))
        elif plan is not None:
            marks = marks_from_plan_json(plan)
        else:
            marks = [ChapterMark(start, title) for start, title in tags.chapters]
    except ValueError as err:
        raise OutputError(f"the chapters beside {audio.name} are not valid ({err})", hint="rebuild the session with --sidecars") from None
    duration = plan_dict.get("duration_s")
    if isinstance(duration, bool) or not isinstance(duration, (int, float)):
        duration = tags.duration_s
    elif tags.duration_s is not None and abs(duration - tags.duration_s) > STALE_S:
        raise OutputError(
            f"the side files beside {audio.name} belong to another build (plan {duration:.1f} s, audio {tags.duration_s:.1f} s)",
            hint=f"rebuild it with --sidecars, or delete {audio.stem}.* side files",
        )
    title = tags.title or str(plan_dict.get("title") or "") or audio.stem
    description = "\n\n".join(part for part in (tags.comment.strip(), show_notes(marks)) if part)
    stat = audio.stat()
    return Episode(
        name=audio.name, title=title, description=description or title, author=tags.artist,
        duration_s=duration, length=stat.st_size, modified=datetime.fromtimestamp(stat.st_mtime, UTC),
        chapters=marks, sidecars=present, page=page_path(audio).is_file(),
        language=_episode_language(plan_dict, {"language": tags.language}), cover=tags.cover,
    )  # fmt: skip


def _episode_language(plan: dict[str, object], tags: dict[str, str]) -> str:
    """The session's language code: the plan says it; the file's tag (ISO 639-2, deu) is mapped back to de."""
    code = plan.get("language")
    if isinstance(code, str) and code:
        return code
    tag = tags.get("language", "").strip().lower()
    return next((c for c in known_languages() if language(c).iso639_2 == tag), "")


def find_audio(folder: Path, fmt: str = DEFAULT_FORMAT) -> list[Path]:
    """The ``fmt`` files of ``folder`` by name; hidden files (unfinished builds) are left out. OutputError if none."""
    if not folder.is_dir():
        raise OutputError(f"{folder} is not a folder", hint=HINT)
    found = sorted(
        (p for p in folder.iterdir() if p.suffix.lower() == f".{fmt}" and not p.name.startswith(".") and p.is_file()),
        key=lambda p: p.name,
    )
    if not found:
        raise OutputError(f"no {fmt.upper()} files in {folder}", HINT + (f" --format {fmt}" if fmt != DEFAULT_FORMAT else ""))
    return found
