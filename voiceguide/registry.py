"""What exists: every speech engine, generated music bed, output format and language, as data.

The one list of each. Validation, the command line's choices, the player's and the feed's
formats, the narration workers and the routine schema's enums all read it; so adding an
engine, a bed or a format is its code plus one entry here, and a language is one phrase
file (``language/phrases/<code>.yaml``). Imports nothing else of voiceguide: code is named
by ``"module:attr"`` strings and loaded only when used (``load``).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class EngineKind:
    """A speech engine. ``code``: its ``Engine`` class. ``extra``: the pip extra with its ``packages`` (modules)
    ("" for engines that come with voiceguide). ``install``: the function that installs its model files
    (``voiceguide voices install NAME``), "" when it has none; ``install_from``: what ``--from`` must name
    when the install cannot fetch the files itself ("" when it can)."""

    name: str
    code: str
    extra: str = ""
    packages: tuple[str, ...] = ()
    install: str = ""
    install_from: str = ""


@dataclass(frozen=True)
class BedKind:
    """A generated music bed (``music: {bed: NAME}``, ``--bed NAME``). ``code``: its maker, ``(rate) -> stereo array``
    of one seamless loop. ``version``: bump it when the sound changes (beds are cached under name and version)."""

    name: str
    code: str
    version: int
    sound: str


@dataclass(frozen=True)
class FormatKind:
    """An output format: its file suffix, how ffmpeg encodes it, what a feed calls it, and ``tags``, the function
    that writes tags, cover and chapters into a finished file (``(path, meta, chapters, cover) -> None``)."""

    name: str
    encoder: tuple[str, ...]  # ffmpeg codec arguments, bitrate aside
    muxer: str  # for the file
    stream_muxer: str  # for a pipe (MP4 needs a seekable file; AAC streams as ADTS)
    demuxer: str  # reads what stream_muxer writes
    mime: str
    tags: str
    bitrate: str = ""  # default bitrate; empty for lossless formats
    feed: bool = False  # podcast apps play it as an episode
    apple: bool = False  # and Apple Podcasts among them
    chapter_table: tuple[str, int] = ("ID3 CTOC", 255)  # what lists its chapters, and how many it can hold

    @property
    def suffix(self) -> str:
        return "." + self.name


_TAGS = "voiceguide.render.metadata"
ENGINES: dict[str, EngineKind] = {
    e.name: e
    for e in (
        EngineKind("pyttsx3", "voiceguide.narration.engines:Pyttsx3Engine"),
        EngineKind("espeak-cli", "voiceguide.narration.engines:EspeakCliEngine"),
        EngineKind(
            "kokoro", "voiceguide.narration.kokoro:KokoroEngine", "kokoro", ("kokoro_onnx", "onnxruntime"),
            install="voiceguide.narration.models:install_kokoro",
        ),
        EngineKind(
            "piper", "voiceguide.narration.piper:PiperEngine", "piper", ("piper", "onnxruntime"),
            install="voiceguide.narration.models:install_piper", install_from="VOICE.onnx (or a folder of Piper voices)",
        ),
    )
}  # fmt: skip
DEFAULT_ENGINE = "pyttsx3"  # instant and speaks every language espeak-ng knows
RATE_RANGE = (80, 450)  # words per minute espeak accepts (audio-facts.md): the widest any engine takes
NATURAL_ENGINE = "kokoro"  # the default instead, wherever it is installed and speaks the routine's language

_BEDS = "voiceguide.render.bedsounds"
BEDS: dict[str, BedKind] = {
    b.name: b
    for b in (
        BedKind(
            "pad", f"{_BEDS}:pad", 2, "A warm pad: slow chords in A that drift into each other every twelve seconds, with a gentle shimmer."
        ),
        BedKind(
            "rain", f"{_BEDS}:rain", 1, "Gentle rain: a soft, even hiss with a light patter of drops, thickening and thinning a little."
        ),
        BedKind(
            "surf", f"{_BEDS}:surf", 1, "Distant surf: a steady roar with a wave rolling in and washing back every nine to twelve seconds."
        ),
        BedKind(
            "bowls", f"{_BEDS}:bowls", 1, "Singing bowls: three bowls sung softly, their tones beating slowly and swelling over each other."
        ),
    )
}
DEFAULT_BED = "pad"  # the generated bed a routine gets unless it names another (voiceguide music lists them)

_AAC = ("-c:a", "aac", "-aac_coder", "fast")
# Chapter tables: ID3's CTOC counts its entries in one byte; so does the Nero chpl atom (ffmpeg writes the first 255;
# the QuickTime chapter track beside it would hold more); Vorbis comments number them CHAPTER001 to CHAPTER999.
_CHPL = ("MP4 chpl", 255)
_VORBIS = ("Vorbis CHAPTERnnn", 999)
_OPUS = ("-c:a", "libopus", "-compression_level", "5")
FORMATS: dict[str, FormatKind] = {
    f.name: f
    for f in (
        FormatKind("mp3", ("-c:a", "libmp3lame"), "mp3", "mp3", "mp3", "audio/mpeg", f"{_TAGS}:tag_mp3", "128k", feed=True, apple=True),
        # an audiobook: MP4 with chapters. ffmpeg's fast AAC search: half the CPU of its default (twoloop) and, on
        # speech over a bed at 128k, PESQ-WB 4.58 against 4.43 (docs/performance.md)
        FormatKind("m4b", _AAC, "ipod", "adts", "aac", "audio/x-m4b", f"{_TAGS}:tag_m4b", "128k", chapter_table=_CHPL),
        FormatKind(
            "m4a", _AAC, "ipod", "adts", "aac", "audio/x-m4a", f"{_TAGS}:tag_m4a", "128k", feed=True, apple=True, chapter_table=_CHPL
        ),
        FormatKind("flac", ("-c:a", "flac"), "flac", "flac", "flac", "audio/flac", f"{_TAGS}:tag_flac", chapter_table=_VORBIS),
        # Ogg Opus (RFC 7845: audio/ogg); 48 kHz. 80k at complexity 5 (about 87 kbit/s on a session): PESQ-WB 4.44, 0.6× the
        # CPU of 96k at complexity 10 (117 kbit/s, 4.52), better than 64k at 10 (81 kbit/s, 4.38) (docs/performance.md)
        FormatKind("opus", _OPUS, "opus", "opus", "ogg", "audio/ogg", f"{_TAGS}:tag_opus", "80k", feed=True, chapter_table=_VORBIS),
        FormatKind(
            "ogg", ("-c:a", "libvorbis"), "ogg", "ogg", "ogg", "audio/ogg", f"{_TAGS}:tag_ogg", "128k", feed=True, chapter_table=_VORBIS
        ),  # Ogg Vorbis
        FormatKind("wav", ("-c:a", "pcm_s16le"), "wav", "wav", "wav", "audio/wav", f"{_TAGS}:tag_wav"),
    )
}
DEFAULT_FORMAT = "mp3"

PHRASES = Path(__file__).parent / "language" / "phrases"  # one file per language: <code>.yaml


def engine_names() -> tuple[str, ...]:
    return tuple(ENGINES)


def bed_names() -> tuple[str, ...]:
    return tuple(BEDS)


def format_names() -> tuple[str, ...]:
    return tuple(FORMATS)


def feed_formats() -> tuple[str, ...]:
    """The formats podcast apps play as episodes."""
    return tuple(name for name, f in FORMATS.items() if f.feed)


def audio_suffixes() -> tuple[str, ...]:
    """The suffix of every format voiceguide writes (``.mp3``), in the registry's order."""
    return tuple(f.suffix for f in FORMATS.values())


def languages() -> tuple[str, ...]:
    """Codes of every language with a phrase file, sorted."""
    return tuple(sorted(p.name.removesuffix(".yaml") for p in PHRASES.iterdir() if p.name.endswith(".yaml")))


def add(*entries: EngineKind | BedKind | FormatKind) -> None:
    """Register more engines, beds or formats (before the command line or the loader reads the registry)."""
    for entry in entries:
        if isinstance(entry, EngineKind):
            ENGINES[entry.name] = entry
        elif isinstance(entry, BedKind):
            BEDS[entry.name] = entry
        else:
            FORMATS[entry.name] = entry


def load(ref: str) -> object:
    """The object a ``"module:attr"`` string names (ImportError or AttributeError when there is none)."""
    module_name, _, attr = ref.partition(":")
    return getattr(importlib.import_module(module_name), attr)
