"""Reading a built session back: its audio's tags, chapters and length (one ffmpeg call), its side files, and
one rule for when they belong to another build. The player, the feed and the studio read sessions through it."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from voiceguide import ffmpeg
from voiceguide.built.chapters import ChapterMark
from voiceguide.errors import OutputError

STALE_S = 1.0  # plan and audio lengths further apart than this: the side files are from another build
DEFAULT_FOLDER = Path("output")  # where a build goes unless told


@dataclass(frozen=True)
class Probe:
    """What ffmpeg reports about an audio file: its tags, chapters and duration."""

    tags: dict[str, str]
    chapters: list[ChapterMark]
    duration_s: float | None


def is_stale(plan_s: float, audio_s: float | None) -> bool:
    """True when a plan of ``plan_s`` cannot be the plan of audio lasting ``audio_s`` (unknown: not stale)."""
    return audio_s is not None and abs(plan_s - audio_s) > STALE_S


def default_audio(name: str, fmt: str) -> Path:
    """Where ``voiceguide build NAME`` writes the session in format ``fmt`` when not told where."""
    return DEFAULT_FOLDER / f"{name}.{fmt}"


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
    return Probe(tags, chapters, ffmpeg.duration_in(result.stderr.decode("utf-8", "replace")))


def side_json(path: Path, hint: str) -> object | None:
    """A side file's JSON, None when there is none; OutputError (with ``hint``) when it is unreadable."""
    try:
        return json.loads(path.read_text(encoding="utf-8"), parse_constant=_not_finite, parse_float=_finite)
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, ValueError) as err:
        raise OutputError(f"cannot read {path} ({err})", hint=hint) from None


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e400
        raise ValueError(f"{text[:20]} is too large a number")
    return value


def _not_finite(text: str) -> float:
    raise ValueError(f"{text} is not a number a side file holds")  # NaN, Infinity, -Infinity


def published_in(plan: object) -> datetime | None:
    """The episode date a plan side file records (``published``, ISO 8601 in UTC), if it holds a valid one."""
    text = plan.get("published") if isinstance(plan, dict) else None
    try:
        when = datetime.fromisoformat(text) if isinstance(text, str) else None
    except ValueError:
        return None
    return when.astimezone(UTC) if when is not None and when.tzinfo is not None else None


def first_published(plan_path: Path) -> datetime | None:
    """The date recorded by an earlier build in the plan side file at ``plan_path`` (None: none, or unreadable)."""
    try:
        return published_in(side_json(plan_path, ""))
    except OutputError:
        return None
