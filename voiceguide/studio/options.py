"""The options a page or a script sends with a plan or a build, checked as the command line checks its flags."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from voiceguide.durations import format_duration, parse_duration
from voiceguide.registry import bed_names, engine_names, format_names
from voiceguide.routine.limits import MAX_SESSION_S, RATE_RANGE
from voiceguide.studio.folders import StudioError

if TYPE_CHECKING:
    from voiceguide.build import BuildOptions

_VOICE = re.compile(r"^[\w.+-]{1,64}$")
_BITRATE = re.compile(r"^[0-9]{1,3}k$")
KNOWN = {"voice", "rate", "engine", "length", "music", "music_level", "format", "bitrate", "sidecars", "player"}


@dataclass(frozen=True)
class Narrator:
    """Who speaks: what ``prepare`` and ``narrate`` take (None: the routine's, else the person's defaults)."""

    voice: str | None = None
    rate: int | None = None
    engine: str | None = None
    length_s: float | None = None


def _bad(what: str, hint: str) -> StudioError:
    return StudioError(what, hint, 422)


def narrator(options: dict[str, Any]) -> Narrator:
    """voice, rate, engine and length from a request's ``options``; refused as the command line refuses them."""
    unknown = sorted(set(options) - KNOWN)
    if unknown:
        raise _bad(f"unknown option '{unknown[0]}'", f"the options are: {', '.join(sorted(KNOWN))}")
    voice, rate, engine, length = (options.get(k) for k in ("voice", "rate", "engine", "length"))
    if voice is not None and (not isinstance(voice, str) or not _VOICE.match(voice)):
        raise _bad("voice must be a voice's id, name or language", "see 'voiceguide voices'")
    if rate is not None and (not isinstance(rate, int) or isinstance(rate, bool) or not RATE_RANGE[0] <= rate <= RATE_RANGE[1]):
        raise _bad(f"rate must be a whole number of words a minute from {RATE_RANGE[0]} to {RATE_RANGE[1]}", "e.g. 150")
    if engine is not None and engine not in engine_names():
        raise _bad(f"engine must be one of {', '.join(engine_names())}", "leave it out for the routine's own")
    return Narrator(voice or None, rate, engine or None, None if length in (None, "") else _length(length))


def _length(value: object) -> float:
    try:
        seconds = float(value) if isinstance(value, int | float) and not isinstance(value, bool) else parse_duration(str(value))
    except ValueError as err:
        raise _bad(f"length: {err}", "write e.g. 20m or 1h30m") from None
    if not 0 < seconds <= MAX_SESSION_S:
        raise _bad(f"length must be from 1s to {format_duration(MAX_SESSION_S)}", "write e.g. 20m")
    return seconds


def build_options(options: dict[str, Any], output: Path) -> tuple[Narrator, BuildOptions]:
    """The narrator and the build's options; the output goes into the studio's output folder, replacing an earlier build."""
    from voiceguide.build import ROUTINE_MUSIC, BuildOptions  # the renderer loads with the first build, not with the studio
    from voiceguide.render.beds import NONE

    who = narrator(options)
    music = options.get("music", ROUTINE_MUSIC) or ROUTINE_MUSIC
    if music not in (ROUTINE_MUSIC, NONE, *bed_names()):
        raise _bad(f"music must be 'routine', 'none' or a bed: {', '.join(bed_names())}", "music files are chosen in the routine")
    level = options.get("music_level")
    if level is not None and (not isinstance(level, int | float) or isinstance(level, bool) or not -60 <= level <= 0):
        raise _bad("music_level must be a number of dB from -60 to 0", "e.g. -14")
    fmt = options.get("format") or None
    if fmt is not None and fmt not in format_names():
        raise _bad(f"format must be one of {', '.join(format_names())}", "mp3 plays everywhere")
    bitrate = options.get("bitrate") or None
    if bitrate is not None and (not isinstance(bitrate, str) or not _BITRATE.match(bitrate) or not 8 <= int(bitrate[:-1]) <= 320):
        raise _bad("bitrate must be like 128k (8k to 320k)", "leave it out for the format's own")
    flags = {k: options.get(k, False) for k in ("sidecars", "player")}
    if any(not isinstance(v, bool) for v in flags.values()):
        raise _bad("sidecars and player are true or false", "leave them out for false")
    built = BuildOptions(
        output=output, music=music, music_level_db=level, voice=who.voice, rate=who.rate, engine=who.engine, fmt=fmt,
        bitrate=bitrate, force=True, sidecars=flags["sidecars"], player=True, length_s=who.length_s,
    )  # fmt: skip
    return who, built
