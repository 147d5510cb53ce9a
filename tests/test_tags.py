"""Tags and chapters written after encoding, read back by clients nobody here wrote: ffmpeg's demuxer and mutagen.

Each format is encoded by the real encoder from a few seconds of tone, then tagged with
values full of characters that text formats escape (``= ; # \\``, newlines, accents).
"""

from __future__ import annotations

import base64
import hashlib
import subprocess
from pathlib import Path

import numpy as np
import pytest
from audio_checks import decode, ffmetadata
from mutagen.flac import FLAC, Picture
from mutagen.id3 import ID3, CTOCFlags
from mutagen.mp4 import MP4, Atoms
from mutagen.oggopus import OggOpus
from mutagen.oggvorbis import OggVorbis
from mutagen.wave import WAVE

from voiceguide import ffmpeg
from voiceguide.errors import RenderError
from voiceguide.plan import Chapter
from voiceguide.render import SAMPLE_RATE
from voiceguide.render.encode import Encoder
from voiceguide.render.metadata import MAX_VORBIS_CHAPTERS, Metadata, Tags, clock_ms, read_tags, vorbis_comments, write_tags
from voiceguide.render.settings import Codec

SECONDS = 6.0
TITLE = 'Toes = first; #1 \\ "quoted"\nsecond line'
COMMENT = "Wake up the toes.\nThen rest; breathe = calm #2."
CHAPTERS = (Chapter("Introduction", 0.0, 1.25), Chapter("Toe press = 1; #a \\ b", 1.25, 4.0), Chapter("Zoë's ending", 4.0, SECONDS))
pytestmark = pytest.mark.slow  # the real encoder, then ffmpeg and mutagen reading back
TAGGED = ["mp3", "m4b", "m4a", "flac", "opus", "ogg", "wav"]
OGG = ("opus", "ogg")
MP4_FORMATS = ("m4b", "m4a")  # ffmpeg puts an Ogg file's comments on its audio stream


def make_cover(path: Path, size: str = "1400x1400", pix_fmt: str = "") -> Path:
    """A real image of the given size, made by ffmpeg (its kind from the suffix)."""
    colours = ["-pix_fmt", pix_fmt] if pix_fmt else []
    subprocess.run(
        [ffmpeg.ffmpeg_exe(), "-nostdin", "-v", "error", "-f", "lavfi", "-i", f"color=c=teal:s={size}", "-frames:v", "1", *colours,
         "-y", str(path)],
        check=True, timeout=60,
    )  # fmt: skip
    return path


def encode(path: Path, fmt: str) -> Path:
    """``SECONDS`` of a stereo tone through the real encoder, untagged."""
    t = np.arange(round(SECONDS * SAMPLE_RATE)) / SAMPLE_RATE
    tone = np.round(8000 * np.sin(2 * np.pi * 440 * t)).astype("<i2")
    encoder = Encoder(path, Codec(fmt))
    for start in range(0, tone.size, 65536):
        piece = tone[start : start + 65536]
        encoder.write(np.column_stack([piece, piece]))
    encoder.finish()
    return path


@pytest.fixture(scope="module")
def cover(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_cover(tmp_path_factory.mktemp("cover") / "cover.png")


def meta(cover: Path | None = None, album: str = "") -> Metadata:
    return Metadata(TITLE, "Zoë Example", album, 2024, COMMENT, cover, language="deu")


def pcm_digest(path: Path) -> str:
    return hashlib.sha256(decode(path).tobytes()).hexdigest()


@pytest.mark.parametrize("fmt", TAGGED)
def test_ffmpeg_reads_back_every_tag_and_chapter(fmt: str, tmp_path: Path, cover: Path) -> None:
    path = encode(tmp_path / f"s.{fmt}", fmt)
    before = pcm_digest(path)
    write_tags(path, fmt, meta(cover, album="Foot care"), CHAPTERS)
    assert pcm_digest(path) == before  # tagging leaves the audio alone
    demuxed = ffmetadata(path, stream_tags=fmt in OGG)
    tags = demuxed.tags
    assert (tags["title"], tags["artist"], tags["album"], tags["comment"]) == (TITLE, "Zoë Example", "Foot care", COMMENT)
    assert tags["date"] == "2024"
    assert (ffmetadata(path, stream_tags=True) if fmt in MP4_FORMATS else demuxed).tags["language"] == "deu"  # MP4: the track's language
    assert [c.title for c in demuxed.chapters] == [c.title for c in CHAPTERS]
    # ffmpeg -f ffmetadata shifts an MP3's chapters by its encoder delay (1105 samples, 25 ms); `ffmpeg -i` shows them exact
    slack = 0.026 if fmt == "mp3" else 0.001
    assert [c.start_s for c in demuxed.chapters] == pytest.approx([c.start_s for c in CHAPTERS], abs=slack)
    assert demuxed.chapters[-1].end_s == pytest.approx(SECONDS, abs=0.05)
    assert "attached pic" in _streams(path)


def _streams(path: Path) -> str:
    result = subprocess.run(
        [ffmpeg.ffmpeg_exe(), "-nostdin", "-hide_banner", "-i", str(path)], capture_output=True, timeout=60, check=False
    )
    return result.stderr.decode("utf-8", "replace")


@pytest.mark.parametrize("fmt", ["mp3", "wav"])
def test_id3_frames(fmt: str, tmp_path: Path, cover: Path) -> None:
    path = encode(tmp_path / f"s.{fmt}", fmt)
    write_tags(path, fmt, meta(cover), CHAPTERS)
    tags = ID3(path) if fmt == "mp3" else WAVE(path).tags
    assert tags is not None and tags.version == (2, 3, 0)
    assert str(tags["TIT2"]) == TITLE and str(tags["TPE1"]) == "Zoë Example"
    (comm,) = tags.getall("COMM")  # a real comment, which players show, not TXXX:comment
    assert (comm.lang, comm.desc, str(comm)) == ("deu", "", COMMENT)
    assert str(tags["TLAN"]) == "deu"
    assert str(tags["TDRC"]) == "2024"  # written as TYER (2.3); mutagen reads it as 2.4's TDRC
    assert not tags.getall("TALB")  # no album unless the routine names one
    assert not tags.getall("TXXX")
    (apic,) = tags.getall("APIC")
    assert (apic.type, apic.mime, apic.data) == (3, "image/png", cover.read_bytes())
    chaps = sorted(tags.getall("CHAP"), key=lambda f: f.start_time)
    assert [str(f.sub_frames["TIT2"]) for f in chaps] == [c.title for c in CHAPTERS]
    assert [(f.start_time, f.end_time) for f in chaps] == [(round(c.start_s * 1000), round(c.end_s * 1000)) for c in CHAPTERS]
    (toc,) = tags.getall("CTOC")
    assert toc.flags & CTOCFlags.TOP_LEVEL and toc.flags & CTOCFlags.ORDERED
    assert toc.child_element_ids == [f.element_id for f in chaps]


@pytest.mark.parametrize("fmt", ["flac", "opus", "ogg"])
def test_vorbis_comments_and_picture(fmt: str, tmp_path: Path, cover: Path) -> None:
    path = encode(tmp_path / f"s.{fmt}", fmt)
    write_tags(path, fmt, meta(cover), CHAPTERS)
    audio = {"flac": FLAC, "opus": OggOpus, "ogg": OggVorbis}[fmt](path)
    assert audio.tags is not None
    comments = list(audio.tags)
    assert [(k, v) for k, v in comments if k != "METADATA_BLOCK_PICTURE"] == vorbis_comments(meta(cover), CHAPTERS)
    assert ("CHAPTER002", "00:00:01.250") in comments and ("CHAPTER002NAME", CHAPTERS[1].title) in comments
    assert not any(key in ("ALBUM", "ENCODER") for key, _ in comments)
    if fmt == "flac":
        (picture,) = audio.pictures
    else:
        (encoded,) = [v for k, v in comments if k == "METADATA_BLOCK_PICTURE"]
        picture = Picture(base64.b64decode(encoded))
    assert (picture.type, picture.mime, picture.width, picture.height) == (3, "image/png", 1400, 1400)
    assert picture.data == cover.read_bytes()


@pytest.mark.parametrize("fmt", MP4_FORMATS)
def test_mp4_atoms_chapter_track_and_nero_chapters(fmt: str, tmp_path: Path, cover: Path) -> None:
    path = encode(tmp_path / f"s.{fmt}", fmt)
    write_tags(path, fmt, meta(cover), CHAPTERS)
    audio = MP4(path)
    assert audio.tags is not None
    assert (audio.tags["\xa9nam"], audio.tags["\xa9ART"], audio.tags["\xa9day"]) == ([TITLE], ["Zoë Example"], ["2024"])
    assert audio.tags["\xa9cmt"] == audio.tags["desc"] == [COMMENT]
    assert "\xa9alb" not in audio.tags
    assert bytes(audio.tags["covr"][0]) == cover.read_bytes()
    assert audio.tags.get("stik") == ([2] if fmt == "m4b" else None)  # the audiobook media kind
    assert audio.chapters is not None  # mutagen reads the Nero chpl atom
    assert [(c.title, c.start) for c in audio.chapters] == [(c.title, pytest.approx(c.start_s, abs=0.001)) for c in CHAPTERS]
    with path.open("rb") as f:
        top = Atoms(f).atoms
    names = [a.name for a in top]
    assert names.index(b"moov") < names.index(b"mdat")  # faststart: players can start before the whole file is in
    traks = [a for a in top[names.index(b"moov")].children if a.name == b"trak"]
    assert len(traks) == 2  # the audio, and the QuickTime chapter track (text) it refers to through tref/chap
    assert "Data: bin_data (text" in _streams(path)
    with path.open("rb") as f:
        head = f.read(12)
    assert head[8:12] == (b"M4B " if fmt == "m4b" else b"M4A ")


def test_mp4_chapter_track_alone_carries_the_titles(tmp_path: Path) -> None:
    """Apple Books reads the QuickTime chapter track only: without the chpl atom, ffmpeg still finds every title."""
    path = encode(tmp_path / "s.m4b", "m4b")
    write_tags(path, "m4b", meta(), CHAPTERS)
    with path.open("rb") as f:
        (chpl,) = Atoms(f).path(b"moov", b"udta", b"chpl")[-1:]
    with path.open("r+b") as f:  # the chpl atom becomes a free atom: same size, ignored by every reader
        f.seek(chpl.offset + 4)
        f.write(b"free")
    assert MP4(path).chapters is None
    demuxed = ffmetadata(path)
    assert [c.title for c in demuxed.chapters] == [c.title for c in CHAPTERS]
    assert [c.start_s for c in demuxed.chapters] == pytest.approx([c.start_s for c in CHAPTERS], abs=0.001)


@pytest.mark.parametrize("fmt", TAGGED)
def test_read_tags_gives_back_what_was_written(fmt: str, tmp_path: Path, cover: Path) -> None:
    path = encode(tmp_path / f"s.{fmt}", fmt)
    assert read_tags(path).title == ""
    write_tags(path, fmt, meta(cover), CHAPTERS)
    found = read_tags(path)
    assert (found.title, found.artist, found.comment, found.cover) == (TITLE, "Zoë Example", COMMENT, cover.read_bytes())
    assert found.language == ("" if fmt in MP4_FORMATS else "deu")  # MP4 keeps it on the track, where mutagen does not look
    assert [title for _, title in found.chapters] == [c.title for c in CHAPTERS]
    assert [start for start, _ in found.chapters] == pytest.approx([c.start_s for c in CHAPTERS], abs=0.001)
    assert found.duration_s == pytest.approx(SECONDS, abs=0.05)


def test_read_tags_of_what_is_no_audio(tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("not audio", encoding="utf-8")
    assert read_tags(text) == Tags()
    fake = tmp_path / "notes.mp3"
    fake.write_text("not audio", encoding="utf-8")
    with pytest.raises(RenderError, match=r"cannot read the tags of notes\.mp3"):
        read_tags(fake)


@pytest.mark.parametrize("fmt", TAGGED)
def test_tagging_again_replaces_the_tags(fmt: str, tmp_path: Path, cover: Path) -> None:
    path = encode(tmp_path / f"s.{fmt}", fmt)
    before = pcm_digest(path)
    write_tags(path, fmt, meta(cover, album="Old"), CHAPTERS)
    write_tags(path, fmt, Metadata("New title"), CHAPTERS[:1])
    assert pcm_digest(path) == before
    demuxed = ffmetadata(path, stream_tags=fmt in OGG)
    assert demuxed.tags.get("title") == "New title"
    assert not {"album", "artist", "comment"} & set(demuxed.tags)
    assert [c.title for c in demuxed.chapters] == ["Introduction"]
    assert "attached pic" not in _streams(path)


def test_more_than_255_chapters_get_nested_tables_of_contents(tmp_path: Path) -> None:
    many = tuple(Chapter(f"Part {i}", i * 0.03, (i + 1) * 0.03) for i in range(600))
    path = encode(tmp_path / "s.mp3", "mp3")
    write_tags(path, "mp3", Metadata("T"), many)
    tags = ID3(path)
    tables = {toc.element_id: toc for toc in tags.getall("CTOC")}
    top = [toc for toc in tables.values() if toc.flags & CTOCFlags.TOP_LEVEL]
    assert len(top) == 1 and top[0].child_element_ids == ["toc1", "toc2", "toc3"]
    listed = [child for name in top[0].child_element_ids for child in tables[name].child_element_ids]
    chaps = {f.element_id: f for f in tags.getall("CHAP")}
    assert [str(chaps[name].sub_frames["TIT2"]) for name in listed] == [c.title for c in many]
    assert [c.title for c in ffmetadata(path).chapters] == [c.title for c in many]  # frames in time order


@pytest.mark.parametrize("fmt", ["mp3", "m4b", "opus"])
def test_a_nul_character_cannot_cut_or_split_a_value(fmt: str, tmp_path: Path) -> None:
    path = encode(tmp_path / f"s.{fmt}", fmt)
    write_tags(path, fmt, Metadata("Toes\x00 and heels", comment="one\x00two"), (Chapter("In\x00tro", 0.0, SECONDS),))
    found = read_tags(path)
    assert (found.title, found.comment, found.chapters[0][1]) == ("Toes and heels", "onetwo", "Intro")


def test_tagging_twice_gives_the_same_bytes(tmp_path: Path, cover: Path) -> None:
    a, b = encode(tmp_path / "a.mp3", "mp3"), encode(tmp_path / "b.mp3", "mp3")
    for path in (a, b):
        write_tags(path, "mp3", meta(cover), CHAPTERS)
    assert a.read_bytes() == b.read_bytes()


def test_vorbis_chapter_numbers_stop_at_999() -> None:
    many = tuple(Chapter(f"C{i}", float(i), float(i + 1)) for i in range(1005))
    keys = [key for key, _ in vorbis_comments(Metadata("T"), many)]
    assert keys[0] == "TITLE" and keys[1] == "CHAPTER001" and keys[-1] == f"CHAPTER{MAX_VORBIS_CHAPTERS}NAME"


@pytest.mark.parametrize("seconds, text", [(0, "00:00:00.000"), (3723.5, "01:02:03.500"), (59.9996, "00:01:00.000"), (-1, "00:00:00.000")])
def test_clock_ms(seconds: float, text: str) -> None:
    assert clock_ms(seconds) == text


def test_a_cover_that_is_no_image_is_a_render_error(tmp_path: Path) -> None:
    path = encode(tmp_path / "s.mp3", "mp3")
    fake = tmp_path / "cover.jpg"
    fake.write_bytes(b"\xff\xd8\xff but not really a JPEG")
    with pytest.raises(RenderError, match="not a JPEG or PNG"):
        write_tags(path, "mp3", Metadata("T", cover=fake), ())


def test_a_file_that_is_not_what_its_format_says_is_a_render_error(tmp_path: Path) -> None:
    path = tmp_path / "s.flac"
    path.write_bytes(b"not flac at all" * 100)
    with pytest.raises(RenderError, match=r"cannot write the tags of s\.flac"):
        write_tags(path, "flac", Metadata("T"), ())
