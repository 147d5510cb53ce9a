"""Tags and chapters, written into the encoded file after encoding.

The encoder writes bare audio; ``write_tags`` then gives each container its own tags,
through mutagen, except ID3, whose chapter frames must stay in time order (``id3``):

- MP3 and WAV: an ID3v2.3 tag (WAV: in an ``id3 `` chunk). TIT2 title, TPE1 artist, TALB
  album, TYER year, COMM description, TLAN language, APIC front cover, and one CHAP frame
  per chapter (start and end in ms, TIT2 title) plus a top-level, ordered CTOC frame
  listing them: podcast apps need both (ID3v2 Chapter Frame Addendum 1.0).
- MP4 (m4b, m4a): iTunes atoms ©nam, ©ART, ©alb, ©day, ©cmt and desc (the description),
  covr, and for m4b the audiobook media kind (stik 2). mutagen cannot write MP4 chapters,
  so ffmpeg's MP4 muxer writes them first, in a stream copy: a QuickTime chapter track
  (what Apple Books reads) and a Nero ``chpl`` atom (what many other players read), with
  the track's language, and the index moved to the front (faststart) for streaming.
- FLAC, Ogg Vorbis, Ogg Opus: Vorbis comments TITLE, ARTIST, ALBUM, DATE, COMMENT, LANGUAGE, and
  chapters as ``CHAPTERnnn=HH:MM:SS.mmm`` with ``CHAPTERnnnNAME`` (Xiph's chapter extension,
  numbered 001–999); the cover as a FLAC PICTURE block, in Ogg as METADATA_BLOCK_PICTURE.

Every value is written as it is: no text format to escape, so titles with ``=``, ``;``,
``#`` or newlines come back unchanged. An album is written only when the routine has one.
"""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import mutagen
from mutagen import MutagenError
from mutagen.flac import FLAC, Picture
from mutagen.id3 import ID3
from mutagen.mp4 import MP4, MP4Cover
from mutagen.oggopus import OggOpus
from mutagen.oggvorbis import OggVorbis

from voiceguide import ffmpeg, registry
from voiceguide.errors import RenderError, resource_error
from voiceguide.images import ImageInfo, image_info
from voiceguide.output import destination_of, temp_path
from voiceguide.plan import Chapter
from voiceguide.render import id3

FRONT_COVER = 3  # picture type in ID3 APIC and FLAC PICTURE
MAX_VORBIS_CHAPTERS = 999  # CHAPTER001 … CHAPTER999
UNDETERMINED = "und"  # ISO 639-2 for a language not known
AUDIOBOOK = 2  # MP4 stik (media kind)
REMUX_TIMEOUT_S = 600.0


@dataclass(frozen=True)
class Metadata:
    title: str
    artist: str = ""
    album: str = ""
    year: int | None = None
    comment: str = ""
    cover: Path | None = None
    language: str = ""  # ISO 639-2, three letters (deu): ID3 TLAN, Vorbis LANGUAGE


@dataclass(frozen=True)
class Cover:
    data: bytes
    info: ImageInfo


TagWriter = Callable[[Path, "Metadata", tuple[Chapter, ...], "Cover | None"], None]  # a format's ``tags`` in the registry


def write_tags(path: Path, fmt: str, meta: Metadata, chapters: tuple[Chapter, ...]) -> None:
    """Tag the encoded file ``path`` (of format ``fmt``, with the tag writer the registry names); RenderError if that fails."""
    kind = registry.FORMATS.get(fmt)
    if kind is None:
        raise RenderError(f"no tag writer for {fmt} files")
    writer = cast("TagWriter", registry.load(kind.tags))
    cover = _cover(meta.cover)
    try:
        writer(path, meta, chapters, cover)
    except (OSError, ValueError, MutagenError) as err:
        # mutagen wraps the OSError of a full disk or the file size limit: say that, naming the file asked for
        cause = next((e for e in (err, *err.args[:1], err.__cause__, err.__context__) if isinstance(e, OSError)), None)
        found = resource_error(cause, destination_of(path)) if cause is not None else None
        if found is not None:
            raise found from None
        raise RenderError(f"cannot write the tags of {destination_of(path).name} ({err})") from None


def _cover(path: Path | None) -> Cover | None:
    if path is None:
        return None
    try:
        data = path.read_bytes()
    except OSError as err:
        raise RenderError(f"cannot read the cover image {path} ({err.strerror})") from None
    info = image_info(data)
    if info is None:
        raise RenderError(f"the cover image {path} is not a JPEG or PNG file inside", hint="save it as JPEG or PNG")
    return Cover(data, info)


def text(value: str) -> str:
    """A tag value: NUL characters would split it into several values in ID3 and end it early elsewhere."""
    return value.replace("\x00", "")


# --------------------------------------------------------------------------- ID3


def id3_frames(meta: Metadata, chapters: tuple[Chapter, ...], cover: Cover | None) -> list[bytes]:
    """Every frame of the ID3 tag, in the order they are written: chapters last, in time order."""
    frames = [id3.text_frame("TIT2", text(meta.title))]
    if meta.artist:
        frames.append(id3.text_frame("TPE1", text(meta.artist)))
    if meta.album:
        frames.append(id3.text_frame("TALB", text(meta.album)))
    if meta.year is not None:
        frames.append(id3.text_frame("TYER", str(meta.year)))
    if meta.comment:
        frames.append(id3.comment_frame(meta.language or UNDETERMINED, text(meta.comment)))
    if meta.language:
        frames.append(id3.text_frame("TLAN", meta.language))
    if cover is not None:
        frames.append(id3.picture_frame(cover.info.mime, cover.data, FRONT_COVER))
    marks = [
        id3.ChapterMark(f"chp{index}", round(c.start_s * 1000), round(c.end_s * 1000), text(c.title))
        for index, c in enumerate(sorted(chapters, key=lambda c: c.start_s))
    ]
    return frames + id3.chapter_frames(marks)


def tag_mp3(path: Path, meta: Metadata, chapters: tuple[Chapter, ...], cover: Cover | None) -> None:
    id3.write_mp3(path, id3.tag(id3_frames(meta, chapters, cover)))


def tag_wav(path: Path, meta: Metadata, chapters: tuple[Chapter, ...], cover: Cover | None) -> None:
    id3.write_wav(path, id3.tag(id3_frames(meta, chapters, cover)))


# --------------------------------------------------------------------------- MP4


def ffmetadata_chapters(chapters: tuple[Chapter, ...]) -> str:
    """The chapters in ffmpeg's FFMETADATA text, which its MP4 muxer turns into a chapter track and ``chpl``."""
    lines = [";FFMETADATA1"]
    for chapter in chapters:
        start, end = round(chapter.start_s * 1000), round(chapter.end_s * 1000)
        lines += ["[CHAPTER]", "TIMEBASE=1/1000", f"START={start}", f"END={end}", f"title={_escape(text(chapter.title))}"]
    return "\n".join(lines) + "\n"


def _escape(value: str) -> str:
    """FFMETADATA escaping: = ; # \\ and newlines take a backslash."""
    for ch in ("\\", "=", ";", "#", "\n"):
        value = value.replace(ch, "\\" + ch)
    return value


def mp4_muxing(chapters_input: int, language: str, audiobook: bool) -> list[str]:
    """ffmpeg output arguments for MP4: chapters and (empty) global tags from input ``chapters_input`` (an FFMETADATA
    file: ``ffmetadata_chapters``), the track's language, the index in front, the audiobook brand."""
    # -map_metadata N takes the (empty) global tags of the chapter input: -1 would drop the chapter titles too
    args = ["-map_metadata", str(chapters_input), "-map_chapters", str(chapters_input)]
    args += ["-metadata:s:a:0", f"language={language or UNDETERMINED}", "-movflags", "+faststart"]
    return [*args, *(["-brand", "M4B "] if audiobook else [])]


def _mp4_chapters(path: Path, chapters: tuple[Chapter, ...], language: str, audiobook: bool) -> None:
    """Rewrite ``path`` by stream copy with its chapters, the track's language and the index in front."""
    temp = temp_path(path, ".chapters.mp4")
    args = [*ffmpeg.SAFE_INPUT, "-i", ffmpeg.path_arg(path), "-f", "ffmetadata", "-i", "pipe:0", "-map", "0:a"]
    args += ["-c", "copy", *mp4_muxing(1, language, audiobook), "-fflags", "+bitexact", "-flags:a", "+bitexact"]
    args += ["-f", "ipod", "-y", ffmpeg.path_arg(temp)]
    try:
        chapters_text = ffmetadata_chapters(chapters).encode("utf-8")
        ffmpeg.run(args, f"writing the chapters of {destination_of(path).name}", REMUX_TIMEOUT_S, chapters_text, writes=temp)
        temp.replace(path)
    finally:
        temp.unlink(missing_ok=True)


def _has_chapters(audio: MP4, chapters: tuple[Chapter, ...]) -> bool:
    """Whether the file already holds these chapters (muxed while encoding): then it is not rewritten."""
    found = [(round(c.start * 1000), c.title) for c in (audio.chapters or [])]
    return bool(chapters) and found == [(round(c.start_s * 1000), text(c.title)) for c in chapters]


def _mp4(path: Path, meta: Metadata, chapters: tuple[Chapter, ...], cover: Cover | None, audiobook: bool) -> None:
    audio = MP4(path)
    if not _has_chapters(audio, chapters):
        _mp4_chapters(path, chapters, meta.language, audiobook)
        audio = MP4(path)
    if audio.tags is None:
        audio.add_tags()
    audio.tags.clear()
    fields = {"\xa9nam": meta.title, "\xa9ART": meta.artist, "\xa9alb": meta.album, "\xa9cmt": meta.comment, "desc": meta.comment}
    fields["\xa9day"] = str(meta.year) if meta.year is not None else ""
    audio.tags.update({key: [text(value)] for key, value in fields.items() if value})
    if cover is not None:
        audio.tags["covr"] = [MP4Cover(cover.data, MP4Cover.FORMAT_PNG if cover.info.kind == "png" else MP4Cover.FORMAT_JPEG)]
    if audiobook:
        audio.tags["stik"] = [AUDIOBOOK]
    audio.save()


def tag_m4b(path: Path, meta: Metadata, chapters: tuple[Chapter, ...], cover: Cover | None) -> None:
    _mp4(path, meta, chapters, cover, audiobook=True)


def tag_m4a(path: Path, meta: Metadata, chapters: tuple[Chapter, ...], cover: Cover | None) -> None:
    _mp4(path, meta, chapters, cover, audiobook=False)


# ---------------------------------------------------------------- Vorbis comments


def vorbis_comments(meta: Metadata, chapters: tuple[Chapter, ...]) -> list[tuple[str, str]]:
    """Every Vorbis comment but the picture, in order."""
    fields = [("TITLE", meta.title), ("ARTIST", meta.artist), ("ALBUM", meta.album)]
    fields += [("DATE", str(meta.year) if meta.year is not None else ""), ("COMMENT", meta.comment), ("LANGUAGE", meta.language)]
    comments = [(key, text(value)) for key, value in fields if value]
    for number, chapter in enumerate(chapters[:MAX_VORBIS_CHAPTERS], start=1):
        comments += [(f"CHAPTER{number:03d}", clock_ms(chapter.start_s)), (f"CHAPTER{number:03d}NAME", text(chapter.title))]
    return comments


def clock_ms(seconds: float) -> str:
    """``3723.5`` → ``01:02:03.500``, the time form of Vorbis chapters."""
    ms = max(0, round(seconds * 1000))
    return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}"


def _picture(cover: Cover) -> Picture:
    picture = Picture()
    picture.type = FRONT_COVER
    picture.mime = cover.info.mime
    picture.width, picture.height = cover.info.width, cover.info.height
    picture.depth = 24
    picture.data = cover.data
    return picture


def tag_flac(path: Path, meta: Metadata, chapters: tuple[Chapter, ...], cover: Cover | None) -> None:
    audio = FLAC(path)
    audio.delete()  # the encoder's own comment and any picture
    audio.clear_pictures()
    if audio.tags is None:
        audio.add_tags()
    audio.tags.extend(vorbis_comments(meta, chapters))
    if cover is not None:
        audio.add_picture(_picture(cover))
    audio.save()


def _ogg(path: Path, meta: Metadata, chapters: tuple[Chapter, ...], cover: Cover | None, kind: Callable[[Path], Any]) -> None:
    audio = kind(path)
    audio.tags.clear()
    audio.tags.extend(vorbis_comments(meta, chapters))
    if cover is not None:
        audio.tags.append(("METADATA_BLOCK_PICTURE", base64.b64encode(_picture(cover).write()).decode("ascii")))
    audio.save(padding=lambda _info: 0)  # ffmpeg warns about bytes left after the comments


def tag_ogg(path: Path, meta: Metadata, chapters: tuple[Chapter, ...], cover: Cover | None) -> None:
    _ogg(path, meta, chapters, cover, OggVorbis)


def tag_opus(path: Path, meta: Metadata, chapters: tuple[Chapter, ...], cover: Cover | None) -> None:
    _ogg(path, meta, chapters, cover, OggOpus)


# ----------------------------------------------------------------- reading back


@dataclass(frozen=True)
class Tags:
    """What a file's own tags say (empty strings where they say nothing)."""

    title: str = ""
    artist: str = ""
    comment: str = ""
    language: str = ""  # as written: ISO 639-2 from voiceguide
    cover: bytes | None = None
    chapters: tuple[tuple[float, str], ...] = ()  # (start in seconds, title), by start
    duration_s: float | None = None


def read_tags(path: Path) -> Tags:
    """The tags, cover, chapters and length of an audio file of any format voiceguide writes.

    RenderError when mutagen cannot read the file; an unknown format gives empty Tags.
    """
    try:
        audio = mutagen.File(path)
    except (OSError, ValueError, MutagenError) as err:
        raise RenderError(f"cannot read the tags of {path.name} ({err})") from None
    if audio is None:
        return Tags()
    duration = float(audio.info.length) if getattr(audio, "info", None) and audio.info.length else None
    tags = audio.tags
    if isinstance(tags, ID3):
        found = _id3_tags(tags)
    elif isinstance(audio, MP4):
        found = _mp4_tags(audio)
    elif tags is not None and hasattr(tags, "as_dict"):
        found = _vorbis_tags(tags.as_dict(), getattr(audio, "pictures", []))
    else:
        found = Tags()
    return dataclasses.replace(found, duration_s=duration)


def _id3_tags(tags: ID3) -> Tags:
    def first(frame_id: str) -> str:
        frames = tags.getall(frame_id)
        return str(frames[0]) if frames else ""

    comments = [f for f in tags.getall("COMM") if not f.desc]
    pictures = sorted(tags.getall("APIC"), key=lambda f: f.type != FRONT_COVER)
    chapters = sorted((f.start_time / 1000, str(f.sub_frames.get("TIT2", ""))) for f in tags.getall("CHAP"))
    return Tags(
        first("TIT2"), first("TPE1"), str(comments[0]) if comments else "", first("TLAN"),
        bytes(pictures[0].data) if pictures else None, tuple(chapters),
    )  # fmt: skip


def _mp4_tags(audio: MP4) -> Tags:
    tags = audio.tags or {}

    def first(key: str) -> str:
        values = tags.get(key) or [""]
        return str(values[0])

    covers = tags.get("covr") or []
    chapters = tuple((float(c.start), str(c.title)) for c in audio.chapters or ())
    return Tags(first("\xa9nam"), first("\xa9ART"), first("desc") or first("\xa9cmt"), "", bytes(covers[0]) if covers else None, chapters)


def _vorbis_tags(comments: dict[str, list[str]], pictures: list[Picture]) -> Tags:
    def first(*keys: str) -> str:
        return next((values[0] for key in keys if (values := comments.get(key.lower())) and values), "")

    pictures = list(pictures)
    if not pictures:
        for encoded in comments.get("metadata_block_picture", []):
            try:
                pictures.append(Picture(base64.b64decode(encoded)))
            except (ValueError, MutagenError):
                continue
    pictures = sorted(pictures, key=lambda p: p.type != FRONT_COVER)
    chapters = []
    for key, values in comments.items():
        if len(key) == 10 and key.startswith("chapter") and key[7:].isdigit() and values:
            start = _clock_seconds(values[0])
            if start is not None:
                chapters.append((start, first(key + "name")))
    return Tags(
        first("title"), first("artist"), first("comment", "description"), first("language"),
        bytes(pictures[0].data) if pictures else None, tuple(sorted(chapters)),
    )  # fmt: skip


def _clock_seconds(value: str) -> float | None:
    """``01:02:03.500`` → 3723.5; None if it is not such a time."""
    try:
        hours, minutes, seconds = value.strip().split(":")
        return int(hours) * 3600 + int(minutes) * 60 + float(seconds)
    except ValueError:
        return None
