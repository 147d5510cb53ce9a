"""Captions from the timeline: WebVTT and SRT text, pure functions of a Plan.

Every spoken cue starts a caption at its exact start. A cue too long for one caption
is split into several of at most ``MAX_LINES`` lines of at most ``MAX_CHARS``
characters (the usual broadcast limits, e.g. BBC and Netflix guidelines), and its span
is shared between them in proportion to their characters. Captions show the written
words (``Cue.text``), not the respellings the narrator was given.
"""

from __future__ import annotations

from dataclasses import dataclass

from voiceguide.plan import Plan

MAX_CHARS = 42
MAX_LINES = 2


@dataclass(frozen=True)
class Caption:
    """One caption on screen from ``start_s`` to ``end_s``; ``cue`` indexes ``Plan.cues``."""

    start_s: float
    end_s: float
    lines: tuple[str, ...]
    cue: int

    @property
    def text(self) -> str:
        return " ".join(self.lines)


def wrap(text: str, width: int = MAX_CHARS) -> list[str]:
    """Greedy word wrap into lines of at most ``width`` characters.

    Whitespace runs become single spaces. Words are never broken, except a single
    word longer than ``width``, which is cut into ``width``-character pieces.
    """
    lines: list[str] = []
    current = ""
    for word in text.split():
        while len(word) > width:
            if current:
                lines.append(current)
                current = ""
            lines.append(word[:width])
            word = word[width:]
        if not word:
            continue
        if current and len(current) + 1 + len(word) <= width:
            current += " " + word
        else:
            if current:
                lines.append(current)
            current = word
    if current:
        lines.append(current)
    return lines


def split_cue(text: str, start_s: float, end_s: float, cue: int = 0) -> list[Caption]:
    """Captions for one spoken cue, covering exactly ``start_s``..``end_s``.

    Split points fall in proportion to the characters shown before them; the first
    caption starts at ``start_s`` and the last ends at ``end_s``.
    """
    lines = wrap(text)
    groups = [tuple(lines[i : i + MAX_LINES]) for i in range(0, len(lines), MAX_LINES)]
    weights = [len(" ".join(g)) for g in groups]
    total = sum(weights)
    captions: list[Caption] = []
    done = 0
    begin = start_s
    for index, (group, weight) in enumerate(zip(groups, weights, strict=True)):
        done += weight
        end = end_s if index == len(groups) - 1 else start_s + (end_s - start_s) * done / total
        captions.append(Caption(begin, end, group, cue))
        begin = end
    return captions


def captions(plan: Plan) -> list[Caption]:
    """Every caption of the plan, in time order. A spoken cue without words has none."""
    out: list[Caption] = []
    for index, cue in enumerate(plan.cues):
        if cue.kind == "speech" and cue.text and cue.text.strip():
            out.extend(split_cue(cue.text, cue.start_s, cue.end_s, index))
    return out


def timestamp(seconds: float, separator: str = ".") -> str:
    """``3723.5`` → ``01:02:03.500`` (WebVTT); ``separator=","`` gives SRT's form."""
    ms = max(0, round(seconds * 1000))
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{separator}{ms:03d}"


def _vtt_escape(line: str) -> str:
    """WebVTT cue text treats & and < as markup; > is escaped too so "-->" never appears."""
    return line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_webvtt(plan: Plan) -> str:
    """The plan's captions as a WebVTT file (W3C WebVTT: header, blank line, then cues).

    WebVTT has no standard field for the language; a ``Language:`` header line is what
    YouTube writes and caption tools (yt-dlp, pycaption, webvtt-py) read, and parsers
    that follow the standard skip it.
    """
    blocks = ["WEBVTT" + (f"\nLanguage: {plan.language}" if plan.language else "")]
    for c in captions(plan):
        lines = "\n".join(_vtt_escape(line) for line in c.lines)
        blocks.append(f"{timestamp(c.start_s)} --> {timestamp(c.end_s)}\n{lines}")
    return "\n\n".join(blocks) + "\n"


def to_srt(plan: Plan) -> str:
    """The plan's captions as SubRip: numbered from 1, ``HH:MM:SS,mmm`` times."""
    blocks = []
    for number, c in enumerate(captions(plan), start=1):
        lines = "\n".join(c.lines)
        blocks.append(f"{number}\n{timestamp(c.start_s, ',')} --> {timestamp(c.end_s, ',')}\n{lines}")
    return "\n\n".join(blocks) + ("\n" if blocks else "")
