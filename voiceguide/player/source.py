"""What ``play`` plays: an audio file and the timeline to show with it.

The timeline comes from the plan side file (``NAME.plan.json``) when it lies beside the
audio; without it, from the chapters (``NAME.chapters.json``, else the file's own
chapter marks). A routine stands for its default build, ``output/NAME.mp3``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from voiceguide import registry
from voiceguide.built import sidecar_path
from voiceguide.built.chapters import marks_from_chapters_json
from voiceguide.built.reader import default_audio, is_stale, probe, side_json
from voiceguide.errors import OutputError
from voiceguide.player.timeline import Track
from voiceguide.routine import Routine

REBUILD = "rebuild it with: voiceguide build ROUTINE --sidecars --force"


@dataclass(frozen=True)
class Playable:
    """An audio file and what is known of its timeline (``full``: every cue; otherwise chapters only)."""

    audio: Path
    track: Track
    full: bool


def is_audio(argument: str) -> bool:
    return Path(argument).suffix.lower() in registry.audio_suffixes()


def open_audio(audio: Path) -> Playable:
    """The file and its timeline; OutputError when the file is missing or its side files belong to another build."""
    if not audio.is_file():
        raise OutputError(f"{audio} does not exist", hint=f"build it first: voiceguide build ROUTINE -o {audio} --sidecars")
    plan_file = sidecar_path(audio, "plan")
    if plan_file.is_file():
        try:
            track = Track.from_plan_json(side_json(plan_file, REBUILD))
        except ValueError as err:
            raise OutputError(f"cannot read {plan_file} ({err})", hint=REBUILD) from None
        duration = audio_duration(audio)
        if is_stale(track.duration_s, duration):
            raise OutputError(
                f"{plan_file.name} belongs to another build (plan {track.duration_s:.1f} s, audio {duration:.1f} s)",
                hint=f"{REBUILD}",
            )
        return Playable(audio, track, True)
    info = probe(audio)
    duration = info.duration_s or 0.0
    marks = info.chapters
    chapters_file = sidecar_path(audio, "chapters")
    if chapters_file.is_file():
        try:
            marks = marks_from_chapters_json(side_json(chapters_file, REBUILD))
        except ValueError as err:
            raise OutputError(f"cannot read {chapters_file} ({err})", hint=REBUILD) from None
    title = info.tags.get("title") or audio.stem
    return Playable(audio, Track.from_chapters(title, marks, duration), False)


def audio_duration(audio: Path) -> float | None:
    """How long ``audio`` lasts: from its header through miniaudio (instant), else as ffmpeg reports it."""
    try:
        import miniaudio
    except ImportError:
        return probe(audio).duration_s
    try:
        return float(miniaudio.get_file_info(str(audio)).duration)
    except miniaudio.DecodeError:  # a format it does not read (m4a, opus)
        return probe(audio).duration_s


def built_audio(routine: Routine) -> Path:
    """Where ``voiceguide build ROUTINE`` puts the session by default."""
    return default_audio(routine.name, registry.DEFAULT_FORMAT)


def up_to_date(routine: Routine, audio: Path) -> bool:
    """The audio and its plan exist and are newer than the routine file."""
    plan_file = sidecar_path(audio, "plan")
    try:
        built = min(audio.stat().st_mtime_ns, plan_file.stat().st_mtime_ns)
        return built >= routine.source.stat().st_mtime_ns
    except OSError:
        return False
