"""A podcast feed from a folder of built sessions: RSS 2.0 with the iTunes, Podcasting 2.0 and Atom namespaces.

One item per audio file of the chosen format in the folder, sorted by file name (see
``episodes`` for what each item is read from).

- ``guid``: a UUID5 of the episode's URL (base URL + file name), not of its bytes, so
  rebuilding a session (another voice, new music) keeps it the same episode in podcast
  apps. Renaming the file or moving the base URL makes it a new episode.
- ``pubDate``: the date chosen once per episode, recorded in its plan side file by its
  first build (or the routine's ``published:``), so rebuilding, copying or touching keeps
  it; without a plan side file, the file's modification time (RFC 2822, UTC).
- ``itunes:episode``: numbered by date order from ``first_episode``; ``itunes:season`` when given;
  ``itunes:explicit`` per episode (the routine's ``explicit:``); one Apple category.
- Apple's limits: titles of more than 255 characters are refused, descriptions of more than
  4,000 bytes cut at a sentence with a warning (``directory``).
- The feed's own URL is the base URL + the feed file's name: ``atom:link rel="self"``
  and ``podcast:guid`` (a UUID5 of that URL without its scheme and trailing slashes, in
  the namespace the Podcasting 2.0 specification gives) are made from it.
- Artwork: ``--image``, else the cover most sessions carry, written beside the audio as
  ``cover-<hash>.<ext>``; a session with a cover of its own gets it as its item image.
  What directories would refuse (size, shape, colours, no artwork, no owner e-mail) is
  reported as warnings: the feed is still written.
- Every URL is percent-encoded: file names (spaces, accents, ``#``, ``?``) and the base URL's path.
"""

from __future__ import annotations

import re
import uuid
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

from voiceguide import registry
from voiceguide.built import page_path, sidecar_path
from voiceguide.errors import OutputError
from voiceguide.export.artwork import RULE, Artwork, artwork, most_common, problems
from voiceguide.export.directory import DEFAULT_CATEGORY, checked_title, cut_description, show_description
from voiceguide.export.episodes import HINT, Episode, _episode_language, find_audio, read_episode
from voiceguide.output import Outputs
from voiceguide.registry import DEFAULT_FORMAT

__all__ = [
    "HINT", "Episode", "FeedInfo", "FeedResult", "_episode_language", "episode_guid", "feed_xml", "file_url", "podcast_guid",
    "write_feed",
]  # fmt: skip

ITUNES = "http://www.itunes.com/dtds/podcast-1.0.dtd"
PODCAST = "https://podcastindex.org/namespace/1.0"
ATOM = "http://www.w3.org/2005/Atom"
PODCAST_GUID_NAMESPACE = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")  # Podcasting 2.0, podcast:guid
FEED_NAME = "feed.xml"
GENERATOR = "voiceguide"
TRANSCRIPTS = (("vtt", "text/vtt"), ("srt", "application/x-subrip"))
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")  # XML 1.0 Char production
_URL_PATH_SAFE = "/:@!$&'()*+,;=~-._%"
_EMAIL = re.compile(r"[^@\s<>\"(),;:]+@[^@\s<>\"(),;:]+\.[^@\s<>\"(),;:]+")


@dataclass(frozen=True)
class FeedInfo:
    """What the channel says about itself; ``base_url`` is where the folder is served."""

    title: str
    base_url: str
    author: str = ""
    description: str = ""
    image: str | None = None  # artwork URL; default: the sessions' own cover, served beside them
    language: str | None = None  # default: the episodes' own (the most common), else en
    email: str = ""  # the owner's, for itunes:owner: directories send a code there to confirm the podcast is yours
    fmt: str = DEFAULT_FORMAT  # which files of the folder are the episodes
    category: tuple[str, str] = DEFAULT_CATEGORY  # Apple's category and sub-category ("" for none): directory.category
    season: int | None = None  # itunes:season of every episode
    first_episode: int = 1  # itunes:episode of the earliest episode; the others follow in date order
    owner: str = ""  # itunes:owner's name; default: the author


@dataclass(frozen=True)
class Pictures:
    """Artwork URLs: the channel's, and each episode's that differs from it (by file name)."""

    channel: str | None = None
    items: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class FeedResult:
    path: Path
    episodes: int
    warnings: tuple[str, ...] = ()
    artwork: tuple[Path, ...] = ()  # artwork files written beside the audio


def check_url(url: str, what: str = "base URL") -> str:
    """``url`` as an absolute http(s) URL, its path percent-encoded; OutputError if it is not one.

    A query or fragment is refused (file names are appended to it).
    """
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise OutputError(f"the {what} '{url}' is not an http(s) address", hint="write it like https://example.com/sessions")
    if any(not ("!" <= ch <= "~") for ch in parts.netloc):
        raise OutputError(f"the host in the {what} '{url}' has spaces or letters beyond ASCII", hint="write it in ASCII (punycode)")
    path = quote(re.sub("%(?![0-9A-Fa-f]{2})", "%25", parts.path), safe=_URL_PATH_SAFE)
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def check_email(address: str) -> str:
    if not _EMAIL.fullmatch(address):
        raise OutputError(f"'{address}' is not an e-mail address", hint="write it like you@example.com")
    return address


def file_url(base_url: str, name: str) -> str:
    """The URL of ``name`` under ``base_url``; the name is percent-encoded (spaces, accents, #, ?)."""
    return base_url.rstrip("/") + "/" + quote(name, safe="")


def episode_guid(base_url: str, name: str) -> str:
    """A stable id for an episode: UUID5 of its URL (independent of the audio's bytes)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, file_url(base_url, name)))


def podcast_guid(feed_url: str) -> str:
    """The podcast's podcast:guid: UUID5 of the feed URL without its scheme and trailing slashes (Podcasting 2.0)."""
    return str(uuid.uuid5(PODCAST_GUID_NAMESPACE, feed_url.split("://", 1)[-1].rstrip("/")))


def feed_language(info: FeedInfo, episodes: list[Episode]) -> str:
    """The channel's language: as given, else the one most episodes are in, else en."""
    if info.language:
        return info.language
    found = Counter(e.language for e in episodes if e.language).most_common(1)
    return found[0][0] if found else "en"


def plan_artwork(info: FeedInfo, episodes: list[Episode]) -> tuple[Pictures, dict[str, bytes], list[str]]:
    """Which artwork the feed shows, the files to serve it from (by name) and what directories would object to."""
    files: dict[str, bytes] = {}
    warnings: list[str] = []

    def serve(art: Artwork, whose: str) -> str:
        if art.name not in files:
            warnings.extend(f"{whose} {problem}: {RULE}" for problem in problems(art.info))
            files[art.name] = art.data
        return file_url(info.base_url, art.name)

    channel, shown = info.image, None
    if channel is None:
        shown = most_common([e.cover for e in episodes])
        art = artwork(shown)
        if art is not None:
            channel = serve(art, f"the cover of {next(e.name for e in episodes if e.cover == shown)}")
        else:
            warnings.append(
                f"the feed has no artwork, which Apple Podcasts requires: give the routines a cover ({RULE}) and rebuild, or pass --image URL"
            )
    items = {}
    for e in episodes:
        art = artwork(e.cover) if e.cover != shown else None
        if art is not None:
            items[e.name] = serve(art, f"the cover of {e.name}")
    return Pictures(channel, items), files, warnings


def _sub(parent: ET.Element, tag: str, content: str | None = None, /, **attrs: str) -> ET.Element:
    """A child element; characters XML 1.0 cannot carry (ElementTree writes them anyway) are dropped."""
    element = ET.SubElement(parent, tag, {key: _NOT_XML.sub("", value) for key, value in attrs.items()})
    if content is not None:
        element.text = _NOT_XML.sub("", content)
    return element


def feed_xml(info: FeedInfo, episodes: list[Episode], feed_name: str = FEED_NAME, pictures: Pictures | None = None) -> bytes:
    """The RSS document (UTF-8, with XML declaration) for ``episodes`` in the given order.

    ``feed_name``: the feed file's name under the base URL; ``pictures``: the artwork URLs
    (default: ``info.image`` for the channel alone).
    """
    pictures = pictures or Pictures(info.image)
    for prefix, uri in (("itunes", ITUNES), ("podcast", PODCAST), ("atom", ATOM)):
        ET.register_namespace(prefix, uri)
    feed_url = file_url(info.base_url, feed_name)
    rss = ET.Element("rss", {"version": "2.0"})
    channel = _sub(rss, "channel")
    _sub(channel, "generator", GENERATOR)  # first, so that a later feed knows this file is one it may replace
    _sub(channel, f"{{{ATOM}}}link", href=feed_url, rel="self", type="application/rss+xml")
    _sub(channel, "title", info.title)
    _sub(channel, "link", info.base_url)
    _sub(channel, "description", info.description or info.title)
    _sub(channel, "language", feed_language(info, episodes))
    _sub(channel, f"{{{PODCAST}}}guid", podcast_guid(feed_url))
    author = info.author or next((e.author for e in episodes if e.author), "")
    if author:
        _sub(channel, f"{{{ITUNES}}}author", author)
    if info.email:
        owner = _sub(channel, f"{{{ITUNES}}}owner")
        _sub(owner, f"{{{ITUNES}}}name", info.owner or author or info.title)
        _sub(owner, f"{{{ITUNES}}}email", info.email)
    if pictures.channel:
        _sub(channel, f"{{{ITUNES}}}image", href=pictures.channel)
    main, sub = info.category
    chosen = _sub(channel, f"{{{ITUNES}}}category", text=main)
    if sub:
        _sub(chosen, f"{{{ITUNES}}}category", text=sub)
    _sub(channel, f"{{{ITUNES}}}explicit", "true" if any(e.explicit for e in episodes) else "false")
    mime = registry.FORMATS[info.fmt].mime
    numbers = {e.name: info.first_episode + i for i, e in enumerate(sorted(episodes, key=lambda e: (published(e), e.name)))}
    for e in episodes:
        _item(_sub(channel, "item"), info, e, numbers[e.name], pictures.items.get(e.name), mime)
    ET.indent(rss)
    return ET.tostring(rss, encoding="utf-8", xml_declaration=True) + b"\n"


def _item(item: ET.Element, info: FeedInfo, e: Episode, number: int, picture: str | None, mime: str) -> None:
    """One episode's item: title, number, dates, enclosure, artwork, chapters and transcripts."""
    _sub(item, "title", e.title)
    _sub(item, f"{{{ITUNES}}}episode", str(number))
    if info.season is not None:
        _sub(item, f"{{{ITUNES}}}season", str(info.season))
    _sub(item, f"{{{ITUNES}}}explicit", "true" if e.explicit else "false")
    page_url = file_url(info.base_url, page_path(Path(e.name)).name) if e.page else None
    _sub(item, "description", e.description + (f"\n\nFollow along on screen: {page_url}" if page_url else ""))
    if page_url:
        _sub(item, "link", page_url)
    _sub(item, "guid", episode_guid(info.base_url, e.name), isPermaLink="false")
    _sub(item, "pubDate", format_datetime(published(e), usegmt=True))
    _sub(item, "enclosure", url=file_url(info.base_url, e.name), length=str(e.length), type=mime)
    if e.duration_s is not None:
        _sub(item, f"{{{ITUNES}}}duration", str(round(e.duration_s)))
    if picture:
        _sub(item, f"{{{ITUNES}}}image", href=picture)
    if "chapters" in e.sidecars:
        url = file_url(info.base_url, sidecar_path(Path(e.name), "chapters").name)
        _sub(item, f"{{{PODCAST}}}chapters", url=url, type="application/json+chapters")
    for kind, transcript_type in TRANSCRIPTS:
        if kind in e.sidecars:
            url = file_url(info.base_url, sidecar_path(Path(e.name), kind).name)
            extra = {"language": e.language} if e.language else {}
            _sub(item, f"{{{PODCAST}}}transcript", url=url, type=transcript_type, rel="captions", **extra)


def published(e: Episode) -> datetime:
    """The episode's date: the one its first build recorded, else its file's modification time."""
    return e.published or e.modified


def checked(info: FeedInfo, episodes: list[Episode], warnings: list[str]) -> tuple[FeedInfo, list[Episode]]:
    """The feed and its episodes within Apple's limits: long titles refused with the fix, long descriptions cut."""
    checked_title(info.title, "the podcast's title", "give a shorter --title")
    for e in episodes:
        checked_title(e.title, f"the title of {e.name}", "shorten the routine's title and build it again")
    description = info.description or show_description([(e.title, e.duration_s) for e in episodes])
    info = replace(info, description=cut_description(description, "the podcast's description", warnings))
    return info, [replace(e, description=cut_description(e.description, f"the description of {e.name}", warnings)) for e in episodes]


def is_feed_we_wrote(path: Path) -> bool:
    """Whether ``path`` is an RSS feed voiceguide wrote (its channel opens with our generator element)."""
    try:
        with path.open("rb") as f:
            head = f.read(4096)
    except OSError:
        return False
    return head.lstrip().startswith(b"<?xml") and b"<rss" in head and f"<generator>{GENERATOR}</generator>".encode() in head


def write_feed(folder: Path, info: FeedInfo, output: Path | None = None) -> FeedResult:
    """Write the feed for the episodes in ``folder`` to ``output`` (default ``folder/feed.xml``), with its artwork, as one result."""
    info = replace(info, base_url=check_url(info.base_url), image=check_url(info.image, "image URL") if info.image else None)
    if info.email:
        check_email(info.email)
    if info.fmt not in registry.feed_formats():
        raise OutputError(
            f"a feed of {info.fmt} files is not something podcast apps play", hint=f"use one of {', '.join(registry.feed_formats())}"
        )
    episodes = [read_episode(path) for path in find_audio(folder, info.fmt)]
    path = output if output is not None else folder / FEED_NAME
    if path.suffix.lower().lstrip(".") in (*registry.FORMATS, "oga", "vtt", "srt", "json", "html"):
        raise OutputError(
            f"{path} would hold the feed under a name for audio or a side file", hint="name it feed.xml, or another .xml name"
        )
    pictures, files, warnings = plan_artwork(info, episodes)
    info, episodes = checked(info, episodes, warnings)
    if not info.email:
        warnings.append(
            "no --email: the feed has no itunes:owner, the address Spotify and other directories send a code to when you claim the podcast"
        )
    if not registry.FORMATS[info.fmt].apple:
        apple = " and ".join(f.name.upper() for f in registry.FORMATS.values() if f.apple)
        warnings.append(f"Apple Podcasts plays {apple} episodes only: a feed of {info.fmt} files is for the apps that play them")
    with Outputs(force=True) as outputs:
        for name, data in files.items():
            outputs.write_bytes(folder / name, data)
        outputs.write_text(path, feed_xml(info, episodes, path.name, pictures).decode("utf-8"), replaces=is_feed_we_wrote)
        outputs.commit()
    return FeedResult(path, len(episodes), tuple(warnings), tuple(folder / name for name in files))
