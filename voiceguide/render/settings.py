"""The settings of the render stage, as values the command line can build without loading numpy.

The formats themselves, and their encoder arguments, are in the registry.
"""

from __future__ import annotations

from dataclasses import dataclass

from voiceguide import registry
from voiceguide.registry import DEFAULT_FORMAT, FormatKind
from voiceguide.routine.model import DEFAULT_CHIME_LEVEL_DB, DEFAULT_MUSIC_LEVEL_DB

DEFAULT_TARGET_LUFS = -16.0  # podcast convention (Apple: −16 LUFS, AES TD1004: −16 to −20)


@dataclass(frozen=True)
class MixSettings:
    """How the session is mixed: the music's level in pauses and the chimes' loudest moment, both relative to the
    voice, and the loudness target."""

    music_level_db: float = DEFAULT_MUSIC_LEVEL_DB
    target_lufs: float = DEFAULT_TARGET_LUFS
    chime_level_db: float = DEFAULT_CHIME_LEVEL_DB

    @property
    def duck_depth_db(self) -> float:
        """Music at least 12 dB down under the voice, and at least 26 dB below the voice there (WCAG 1.4.7 asks 20)."""
        return max(12.0, self.music_level_db + 26.0)


# LAME -q 7 encodes this kind of audio (speech over a soft bed) 2.4× faster than the
# library default of 3, with the same waveform SNR at 128 kbit/s (measured: docs/performance.md).
DEFAULT_MP3_QUALITY = 7


@dataclass(frozen=True)
class Codec:
    """How the session is encoded. ``bitrate`` empty: the format's own default. ``mp3_quality`` is LAME's -q: 0 (slowest search) to 9 (fastest)."""

    fmt: str = DEFAULT_FORMAT
    bitrate: str = ""
    mp3_quality: int = DEFAULT_MP3_QUALITY

    @property
    def format(self) -> FormatKind:
        return registry.FORMATS[self.fmt]

    @property
    def lossless(self) -> bool:
        return not self.format.bitrate

    def args(self, stream: bool = False) -> list[str]:
        """ffmpeg output arguments, ending with the muxer (``-f NAME``); ``stream``: for a pipe rather than a file."""
        form = self.format
        args = list(form.encoder)
        if form.bitrate:
            args += ["-b:a", self.bitrate or form.bitrate]
        if self.fmt == "mp3":
            # the Xing/LAME frame gives players the length and the encoder delay; tags come afterwards (metadata)
            args += ["-compression_level", str(self.mp3_quality), "-write_xing", "1", "-id3v2_version", "0"]
        return [*args, "-f", form.stream_muxer if stream else form.muxer]
