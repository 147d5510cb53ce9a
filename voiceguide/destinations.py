"""Where a build's files go: the audio (``-o`` as a file or a folder, its format from its name) and its side files."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from voiceguide import registry
from voiceguide.built.reader import default_audio
from voiceguide.errors import OutputError
from voiceguide.output import check_path

if TYPE_CHECKING:  # the session (and numpy with it) is not needed to name a file
    from voiceguide.session import Session


def audio_path(name: str, given: Path | None, fmt: str) -> Path:
    """Where the audio of routine ``name`` goes: ``given`` as a file, or ``<folder>/<name>.<format>`` (default output/)."""
    if given is None:
        return default_audio(name, fmt)
    check_path(given)
    if _is_folder(given) or str(given).endswith(("/", "\\")) or not given.suffix:
        return given / f"{name}.{fmt}"  # a folder, existing or to be made
    named = format_of(given)
    if named is None:  # s.aac, s.srt: not a format voiceguide writes; say which ones it does
        suffix = given.suffix.lower().lstrip(".")
        holding = [f.name for f in registry.FORMATS.values() if suffix and suffix in " ".join(f.encoder)]  # aac: m4a, m4b
        inside = f" ({suffix.upper()} audio comes in {' or '.join('.' + n for n in holding)})" if holding else ""
        raise OutputError(
            f"{given} names a .{suffix} file, which voiceguide does not write{inside}",
            hint=f"end the name in one of {', '.join('.' + n for n in registry.format_names())}, such as {given.stem}.{_pick(holding) or fmt}",
        )
    if named != fmt:  # FLAC bytes in a .mp3 would be silently wrong
        raise OutputError(f"{given} would hold {fmt.upper()} audio under another name", hint=f"name it {given.stem}.{fmt}, or use --format")
    return given


def _pick(formats: list[str]) -> str | None:
    """The format to suggest among ``formats``: one podcast apps play first (m4a before m4b)."""
    return next((f for f in formats if f in registry.feed_formats()), formats[0] if formats else None)


def format_of(path: Path | None) -> str | None:
    """The format a file name asks for (``x.flac`` → flac), if it names one."""
    suffix = path.suffix.lower().lstrip(".") if path is not None else ""
    suffix = {"oga": "ogg"}.get(suffix, suffix)
    return suffix if suffix in registry.FORMATS else None


def side_paths(audio: Path, sidecars: bool, player: bool) -> list[Path]:
    """The side files written beside ``audio``: captions, chapters and the plan, and the player's page."""
    from voiceguide.built import page_path, sidecar_path, sidecar_paths

    paths = sidecar_paths(audio) if sidecars else []
    if player:
        paths += [p for p in (page_path(audio), sidecar_path(audio, "plan")) if p not in paths]
    return paths


def side_texts(audio: Path, session: Session, sidecars: bool, player: bool, episode: Mapping[str, object] | None = None) -> dict[Path, str]:
    """What those side files hold (pure); ``episode`` (its date, explicit) is recorded in the plan side file."""
    from voiceguide.built import sidecar_files, sidecar_path
    from voiceguide.player.page import player_files

    texts = sidecar_files(audio, session.plan) if sidecars else {}
    if player:
        texts.update(player_files(audio, session.plan, session.routine))
    plan = sidecar_path(audio, "plan")
    if episode and plan in texts:
        texts[plan] = json.dumps({**json.loads(texts[plan]), **episode}, ensure_ascii=False, indent=2) + "\n"
    return texts


def _is_folder(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:  # a name too long, a loop of links: not a folder to write into (Outputs says why)
        return False
