"""The whole build: routine → plan → narration → levels → rendered, encoded and tagged file.

The output is written to a temporary file beside its destination and moved into place
only when complete, so an existing file survives any failure or interruption.
"""

from __future__ import annotations

import os
import re
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, Literal, TypeVar

import numpy as np

from voiceguide import ffmpeg
from voiceguide.errors import OutputError
from voiceguide.narration.cache import cache_root
from voiceguide.plan import Plan
from voiceguide.progress import Progress
from voiceguide.render.tones import BED_VERSION, ambient_bed
from voiceguide.routine import Routine, find_routine, load_routine
from voiceguide.session import Session, prepare

T = TypeVar("T")
DEFAULT_TARGET_LUFS = -16.0
TEMP_MARK = ".voiceguide-"


@dataclass(frozen=True)
class BuildOptions:
    output: Path | None = None
    music: Path | Literal["none", "routine"] = "routine"
    music_level_db: float | None = None
    voice: str | None = None
    rate: int | None = None
    engine: str = "pyttsx3"
    fmt: str = "mp3"
    bitrate: str = "128k"
    mp3_quality: int | None = None  # LAME -q; None: the encoder module's default
    target_lufs: float = DEFAULT_TARGET_LUFS
    force: bool = False


@dataclass
class BuildResult:
    path: Path
    session: Session
    loudness_lufs: float
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def plan(self) -> Plan:
        return self.session.plan


def output_path(routine: Routine, options: BuildOptions) -> Path:
    if options.output is not None:
        path = options.output
        if path.is_dir() or str(path).endswith(("/", os.sep)) or not path.suffix:
            path = path / f"{routine.name}.{options.fmt}"  # a folder, existing or to be made
        return path
    return Path("output") / f"{routine.name}.{options.fmt}"


def check_destination(path: Path, force: bool) -> None:
    """Refuse to overwrite without --force, and check the folder can take the file."""
    if path.exists() and not force:
        raise OutputError(f"{path} already exists — add --force to replace it, or -o to write elsewhere")
    if path.exists() and not path.is_file():
        raise OutputError(f"{path} exists and is not a file — choose another output path with -o")
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OutputError(f"cannot create the folder {folder} ({err.strerror}) — choose another output path with -o") from None
    if not os.access(folder, os.W_OK):
        raise OutputError(f"cannot write into {folder} (permission denied) — choose another output path with -o")


def clean_stale_temp_files(folder: Path) -> None:
    """Remove temporary files that killed builds left in ``folder`` (their process is gone)."""
    for stale in folder.glob(f".*{TEMP_MARK}*"):
        match = re.search(re.escape(TEMP_MARK) + r"(\d+)-", stale.name)
        if not match:
            continue
        pid = int(match.group(1))
        if pid != os.getpid() and not _alive(pid):
            stale.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _set_mode(partial: Path, destination: Path) -> None:
    """Give the new file the old one's permissions, or the usual ones (temp files start private)."""
    try:
        mode = destination.stat().st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    os.chmod(partial, mode)


def temp_name(folder: Path, stem: str, suffix: str) -> Path:
    handle, name = tempfile.mkstemp(prefix=f".{stem}{TEMP_MARK}{os.getpid()}-", suffix=suffix, dir=folder)
    os.close(handle)
    return Path(name)


class _Background(Generic[T]):
    """Runs a function in a thread while narration runs; ``result()`` re-raises its error."""

    def __init__(self, work: Callable[[], T]) -> None:
        self._value: T | None = None
        self._error: BaseException | None = None

        def run() -> None:
            try:
                self._value = work()
            except BaseException as err:  # noqa: BLE001 -- handed to the caller of result()
                self._error = err

        self._thread = threading.Thread(target=run, name="voiceguide-music", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def result(self) -> T | None:
        if self._thread.ident is None:
            return None  # never started
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value


def build(routine_arg: str | Path, options: BuildOptions, progress: Progress | None = None) -> BuildResult:
    """Build one routine into an audio file; see BuildOptions. Returns where it went and what it holds."""
    from voiceguide.language import language
    from voiceguide.render import SAMPLE_RATE
    from voiceguide.render import music as music_mod
    from voiceguide.render.calibrate import codec_factor, excerpt_window
    from voiceguide.render.encode import DEFAULT_MP3_QUALITY, Codec, Encoder
    from voiceguide.render.envelope import DuckShape, MusicEnvelope
    from voiceguide.render.master import MusicLevels, master
    from voiceguide.render.metadata import Metadata
    from voiceguide.render.mixer import render, total_frames

    progress = progress or Progress(enabled=False)
    timings: dict[str, float] = {}
    clock = time.perf_counter()
    routine = load_routine(find_routine(str(routine_arg)))
    destination = output_path(routine, options)
    check_destination(destination, options.force)
    clean_stale_temp_files(destination.parent)

    music_choice: Path | str = options.music
    if music_choice == "routine":
        music_choice = routine.music.path if routine.music.kind == "file" and routine.music.path else routine.music.kind
    level_db = options.music_level_db if options.music_level_db is not None else routine.music.level_db
    if isinstance(music_choice, Path):
        music_mod.check_music_file(music_choice)  # refuse bad music before any synthesis

    temp_files: list[Path] = []
    music_prefix = f".music{TEMP_MARK}{os.getpid()}-"

    def load_music() -> music_mod.LoopedMusic | None:
        if music_choice == "none":
            return None
        if isinstance(music_choice, Path):
            return music_mod.decode_music(music_choice, destination.parent, prefix=music_prefix)
        return music_mod.builtin_music(_builtin_bed(SAMPLE_RATE))

    # The music thread must import nothing: an interrupt landing in an import on the main
    # thread can leave the import lock held. Everything it needs is loaded before it starts.
    if isinstance(music_choice, Path):
        ffmpeg.ffmpeg_exe()
    background = _Background(load_music)
    encoder = None
    music = None
    try:
        background.start()  # inside the try: an interrupt right after still gets it joined and cleaned up
        session = prepare(routine, voice=options.voice, rate=options.rate, engine=options.engine, progress=progress)
        timings["narrate"] = time.perf_counter() - clock
        plan = session.plan
        keys, clips = _sounds(session, SAMPLE_RATE)
        music = background.result()
        timings["music"] = time.perf_counter() - clock
        envelope = None
        levels = None
        if music is not None:
            shape = DuckShape(depth_db=max(12.0, level_db + 26.0))
            spans = [(c.start_s, c.end_s) for c in plan.cues if c.kind == "speech"]
            envelope = MusicEnvelope(spans, plan.duration_s, shape)
            levels = MusicLevels(music.loudness_lufs, music.energy, level_db, envelope)
        mastered = master(plan, keys, clips, options.target_lufs, levels)
        total = total_frames(plan)
        start, stop = excerpt_window((c.start_s for c in plan.cues if c.kind == "speech"), total)
        excerpt = np.concatenate(list(render(plan, keys, mastered.sounds, music, envelope, mastered.music_gain, start=start, stop=stop)))
        codec = Codec(options.fmt, options.bitrate, DEFAULT_MP3_QUALITY if options.mp3_quality is None else options.mp3_quality)
        mastered = mastered.scaled(codec_factor(excerpt, codec))
        timings["levels"] = time.perf_counter() - clock

        partial = temp_name(destination.parent, destination.stem, f".partial.{options.fmt}")
        temp_files.append(partial)
        meta = Metadata(
            routine.title, routine.author, routine.album or "voiceguide", routine.year, routine.description, routine.cover,
            language=language(routine.language).iso639_2,
        )  # fmt: skip
        encoder = Encoder(partial, codec, meta, plan.chapters)
        done = 0
        for block in render(plan, keys, mastered.sounds, music, envelope, mastered.music_gain):
            encoder.write(block)
            done += block.shape[0]
            progress.update("rendering", done, total)
        encoder.finish()
        encoder = None
        progress.done()
        timings["encode"] = time.perf_counter() - clock
        _set_mode(partial, destination)
        os.replace(partial, destination)
        temp_files.clear()
        timings["total"] = time.perf_counter() - clock
        return BuildResult(destination, session, mastered.loudness_lufs, timings)
    finally:
        progress.done()
        if encoder is not None:
            encoder.abort()
        if music is None:
            try:
                music = background.result()
            except BaseException:  # noqa: BLE001 -- already reported, or superseded by the error in flight
                music = None
        if music is not None:
            music.close()
        for path in temp_files:
            path.unlink(missing_ok=True)
        # whatever the music thread left if the interrupt cut its hand-over short
        for path in destination.parent.glob(f"{music_prefix}*"):
            path.unlink(missing_ok=True)


def _sounds(session: Session, rate: int) -> tuple[list[object], dict[object, np.ndarray]]:
    """A key per cue and every distinct sound as mono float32 at ``rate``."""
    from voiceguide.audio_io import read_wav_mono
    from voiceguide.render.dsp import resample_clip
    from voiceguide.render.master import compress
    from voiceguide.render.tones import chime

    keys: list[object] = []
    sounds: dict[object, np.ndarray] = {}
    for cue in session.plan.cues:
        key: object = None
        if cue.kind == "speech":
            assert cue.utterance is not None
            key = cue.utterance
            if key not in sounds:
                samples, clip_rate = read_wav_mono(session.clips[cue.utterance].path)
                sounds[key] = compress(resample_clip(samples, clip_rate, rate).astype(np.float32))
        elif cue.kind == "chime":
            key = ("chime", round(cue.end_s - cue.start_s, 6))
            if key not in sounds:
                sounds[key] = chime(cue.end_s - cue.start_s, rate)
        keys.append(key)
    return keys, sounds


def _builtin_bed(rate: int) -> np.ndarray:
    """The generated bed, kept in the cache folder after its first use (it takes a moment to make)."""
    path = cache_root() / f"bed-v{BED_VERSION}-{rate}.npy"
    try:
        bed = np.load(path, allow_pickle=False)
        if bed.ndim == 2 and bed.shape[1] == 2 and bed.dtype == np.float32:
            return bed
    except (OSError, ValueError):
        pass
    bed = ambient_bed(rate)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        with temp.open("wb") as handle:
            np.save(handle, bed, allow_pickle=False)
        os.replace(temp, path)
    except OSError:
        pass  # a read-only cache only costs time
    return bed
