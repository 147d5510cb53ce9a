"""The variants of a batch: a matrix of routines × lengths × voices × engines × rates × languages, named and keyed.

Each variant is resolved here, before anything is narrated: its routine loaded (in the
language asked for), its file name, and its inputs with a hash of everything that
shapes the output, so an output whose inputs have not changed can be skipped.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from voiceguide import __version__
from voiceguide.durations import format_duration
from voiceguide.errors import BatchError, RoutineError
from voiceguide.plan import load_routine
from voiceguide.routine import Routine, find_routine
from voiceguide.user_defaults import UserDefaults


@dataclass(frozen=True)
class Variant:
    """One session to make. ``None``: the routine's own choice (or voiceguide's default)."""

    routine: str  # a routine file or a built-in routine's name
    language: str | None = None
    length_s: float | None = None
    voice: str | None = None
    engine: str | None = None
    rate: int | None = None


@dataclass(frozen=True)
class Matrix:
    """Every combination of the values given; a dimension left empty keeps the routine's choice."""

    routines: tuple[str, ...]
    lengths: tuple[float, ...] = ()
    voices: tuple[str, ...] = ()
    engines: tuple[str, ...] = ()
    rates: tuple[int, ...] = ()
    languages: tuple[str, ...] = ()

    def variants(self) -> list[Variant]:
        def some(values: tuple[Any, ...]) -> tuple[Any, ...]:
            return tuple(dict.fromkeys(values)) or (None,)

        product = itertools.product(
            some(self.routines), some(self.languages), some(self.lengths), some(self.voices), some(self.engines), some(self.rates)
        )
        return [Variant(*values) for values in product]


@dataclass(frozen=True)
class Dressing:
    """What every session of a batch gets besides its narration, as ``voiceguide build`` would give it."""

    music: Path | str | None = None  # a file, a generated bed's name, or "none"; None: each routine's own
    music_level_db: float | None = None
    cover: Path | None = None  # None: each routine's own
    sidecars: bool = False
    player: bool = False

    def dress(self, routine: Routine) -> Routine:
        """``routine`` with this music and cover: what it is built from, hashed and sent to the workers."""
        music = routine.music
        if isinstance(self.music, Path):
            music = replace(music, kind="file", path=self.music)
        elif self.music == "none":
            music = replace(music, kind="none", path=None)
        elif self.music is not None:
            music = replace(music, kind="builtin", path=None, bed=self.music)
        if self.music_level_db is not None:
            music = replace(music, level_db=self.music_level_db)
        return replace(routine, music=music, cover=self.cover or routine.cover)


@dataclass(frozen=True)
class Job:
    """A variant resolved: the routine to build (in its language), the file it makes, and what that file is made from."""

    name: str  # the output's file name
    variant: Variant
    routine: Routine
    inputs: dict[str, Any] = field(hash=False)  # for the manifest

    @property
    def key(self) -> str:
        """sha256 of the inputs: the same key, the same bytes."""
        blob = json.dumps(self.inputs, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def resolve(
    variants: list[Variant], fmt: str, engine_version: Any, defaults: UserDefaults, dressing: Dressing | None = None
) -> tuple[list[Job], list[tuple[str, str]]]:
    """Jobs for the variants, and (variant, error) for those that cannot be made (a bad routine, no such language).

    ``defaults``: the person's own engine and voice, which shape a variant that names none.
    """
    dressing = dressing or Dressing()
    jobs: dict[str, Job] = {}
    errors: list[tuple[str, str]] = []
    loaded: dict[tuple[str, str | None], Routine | str] = {}
    for v in variants:
        if (v.routine, v.language) not in loaded:
            try:
                loaded[(v.routine, v.language)] = _routine(v.routine, v.language)
            except (RoutineError, BatchError) as err:
                loaded[(v.routine, v.language)] = str(err)
        routine = loaded[(v.routine, v.language)]
        if isinstance(routine, str):
            errors.append((describe(v), routine))
            continue
        routine = dressing.dress(routine)
        name = file_name(routine.name, v, fmt)
        engine = defaults.engine_for(v.engine, routine.narration.engine)
        job = Job(name, v, routine, inputs(routine, v, fmt, engine, engine_version(engine), defaults) | dressing_inputs(routine, dressing))
        if name in jobs and jobs[name].key != job.key:
            errors.append(
                (describe(v), f"{name} would also be written by {describe(jobs[name].variant)} — give values that differ in the name")
            )
        jobs.setdefault(name, job)
    return list(jobs.values()), errors


def describe(v: Variant) -> str:
    """A variant in words, for messages: ``gentle-foot-unwind, 5m, rate 140``."""
    parts = [v.routine]
    parts += [f"language {v.language}"] if v.language else []
    parts += [format_duration(v.length_s)] if v.length_s is not None else []
    parts += [f"voice {v.voice}"] if v.voice else []
    parts += [f"engine {v.engine}"] if v.engine else []
    parts += [f"rate {v.rate}"] if v.rate is not None else []
    return ", ".join(parts)


def file_name(routine_name: str, v: Variant, fmt: str) -> str:
    """``<routine>[-<length>][-<voice>][-<engine>][-<rate>wpm].<format>``: every value given shows in the name."""
    parts = [routine_name]
    parts += [format_duration(v.length_s)] if v.length_s is not None else []
    parts += [v.voice] if v.voice else []
    parts += [v.engine] if v.engine else []
    parts += [f"{v.rate}wpm"] if v.rate is not None else []
    return "-".join(_slug(p) for p in parts) + f".{fmt}"


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._+-]+", "_", text).strip("._") or "_"


def attachments(routine: Routine) -> dict[str, Path]:
    """Files besides the routine that go into its output: its music and its cover."""
    found = {"music": routine.music.path if routine.music.kind == "file" else None, "cover": routine.cover}
    return {k: p for k, p in found.items() if p is not None}


def inputs(routine: Routine, v: Variant, fmt: str, engine: str, engine_version: str, defaults: UserDefaults) -> dict[str, Any]:
    """Everything that shapes the output, as the manifest records it."""
    files = {"routine": routine.source, **attachments(routine)}
    return {
        "routine": v.routine,
        "routine_file": routine.source.name,
        **{f"{k}_sha256": file_sha256(p) for k, p in files.items()},
        "language": routine.language,
        "length_s": v.length_s,
        "voice": v.voice,
        "engine": engine,
        "engine_version": engine_version,
        "default_engine": defaults.engine,  # the person's own engine and voice (user_defaults), where nothing else names one
        "default_voice": defaults.voice,
        "rate": v.rate,
        "format": fmt,
        "voiceguide": __version__,
    }


def dressing_inputs(routine: Routine, dressing: Dressing) -> dict[str, Any]:
    """The music as the session has it and the side files asked for: inputs of the output too."""
    m = routine.music
    music = {"file": "file", "none": "none"}.get(m.kind, f"bed {m.bed}")
    return {"music": f"{music}, {m.level_db:g} dB", "sidecars": dressing.sidecars, "player": dressing.player}


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            while chunk := f.read(1 << 20):
                digest.update(chunk)
    except OSError as err:
        raise BatchError(f"cannot read {path} ({err.strerror})", hint="check the file") from None
    return digest.hexdigest()


def _routine(name: str, language: str | None) -> Routine:
    """The routine ``name`` names, in ``language``: itself, or its translation beside it (``<name>-<language>.yaml``)."""
    path = find_routine(name)
    routine = load_routine(path)
    if language is None or _same_language(routine.language, language):
        return routine
    base = path.stem.removesuffix(f"-{routine.language}")
    for stem in (f"{base}-{language.lower()}", base):
        candidate = path.with_name(f"{stem}{path.suffix}")
        if candidate != path and candidate.exists():
            other = load_routine(candidate)
            if _same_language(other.language, language):
                return other
    raise BatchError(
        f"{path}: no {language} version of this routine", hint=f"write one as {base}-{language.lower()}{path.suffix} beside it"
    )


def _same_language(have: str, want: str) -> bool:
    want = want.lower().replace("_", "-")
    return have == want or ("-" not in want and have.split("-")[0] == want)
