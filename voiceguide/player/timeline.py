"""Where a listener is in a session, at any moment: pure look-ups over the plan's timeline.

A ``Track`` is read from the plan as ``Plan.to_json()`` gives it (also the ``.plan.json``
side file), or from chapters alone. ``moment(track, t)`` says what a player shows at
``t`` seconds; ``next_chapter`` and ``previous_target`` say where the skip keys go.
No files, no audio, no terminal here.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

from voiceguide.built.chapters import ChapterMark

RESTART_GRACE_S = 3.0  # "back" within this long of a chapter's start goes to the chapter before
MIN_PAUSE_BAR_S = 2.0  # a silence without a role shows a countdown only when at least this long
ROLES = ("hold", "rest")


@dataclass(frozen=True)
class Span:
    """A chapter: a technique, or the introduction or closing."""

    title: str
    start_s: float
    end_s: float


@dataclass(frozen=True)
class Item:
    """One cue of the timeline; ``repetition`` 0 with ``repetitions`` > 0 is the time before the first count (a side cue)."""

    kind: str
    start_s: float
    end_s: float
    text: str | None = None
    repetition: int = 0
    repetitions: int = 0
    side: str | None = None
    role: str = ""
    part: str = "foot"  # what the side is a side of


@dataclass(frozen=True)
class Track:
    """The timeline a player follows. ``items`` is empty when only chapters are known."""

    title: str
    duration_s: float
    chapters: tuple[Span, ...]
    items: tuple[Item, ...] = ()

    @classmethod
    def from_plan_json(cls, data: object) -> Track:
        """A track from a ``plan --json`` object; ValueError saying what is wrong if it is not one."""
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        duration = _number(data.get("duration_s"), "duration_s")
        chapters = data.get("chapters")
        cues = data.get("cues")
        if not isinstance(chapters, list) or not isinstance(cues, list):
            raise ValueError('no "chapters" or "cues" list')
        spans = tuple(_span(c) for c in chapters)
        items = tuple(_item(c) for c in cues)
        if any(b.start_s < a.start_s for a, b in itertools.pairwise(items)):
            raise ValueError("cues are not in time order")
        return cls(str(data.get("title") or ""), duration, tuple(sorted(spans, key=lambda s: s.start_s)), items)

    @classmethod
    def from_chapters(cls, title: str, marks: Iterable[ChapterMark], duration_s: float) -> Track:
        """A track that knows only where chapters start (an audio file without a plan)."""
        ordered = sorted(marks, key=lambda m: m.start_s)
        ends = [m.start_s for m in ordered[1:]] + [duration_s]
        spans = tuple(Span(m.title, m.start_s, end) for m, end in zip(ordered, ends, strict=True))
        return cls(title, duration_s, spans)

    @cached_property
    def _chapter_starts(self) -> list[float]:
        return [c.start_s for c in self.chapters]

    @cached_property
    def _item_starts(self) -> list[float]:
        return [i.start_s for i in self.items]

    def chapter_at(self, t: float) -> int:
        """Index of the chapter playing at ``t`` (-1 before the first or when there are none)."""
        return bisect.bisect_right(self._chapter_starts, t) - 1

    def item_at(self, t: float) -> int:
        """Index of the item playing at ``t`` (-1 when none); the session's end counts as its last item."""
        if self.items and t >= self.duration_s:
            return len(self.items) - 1
        return bisect.bisect_right(self._item_starts, t) - 1


@dataclass(frozen=True)
class Countdown:
    """A silence being held: what it is for (``hold``, ``rest`` or ``pause``), its length and the time left."""

    role: str
    total_s: float
    left_s: float

    @property
    def fraction_left(self) -> float:
        return 0.0 if self.total_s <= 0 else min(1.0, max(0.0, self.left_s / self.total_s))


@dataclass(frozen=True)
class Moment:
    """What a player shows at one instant of the session."""

    position_s: float
    remaining_s: float
    chapter: int  # index into Track.chapters; -1 when none
    chapter_title: str
    words: str | None  # the line being said, or the last one said in this chapter
    speaking: bool
    repetition: int = 0
    repetitions: int = 0
    side: str | None = None
    countdown: Countdown | None = None
    next_words: str | None = None  # the next line to be said
    next_chapter_title: str | None = None
    finished: bool = False
    part: str = "foot"  # what ``side`` is a side of

    @property
    def repetition_text(self) -> str:
        """``Repetition 3 of 8 · right foot``, ``Right hand``, or empty."""
        parts = []
        if self.repetition and self.repetitions > 1:
            parts.append(f"Repetition {self.repetition} of {self.repetitions}")
        if self.side:
            parts.append(f"{self.side.capitalize()} {self.part}" if not parts else f"{self.side} {self.part}")
        return " · ".join(parts)


def moment(track: Track, t: float) -> Moment:
    """What is happening ``t`` seconds into the session (clamped to the session)."""
    t = min(max(0.0, t), track.duration_s)
    finished = t >= track.duration_s
    chapter = track.chapter_at(t)
    title = track.chapters[chapter].title if chapter >= 0 else ""
    following = track.chapters[chapter + 1].title if chapter + 1 < len(track.chapters) else None
    remaining = max(0.0, track.duration_s - t)
    index = track.item_at(t)
    if index < 0:
        return Moment(t, remaining, chapter, title, None, False, next_chapter_title=following, finished=finished)
    item = track.items[index]
    speaking = item.kind == "speech" and not finished
    words = item.text if item.kind == "speech" else _last_words(track, index, chapter)
    countdown = None
    if item.kind == "pause" and not finished:
        length = item.end_s - item.start_s
        role = item.role if item.role in ROLES else "pause"
        if role != "pause" or length >= MIN_PAUSE_BAR_S:
            countdown = Countdown(role, length, item.end_s - t)
    upcoming = next((i.text for i in track.items[index + 1 :] if i.kind == "speech" and i.text), None)
    return Moment(
        t, remaining, chapter, title, words, speaking, item.repetition, item.repetitions, item.side, countdown,
        None if finished else upcoming, following, finished, item.part,
    )  # fmt: skip


def next_chapter(track: Track, t: float) -> float:
    """Where "next" goes from ``t``: the next chapter's start, or the end of the session."""
    return next((c.start_s for c in track.chapters if c.start_s > t + 1e-6), track.duration_s)


def previous_target(track: Track, t: float, grace_s: float = RESTART_GRACE_S) -> float:
    """Where "back" goes from ``t``: this chapter's start, or the one before when already near it."""
    chapter = track.chapter_at(t)
    if chapter < 0:
        return 0.0
    start = track.chapters[chapter].start_s
    if t - start > grace_s or chapter == 0:
        return start
    return track.chapters[chapter - 1].start_s


def again_target(track: Track, t: float) -> float:
    """Where "again" goes from ``t``: the start of the repetition playing (its count), else of the step (its line)."""
    index = track.item_at(t)
    chapter = track.chapter_at(t)
    chapter_start = track.chapters[chapter].start_s if chapter >= 0 else 0.0
    if index < 0:
        return chapter_start
    items = track.items
    item = items[index]
    if item.repetition > 0:
        while index > 0 and items[index - 1].start_s >= chapter_start and (items[index - 1].repetition, items[index - 1].side) == (
            item.repetition, item.side,
        ):  # fmt: skip
            index -= 1
        return items[index].start_s
    for earlier in reversed(items[: index + 1]):
        if earlier.start_s < chapter_start:
            break
        if earlier.kind == "speech":
            return earlier.start_s
    return chapter_start


def _last_words(track: Track, index: int, chapter: int) -> str | None:
    """The last line said before item ``index``, if it was said in the same chapter."""
    start = track.chapters[chapter].start_s if chapter >= 0 else 0.0
    for item in reversed(track.items[:index]):
        if item.start_s < start:
            return None
        if item.kind == "speech" and item.text:
            return item.text
    return None


def _number(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise ValueError(f'no valid "{name}"')
    return float(value)


def _span(data: object) -> Span:
    if not isinstance(data, dict):
        raise ValueError("a chapter is not an object")
    return Span(str(data.get("title", "")), _number(data.get("start_s"), "start_s"), _number(data.get("end_s"), "end_s"))


def _item(data: object) -> Item:
    if not isinstance(data, dict):
        raise ValueError("a cue is not an object")
    text = data.get("text")
    side = data.get("side")
    return Item(
        kind=str(data.get("kind", "")),
        start_s=_number(data.get("start_s"), "start_s"),
        end_s=_number(data.get("end_s"), "end_s"),
        text=text if isinstance(text, str) else None,
        repetition=_count(data.get("repetition")),
        repetitions=_count(data.get("repetitions")),
        side=side if isinstance(side, str) else None,
        role=str(data.get("role", "")),
        part=part if isinstance(part := data.get("part"), str) and part else "foot",
    )


def _count(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0
