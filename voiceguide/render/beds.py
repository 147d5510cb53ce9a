"""The session's music bed: none, a generated bed chosen by name, or a music file, made ready while narration runs.

A music file is checked at once (so bad music is refused before any synthesis) and
decoded in a thread into a raw file beside the output; a generated bed is made once and
kept in the cache folder, under its name and version. ``close`` removes whatever the bed
left on disk, however the build ends.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import cast

import numpy as np

from voiceguide import ffmpeg, registry
from voiceguide.errors import MusicError
from voiceguide.narration.cache import cache_root
from voiceguide.output import TEMP_MARK
from voiceguide.registry import BEDS, DEFAULT_BED
from voiceguide.render import SAMPLE_RATE
from voiceguide.render import music as music_mod
from voiceguide.render.kept import keep, kept

MAX_BED_BYTES = 256 * 1024 * 1024  # a generated bed is a minute or two of stereo float32
BUILTIN = "builtin"  # the default generated bed
NONE = "none"
MusicChoice = Path | str  # a music file, a generated bed's name, BUILTIN or NONE


class MusicBed:
    """The music of one build, loading in a background thread from ``start`` until ``result``; ``close`` cleans up."""

    def __init__(self, choice: MusicChoice, workdir: Path) -> None:
        self.choice = choice
        self.workdir = workdir
        self._prefix = f".music{TEMP_MARK}{os.getpid()}-"
        self._music: music_mod.LoopedMusic | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._load, name="voiceguide-music", daemon=True)
        if isinstance(choice, Path):
            music_mod.check_music_file(choice)  # refuse bad music before any synthesis
            music_mod.probe_music(choice, workdir)  # and music whose decoding would not fit beside the output
            # The thread must import nothing: an interrupt landing in an import on the main
            # thread can leave the import lock held. Everything it needs is loaded first.
            ffmpeg.ffmpeg_exe()
        elif choice not in (NONE, BUILTIN, *BEDS):
            raise MusicError(f"there is no music bed called '{choice}'", hint=f"use one of {', '.join(BEDS)} (voiceguide music lists them)")
        elif choice != NONE:
            maker(DEFAULT_BED if choice == BUILTIN else choice)  # its code is imported here, not in the thread

    def start(self) -> None:
        """Start loading; call inside a ``try`` whose ``finally`` calls ``close`` (an interrupt may come at once)."""
        self._thread.start()

    def _load(self) -> None:
        try:
            if isinstance(self.choice, Path):
                self._music = music_mod.decode_music(self.choice, self.workdir, prefix=self._prefix)
            elif self.choice != NONE:
                self._music = music_mod.builtin_music(*_generated(self.choice, SAMPLE_RATE))
        except BaseException as err:  # noqa: BLE001 -- handed to the caller of result()
            self._error = err

    def result(self) -> music_mod.LoopedMusic | None:
        """The looped music (None for no music); re-raises what went wrong in the thread."""
        if self._thread.ident is None:
            return None  # never started
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._music

    def close(self) -> None:
        if self._thread.ident is not None:
            self._thread.join()
        if self._music is not None:
            self._music.close()
            self._music = None
        # whatever the thread left if an interrupt cut its hand-over short
        for path in self.workdir.glob(f"{self._prefix}*"):
            path.unlink(missing_ok=True)


def generated_bed(name: str, rate: int) -> np.ndarray:
    """The generated bed ``name`` (or BUILTIN), kept in the cache folder after its first use (it takes a moment to make)."""
    return _generated(name, rate)[0]


def _generated(name: str, rate: int) -> tuple[np.ndarray, np.ndarray]:
    """The generated bed and its loudness profile (``LoopedMusic.profile``), kept together in the cache folder."""
    name = DEFAULT_BED if name == BUILTIN else name
    path = cache_root() / f"bed-{name}-v{BEDS[name].version}-{rate}.kept"
    found = kept(path, 2, MAX_BED_BYTES)
    if found is not None:
        bed, profile = found
        if (
            bed.ndim == 2
            and bed.shape[1] == 2
            and bed.dtype == np.float32
            and profile.shape == (-(-bed.shape[0] // music_mod.PROFILE_STEP),)
        ):
            return bed, profile
    bed = maker(name)(rate)
    profile = music_mod.builtin_music(bed).profile
    keep(path, bed, profile)
    return bed, profile


def maker(name: str) -> Callable[[int], np.ndarray]:
    """The function that makes the generated bed ``name``: ``(rate) -> stereo float32 frames`` of one seamless loop."""
    return cast("Callable[[int], np.ndarray]", registry.load(BEDS[name].code))
