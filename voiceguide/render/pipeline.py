"""The render stage's one entry point: a timed plan and its clips in, an encoded, tagged file out.

Every sound is prepared (speech clips read, resampled and evened out; chimes made), the
levels are chosen from a loudness model (``master``), corrected for what the codec does
to loudness on an excerpt (``calibrate``), and the session is rendered block by block
(``mixer``) straight into the encoder (``encode``; MP3, AAC and Opus on every core:
``parallel``, ``aacjoin``, ``opusjoin``): memory stays flat however long it is.
Tags and chapters are written into the finished file (``metadata``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from voiceguide import ffmpeg
from voiceguide.output import temp_path
from voiceguide.plan import Chapter, Plan, Utterance
from voiceguide.render.aacjoin import encode_aac
from voiceguide.render.beds import MusicBed
from voiceguide.render.calibrate import codec_factor, excerpt_window
from voiceguide.render.encode import Encoder
from voiceguide.render.envelope import DuckShape, MusicEnvelope
from voiceguide.render.master import MusicLevels, master
from voiceguide.render.metadata import Metadata, ffmetadata_chapters, mp4_muxing, write_tags
from voiceguide.render.mixer import render, total_frames
from voiceguide.render.opusjoin import encode_opus
from voiceguide.render.parallel import Source, encode_mp3, segment_count
from voiceguide.render.prepared import load_sounds
from voiceguide.render.settings import Codec, MixSettings


@dataclass(frozen=True)
class Rendered:
    loudness_lufs: float  # predicted integrated loudness of the file


def render_session(
    plan: Plan,
    clips: Mapping[Utterance, Path],
    bed: MusicBed,
    mix: MixSettings,
    codec: Codec,
    meta: Metadata,
    path: Path,
    progress: Callable[[str, int, int], None] | None = None,
) -> Rendered:
    """Render ``plan`` over ``bed`` and encode it into ``path`` (a temporary file the caller moves into place).

    ``clips`` gives the WAV file of every utterance in the plan. ``progress`` is called as
    ``progress(stage, done, total)``.
    """
    sounds = load_sounds(plan, clips)
    music = bed.result()
    envelope = levels = None
    if music is not None:
        envelope = MusicEnvelope(
            [(c.start_s, c.end_s) for c in plan.cues if c.kind == "speech"], plan.duration_s, DuckShape(depth_db=mix.duck_depth_db)
        )
        levels = MusicLevels(music.loudness_lufs, music.energy, mix.music_level_db, envelope)
    mastered = master(plan, sounds.samples, mix.target_lufs, levels, mix.chime_level_db, sounds.energies)
    total = total_frames(plan)
    start, stop = excerpt_window((c.start_s for c in plan.cues if c.kind == "speech"), total)
    excerpt = np.concatenate(
        [np.zeros((0, 2), "<i2"), *render(plan, mastered.sounds, music, envelope, mastered.music_gain, start=start, stop=stop)]
    )
    mastered = mastered.scaled(codec_factor(excerpt, codec))

    def blocks(start: int, stop: int) -> Iterator[np.ndarray]:
        return render(plan, mastered.sounds, music, envelope, mastered.music_gain, start=start, stop=stop)

    def report(done: int) -> None:
        if progress is not None:
            progress("rendering", done, total)

    if codec.fmt == "mp3":
        encode_mp3(path, codec, total, blocks, progress=report)  # on every core when the session is long enough
    elif codec.format.muxer == "ipod" and plan.chapters:
        encode_mp4(path, codec, total, blocks, report, plan.chapters, meta.language)
    elif codec.fmt == "opus" and segment_count(total) > 1:
        encode_opus(path, codec, total, blocks, report)  # on every core: segments' packets joined in one Ogg stream
    else:
        encode_whole(path, codec, blocks(0, total), report)
    write_tags(path, codec.fmt, meta, plan.chapters)
    return Rendered(mastered.loudness_lufs)


def encode_mp4(
    path: Path, codec: Codec, total: int, source: Source, progress: Callable[[int], None], chapters: tuple[Chapter, ...], language: str
) -> None:
    """MP4 with its chapters, language and index muxed as it is written (no second pass over the file to add them);
    AAC of two minutes or more on every core (``aacjoin``)."""
    listing = temp_path(path, ".chapters.txt")
    try:
        listing.write_text(ffmetadata_chapters(chapters), encoding="utf-8")
        inputs = ["-f", "ffmetadata", "-i", ffmpeg.path_arg(listing)]
        muxing = mp4_muxing(1, language, codec.fmt == "m4b")
        if codec.format.encoder[:2] == ("-c:a", "aac") and segment_count(total) > 1:  # on every core: segments joined
            encode_aac(path, codec, total, source, inputs, muxing, progress)
        else:
            encode_whole(path, codec, source(0, total), progress, Encoder(path, codec, inputs, muxing))
    finally:
        listing.unlink(missing_ok=True)


def encode_whole(
    path: Path, codec: Codec, blocks: Iterable[np.ndarray], progress: Callable[[int], None], encoder: Encoder | None = None
) -> None:
    """One encoder, fed as the blocks are rendered."""
    encoder = encoder or Encoder(path, codec)
    try:
        done = 0
        for block in blocks:
            encoder.write(block)
            done += block.shape[0]
            progress(done)
        encoder.finish()
    except BaseException:
        encoder.abort()
        raise
