"""Captions from the timeline: WebVTT and SRT text, pure functions of a Plan.

Every spoken cue starts a caption at its exact start. A line too long for one caption
(``MAX_LINES`` lines of ``MAX_CHARS`` characters, the usual broadcast limits, e.g. BBC
and Netflix guidelines) is cut into blocks that follow its phrases: the cut points are
chosen together (dynamic programming over the word boundaries) to prefer sentence ends,
then commas, to avoid cutting a phrase, and above all to keep every block on screen for
at least ``MIN_CAPTION_S`` (a block's share of the line's time is its share of the
characters). A line shorter than that is one caption; when silence follows it, the
caption stays up until it has been shown ``MIN_CAPTION_S``, never into the next line.
Captions show the written words (``Cue.text``), not the respellings the narrator was given.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from voiceguide.plan import Plan

MAX_CHARS = 42
MAX_LINES = 2
MIN_CAPTION_S = 1.0  # the shortest time a caption is readable (guidelines ask 5/6 s to 1 s for a word or two)
SENTENCE_END = ".!?…"
PHRASE_END = ",;:—–"
BLOCK_COST = 1.0  # every extra caption costs a little: fewer, fuller blocks
BREAK_COST = {"sentence": 0.0, "phrase": 0.5, "word": 4.0}  # where a block ends inside a line
SHORT_COST_PER_S = 60.0  # per second a block falls short of MIN_CAPTION_S: outweighs any break


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


def words(text: str, width: int = MAX_CHARS) -> list[str]:
    """The words of ``text``; a word longer than ``width`` is cut into pieces that fit a line."""
    return [word[i : i + width] for word in text.split() for i in range(0, len(word), width)]


def wrap(text: str, width: int = MAX_CHARS) -> list[str]:
    """Greedy word wrap into lines of at most ``width`` characters (an over-long word is cut)."""
    lines: list[str] = []
    for word in words(text, width):
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


def _ends(word: str) -> str:
    """What a break after ``word`` would cut: a sentence, a phrase, or the middle of a phrase."""
    last = word.rstrip("\"'”’)]»")[-1:] or word[-1:]
    if last and last in SENTENCE_END:
        return "sentence"
    if (last and last in PHRASE_END) or word in ("-", "—", "–"):
        return "phrase"
    return "word"


def lines_of(tokens: list[str]) -> tuple[str, ...] | None:
    """The block's words as one line, or as two lines broken where it reads best; None if they do not fit."""
    joined = " ".join(tokens)
    if len(joined) <= MAX_CHARS or len(tokens) == 1:
        return (joined,)
    best: tuple[float, tuple[str, str]] | None = None
    for k in range(1, len(tokens)):
        first, second = " ".join(tokens[:k]), " ".join(tokens[k:])
        if len(first) > MAX_CHARS or len(second) > MAX_CHARS:
            continue
        cost = abs(len(first) - len(second)) + (0 if _ends(tokens[k - 1]) != "word" else 8)
        if best is None or cost < best[0]:
            best = (cost, (first, second))
    return best[1] if best else None


def split_cue(text: str, start_s: float, end_s: float, cue: int = 0) -> list[Caption]:
    """Captions for one spoken cue, covering exactly ``start_s``..``end_s`` with no gap.

    Each block starts at the time its first character is reached, in proportion to the
    characters of the whole line.
    """
    tokens = words(text)
    if not tokens:
        return []
    offsets = [0]  # where each word starts in the joined line
    for token in tokens:
        offsets.append(offsets[-1] + len(token) + 1)
    total = offsets[-1] - 1
    span = end_s - start_s

    def at(i: int) -> float:
        return start_s if i == 0 else end_s if i == len(tokens) else start_s + span * offsets[i] / total

    # best[j]: the cheapest way to caption tokens[:j]; came[j]: where its last block starts
    best = [0.0] + [float("inf")] * len(tokens)
    came = [0] * (len(tokens) + 1)
    for j in range(1, len(tokens) + 1):
        for i in range(j - 1, -1, -1):
            if offsets[j] - offsets[i] - 1 > MAX_CHARS * MAX_LINES + 1:
                break
            if lines_of(tokens[i:j]) is None:
                continue
            cost = best[i] + BLOCK_COST + (BREAK_COST[_ends(tokens[j - 1])] if j < len(tokens) else 0.0)
            shortfall = min(MIN_CAPTION_S, span) - (at(j) - at(i))
            if shortfall > 1e-9:
                cost += SHORT_COST_PER_S * shortfall
            if cost < best[j]:
                best[j], came[j] = cost, i
    cuts = [len(tokens)]
    while cuts[-1] > 0:
        cuts.append(came[cuts[-1]])
    cuts.reverse()
    captions = []
    for i, j in itertools.pairwise(cuts):
        block = lines_of(tokens[i:j])
        assert block is not None
        captions.append(Caption(at(i), at(j), block, cue))
    return captions


def captions(plan: Plan) -> list[Caption]:
    """Every caption of the plan, in time order. A spoken cue without words has none.

    A line's last caption shown for less than ``MIN_CAPTION_S`` stays up into the silence
    after it, up to that, never past the next spoken line or the end of the session.
    """
    out: list[Caption] = []
    spoken = [(index, cue) for index, cue in enumerate(plan.cues) if cue.kind == "speech" and cue.text and cue.text.strip()]
    for n, (index, cue) in enumerate(spoken):
        assert cue.text is not None
        blocks = split_cue(cue.text, cue.start_s, cue.end_s, index)
        last = blocks[-1]
        if last.end_s - last.start_s < MIN_CAPTION_S:
            limit = spoken[n + 1][1].start_s if n + 1 < len(spoken) else plan.duration_s
            end = max(last.end_s, min(last.start_s + MIN_CAPTION_S, limit))
            blocks[-1] = Caption(last.start_s, end, last.lines, index)
        out.extend(blocks)
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


def _srt_line(line: str) -> str:
    """SubRip has no escapes: an arrow in the words must not read as a timing line."""
    return line.replace("-->", "→")


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
        lines = "\n".join(_srt_line(line) for line in c.lines)
        blocks.append(f"{number}\n{timestamp(c.start_s, ',')} --> {timestamp(c.end_s, ',')}\n{lines}")
    return "\n\n".join(blocks) + ("\n" if blocks else "")
