"""The settings of the render stage, as values the command line can build without loading numpy."""

from __future__ import annotations

from dataclasses import dataclass

from voiceguide.routine.model import DEFAULT_MUSIC_LEVEL_DB

DEFAULT_TARGET_LUFS = -16.0  # podcast convention (Apple: −16 LUFS, AES TD1004: −16 to −20)


@dataclass(frozen=True)
class MixSettings:
    """How the session is mixed: the music's level in pauses, relative to the voice, and the loudness target."""

    music_level_db: float = DEFAULT_MUSIC_LEVEL_DB
    target_lufs: float = DEFAULT_TARGET_LUFS

    @property
    def duck_depth_db(self) -> float:
        """Music at least 12 dB down under the voice, and at least 26 dB below the voice there (WCAG 1.4.7 asks 20)."""
        return max(12.0, self.music_level_db + 26.0)


FORMATS = ("mp3", "wav", "flac", "ogg")
# LAME -q 7 encodes this kind of audio (speech over a soft bed) 2.4× faster than the
# library default of 3, with the same waveform SNR at 128 kbit/s (measured: docs/performance.md).
DEFAULT_MP3_QUALITY = 7


@dataclass(frozen=True)
class Codec:
    """How the session is encoded. ``mp3_quality`` is LAME's -q: 0 (slowest search) to 9 (fastest)."""

    fmt: str = "mp3"
    bitrate: str = "128k"
    mp3_quality: int = DEFAULT_MP3_QUALITY

    @property
    def lossless(self) -> bool:
        return self.fmt in ("wav", "flac")

    def args(self) -> list[str]:
        """ffmpeg output arguments, ending with the muxer (``-f NAME``)."""
        return {
            "mp3": [
                "-c:a",
                "libmp3lame",
                "-b:a",
                self.bitrate,
                "-compression_level",
                str(self.mp3_quality),
                "-write_xing",
                "1",
                "-id3v2_version",
                "0",  # tags come afterwards (metadata.write_tags)
                "-f",
                "mp3",
            ],
            "wav": ["-c:a", "pcm_s16le", "-f", "wav"],
            "flac": ["-c:a", "flac", "-f", "flac"],
            "ogg": ["-c:a", "libvorbis", "-b:a", self.bitrate, "-f", "ogg"],
        }[self.fmt]
