"""Chapter lists: Podcasting 2.0 JSON chapters from a plan, read back, and as show notes.

JSON chapters follow the podcast namespace's chapters format, version 1.2.0:
``{"version": "1.2.0", "chapters": [{"startTime": seconds, "title": ...}, ...]}``,
sorted by start time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from voiceguide.plan import Plan

CHAPTERS_VERSION = "1.2.0"


@dataclass(frozen=True)
class ChapterMark:
    """A chapter as listeners see it: where it starts and what it is called."""

    start_s: float
    title: str


def chapters_json(plan: Plan) -> dict[str, Any]:
    """The plan's chapters as a JSON chapters object (start times in seconds, to the millisecond)."""
    marks = sorted((ChapterMark(round(c.start_s, 3), c.title) for c in plan.chapters), key=lambda m: m.start_s)
    return {"version": CHAPTERS_VERSION, "chapters": [{"startTime": m.start_s, "title": m.title} for m in marks]}


def marks_from_chapters_json(data: object) -> list[ChapterMark]:
    """Chapters from a parsed JSON chapters file; ValueError if it is not one."""
    items = data.get("chapters") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise ValueError('no "chapters" list')
    return sorted((_mark(item, "startTime", "title") for item in items), key=lambda m: m.start_s)


def marks_from_plan_json(data: object) -> list[ChapterMark]:
    """Chapters from a parsed ``voiceguide plan --json`` object; ValueError if it is not one."""
    items = data.get("chapters") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise ValueError('no "chapters" list')
    return sorted((_mark(item, "start_s", "title") for item in items), key=lambda m: m.start_s)


def _mark(item: object, start_key: str, title_key: str) -> ChapterMark:
    if not isinstance(item, dict):
        raise ValueError("a chapter is not an object")
    start, title = item.get(start_key), item.get(title_key, "")
    if isinstance(start, bool) or not isinstance(start, (int, float)) or start < 0:
        raise ValueError(f'a chapter has no valid "{start_key}"')
    return ChapterMark(float(start), str(title))


def clock(seconds: float) -> str:
    """``75.4`` → ``1:15``, ``3725`` → ``1:02:05``: the form podcast apps turn into links."""
    whole = int(seconds)  # a chapter is announced at the second it has started
    h, rest = divmod(whole, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def show_notes(marks: list[ChapterMark]) -> str:
    """One line per chapter, ``M:SS Title``; empty when there are no chapters."""
    if not marks:
        return ""
    return "Chapters:\n" + "\n".join(f"{clock(m.start_s)} {m.title}" for m in marks)
