"""The whole build: load the routine, narrate it, render it, write the files as one result.

Every file is written beside its destination first and moved into place only when the
whole result is complete (``voiceguide.output``), so an existing file survives any
failure or interruption, and the audio and its side files are replaced together.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from voiceguide.destinations import audio_path, format_of, side_paths, side_texts
from voiceguide.language import language
from voiceguide.narration import upkeep
from voiceguide.narration.cache import cache_root
from voiceguide.output import Outputs
from voiceguide.plan import Plan, chapters_problem, load_routine
from voiceguide.progress import Progress
from voiceguide.render.beds import NONE, MusicBed, MusicChoice
from voiceguide.render.metadata import Metadata
from voiceguide.render.pipeline import render_session
from voiceguide.render.settings import DEFAULT_TARGET_LUFS, Codec, MixSettings
from voiceguide.routine import Routine, find_routine
from voiceguide.routine.limits import RoutineLimitError
from voiceguide.session import Session, prepare
from voiceguide.user_defaults import user_defaults

ROUTINE_MUSIC = "routine"  # BuildOptions.music: whatever the routine says


@dataclass(frozen=True)
class BuildOptions:
    """What the command line may change. ``None`` means: the routine's choice, else the default."""

    output: Path | None = None  # a file, or a folder for <routine name>.<format>; default output/
    music: MusicChoice = ROUTINE_MUSIC  # a file, a generated bed's name, "builtin", "none" or "routine"
    music_level_db: float | None = None
    voice: str | None = None
    rate: int | None = None
    engine: str | None = None  # None: the routine's, else the user's default, else voiceguide's
    fmt: str | None = None  # default: from the output file's suffix, else the codec's default
    bitrate: str | None = None
    mp3_quality: int | None = None  # LAME -q
    target_lufs: float = DEFAULT_TARGET_LUFS
    force: bool = False
    sidecars: bool = False  # captions, chapters and the plan beside the audio
    player: bool = False  # a self-contained page that follows the session, beside the audio
    length_s: float | None = None  # fit the session to this length (else the routine's length:, if any)

    def codec(self) -> Codec:
        base = Codec(fmt=self.fmt or format_of(self.output) or Codec.fmt)
        return Codec(base.fmt, self.bitrate or base.bitrate, base.mp3_quality if self.mp3_quality is None else self.mp3_quality)


@dataclass
class BuildResult:
    path: Path
    session: Session
    loudness_lufs: float
    side_files: list[Path] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def plan(self) -> Plan:
        return self.session.plan


def episode_fields(routine: Routine, destination: Path) -> dict[str, object]:
    """What a feed needs of this episode, kept in its plan side file: its date chosen once (the routine's published:,
    else the date an earlier build recorded there, else now) and whether it is explicit."""
    from voiceguide.built import sidecar_path
    from voiceguide.built.reader import first_published

    published = routine.published or first_published(sidecar_path(destination, "plan")) or datetime.now(UTC).replace(microsecond=0)
    return {"published": published.isoformat(), "explicit": routine.explicit}


def music_choice(routine: Routine, options: BuildOptions) -> MusicChoice:
    if options.music != ROUTINE_MUSIC:
        return options.music
    if routine.music.kind == "file" and routine.music.path is not None:
        return routine.music.path
    return NONE if routine.music.kind == "none" else routine.music.bed


def build(
    routine_arg: str | Path | Routine, options: BuildOptions, progress: Progress | None = None, session: Session | None = None
) -> BuildResult:
    """Build one routine (a file, a built-in name, or one already loaded) into an audio file and its side files; see BuildOptions.

    ``session``: the routine already narrated and planned (``voiceguide batch`` plans its sessions together).
    """
    progress = progress or Progress(enabled=False)
    clock = time.perf_counter()
    timings: dict[str, float] = {}
    routine = routine_arg if isinstance(routine_arg, Routine) else load_routine(find_routine(str(routine_arg)))
    codec = options.codec()
    too_many = chapters_problem(routine, [codec.fmt])  # refused before anything is narrated
    if too_many is not None:
        raise RoutineLimitError([too_many])
    destination = audio_path(routine.name, options.output, codec.fmt)
    music = music_choice(routine, options)
    inputs = [routine.source, *([music] if isinstance(music, Path) else []), *([routine.cover] if routine.cover else [])]
    mix = MixSettings(
        routine.music.level_db if options.music_level_db is None else options.music_level_db,
        options.target_lufs,
        routine.music.chime_level_db,
    )
    with Outputs(options.force, inputs) as outputs, upkeep.holding():  # the clips stay held until the result is written
        partial = outputs.reserve(destination)
        for side in side_paths(destination, options.sidecars, options.player):
            outputs.check(side)  # refused now, before anything is narrated
        bed = MusicBed(music, destination.parent)  # bad music is refused here, before anything is narrated
        try:
            bed.start()
            session = session or prepare(
                routine, voice=options.voice, rate=options.rate, engine=options.engine, progress=progress, length_s=options.length_s
            )
            timings["narrate"] = time.perf_counter() - clock
            meta = Metadata(
                routine.title, routine.author, routine.album, routine.year, routine.description, routine.cover,
                language=language(routine.language).iso639_2,
            )  # fmt: skip
            clips = {u: clip.path for u, clip in session.clips.items()}
            rendered = render_session(session.plan, clips, bed, mix, codec, meta, partial, progress.update)
        finally:
            progress.done()
            bed.close()
        timings["render"] = time.perf_counter() - clock
        side_files = side_texts(destination, session, options.sidecars, options.player, episode_fields(routine, destination))
        for side, text in side_files.items():
            outputs.write_text(side, text)
        outputs.commit()
    upkeep.trim(cache_root(), user_defaults().cache_limit)  # least recently used first; never a clip a running build holds
    timings["total"] = time.perf_counter() - clock
    return BuildResult(destination, session, rendered.loudness_lufs, list(side_files), timings)
