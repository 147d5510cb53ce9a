"""The podcast feed, from real MP3s: two tiny routines built once per module (real narrator and encoder)."""

from __future__ import annotations

import os
import re
import shutil
import textwrap
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import pytest
from click.testing import CliRunner
from test_tags import make_cover

import voiceguide.cli.commands  # noqa: F401  (registers the subcommands)
from voiceguide import ffmpeg
from voiceguide.build import BuildOptions, BuildResult, build
from voiceguide.built import sidecar_path, write_sidecars
from voiceguide.built.chapters import clock
from voiceguide.built.reader import parse_ffmetadata
from voiceguide.cli import cli
from voiceguide.errors import OutputError
from voiceguide.export.artwork import RULE
from voiceguide.export.feed import (
    ATOM,
    HINT,
    ITUNES,
    PODCAST,
    Episode,
    FeedInfo,
    episode_guid,
    feed_xml,
    file_url,
    plan_artwork,
    podcast_guid,
    write_feed,
)
from voiceguide.render.metadata import read_tags

BASE = "https://example.com/feet/"
ROUTINES = {
    # with side files, as `voiceguide build --sidecars` leaves it
    "a-toes": """
        title: "Toes = first; #1"
        description: Wake up the toes.
        author: Test Author
        cover: teal.png
        music: none
        intro:
          - Welcome.
        techniques:
          - name: Toe press
            steps:
              - Press your toes.
            repetitions: 2
            hold: 1s
        outro:
          - Done.
        """,
    # the MP3 alone: everything comes from its tags
    "b heel é": """
        title: Heel rub
        description: Warm the heel.
        cover: small.jpg
        music: none
        intro:
          - Hello.
        techniques:
          - name: Heel rub
            steps:
              - Rub your heel.
            hold: 1s
        outro:
          - Bye.
        """,
}


@dataclass(frozen=True)
class Built:
    folder: Path
    results: dict[str, BuildResult]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    root = tmp_path_factory.mktemp("feed-build")
    out = root / "out"
    out.mkdir()
    make_cover(root / "teal.png", "1400x1400")
    make_cover(root / "small.jpg", "800x600")
    results = {}
    for name, text in ROUTINES.items():
        source = root / f"{name}.yaml"
        source.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        results[name] = build(source, BuildOptions(output=out, music="none"))
    write_sidecars(results["a-toes"].path, results["a-toes"].plan)
    build(root / "a-toes.yaml", BuildOptions(output=out, music="none", fmt="opus"))  # the same session as Opus
    return Built(out, results)


@pytest.fixture
def site(tmp_path: Path, built: Built) -> Path:
    """A fresh copy of the built folder for each test (mtimes kept)."""
    folder = tmp_path / "site"
    shutil.copytree(built.folder, folder)
    return folder


def run_feed(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["feed", *args])
    return result.exit_code, result.stdout, result.stderr


def items(feed: Path) -> list[ET.Element]:
    return ET.parse(feed).getroot().findall("./channel/item")


def test_feed_parses_and_describes_every_episode(site: Path, built: Built) -> None:
    args = ["--base-url", BASE, "--title", "Foot care", "--image", "https://example.com/c.jpg", "--email", "me@example.com"]
    code, out, err = run_feed(str(site), *args)
    assert code == 0
    assert err == "voiceguide: warning: the cover of b heel é.mp3 is 800×600 px, not square: " + RULE + "\n"
    feed = site / "feed.xml"
    assert out.splitlines()[0] == f"wrote {feed} — 2 episodes"
    parsed = feedparser.parse(feed.read_bytes())
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "rss20"
    channel = parsed.feed
    assert (channel.title, channel.link, channel.language, channel.author) == ("Foot care", BASE, "en", "Test Author")
    assert channel.image.href == "https://example.com/c.jpg"
    assert (channel.publisher_detail.name, channel.publisher_detail.email) == ("Test Author", "me@example.com")  # itunes:owner
    assert [t.term for t in channel.tags] == ["Health & Fitness"]
    names = ["a-toes.mp3", "b heel é.mp3"]  # sorted by file name
    assert [e.enclosures[0].href for e in parsed.entries] == [BASE + "a-toes.mp3", BASE + "b%20heel%20%C3%A9.mp3"]
    for entry, name, result in zip(parsed.entries, names, built.results.values(), strict=True):
        enclosure = entry.enclosures[0]
        assert int(enclosure.length) == (site / name).stat().st_size
        assert enclosure.type == "audio/mpeg"
        assert entry.title == result.session.routine.title
        assert entry.id == episode_guid(BASE, name) and entry.guidislink is False
        assert int(entry.itunes_duration) == round(result.plan.duration_s)
        assert entry.summary.startswith(result.session.routine.description)
        for chapter in result.plan.chapters:  # show notes: every chapter with its time
            assert f"{clock(chapter.start_s)} {chapter.title}" in entry.summary


def test_podcast_elements_only_for_side_files_that_exist(site: Path) -> None:
    sidecar_path(site / "a-toes.mp3", "srt").unlink()
    write_feed(site, FeedInfo("Foot care", BASE))
    with_files, without = items(site / "feed.xml")
    chapters = with_files.find(f"{{{PODCAST}}}chapters")
    assert chapters is not None and chapters.attrib == {"url": BASE + "a-toes.chapters.json", "type": "application/json+chapters"}
    transcripts = [t.attrib for t in with_files.findall(f"{{{PODCAST}}}transcript")]
    assert transcripts == [{"url": BASE + "a-toes.vtt", "type": "text/vtt", "rel": "captions", "language": "en"}]
    assert without.find(f"{{{PODCAST}}}chapters") is None
    assert without.find(f"{{{PODCAST}}}transcript") is None


@pytest.mark.slow  # builds a session again
def test_guid_is_stable_across_runs_and_rebuilds(site: Path, tmp_path: Path) -> None:
    info = FeedInfo("Foot care", BASE)
    write_feed(site, info, tmp_path / "first.xml")
    first = (tmp_path / "first.xml").read_bytes()
    write_feed(site, info, tmp_path / "first.xml")
    assert (tmp_path / "first.xml").read_bytes() == first
    source = tmp_path / "a-toes.yaml"
    source.write_text(textwrap.dedent(ROUTINES["a-toes"]).lstrip("\n"), encoding="utf-8")
    make_cover(tmp_path / "teal.png")
    rebuilt = build(source, BuildOptions(output=site, music="none", rate=220, force=True))  # another delivery, other bytes
    write_sidecars(rebuilt.path, rebuilt.plan)
    write_feed(site, info, tmp_path / "rebuilt.xml")
    before, after = items(tmp_path / "first.xml")[0], items(tmp_path / "rebuilt.xml")[0]
    assert before.findtext("guid") == after.findtext("guid")
    before_enclosure, after_enclosure = before.find("enclosure"), after.find("enclosure")
    assert before_enclosure is not None and after_enclosure is not None
    assert after_enclosure.get("length") == str((site / "a-toes.mp3").stat().st_size) != before_enclosure.get("length")


def test_episode_without_side_files_takes_chapters_and_duration_from_the_mp3(site: Path, built: Built) -> None:
    write_feed(site, FeedInfo("Foot care", BASE))
    item = items(site / "feed.xml")[1]
    plan = built.results["b heel é"].plan
    assert item.findtext(f"{{{ITUNES}}}duration") == str(round(plan.duration_s))
    notes = (item.findtext("description") or "").split("Chapters:\n")[1].splitlines()
    assert notes == [f"{clock(c.start_s)} {c.title}" for c in plan.chapters]


@pytest.mark.parametrize("keep_plan, title", [(True, "Toes = first; #1"), (False, "a-toes")])
def test_title_falls_back_to_the_plan_then_the_file_name(site: Path, keep_plan: bool, title: str) -> None:
    mp3 = site / "a-toes.mp3"
    bare = site / ".bare.mp3"
    ffmpeg.run(["-i", str(mp3), "-map_metadata", "-1", "-map_chapters", "-1", "-c", "copy", str(bare)], "stripping tags")
    os.replace(bare, mp3)
    if not keep_plan:
        sidecar_path(mp3, "plan").unlink()
    write_feed(site, FeedInfo("Foot care", BASE))
    item = items(site / "feed.xml")[0]
    assert item.findtext("title") == title
    assert (item.findtext("description") or "").startswith("Chapters:\n0:00 Introduction")  # from chapters.json


def test_pubdate_is_the_file_modification_time(site: Path) -> None:
    os.utime(site / "a-toes.mp3", (1_700_000_000, 1_700_000_000))
    write_feed(site, FeedInfo("Foot care", BASE))
    assert items(site / "feed.xml")[0].findtext("pubDate") == "Tue, 14 Nov 2023 22:13:20 GMT"


def test_output_option_and_default_path(site: Path, tmp_path: Path) -> None:
    target = tmp_path / "public" / "podcast.xml"
    target.parent.mkdir()
    code, out, _ = run_feed(str(site), "--base-url", BASE, "--title", "T", "-o", str(target))
    covers = sorted(site.glob("cover-*"))
    assert code == 0 and out.splitlines() == [f"wrote {target} — 2 episodes", *(f"wrote {c}" for c in covers)]
    assert len(covers) == 2  # the artwork is served with the audio, from DIR
    assert target.is_file() and not (site / "feed.xml").exists()
    assert not [p for p in target.parent.iterdir() if p != target]  # no temp files left
    assert not list(site.glob(".*"))


def _missing(tmp: Path) -> Path:
    return tmp / "nowhere"


def _empty(tmp: Path) -> Path:
    (tmp / "empty").mkdir()
    return tmp / "empty"


def _no_mp3(tmp: Path) -> Path:
    (tmp / "docs").mkdir()
    (tmp / "docs" / "notes.txt").write_text("hi", encoding="utf-8")
    (tmp / "docs" / ".s.voiceguide-1-x.partial.mp3").write_bytes(b"")  # an unfinished build is no episode
    return tmp / "docs"


def _a_file(tmp: Path) -> Path:
    (tmp / "file.mp3").write_bytes(b"")
    return tmp / "file.mp3"


@pytest.mark.parametrize("make", [_missing, _empty, _no_mp3, _a_file])
def test_bad_folder_is_one_line_and_exit_1(tmp_path: Path, make: Callable[[Path], Path]) -> None:
    folder = make(tmp_path)
    code, out, err = run_feed(str(folder), "--base-url", BASE, "--title", "T")
    assert code == 1 and out == ""
    assert len(err.splitlines()) == 1 and err.startswith("voiceguide: ") and HINT in err
    assert "Traceback" not in err
    assert not list(tmp_path.rglob("feed.xml"))


def test_unreadable_chapters_file_is_one_line(site: Path) -> None:
    sidecar_path(site / "a-toes.mp3", "chapters").write_text("{not json", encoding="utf-8")
    code, _, err = run_feed(str(site), "--base-url", BASE, "--title", "T")
    assert code == 1 and len(err.splitlines()) == 1 and "a-toes.chapters.json" in err
    assert not (site / "feed.xml").exists()


@pytest.mark.parametrize("kind", ["chapters", "plan"])
@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e400", "-1e400"])
def test_a_side_file_with_a_number_that_is_not_finite_is_one_line(site: Path, kind: str, number: str) -> None:
    side = sidecar_path(site / "a-toes.mp3", kind)
    key = "startTime" if kind == "chapters" else "duration_s"
    text, count = re.subn(rf'"{key}": [0-9.]+', f'"{key}": {number}', side.read_text(encoding="utf-8"), count=1)
    assert count == 1
    side.write_text(text, encoding="utf-8")
    code, _, err = run_feed(str(site), "--base-url", BASE, "--title", "T")
    assert code == 1 and len(err.splitlines()) == 1 and side.name in err and "--sidecars" in err, err
    assert not (site / "feed.xml").exists()


def test_side_files_of_another_build_are_refused(site: Path, built: Built) -> None:
    other, mine = built.results["a-toes"].plan, built.results["b heel é"].plan
    assert abs(other.duration_s - mine.duration_s) > 1.0
    write_sidecars(site / "b heel é.mp3", other)  # as if the MP3 was rebuilt later without --sidecars
    code, _, err = run_feed(str(site), "--base-url", BASE, "--title", "T")
    assert code == 1 and len(err.splitlines()) == 1 and "b heel é.mp3" in err and "--sidecars" in err


@pytest.mark.parametrize("url", ["ftp://example.com/x", "example.com/x", "https://", "https://example.com/x?a=1", "javascript:alert(1)"])
def test_base_url_must_be_http(site: Path, url: str) -> None:
    code, _, err = run_feed(str(site), "--base-url", url, "--title", "T")
    assert code == 2 and "not an http(s) address" in err
    with pytest.raises(OutputError):
        write_feed(site, FeedInfo("T", url))
    assert not (site / "feed.xml").exists()


@pytest.mark.parametrize(
    "base, name, url",
    [("https://h/x", "a.mp3", "https://h/x/a.mp3"), ("https://h/x/", "a b.mp3", "https://h/x/a%20b.mp3"),
     ("http://h", "é#?.mp3", "http://h/%C3%A9%23%3F.mp3"), ("https://h/x//", "a/b.mp3", "https://h/x/a%2Fb.mp3")],
)  # fmt: skip
def test_file_urls_are_quoted(base: str, name: str, url: str) -> None:
    assert file_url(base, name) == url


def test_parse_ffmetadata_unescapes_and_reads_chapters() -> None:
    text = (
        ";FFMETADATA1\ntitle=A \\= b\\; \\#c \\\\ d\ncomment=line one\\\nline two\n# a comment\n"
        "[CHAPTER]\nTIMEBASE=1/1000\nSTART=1500\nEND=2000\ntitle=First\n"
        "[CHAPTER]\nTIMEBASE=1/44100\nSTART=88200\nEND=90000\ntitle=Sec\\=ond\n"
    )
    tags, chapters = parse_ffmetadata(text)
    assert tags == {"title": "A = b; #c \\ d", "comment": "line one\nline two"}
    assert [(c.start_s, c.title) for c in chapters] == [(1.5, "First"), (2.0, "Sec=ond")]


def test_feed_xml_drops_characters_xml_cannot_carry() -> None:
    episode = Episode("a.mp3", "Bell\x07 & <toes>", "one\x0btwo", "", 61.4, 10, datetime(2024, 1, 1, tzinfo=UTC))
    item = ET.fromstring(feed_xml(FeedInfo("T", BASE), [episode])).find("./channel/item")
    assert item is not None
    assert (item.findtext("title"), item.findtext("description")) == ("Bell & <toes>", "onetwo")
    assert item.findtext(f"{{{ITUNES}}}duration") == "61"
    assert item.findtext("pubDate") == "Mon, 01 Jan 2024 00:00:00 GMT"


# ------------------------------------------------------------------ what directories ask for


def test_artwork_comes_from_the_sessions_covers(site: Path, tmp_path: Path) -> None:
    code, out, err = run_feed(str(site), "--base-url", BASE, "--title", "Foot care", "--email", "me@example.com")
    assert code == 0 and "800×600 px, not square" in err and "no artwork" not in err
    channel = ET.parse(site / "feed.xml").getroot().find("channel")
    assert channel is not None
    image = channel.find(f"{{{ITUNES}}}image")
    assert image is not None
    served = image.get("href", "").removeprefix(BASE)
    assert served.startswith("cover-") and served.endswith(".png")
    assert (site / served).read_bytes() == read_tags(site / "a-toes.mp3").cover  # the routine's cover, copied as it is
    first, second = items(site / "feed.xml")
    assert first.find(f"{{{ITUNES}}}image") is None  # it shows the channel's
    own = second.find(f"{{{ITUNES}}}image")
    assert own is not None and own.get("href", "").endswith(".jpg")
    assert f"wrote {site / served}" in out.splitlines()


def _episode(name: str, cover: bytes | None) -> Episode:
    return Episode(name, name, "", "", 60.0, 10, datetime(2024, 1, 1, tzinfo=UTC), cover=cover)


@pytest.mark.parametrize(
    "size, pix_fmt, warning",
    [("1400x1400", "", None), ("3000x3000", "", None), ("1200x1200", "", "is 1200×1200 px"), ("3200x3200", "", "is 3200×3200 px"),
     ("1500x1400", "", "is 1500×1400 px, not square"), ("1400x1400", "rgba", "is rgb with alpha"), ("1400x1400", "gray", "is grey")],
)  # fmt: skip
def test_artwork_is_checked_from_its_header(tmp_path: Path, size: str, pix_fmt: str, warning: str | None) -> None:
    cover = make_cover(tmp_path / "c.png", size, pix_fmt).read_bytes()
    pictures, files, warnings = plan_artwork(FeedInfo("T", BASE), [_episode("a.mp3", cover), _episode("b.mp3", None)])
    (name,) = files
    assert files[name] == cover and pictures.channel == BASE + name and pictures.items == {}
    assert warnings == ([] if warning is None else [f"the cover of a.mp3 {warning}: {RULE}"])


def test_no_artwork_is_a_clear_warning(site: Path) -> None:
    pictures, files, warnings = plan_artwork(FeedInfo("T", BASE), [_episode("a.mp3", None)])
    assert (pictures.channel, files) == (None, {})
    assert len(warnings) == 1 and "no artwork, which Apple Podcasts requires" in warnings[0] and "--image" in warnings[0]


def test_the_most_common_cover_is_the_channels(tmp_path: Path) -> None:
    a, b = make_cover(tmp_path / "a.png", "1400x1400").read_bytes(), make_cover(tmp_path / "b.png", "1500x1500").read_bytes()
    episodes = [_episode("1.mp3", a), _episode("2.mp3", b), _episode("3.mp3", b)]
    pictures, files, warnings = plan_artwork(FeedInfo("T", BASE), episodes)
    assert pictures.channel is not None and files[pictures.channel.removeprefix(BASE)] == b
    assert list(pictures.items) == ["1.mp3"] and files[pictures.items["1.mp3"].removeprefix(BASE)] == a
    assert warnings == []


def test_channel_elements_directories_ask_for(site: Path) -> None:
    code, _, _ = run_feed(str(site), "--base-url", BASE, "--title", "Foot care", "--email", "me@example.com", "-o", str(site / "pod.xml"))
    assert code == 0
    root = ET.parse(site / "pod.xml").getroot()
    channel = root.find("channel")
    assert channel is not None
    self_link = channel.find(f"{{{ATOM}}}link")
    assert self_link is not None and self_link.attrib == {"href": BASE + "pod.xml", "rel": "self", "type": "application/rss+xml"}
    guid = channel.findtext(f"{{{PODCAST}}}guid") or ""
    assert uuid.UUID(guid).version == 5 and guid == podcast_guid(BASE + "pod.xml") == podcast_guid("example.com/feet/pod.xml/")
    owner = channel.find(f"{{{ITUNES}}}owner")
    assert owner is not None and owner.findtext(f"{{{ITUNES}}}email") == "me@example.com"
    assert owner.findtext(f"{{{ITUNES}}}name") == "Test Author"
    category = channel.find(f"{{{ITUNES}}}category")
    assert category is not None and category.get("text") == "Health & Fitness"
    assert channel.findtext(f"{{{ITUNES}}}explicit") == "false"


def test_podcast_guid_matches_the_specifications_example() -> None:
    """The Podcasting 2.0 namespace's own example: this feed URL has this podcast:guid."""
    assert podcast_guid("https://mp3s.nashownotes.com/pc20rss.xml") == "917393e3-1b1e-5cef-ace4-edaa54e1f810"


# What the Podcasting 2.0 XSD (podcast-namespace, podcast.xsd) allows on the elements the feed writes.
XSD_ATTRIBUTES = {"transcript": ({"url", "type"}, {"language", "rel"}), "chapters": ({"url", "type"}, set())}


def test_podcast_elements_follow_the_namespace_schema(site: Path) -> None:
    write_feed(site, FeedInfo("Foot care", BASE, email="me@example.com"))
    root = ET.parse(site / "feed.xml").getroot()
    found = [e for e in root.iter() if e.tag.startswith(f"{{{PODCAST}}}")]
    assert {e.tag.split("}")[1] for e in found} == {"guid", "transcript", "chapters"}
    for element in found:
        name = element.tag.split("}")[1]
        if name == "guid":
            assert element.attrib == {} and uuid.UUID(element.text or "").version == 5
            continue
        required, optional = XSD_ATTRIBUTES[name]
        assert required <= set(element.attrib) <= required | optional, (name, element.attrib)
        assert element.attrib["url"].startswith(BASE)


def test_a_base_url_with_a_space_is_percent_encoded(site: Path) -> None:
    code, _, _ = run_feed(str(site), "--base-url", "https://example.com/foot care/é", "--title", "T")
    assert code == 0
    parsed = feedparser.parse((site / "feed.xml").read_bytes())
    base = "https://example.com/foot%20care/%C3%A9/"
    assert parsed.feed.link == base.rstrip("/")
    assert [e.enclosures[0].href for e in parsed.entries] == [base + "a-toes.mp3", base + "b%20heel%20%C3%A9.mp3"]
    assert all(" " not in e.get("href", "") for e in ET.parse(site / "feed.xml").getroot().iter())


@pytest.mark.parametrize("email", ["me", "me@", "me @example.com", "a@b"])
def test_a_bad_email_is_refused(site: Path, email: str) -> None:
    code, _, err = run_feed(str(site), "--base-url", BASE, "--title", "T", "--email", email)
    assert code == 2 and "not an e-mail address" in err
    assert not (site / "feed.xml").exists()


def test_an_opus_feed(site: Path, built: Built) -> None:
    code, _, err = run_feed(str(site), "--base-url", BASE, "--title", "T", "--email", "me@example.com", "--format", "opus")
    assert code == 0 and "Apple Podcasts plays MP3 and M4A episodes only" in err
    (entry,) = feedparser.parse((site / "feed.xml").read_bytes()).entries
    assert entry.title == "Toes = first; #1"  # from the Opus file's own comments
    assert (entry.enclosures[0].href, entry.enclosures[0].type) == (BASE + "a-toes.opus", "audio/ogg")
    assert int(entry.itunes_duration) == round(built.results["a-toes"].plan.duration_s)
