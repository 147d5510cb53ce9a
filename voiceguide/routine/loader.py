"""Loading a routine file: read it safely, check every field in one pass, build the model."""

from __future__ import annotations

import os
import re
import stat
from importlib import resources
from pathlib import Path

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.reader import ReaderError

from voiceguide.durations import format_duration
from voiceguide.errors import LimitError, Problem, RoutineError
from voiceguide.numbers import number_words
from voiceguide.routine.checks import Checker, describe, shown
from voiceguide.routine.model import (
    DEFAULT_CHIME_S,
    DEFAULT_GAP_S,
    DEFAULT_LAST_CUE,
    DEFAULT_MUSIC_LEVEL_DB,
    DEFAULT_RATE,
    DEFAULT_SIDE_PAUSE_S,
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
MAX_COVER_BYTES = 16 * 1024 * 1024
RATE_RANGE = (80, 450)
REPETITIONS_RANGE = (1, 1000)

ROOT_KEYS = (
    "title",
    "description",
    "author",
    "album",
    "year",
    "language",
    "narration",
    "music",
    "cover",
    "pronunciations",
    "intro",
    "precautions",
    "techniques",
    "outro",
)
NARRATION_KEYS = ("voice", "rate", "volume", "gap")
MUSIC_KEYS = ("file", "level")
TECHNIQUE_KEYS = (
    "name", "steps", "repetitions", "cue", "last_cue", "hold", "rest", "release", "sides", "first_side",
    "side_start", "switch", "side_pause", "pause_after", "chime", "announce", "narration",
)  # fmt: skip
STEP_KEYS = ("say", "pause", "chime")
# Placeholders a cue may use and the longest text each becomes (counts are said as words).
_COUNT_FIELDS = {"n": max(len(number_words(n)) for n in range(1, REPETITIONS_RANGE[1] + 1)), "total": len(str(REPETITIONS_RANGE[1]))}
_SIDE_FIELDS = {"side": max(len("right"), len("left"))}
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")
_IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")


def read_text(path: Path) -> str:
    """The file's text, or a RoutineError saying why it cannot be a routine.

    Only regular files are read: a FIFO, a device or a socket is refused before it is
    opened (a FIFO nobody writes would block forever), and the file is opened without
    blocking in case it is swapped for one in between.
    """

    def fail(message: str, hint: str, line: int = 1, column: int = 1) -> RoutineError:
        return RoutineError([Problem(path, line, column, message, hint)])

    try:
        kind = _not_a_regular_file(os.stat(path).st_mode)
        if kind == "a folder":
            raise fail("this is a folder, not a routine file", "name a .yaml file inside it")
        if kind:
            raise fail(f"this is {kind}, not a routine file", "save the routine as a file and name that file")
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
        try:
            info = os.fstat(fd)
            if _not_a_regular_file(info.st_mode):
                raise fail("this is not a regular file", "save the routine as a file and name that file")
            if info.st_size > MAX_FILE_BYTES:
                raise fail(
                    f"the file is {info.st_size / 1048576:.1f} MiB; routines are at most 1 MiB",
                    "is this the right file? split very long routines",
                )
            data = _read_at_most(fd, MAX_FILE_BYTES + 1)
        finally:
            os.close(fd)
    except (FileNotFoundError, NotADirectoryError):
        raise fail("no such file", "check the path; 'voiceguide list' shows the built-in routines") from None
    except PermissionError:
        raise fail("the file cannot be read (permission denied)", "check its permissions") from None
    except OSError as err:
        raise fail(f"the file cannot be read ({err.strerror or err})", "check the path") from None
    except ValueError:  # a NUL in the name
        raise fail("this is not a valid file name", "check the path") from None
    if len(data) > MAX_FILE_BYTES:  # grew while being read
        raise fail("the file is larger than 1 MiB; routines are at most 1 MiB", "is this the right file? split very long routines")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise fail("the file is UTF-16 text", "save it as UTF-8 in your editor")
    if b"\0" in data:
        raise fail("this is a binary file, not a routine", "a routine is a YAML text file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        before = data[: err.start]
        line = before.count(b"\n") + 1
        column = len(before[before.rfind(b"\n") + 1 :].decode("utf-8", "replace")) + 1
        raise fail("the file is not UTF-8 text", "save it as UTF-8 in your editor", line, column) from None
    text = text.removeprefix("\ufeff")
    if not text.strip() or all(not ln.strip() or ln.lstrip().startswith("#") for ln in text.splitlines()):
        raise fail("the file is empty", "a routine needs at least a title and one technique; see the README for the format")
    return text


def _not_a_regular_file(mode: int) -> str:
    """What a file of this mode is, if not a regular file ("" if it is one)."""
    if stat.S_ISREG(mode):
        return ""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def _read_at_most(fd: int, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while size < limit:
        chunk = os.read(fd, min(1 << 20, limit - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


_LINE_BREAK = re.compile("\r\n|[\n\r\x85\u2028\u2029]")  # what YAML counts as a line break


def _line_column(text: str, position: int) -> tuple[int, int]:
    """1-based line and column of a character position, counting lines as YAML does."""
    line, start = 1, 0
    for match in _LINE_BREAK.finditer(text, 0, position):
        line, start = line + 1, match.end()
    return line, position - start + 1


_OPENED = {"a quoted scalar": "a quoted text", "a flow sequence": "a [ list", "a flow mapping": "a { mapping"}


def _one_line(text: str) -> str:
    return " ".join(text.split())


def load_routine(path: Path | str) -> Routine:
    """Read and check a routine file; raise RoutineError listing every problem found."""
    path = Path(path)
    text = read_text(path)
    try:
        root = compose(text)
    except YamlReject as err:
        raise RoutineError([Problem(path, err.line, err.column, err.message, err.hint)]) from None
    except ReaderError as err:
        line, column = _line_column(text, err.position)
        code = err.character if isinstance(err.character, int) else ord(str(err.character)[:1] or "?")
        message = f"the file contains the character U+{code:04X}, which YAML does not allow"
        raise RoutineError(
            [Problem(path, line, column, message, "remove it (inside double quotes, write control characters as \\t or \\n)")]
        ) from None
    except yaml.MarkedYAMLError as err:
        what = _one_line(err.problem or err.context or "invalid YAML")
        hint = _yaml_hint(what)
        mark = err.problem_mark or err.context_mark
        if ("end of stream" in what or "<stream end>" in what) and err.context_mark is not None:
            mark = err.context_mark  # point at what was left open, not at the end of the file
            opened = _one_line(err.context or "").removeprefix("while scanning ").removeprefix("while parsing ")
            what = f"{_OPENED.get(opened, opened)} that is never closed"
            hint = "close the quote or bracket that starts here"
        if "found another document" in what:
            what, hint = "a second document starts here", "a routine is one YAML document: remove this '---' line, or split the file in two"
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise RoutineError([Problem(path, line, column, f"this is not valid YAML: {what}", hint)]) from None
    except (yaml.YAMLError, RecursionError) as err:
        raise RoutineError(
            [Problem(path, 1, 1, f"this is not valid YAML: {_one_line(str(err))}", "check the indentation and quoting")]
        ) from None
    if root is None:
        raise RoutineError([Problem(path, 1, 1, "the file is empty", "a routine needs at least a title and one technique")])
    builder = _Builder(path)
    routine = builder.routine(root)
    if builder.check.problems or routine is None:
        raise RoutineError(builder.check.problems)
    size_problem = session_size_problem(routine)
    if size_problem is not None:
        raise RoutineLimitError([size_problem])
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
                name = c.text(node, "music file", max_len=4096)
                return Music("file", self.music_path(node, name) if name else None, line=line)
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
            self.check.problem(node, f"music '{shown(name, 80)}' is not a local file", "download it and name the file path instead")
            return None
        return self.local_file(node, name, "music", "name an audio file such as music.mp3")

    def local_file(self, node: Node, name: str, what: str, hint: str) -> Path | None:
        """The regular file ``name`` names, relative to the routine; anything else is a located problem."""
        path = self.path.parent / os.path.expanduser(name)
        try:
            path = path.resolve()
            kind = _not_a_regular_file(path.stat().st_mode)
        except (FileNotFoundError, NotADirectoryError):
            self.check.problem(
                node,
                f"{what} file '{shown(name, 80)}' does not exist (looked for {shown(str(path), 200)})",
                "paths are relative to the routine file; check the name",
            )
            return None
        except (OSError, ValueError) as err:
            reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
            self.check.problem(node, f"{what} file '{shown(name, 80)}' cannot be used ({shown(reason, 80)})", "check the name")
            return None
        if kind:
            self.check.problem(node, f"{what} '{shown(name, 80)}' is {kind}, not a file", hint)
            return None
        return path

    def cover(self, node: Node) -> Path | None:
        name = self.check.text(node, "cover", max_len=4096)
        if name is None:
            return None
        if Path(name).suffix.lower() not in _IMAGE_SUFFIXES:
            self.check.problem(node, f"cover '{shown(name, 80)}' is not a JPEG or PNG image", "name a .jpg or .png file")
            return None
        path = self.local_file(node, name, "cover image", "name a .jpg or .png file")
        if path is None:
            return None
        try:  # it goes into the audio file as it is: check it is what it says, and not huge
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
            try:
                size = os.fstat(fd).st_size
                head = os.read(fd, 8)
            finally:
                os.close(fd)
        except OSError as err:
            self.check.problem(node, f"cover image '{shown(name, 80)}' cannot be read ({err.strerror})", "check its permissions")
            return None
        if size > MAX_COVER_BYTES:
            self.check.problem(
                node,
                f"cover image '{shown(name, 80)}' is {size / 1048576:.1f} MiB, more than {MAX_COVER_BYTES // 1048576} MiB",
                "use a smaller image (podcast covers are usually under 1 MiB)",
            )
            return None
        if not head.startswith((b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")):
            self.check.problem(node, f"cover image '{shown(name, 80)}' is not a JPEG or PNG file inside", "save the image as JPEG or PNG")
            return None
        return path

    def pronunciations(self, node: Node) -> tuple[tuple[str, str], ...]:
        c = self.check
        if not isinstance(node, MappingNode):
            c.problem(
                node,
                f"pronunciations should be a mapping of word: how to say it, got {describe(node)}",
                "write lines like  plantar: plan tar",
            )
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
            c.problem(
                node,
                f"{where} should be words to say or one of say:, pause:, chime:, got {describe(node)}",
                "write '- Some words.' or '- pause: 3s'",
            )
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
            cue = c.template(cue_node, f"{where} cue", _COUNT_FIELDS, MAX_TEXT) or "count"
        last_cue = opt(lambda n: c.template(n, f"{where} last_cue", _COUNT_FIELDS, MAX_TEXT), "last_cue", DEFAULT_LAST_CUE)
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
            side_start=opt(lambda n: c.template(n, f"{where} side_start", _SIDE_FIELDS, MAX_TEXT), "side_start", DEFAULT_SIDE_START),
            switch=opt(lambda n: c.template(n, f"{where} switch", _SIDE_FIELDS, MAX_TEXT), "switch", DEFAULT_SWITCH),
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


MAX_CUES = 100_000  # far more than a 4 h session holds; keeps planning a hostile file fast


class RoutineLimitError(RoutineError, LimitError):
    """A routine certainly beyond the session limits: a located problem of the file and a limit at once."""


def session_size_problem(routine: Routine) -> Problem | None:
    """A problem if the routine is certainly beyond the session limits, found before anything is narrated.

    Counts, per part of the routine, the silence it certainly holds (pauses, holds, rests,
    chimes: speech only adds to it) and about how many cues it makes. A routine past
    either bound is refused here, pointing at the part that weighs most, instead of being
    planned cue by cue (a 16 KB file can ask for millions of repetitions) or narrated first.
    """
    # The planner holds the limit; imported here because it imports this package.
    from voiceguide.plan import MAX_SESSION_S

    parts: list[tuple[float, int, int]] = []  # (seconds of silence, cues, line)
    for steps in (routine.intro, routine.precautions, routine.outro):
        if steps:
            parts.append((sum(s.seconds for s in steps), 2 * len(steps), steps[0].line))
    for t in routine.techniques:
        sides = 2 if t.sides == "each" else 1
        per_side = t.repetitions * t.hold_s + (t.repetitions - 1) * t.rest_s + (t.side_pause_s if sides == 2 else 0.0)
        silence = (DEFAULT_CHIME_S if t.chime else 0.0) + sum(s.seconds for s in t.steps) + sides * per_side + t.pause_after_s
        cues = 4 + 2 * len(t.steps) + sides * (2 + 5 * t.repetitions)
        parts.append((silence, cues, t.line))
    silence = sum(p[0] for p in parts)
    cues = sum(p[1] for p in parts)
    if silence > MAX_SESSION_S:
        line = max(parts)[2]
        return Problem(
            routine.source, max(line, 1), 1,
            f"the pauses, holds and rests alone last {format_duration(silence)}, more than the {format_duration(MAX_SESSION_S)} session limit",
            "lower repetitions, holds or pauses (the part that holds most of them starts here), or split the routine",
        )  # fmt: skip
    if cues > MAX_CUES:
        line = max(parts, key=lambda p: p[1])[2]
        return Problem(
            routine.source, max(line, 1), 1,
            f"the session would have about {cues:,} cues, more than the limit of {MAX_CUES:,}",
            "lower repetitions (the technique with the most starts here), or split the routine",
        )  # fmt: skip
    return None


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
