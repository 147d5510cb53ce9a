"""From checked YAML nodes to the routine model: every field read, bounded and located."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from voiceguide import registry
from voiceguide.language import PHRASE_FIELDS, PHRASE_KEYS, Language, known_languages, language
from voiceguide.registry import DEFAULT_BED
from voiceguide.routine.bodyparts import PartCheck, read_body_part, side_words
from voiceguide.routine.checks import Checker, describe, shown
from voiceguide.routine.extras import cover_file, music_file, pronunciations, published_time
from voiceguide.routine.limits import (
    MAX_NAME,
    MAX_PAUSE_S,
    MAX_SESSION_S,
    MAX_SPOKEN,
    MAX_TEXT,
    MIN_VOLUME,
    RATE_RANGE,
    REPETITIONS_RANGE,
    unsayable,
)  # fmt: skip
from voiceguide.routine.model import (
    DEFAULT_BODY_PART,
    DEFAULT_CHIME_LEVEL_DB,
    DEFAULT_CHIME_S,
    DEFAULT_LANGUAGE,
    DEFAULT_MUSIC_LEVEL_DB,
    DEFAULT_SIDE_PAUSE_S,
    DEFAULT_SWITCH_PAUSE_S,
    ROUTINE_NARRATION,
    Music,
    Narration,
    Routine,
    Step,
    Technique,
)
from voiceguide.routine.pronounce import respell
from voiceguide.routine.ranges import count_range, duration_range
from voiceguide.routine.slips import comment_in_speech, word_key
from voiceguide.routine.yamlsafe import scalar_value

CHIME_LEVEL_RANGE = (-40.0, 0.0)  # dB relative to the voice: a chime is never louder than the voice

ROOT_KEYS = (
    "title", "description", "author", "album", "year", "language", "phrases", "narration", "music", "cover",
    "pronunciations", "intro", "precautions", "techniques", "outro", "length", "body_part", "published", "explicit",
)  # fmt: skip
NARRATION_KEYS = ("engine", "voice", "rate", "volume", "gap")
MUSIC_KEYS = ("file", "level", "bed", "chime_level")
SWITCH_KEYS = ("say", "hands", "pause")
TECHNIQUE_KEYS = (
    "name", "steps", "repetitions", "cue", "last_cue", "hold", "rest", "release", "sides", "first_side",
    "side_start", "switch", "side_pause", "pause_after", "chime", "announce", "narration", "body_part",
)  # fmt: skip
STEP_KEYS = ("say", "pause", "chime")
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")


def build_routine(path: Path, root: Node, text: str = "") -> tuple[Routine | None, Checker]:
    """The routine ``root`` describes, and the checker holding every problem found (None if there are any).

    ``text``: the file's text, so that a problem can show the line as it should be written.
    """
    builder = _Builder(path, text)
    return builder.routine(root), builder.check


class _Builder:
    """Turns checked nodes into the model; missing parts become None and are reported."""

    def __init__(self, path: Path, text: str = "") -> None:
        self.path = path
        self.check = Checker(path, text)
        self.speech: Language = language(DEFAULT_LANGUAGE)  # the routine's language once read, with its own phrases
        self.respellings: tuple[tuple[str, str], ...] = ()  # the pronunciations, once read
        self.places: list[tuple[str, int, int]] = []  # see Routine.places
        self.parts = PartCheck(self.check, self.speech, DEFAULT_BODY_PART, None)  # set again once the routine's is read

    def mark(self, key: str, node: Node) -> None:
        self.places.append((key, node.start_mark.line + 1, node.start_mark.column + 1))

    def language(self, node: Node) -> str:
        c = self.check
        code = c.text(node, "language", max_len=20)
        if code is None:
            return DEFAULT_LANGUAGE
        if not _LANGUAGE.match(code):
            c.problem(node, f"language '{shown(code)}' is not a language code", "write a code such as en, en-us, de or fr")
            return DEFAULT_LANGUAGE
        try:
            self.speech = language(code)
        except LookupError:
            c.problem(
                node,
                f"language '{shown(code)}' is not one voiceguide speaks",
                f"use one of {', '.join(known_languages())} (a dialect such as de-ch uses its language's phrases)",
            )
            return DEFAULT_LANGUAGE
        return code.lower().replace("_", "-")

    def count_fields(self) -> dict[str, int]:
        """Placeholders a repetition cue may use and the longest text each becomes (counts are said as words)."""
        longest = self.speech.numbers.longest(REPETITIONS_RANGE[1])
        return {"n": longest, "total": longest}

    def side_fields(self) -> dict[str, int]:
        return side_words(self.speech)

    def phrases(self, node: Node) -> tuple[tuple[str, str], ...]:
        """The routine's own wording of built-in phrases; templates are checked once the side names are known."""
        c = self.check
        keys = c.mapping(node, "phrases", PHRASE_KEYS)
        plain = {k: c.text(v, f"phrase {k}", MAX_TEXT) for k, v in keys.items() if k not in PHRASE_FIELDS}
        self.speech = self.speech.with_phrases({k: v for k, v in plain.items() if v is not None})
        longest = {**self.count_fields(), **self.side_fields()}
        templates = {
            k: c.template(v, f"phrase {k}", {f: longest[f] for f in PHRASE_FIELDS[k]}, MAX_TEXT)
            for k, v in keys.items()
            if k in PHRASE_FIELDS
        }
        found = {**plain, **templates}
        return tuple((k, v) for k in keys if (v := found[k]) is not None)

    def routine(self, root: Node) -> Routine | None:
        c = self.check
        keys = c.mapping(root, "the routine", ROOT_KEYS, required=("title", "techniques"))
        if not keys:
            return None
        title = c.text(keys["title"], "title", max_len=MAX_NAME) if "title" in keys else None
        description = c.text(keys["description"], "description", max_len=4000, allow_empty=True) if "description" in keys else ""
        author = c.text(keys["author"], "author", max_len=MAX_NAME, allow_empty=True) if "author" in keys else ""
        album = c.text(keys["album"], "album", max_len=MAX_NAME, allow_empty=True) if "album" in keys else ""
        year = c.integer(keys["year"], "year", 1900, 2100) if "year" in keys else None
        published = published_time(c, keys["published"]) if "published" in keys else None
        explicit = bool(c.boolean(keys["explicit"], "explicit")) if "explicit" in keys else False
        language = self.language(keys["language"]) if "language" in keys else DEFAULT_LANGUAGE
        if "language" in keys:
            self.mark("language", keys["language"])
        phrases = self.phrases(keys["phrases"]) if "phrases" in keys else ()
        self.speech = self.speech.with_phrases(dict(phrases))
        narration = self.narration(keys["narration"], "narration", "narration") if "narration" in keys else Narration()
        base = narration.over(ROUTINE_NARRATION)
        music = self.music(keys["music"]) if "music" in keys else Music()
        cover = cover_file(self.check, self.path, keys["cover"]) if "cover" in keys else None
        if "cover" in keys:
            self.mark("cover", keys["cover"])
        pronunciations = self.pronunciations(keys["pronunciations"]) if "pronunciations" in keys else ()
        length = self.length(keys["length"]) if "length" in keys else None
        part = read_body_part(c, keys["body_part"], "body_part") if "body_part" in keys else None
        self.parts = PartCheck(c, self.speech, part or DEFAULT_BODY_PART, keys.get("body_part") if part else None)
        intro = self.steps(keys["intro"], "intro") if "intro" in keys else ()
        precautions = self.steps(keys["precautions"], "precautions") if "precautions" in keys else ()
        outro = self.steps(keys["outro"], "outro") if "outro" in keys else ()
        techniques: list[Technique] = []
        if "techniques" in keys:
            items = c.sequence(keys["techniques"], "techniques")
            if not items and isinstance(keys["techniques"], SequenceNode):
                c.problem(keys["techniques"], "techniques is an empty list", "add at least one technique with a name and steps")
            for number, item in enumerate(items, start=1):
                technique = self.technique(item, number)
                if technique is not None:
                    techniques.append(technique)
        if title is None or c.problems:
            return None
        return Routine(
            name=self.path.stem, source=self.path, title=title, description=description or "", author=author or "", album=album or "", year=year,
            language=language, narration=base, music=music, cover=cover, intro=intro, precautions=precautions,
            techniques=tuple(techniques), outro=outro, pronunciations=pronunciations, phrases=phrases, places=tuple(self.places),
            length_s=length, body_part=part or DEFAULT_BODY_PART, published=published, explicit=explicit,
        )  # fmt: skip

    def length(self, node: Node) -> float | None:
        """length: the session's length when fitted (voiceguide.plan.fit), more than 0 and at most the session limit."""
        seconds = self.check.duration(node, "length", MAX_SESSION_S)
        if seconds == 0:
            self.check.problem(node, "length is 0s", "write the session's length, such as 20m, or remove the line")
            return None
        return seconds

    def narration(self, node: Node, where: str, key: str) -> Narration:
        c = self.check
        keys = c.mapping(node, where, NARRATION_KEYS)
        for name in ("engine", "voice", "rate"):
            if name in keys:
                self.mark(f"{key}.{name}", keys[name])
        engine = c.choice(keys["engine"], f"{where} engine", registry.engine_names()) if "engine" in keys else None
        voice = c.text(keys["voice"], f"{where} voice", max_len=100) if "voice" in keys else None
        rate = c.integer(keys["rate"], f"{where} rate (words per minute)", *RATE_RANGE) if "rate" in keys else None
        volume = c.number(keys["volume"], f"{where} volume", MIN_VOLUME, 1.0) if "volume" in keys else None
        gap = c.duration(keys["gap"], f"{where} gap", max_s=10.0) if "gap" in keys else None
        return Narration(voice, rate, volume, gap, engine)

    def music(self, node: Node) -> Music:
        c = self.check
        line = node.start_mark.line + 1
        if isinstance(node, ScalarNode):
            value = scalar_value(node)
            if value is False or value == "none":
                return Music("none", line=line)
            if value == "builtin":
                return Music("builtin", line=line)
            if isinstance(value, str) and value.strip():
                name = c.text(node, "music file", max_len=4096)
                return Music("file", music_file(self.check, self.path, node, name) if name else None, line=line)
            c.problem(node, f"music is {describe(node)}", "write music: none, music: builtin, or music: with file: and level: below it")
            return Music()
        keys = c.mapping(node, "music", MUSIC_KEYS)
        level = c.number(keys["level"], "music level", -60.0, 0.0, " dB") if "level" in keys else None
        chime = c.number(keys["chime_level"], "music chime_level", *CHIME_LEVEL_RANGE, " dB") if "chime_level" in keys else None
        bed = c.choice(keys["bed"], "music bed", (*registry.bed_names(), "none")) if "bed" in keys else None
        if "file" in keys and "bed" in keys:
            c.problem(keys["bed"], "music has both file: and bed:", "keep file: for your own music, or bed: for a generated one")
        path = None
        if "file" in keys:
            name = c.text(keys["file"], "music file", max_len=4096)
            path = music_file(self.check, self.path, keys["file"], name) if name else None
        return Music(
            "file" if "file" in keys else "none" if bed == "none" else "builtin",
            path,
            DEFAULT_MUSIC_LEVEL_DB if level is None else level,
            line,
            bed=DEFAULT_BED if bed is None or bed == "none" else bed,
            chime_level_db=DEFAULT_CHIME_LEVEL_DB if chime is None else chime,
        )

    def pronunciations(self, node: Node) -> tuple[tuple[str, str], ...]:
        self.respellings = pronunciations(self.check, node)
        return self.respellings

    def steps(self, node: Node, where: str) -> tuple[Step, ...]:
        c = self.check
        items = c.sequence(node, where)
        out: list[Step] = []
        for index, item in enumerate(items, start=1):
            step = self.step(item, f"{where} item {index}")
            if step:
                out.extend(step)
        return tuple(out)

    def step(self, node: Node, where: str) -> list[Step]:
        c = self.check
        line = node.start_mark.line + 1
        if isinstance(node, ScalarNode):
            text = self.said(node, where)
            return [Step("say", text, line=line)] if text else []
        if not isinstance(node, MappingNode):
            c.problem(
                node,
                f"{where} should be words to say or one of say:, pause:, chime:, got {describe(node)}",
                "write '- Some words.' or '- pause: 3s'",
            )
            return []
        slip = word_key(c.lines, node, STEP_KEYS)
        if slip:
            c.problem(node, *slip)
            return []
        keys = c.mapping(node, where, STEP_KEYS)
        if not keys:
            if not node.value:
                c.problem(node, f"{where} is empty", "write '- Some words.', '- pause: 3s' or '- chime: true'")
            return []
        if "chime" in keys and len(keys) > 1:
            c.problem(node, f"{where} mixes chime with {', '.join(k for k in keys if k != 'chime')}", "put the chime in its own step")
            return []
        if "chime" in keys:
            value = scalar_value(keys["chime"]) if isinstance(keys["chime"], ScalarNode) else None
            if value is True:
                return [Step("chime", seconds=DEFAULT_CHIME_S, line=line)]
            seconds = c.duration(keys["chime"], f"{where} chime", max_s=60.0)
            if seconds is not None and seconds < 0.5:
                c.problem(keys["chime"], f"{where} chime is too short", "write chime: true, or a length from 0.5s to 60s")
                return []
            return [Step("chime", seconds=seconds, line=line)] if seconds else []
        pause, bounds = duration_range(c, keys["pause"], f"{where} pause", MAX_PAUSE_S) if "pause" in keys else (0.0, None)
        if "say" in keys:
            text = self.said(keys["say"], f"{where} say")
            return [Step("say", text, pause or 0.0, line, bounds)] if text else []
        return [Step("pause", seconds=pause or 0.0, line=line, pause_range=bounds)]

    def said(self, node: Node, where: str) -> str | None:
        """A line to say: text with something to say, not grown past ``MAX_SPOKEN`` by the pronunciations."""
        text = self.check.text(node, where, MAX_TEXT)
        if text is None:
            return None
        slip = comment_in_speech(self.check.lines, node) if isinstance(node, ScalarNode) else None
        if slip:
            self.check.problem(node, *slip)
            return None
        spoken = respell(text, self.respellings)
        why = unsayable(spoken)
        if why == "silent":
            respelled = " once respelled" if spoken != text else ""
            self.check.problem(
                node, f"{where} has nothing to say (no letters or digits{respelled})", "write words, or use pause: for silence"
            )
            return None
        if why == "long":
            self.check.problem(
                node, f"{where} is {len(spoken):,} characters long once respelled, more than {MAX_SPOKEN:,}",
                "shorten the pronunciations it uses, or split the line",
            )  # fmt: skip
            return None
        return text

    def technique(self, node: Node, number: int) -> Technique | None:
        c = self.check
        where = f"technique {number}"
        keys = c.mapping(node, where, TECHNIQUE_KEYS, required=("name",))
        if not keys:
            return None
        name = c.text(keys["name"], f"{where} name", max_len=MAX_NAME) if "name" in keys else None
        if name:
            where = f"technique '{name}'"
        steps = self.steps(keys["steps"], f"{where} steps") if "steps" in keys else ()
        opt = _Optional(keys)
        repetitions, repetitions_range = (
            count_range(c, keys["repetitions"], f"{where} repetitions", *REPETITIONS_RANGE) if "repetitions" in keys else (1, None)
        )
        spans = {
            key: duration_range(c, keys[key], f"{where} {key}", MAX_PAUSE_S) if key in keys else (0.0, None)
            for key in ("hold", "rest", "pause_after")
        }
        cue, last_cue = self.cues(keys, where)
        switch, hands, switch_pause = self.switch(keys["switch"], f"{where} switch") if "switch" in keys else (None, None, None)
        technique = Technique(
            name=name or "",
            steps=steps,
            repetitions=repetitions or 1,
            cue=cue,
            last_cue=last_cue,
            hold_s=spans["hold"][0] or 0.0,
            rest_s=spans["rest"][0] or 0.0,
            release=opt(lambda n: self.release(n, f"{where} release"), "release", None),
            sides=opt(lambda n: c.choice(n, f"{where} sides", ("once", "each")), "sides", "once"),
            first_side=opt(lambda n: c.choice(n, f"{where} first_side", ("right", "left")), "first_side", "right"),
            side_start=opt(lambda n: c.template(n, f"{where} side_start", self.side_fields(), MAX_TEXT), "side_start", None),
            side_pause_s=opt(lambda n: c.duration(n, f"{where} side_pause", 60.0), "side_pause", DEFAULT_SIDE_PAUSE_S),
            switch=switch,
            switch_hands=hands,
            # the switch's own pause:, else a side_pause given for both feet, else the time it takes to change feet
            switch_pause_s=opt(lambda n: c.duration(n, f"{where} side_pause", 60.0), "side_pause", DEFAULT_SWITCH_PAUSE_S)
            if switch_pause is None
            else switch_pause,
            pause_after_s=spans["pause_after"][0] or 0.0,
            chime=opt(lambda n: c.boolean(n, f"{where} chime"), "chime", False),
            announce=opt(lambda n: c.boolean(n, f"{where} announce"), "announce", True),
            narration=self.narration(keys["narration"], f"{where} narration", f"techniques.{number}.narration")
            if "narration" in keys
            else Narration(),
            line=node.start_mark.line + 1,
            repetitions_range=repetitions_range,
            hold_range=spans["hold"][1],
            rest_range=spans["rest"][1],
            pause_after_range=spans["pause_after"][1],
            body_part=opt(lambda n: read_body_part(c, n, f"{where} body_part"), "body_part", None),
        )
        self.parts(technique, keys.get("body_part") if technique.body_part else None)
        if not technique.steps and technique.cue == "none" and not technique.announce:
            c.problem(node, f"{where} says nothing", "add steps, a repetition cue or announce: true")
        return technique

    def cues(self, keys: dict[str, Node], where: str) -> tuple[str, str | None]:
        """A technique's repetition cue and its last cue (None: the language's)."""
        c = self.check
        cue_node = keys.get("cue")
        cue = "count"
        if cue_node is not None:
            cue = c.template(cue_node, f"{where} cue", self.count_fields(), MAX_TEXT) or "count"
        last_cue = _Optional(keys)(lambda n: c.template(n, f"{where} last_cue", self.count_fields(), MAX_TEXT), "last_cue", None)
        if cue_node is not None and "last_cue" not in keys and cue not in ("count", "none"):
            last_cue = ""  # a custom cue is used as written for every repetition
        return cue, last_cue

    def switch(self, node: Node, where: str) -> tuple[str | None, str | None, float | None]:
        """The switch cue: words (a template with {side}), or say:, hands: (where the hands go now) and pause: (time to change feet)."""
        c = self.check
        if not isinstance(node, MappingNode):
            return c.template(node, where, self.side_fields(), MAX_TEXT), None, None
        keys = c.mapping(node, where, SWITCH_KEYS)
        say = c.template(keys["say"], f"{where} say", self.side_fields(), MAX_TEXT) if "say" in keys else None
        hands = c.template(keys["hands"], f"{where} hands", self.side_fields(), MAX_TEXT) if "hands" in keys else None
        pause = c.duration(keys["pause"], f"{where} pause", 60.0) if "pause" in keys else None
        return say, hands, pause

    def release(self, node: Node, where: str) -> str | None:
        """Words said at the end of each hold: written out, or ``true`` for the language's own."""
        if isinstance(node, ScalarNode) and scalar_value(node) is True:
            return self.speech.phrases.release
        return self.check.text(node, where, MAX_TEXT)


class _Optional:
    """Reads an optional key with a checker function, falling back to a default."""

    def __init__(self, keys: dict[str, Node]) -> None:
        self.keys = keys

    def __call__(self, read: Any, key: str, default: Any) -> Any:
        if key not in self.keys:
            return default
        value = read(self.keys[key])
        return default if value is None else value
