"""The plan: exactly when each thing is said, each pause held and each chime struck.

Pure functions only. ``script`` turns a routine into an ordered list of events;
``utterances`` lists what must be synthesised; ``build_plan`` lays the events on a
timeline given how long each spoken clip measured. A hold starts the moment its cue
ends: nothing is padded or guessed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

from voiceguide.durations import format_clock
from voiceguide.errors import Problem
from voiceguide.language import Language, language
from voiceguide.routine.limits import MAX_SESSION_S, RoutineLimitError, chapter_line
from voiceguide.routine.model import DEFAULT_CHIME_S, ROUTINE_NARRATION, Narration, Routine, Step, Technique
from voiceguide.routine.pronounce import respell

CueKind = Literal["speech", "pause", "chime"]
PauseRole = Literal["", "hold", "rest"]
NO_OVERRIDES = Narration()


@dataclass(frozen=True)
class Utterance:
    """One line for the narrator: the written words, the words it is given, and how to say them."""

    text: str  # as written in the routine: captions show this
    spoken: str  # after pronunciation respellings: the engine says this
    voice: str
    rate: int
    volume: float
    engine: str = ""  # "": whichever engine the narration is given


@dataclass(frozen=True)
class Narrator:
    """Who said a line, as it was timed: the engine and the voice id it resolved to."""

    engine: str
    voice: str


@dataclass(frozen=True)
class Mark:
    """Where an item stands in its technique's repetitions, for players: repetition ``n`` of ``of`` on ``side``."""

    n: int  # 1-based; 0 before the first repetition (the side cue and the time to move)
    of: int
    side: str | None = None
    role: PauseRole = ""  # what a pause is for
    part: str = ""  # with a side: the body part it is a side of ("foot", "hand", as the routine names it)


@dataclass(frozen=True)
class ChimeSound:
    """The chime of a chime cue: every chime of the same length sounds the same."""

    seconds: float


Sound = Utterance | ChimeSound  # what a cue plays; pauses play nothing


@dataclass(frozen=True)
class Event:
    """One untimed item of the session, in order."""

    kind: CueKind
    chapter: int
    utterance: Utterance | None = None
    seconds: float = 0.0  # for pauses and chimes
    mark: Mark | None = None


@dataclass(frozen=True)
class Cue:
    """One timed item; ``chapter`` indexes ``Plan.chapters``."""

    kind: CueKind
    start_s: float
    end_s: float
    chapter: int
    utterance: Utterance | None = None
    mark: Mark | None = None
    narrator: Narrator | None = None  # for speech, when known: who said it

    @property
    def text(self) -> str | None:
        return self.utterance.text if self.utterance else None

    @property
    def sound(self) -> Sound | None:
        """What this cue plays from its first frame: its utterance's clip, a chime, or nothing."""
        if self.kind == "chime":
            return ChimeSound(round(self.end_s - self.start_s, 6))
        return self.utterance


@dataclass(frozen=True)
class Chapter:
    title: str
    start_s: float
    end_s: float


@dataclass(frozen=True)
class Plan:
    title: str
    duration_s: float
    chapters: tuple[Chapter, ...]
    cues: tuple[Cue, ...]
    language: str = ""  # the routine's language code; empty when not known
    narrator: Narrator | None = None  # the routine's own narrator; cues said by another name theirs

    def to_json(self) -> dict[str, Any]:
        """The plan as ``voiceguide plan --json`` prints it (times in seconds)."""

        def t(x: float) -> float:
            return round(x, 6)

        top = self.narrator

        def who(c: Cue) -> dict[str, str]:
            own = c.narrator
            if own is None or own == top:
                return {}
            return {k: v for k, v in (("engine", own.engine), ("voice", own.voice)) if top is None or v != getattr(top, k)}

        return {
            "title": self.title,
            "language": self.language,
            **({"engine": top.engine, "voice": top.voice} if top is not None else {}),
            "duration_s": t(self.duration_s),
            "chapters": [{"title": c.title, "start_s": t(c.start_s), "end_s": t(c.end_s)} for c in self.chapters],
            "cues": [
                {
                    "kind": c.kind,
                    "start_s": t(c.start_s),
                    "end_s": t(c.end_s),
                    **({"text": c.text} if c.text is not None else {}),
                    **_mark_json(c.mark),
                    **who(c),
                }
                for c in self.cues
            ],
        }


def _mark_json(mark: Mark | None) -> dict[str, Any]:
    if mark is None:
        return {}
    out: dict[str, Any] = {"repetition": mark.n, "repetitions": mark.of}
    if mark.side:
        out["side"] = mark.side
        out["part"] = mark.part
    if mark.role:
        out["role"] = mark.role
    return out


def speech_of(routine: Routine) -> Language:
    """The routine's language with its own wording of the built-in phrases."""
    return language(routine.language).with_phrases(dict(routine.phrases))


def chapter_titles(routine: Routine) -> list[str]:
    """Titles by chapter number: the opening (named for precautions when there is nothing else), each technique, the closing."""
    p = speech_of(routine).phrases
    opening = p.precautions if routine.precautions and not routine.intro else p.introduction
    return [opening, *(t.name for t in routine.techniques), p.closing]


def script(routine: Routine, overrides: Narration = NO_OVERRIDES, defaults: Narration = NO_OVERRIDES) -> list[Event]:
    """The routine as an ordered list of untimed events.

    ``overrides`` (from the command line) win over every level; ``defaults`` (the user's own
    narrator) apply where the routine says nothing, before the language's and voiceguide's.
    """
    return list(iter_script(routine, overrides, defaults=defaults))


def iter_script(
    routine: Routine, overrides: Narration = NO_OVERRIDES, respelled: bool = True, defaults: Narration = NO_OVERRIDES
) -> Iterator[Event]:
    """The events of ``script`` one at a time, so a caller can stop early (the routine limits do).

    With ``respelled=False`` utterances keep the written text as their spoken text: cheaper,
    and enough for anything that only counts or times the silences.
    """
    return _Scripter(routine, overrides, respelled, defaults).run()


class _Scripter:
    def __init__(self, routine: Routine, overrides: Narration, respelled: bool, defaults: Narration = NO_OVERRIDES) -> None:
        self.routine = routine
        self.overrides = overrides
        self.respelled = respelled
        self.spoken: dict[str, str] = {}
        self.speech = speech_of(routine)
        self.base = routine.narration.over(defaults).over(Narration(voice=routine.language)).over(ROUTINE_NARRATION)
        self.last: CueKind | None = None
        self.mark: Mark | None = None  # set while inside a technique's repetitions

    def run(self) -> Iterator[Event]:
        r = self.routine
        yield from self.steps(r.intro, 0, self.base)
        yield from self.steps(r.precautions, 0, self.base)
        for index, technique in enumerate(r.techniques, start=1):
            yield from self.technique(technique, index)
        yield from self.steps(r.outro, len(r.techniques) + 1, self.base)

    def event(
        self, kind: CueKind, chapter: int, utterance: Utterance | None = None, seconds: float = 0.0, role: PauseRole = ""
    ) -> Iterator[Event]:
        self.last = kind
        mark = self.mark if not role or self.mark is None else replace(self.mark, role=role)
        yield Event(kind, chapter, utterance, seconds, mark)

    def say(self, text: str, chapter: int, narration: Narration) -> Iterator[Event]:
        n = self.overrides.over(narration)
        assert n.voice is not None and n.rate is not None and n.volume is not None
        if self.last == "speech" and n.gap_s:
            yield from self.pause(n.gap_s, chapter)  # two lines in a row: a breath between them
        spoken = self.spoken.get(text) if self.respelled else text
        if spoken is None:  # each distinct line respelled once, however often it is said
            spoken = self.spoken[text] = respell(text, self.routine.pronunciations)
        yield from self.event("speech", chapter, Utterance(text, spoken, n.voice, n.rate, n.volume, n.engine or ""))

    def pause(self, seconds: float, chapter: int, role: PauseRole = "") -> Iterator[Event]:
        if seconds > 0:
            yield from self.event("pause", chapter, seconds=seconds, role=role)

    def steps(self, items: tuple[Step, ...], chapter: int, narration: Narration) -> Iterator[Event]:
        for step in items:
            if step.kind == "say":
                yield from self.say(step.text, chapter, narration)
                yield from self.pause(step.seconds, chapter)
            elif step.kind == "pause":
                yield from self.pause(step.seconds, chapter)
            else:
                yield from self.event("chime", chapter, seconds=step.seconds)

    def technique(self, t: Technique, chapter: int) -> Iterator[Event]:
        own = t.narration
        if own.engine is not None and own.voice is None and own.engine != self.base.engine:
            own = replace(own, voice=self.routine.language)  # another engine: its own voice for the language, not the routine's
        narration = own.over(self.base)
        if t.chime:
            yield from self.event("chime", chapter, seconds=DEFAULT_CHIME_S)
        if t.announce:
            yield from self.say(t.name if t.name.endswith((".", "!", "?")) else t.name + ".", chapter, narration)
        yield from self.steps(t.steps, chapter, narration)
        sides: list[str | None] = [None]
        if t.sides == "each":
            sides = [t.first_side, "left" if t.first_side == "right" else "right"]
        repeats = bool(repetition_cue(t, 1, self.speech) or t.hold_s or t.release or (t.rest_s and t.repetitions > 1))
        p, part = self.speech.for_part(t.body_part or self.routine.body_part)
        side_cues = (p.side_start if t.side_start is None else t.side_start, p.switch if t.switch is None else t.switch)
        for side_index, side in enumerate(sides):
            if side is not None:
                self.mark = Mark(0, t.repetitions, side, part=part.name)
                named = {"side": p.side(side), "part": part.noun, "parts": part.plural}
                yield from self.say(_fill(side_cues[side_index], **named), chapter, narration)
                if side_index and t.switch_hands:
                    yield from self.say(_fill(t.switch_hands, **named), chapter, narration)
                yield from self.pause(t.switch_pause_s if side_index else t.side_pause_s, chapter)  # time to move to that side
            for n in range(1, t.repetitions + 1 if repeats else 1):  # repetitions that make nothing take no time
                self.mark = Mark(n, t.repetitions, side, part=part.name if side else "")
                cue = repetition_cue(t, n, self.speech)
                if cue:
                    yield from self.say(cue, chapter, narration)
                yield from self.pause(t.hold_s, chapter, "hold")
                if t.release:
                    yield from self.say(t.release, chapter, narration)
                if n < t.repetitions:
                    yield from self.pause(t.rest_s, chapter, "rest")
        self.mark = None
        yield from self.pause(t.pause_after_s, chapter)


def repetition_cue(t: Technique, n: int, speech: Language) -> str:
    """What is said at repetition ``n`` of ``t`` in ``speech`` (empty: nothing). Counts are said as words."""
    if t.cue == "none" or (t.cue == "count" and t.repetitions == 1):
        return ""
    last = speech.phrases.last_cue if t.last_cue is None else t.last_cue
    plain = speech.phrases.count if t.cue == "count" else t.cue
    template = last if n == t.repetitions > 1 and last else plain
    return _fill(template, n=speech.numbers.words(n), total=speech.numbers.words(t.repetitions))


def _fill(template: str, **values: str) -> str:
    """``template`` with its placeholders filled; a line that starts with one starts with a capital."""
    text = template.format(**values)
    if template.startswith("{") and text:
        text = text[0].upper() + text[1:]
    return text


def utterances(events: list[Event]) -> list[Utterance]:
    """Each distinct utterance once, in order of first use."""
    return list(dict.fromkeys(e.utterance for e in events if e.utterance is not None))


def _top_narrator(routine: Routine, events: list[Event], said: Mapping[Utterance, Narrator]) -> Narrator | None:
    """The routine's own narrator: who says most of the opening and closing lines (else of all lines); ties: the first to speak."""
    own = (0, len(routine.techniques) + 1)  # the chapters no technique's narration reaches
    spoken = [(e.chapter, said[e.utterance]) for e in events if e.utterance is not None and e.utterance in said]
    counts = Counter(n for chapter, n in spoken if chapter in own) or Counter(n for _, n in spoken)
    return max(counts, key=lambda n: counts[n]) if counts else None


def build_plan(
    routine: Routine, events: list[Event], durations: Mapping[Utterance, float], narrators: Mapping[Utterance, Narrator] | None = None
) -> Plan:
    """Lay ``events`` on a timeline; ``durations`` gives each utterance's measured clip length in seconds,
    ``narrators`` who said it (recorded in the plan: the routine's own at the top, others per cue)."""
    said = narrators or {}
    titles = chapter_titles(routine)
    used = list(dict.fromkeys(e.chapter for e in events))  # chapters with something in them, in order
    position = {chapter: i for i, chapter in enumerate(used)}
    cues: list[Cue] = []
    now = 0.0
    passed: int | None = None  # the chapter of the routine in which the session passes the limit
    for e in events:
        length = durations[e.utterance] if e.utterance is not None else e.seconds
        who = said.get(e.utterance) if e.utterance is not None else None
        cues.append(Cue(e.kind, now, now + length, position[e.chapter], e.utterance, e.mark, who))
        now += length
        if passed is None and now > MAX_SESSION_S:
            passed = e.chapter
    chapters = []
    for i, chapter in enumerate(used):
        mine = [c for c in cues if c.chapter == i]
        chapters.append(Chapter(titles[chapter], mine[0].start_s, mine[-1].end_s))
    if passed is not None:
        raise RoutineLimitError([
            Problem(
                routine.source, chapter_line(routine, passed), 1,
                f"the session passes the {MAX_SESSION_S / 3600:.0f} h limit in this part (it would last {format_clock(now)})",
                "lower repetitions, holds or pauses here or before, or split the routine",
            )
        ])  # fmt: skip
    top = _top_narrator(routine, events, said)
    return Plan(routine.title, now, tuple(chapters), tuple(cues), routine.language, top)
