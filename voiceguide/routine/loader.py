"""Loading a routine file: read it safely, check every field in one pass, build the model."""

from __future__ import annotations

import os
import re
from importlib import resources
from pathlib import Path

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from voiceguide.errors import Problem, RoutineError
from voiceguide.routine.checks import Checker, describe
from voiceguide.routine.model import (
    DEFAULT_CHIME_S,
    DEFAULT_GAP_S,
    DEFAULT_SIDE_PAUSE_S,
    DEFAULT_LAST_CUE,
    DEFAULT_MUSIC_LEVEL_DB,
    DEFAULT_RATE,
    DEFAULT_SIDE_START,
    DEFAULT_SWITCH,
    DEFAULT_VOLUME,
    Music,
    Narration,
    Routine,
    Step,
    Technique,
)
from voiceguide.routine.yamlsafe import YamlReject, compose, scalar_value

MAX_FILE_BYTES = 1024 * 1024
MAX_TEXT = 1000
MAX_PAUSE_S = 2 * 3600.0
RATE_RANGE = (80, 450)
REPETITIONS_RANGE = (1, 1000)

ROOT_KEYS = ("title", "description", "author", "album", "year", "language", "narration", "music", "cover", "pronunciations", "intro", "precautions", "techniques", "outro")
NARRATION_KEYS = ("voice", "rate", "volume", "gap")
MUSIC_KEYS = ("file", "level")
TECHNIQUE_KEYS = (
    "name", "steps", "repetitions", "cue", "last_cue", "hold", "rest", "release", "sides", "first_side",
    "side_start", "switch", "side_pause", "pause_after", "chime", "announce", "narration",
)  # fmt: skip
STEP_KEYS = ("say", "pause", "chime")
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")
_IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")


def read_text(path: Path) -> str:
    """The file's text, or a RoutineError saying why it cannot be a routine."""

    def fail(message: str, hint: str, line: int = 1, column: int = 1) -> RoutineError:
        return RoutineError([Problem(path, line, column, message, hint)])

    try:
        if path.is_dir():
            raise fail("this is a folder, not a routine file", "name a .yaml file inside it")
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise fail(f"the file is {size / 1048576:.1f} MiB; routines are at most 1 MiB", "is this the right file? split very long routines")
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise fail("no such file", "check the path; 'voiceguide list' shows the built-in routines") from None
    except PermissionError:
        raise fail("the file cannot be read (permission denied)", "check its permissions") from None
    except OSError as err:
        raise fail(f"the file cannot be read ({err.strerror or err})", "check the path") from None
    if b"\0" in data:
        raise fail("this is a binary file, not a routine", "a routine is a YAML text file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        before = data[: err.start]
        line = before.count(b"\n") + 1
        column = err.start - (before.rfind(b"\n") + 1) + 1
        raise fail("the file is not UTF-8 text", "save it as UTF-8 in your editor", line, column) from None
    text = text.removeprefix("\ufeff")
    if not text.strip() or all(not ln.strip() or ln.lstrip().startswith("#") for ln in text.splitlines()):
        raise fail("the file is empty", "a routine needs at least a title and one technique; see the README for the format")
    return text


def load_routine(path: Path | str) -> Routine:
    """Read and check a routine file; raise RoutineError listing every problem found."""
    path = Path(path)
    text = read_text(path)
    try:
        root = compose(text)
    except YamlReject as err:
        raise RoutineError([Problem(path, err.line, err.column, err.message, err.hint)]) from None
    except yaml.MarkedYAMLError as err:
        what = (err.problem or err.context or "invalid YAML").strip()
        hint = _yaml_hint(what)
        mark = err.problem_mark or err.context_mark
        if "end of stream" in what and err.context_mark is not None:
            mark = err.context_mark  # point at what was left open, not at the end of the file
            what = f"{(err.context or '').strip()} that is never closed"
            hint = "close the quote or bracket that starts here"
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise RoutineError([Problem(path, line, column, f"this is not valid YAML: {what}", hint)]) from None
    except (yaml.YAMLError, RecursionError) as err:
        raise RoutineError([Problem(path, 1, 1, f"this is not valid YAML: {err}", "check the indentation and quoting")]) from None
    if root is None:
        raise RoutineError([Problem(path, 1, 1, "the file is empty", "a routine needs at least a title and one technique")])
    builder = _Builder(path)
    routine = builder.routine(root)
    if builder.check.problems or routine is None:
        raise RoutineError(builder.check.problems)
    return routine


def _yaml_hint(what: str) -> str:
    if "tab" in what:
        return "indent with spaces, not tabs"
    if "mapping values are not allowed" in what:
        return "put text containing ': ' in quotes"
    if "expected <block end>" in what or "indentation" in what:
        return "line up the keys of one level at the same indentation"
    if "found character" in what or "found unexpected" in what:
        return "put the text in quotes"
    return "check the indentation and quoting near this place"


class _Builder:
    """Turns checked nodes into the model; missing parts become None and are reported."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.check = Checker(path)

    def routine(self, root: Node) -> Routine | None:
        c = self.check
        keys = c.mapping(root, "the routine", ROOT_KEYS, required=("title", "techniques"))
        if not keys:
            return None
        title = c.text(keys["title"], "title", max_len=200) if "title" in keys else None
        description = c.text(keys["description"], "description", max_len=4000, allow_empty=True) if "description" in keys else ""
        author = c.text(keys["author"], "author", max_len=200, allow_empty=True) if "author" in keys else ""
        album = c.text(keys["album"], "album", max_len=200, allow_empty=True) if "album" in keys else ""
        year = c.integer(keys["year"], "year", 1900, 2100) if "year" in keys else None
        language = "en"
        if "language" in keys:
            lang = c.text(keys["language"], "language", max_len=20)
            if lang is not None and not _LANGUAGE.match(lang):
                c.problem(keys["language"], f"language '{lang}' is not a language code", "write a code such as en, en-us, de or fr")
            language = (lang or "en").lower()
        narration = self.narration(keys["narration"], "narration") if "narration" in keys else Narration()
        base = narration.over(Narration(None, DEFAULT_RATE, DEFAULT_VOLUME, DEFAULT_GAP_S))
        music = self.music(keys["music"]) if "music" in keys else Music()
        cover = self.cover(keys["cover"]) if "cover" in keys else None
        pronunciations = self.pronunciations(keys["pronunciations"]) if "pronunciations" in keys else ()
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
            techniques=tuple(techniques), outro=outro, pronunciations=pronunciations,
        )  # fmt: skip

    def narration(self, node: Node, where: str) -> Narration:
        c = self.check
        keys = c.mapping(node, where, NARRATION_KEYS)
        voice = c.text(keys["voice"], f"{where} voice", max_len=100) if "voice" in keys else None
        rate = c.integer(keys["rate"], f"{where} rate (words per minute)", *RATE_RANGE) if "rate" in keys else None
        volume = c.number(keys["volume"], f"{where} volume", 0.0, 1.0) if "volume" in keys else None
        gap = c.duration(keys["gap"], f"{where} gap", max_s=10.0) if "gap" in keys else None
        return Narration(voice, rate, volume, gap)

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
                return Music("file", self.music_path(node, value), line=line)
            c.problem(node, f"music is {describe(node)}", "write music: none, music: builtin, or music: with file: and level: below it")
            return Music()
        keys = c.mapping(node, "music", MUSIC_KEYS)
        level = c.number(keys["level"], "music level", -60.0, 0.0, " dB") if "level" in keys else None
        path = None
        if "file" in keys:
            name = c.text(keys["file"], "music file", max_len=4096)
            path = self.music_path(keys["file"], name) if name else None
        return Music("file" if "file" in keys else "builtin", path, DEFAULT_MUSIC_LEVEL_DB if level is None else level, line)

    def music_path(self, node: Node, name: str) -> Path | None:
        if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", name) or name.startswith(("data:", "concat:", "subfile,")):
            self.check.problem(node, f"music '{name}' is not a local file", "download it and name the file path instead")
            return None
        path = (self.path.parent / os.path.expanduser(name)).resolve()
        if not path.exists():
            self.check.problem(node, f"music file '{name}' does not exist (looked for {path})", "paths are relative to the routine file; check the name")
            return None
        if not path.is_file():
            self.check.problem(node, f"music '{name}' is not a file", "name an audio file such as music.mp3")
            return None
        return path

    def cover(self, node: Node) -> Path | None:
        name = self.check.text(node, "cover", max_len=4096)
        if name is None:
            return None
        path = (self.path.parent / os.path.expanduser(name)).resolve()
        if path.suffix.lower() not in _IMAGE_SUFFIXES:
            self.check.problem(node, f"cover '{name}' is not a JPEG or PNG image", "name a .jpg or .png file")
        elif not path.is_file():
            self.check.problem(node, f"cover image '{name}' does not exist (looked for {path})", "paths are relative to the routine file")
        else:
            return path
        return None

    def pronunciations(self, node: Node) -> tuple[tuple[str, str], ...]:
        c = self.check
        if not isinstance(node, MappingNode):
            c.problem(node, f"pronunciations should be a mapping of word: how to say it, got {describe(node)}", "write lines like  plantar: plan tar")
            return ()
        pairs: dict[str, tuple[str, str]] = {}
        for key_node, value_node in node.value:
            word = c.text(key_node, "a pronounced word", max_len=100)
            say = c.text(value_node, f"the pronunciation of '{word}'", max_len=200)
            if word is None or say is None:
                continue
            if word.lower() in pairs:
                c.problem(key_node, f"'{word}' appears twice in pronunciations", "keep one of them")
                continue
            pairs[word.lower()] = (word, say)
        return tuple(pairs.values())

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
            text = c.text(node, where, MAX_TEXT)
            return [Step("say", text, line=line)] if text else []
        if not isinstance(node, MappingNode):
            c.problem(node, f"{where} should be words to say or one of say:, pause:, chime:, got {describe(node)}", "write '- Some words.' or '- pause: 3s'")
            return []
        keys = c.mapping(node, where, STEP_KEYS)
        if not keys:
            if isinstance(node, MappingNode) and not node.value:
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
        pause = c.duration(keys["pause"], f"{where} pause", MAX_PAUSE_S) if "pause" in keys else 0.0
        if "say" in keys:
            text = c.text(keys["say"], f"{where} say", MAX_TEXT)
            return [Step("say", text, pause or 0.0, line)] if text else []
        return [Step("pause", seconds=pause or 0.0, line=line)]

    def technique(self, node: Node, number: int) -> Technique | None:
        c = self.check
        where = f"technique {number}"
        keys = c.mapping(node, where, TECHNIQUE_KEYS, required=("name",))
        if not keys:
            return None
        name = c.text(keys["name"], f"{where} name", max_len=200) if "name" in keys else None
        if name:
            where = f"technique '{name}'"
        steps = self.steps(keys["steps"], f"{where} steps") if "steps" in keys else ()
        opt = _Optional(keys)
        repetitions = opt(lambda n: c.integer(n, f"{where} repetitions", *REPETITIONS_RANGE), "repetitions", 1)
        cue_node = keys.get("cue")
        cue = "count"
        if cue_node is not None:
            cue = c.template(cue_node, f"{where} cue", ("n", "total")) or "count"
        last_cue = opt(lambda n: c.template(n, f"{where} last_cue", ("n", "total")), "last_cue", DEFAULT_LAST_CUE)
        if cue_node is not None and "last_cue" not in keys and cue not in ("count", "none"):
            last_cue = None  # a custom cue is used as written for every repetition
        technique = Technique(
            name=name or "",
            steps=steps,
            repetitions=repetitions,
            cue=cue,
            last_cue=last_cue,
            hold_s=opt(lambda n: c.duration(n, f"{where} hold", MAX_PAUSE_S), "hold", 0.0),
            rest_s=opt(lambda n: c.duration(n, f"{where} rest", MAX_PAUSE_S), "rest", 0.0),
            release=opt(lambda n: c.text(n, f"{where} release", MAX_TEXT), "release", None),
            sides=opt(lambda n: c.choice(n, f"{where} sides", ("once", "each")), "sides", "once"),
            first_side=opt(lambda n: c.choice(n, f"{where} first_side", ("right", "left")), "first_side", "right"),
            side_start=opt(lambda n: c.template(n, f"{where} side_start", ("side",)), "side_start", DEFAULT_SIDE_START),
            switch=opt(lambda n: c.template(n, f"{where} switch", ("side",)), "switch", DEFAULT_SWITCH),
            side_pause_s=opt(lambda n: c.duration(n, f"{where} side_pause", 60.0), "side_pause", DEFAULT_SIDE_PAUSE_S),
            pause_after_s=opt(lambda n: c.duration(n, f"{where} pause_after", MAX_PAUSE_S), "pause_after", 0.0),
            chime=opt(lambda n: c.boolean(n, f"{where} chime"), "chime", False),
            announce=opt(lambda n: c.boolean(n, f"{where} announce"), "announce", True),
            narration=self.narration(keys["narration"], f"{where} narration") if "narration" in keys else Narration(),
            line=node.start_mark.line + 1,
        )
        if not technique.steps and technique.cue == "none" and not technique.announce:
            c.problem(node, f"{where} says nothing", "add steps, a repetition cue or announce: true")
        return technique


class _Optional:
    """Reads an optional key with a checker function, falling back to a default."""

    def __init__(self, keys: dict[str, Node]) -> None:
        self.keys = keys

    def __call__(self, read, key, default):  # type: ignore[no-untyped-def]
        if key not in self.keys:
            return default
        value = read(self.keys[key])
        return default if value is None else value


def builtin_routines() -> dict[str, Path]:
    """The routines shipped with voiceguide, by name (file stem)."""
    folder = resources.files("voiceguide").joinpath("routines")
    found: dict[str, Path] = {}
    for entry in folder.iterdir():
        if entry.name.endswith(".yaml"):
            found[entry.name[: -len(".yaml")]] = Path(str(entry))
    return dict(sorted(found.items()))


def find_routine(name_or_path: str) -> Path:
    """A routine file path from a path or a built-in routine's name."""
    path = Path(name_or_path)
    if path.exists() or path.suffix in (".yaml", ".yml") or os.sep in name_or_path:
        return path
    builtins = builtin_routines()
    if name_or_path in builtins:
        return builtins[name_or_path]
    import difflib

    close = difflib.get_close_matches(name_or_path, list(builtins), n=1)
    hint = f"did you mean '{close[0]}'?" if close else "'voiceguide list' shows the built-in routines"
    raise RoutineError([Problem(name_or_path, 1, 1, "no such routine file or built-in routine", hint)])
