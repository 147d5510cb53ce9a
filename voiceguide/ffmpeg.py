"""Finding and running ffmpeg: located once, called with argument lists, kept to local files.

Lookup order: ``VOICEGUIDE_FFMPEG``, then ``ffmpeg`` on PATH, then the static build that
the imageio-ffmpeg package ships (so a pip install alone is enough).

Every file name reaches ffmpeg through ``path_arg``: ffmpeg reads ``name:rest`` as a
protocol and ``-name`` as an option, so a file called ``file:other.mp3`` would be read
as ``other.mp3`` and ``pipe:0.mp3`` as standard input; ``./name`` or an absolute path is
always the file itself. A failure is reported by ``failure``: a full disk or the file
size limit says so and names the folder, anything else gives ffmpeg's own last words.
"""

from __future__ import annotations

import errno
import functools
import os
import re
import shutil
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from voiceguide.errors import RenderError, VoiceguideError, file_size_limit, resource_error
from voiceguide.output import destination_of

try:  # imported here, not when ffmpeg is first needed: that can be in the music thread, and an import
    import imageio_ffmpeg  # there racing an interrupted import in the main thread can deadlock on the import lock
except ImportError:  # pragma: no cover
    imageio_ffmpeg = None

# Demuxers a music file may be read with: audio and common audio-in-video containers.
# Playlists and indirections (hls, concat, image2, …) are not among them.
AUDIO_DEMUXERS = "mp3,wav,w64,flac,ogg,mov,mp4,m4a,3gp,matroska,webm,aiff,aac,ac3,eac3,caf,au,wv,ape,tta,mpc,mpc8,opus,asf,amr"
SAFE_INPUT = ["-protocol_whitelist", "file,pipe", "-format_whitelist", AUDIO_DEMUXERS]


@functools.cache
def ffmpeg_exe() -> str:
    """Path to an ffmpeg executable, or RenderError saying how to get one."""
    configured = os.environ.get("VOICEGUIDE_FFMPEG")
    if configured:
        if Path(configured).is_file():
            return configured
        raise RenderError(f"VOICEGUIDE_FFMPEG names '{configured}', which is not a file", hint="unset it or point it at ffmpeg")
    on_path = shutil.which("ffmpeg")
    if on_path:
        return on_path
    if imageio_ffmpeg is None:
        raise RenderError("no ffmpeg found (imageio-ffmpeg is not installed)", hint="run 'pip install imageio-ffmpeg' or install ffmpeg")
    try:
        return str(imageio_ffmpeg.get_ffmpeg_exe())
    except RuntimeError as err:
        raise RenderError(f"no ffmpeg found ({err})", hint="run 'pip install imageio-ffmpeg' or install ffmpeg") from None


def path_arg(path: Path | str) -> str:
    """``path`` as ffmpeg must be given it: absolute, or starting with ``./`` — never a bare name,
    which ffmpeg could take for a protocol (``file:other.mp3``, ``pipe:0.mp3``) or an option (``-y.mp3``)."""
    text = os.fspath(path)
    return text if os.path.isabs(text) else os.path.join(os.curdir, text)


def run(
    args: list[str], what: str, timeout_s: float | None = None, stdin: bytes | None = None, writes: Path | None = None
) -> subprocess.CompletedProcess[bytes]:
    """Run ffmpeg with ``args``; a failure becomes an error naming ``what`` (see ``failure``; ``writes``: the file it writes)."""
    command = [ffmpeg_exe(), *([] if stdin is not None else ["-nostdin"]), "-hide_banner", "-loglevel", "error", *args]
    try:
        result = subprocess.run(command, input=stdin, capture_output=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired:
        raise RenderError(f"ffmpeg took longer than {timeout_s:.0f} s {what}") from None
    if result.returncode != 0:
        raise failure(what, result.returncode, result.stderr, writes)
    return result


def start(args: list[str], stderr: IO[bytes]) -> subprocess.Popen[bytes]:
    """Start ffmpeg with ``args``, reading a pipe the caller writes (its ``stdin``), its messages to ``stderr``."""
    command = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", *args]
    return subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=stderr)


def failure(what: str, returncode: int, stderr: bytes, writes: Path | None = None) -> VoiceguideError:
    """The one-line error for ffmpeg ending with ``returncode`` while ``what`` (``writes``: the file it was writing).

    A full disk and the file size limit (``ulimit -f``: ffmpeg is killed by SIGXFSZ, with
    no message) are said as such, naming the file the user asked for rather than its
    temporary sibling; anything else is ffmpeg's own last words.
    """
    target = destination_of(writes) if writes is not None else None
    text = stderr.decode("utf-8", "replace")
    if returncode == -getattr(signal, "SIGXFSZ", -1) or "File too large" in text:
        return file_size_limit(target)
    if "pthread_create() failed" in text or "Cannot allocate memory" in text:  # under a memory limit (ulimit -v)
        return resource_error(MemoryError()) or RenderError(f"ffmpeg ran out of memory {what}")
    for code, words in ((errno.ENOSPC, "No space left on device"), (errno.EDQUOT, "Disk quota exceeded")):
        if words in text:
            found = resource_error(OSError(code, words, os.fspath(target) if target else None))
            if found is not None:
                return found
    return RenderError(f"ffmpeg failed {what}: {last_words(stderr)}")


@dataclass(frozen=True)
class AudioInfo:
    """What an audio file's header says of its first audio stream (None where it says nothing)."""

    duration_s: float | None
    sample_rate: int | None


_DURATION = re.compile(r"Duration:\s*(\d+):(\d{2}):(\d{2}(?:\.\d+)?)")
_RATE = re.compile(r"Stream #0:\d+[^\n]*?: Audio: [^\n]*?(\d+) Hz")


def probe_audio(path: Path, what: str) -> AudioInfo:
    """Duration and sample rate of ``path``'s first audio stream, from its header, without decoding it (``SAFE_INPUT``)."""
    result = run(
        ["-loglevel", "info", *SAFE_INPUT, "-i", path_arg(path), "-map", "0:a:0", "-t", "0", "-f", "null", "-"], what, timeout_s=60
    )
    text = result.stderr.decode("utf-8", "replace").split("Stream mapping:")[0]  # the input's description only
    rate = _RATE.search(text)
    return AudioInfo(duration_in(text), int(rate[1]) if rate else None)


def duration_in(stderr: str) -> float | None:
    """The input's duration in seconds as ffmpeg's description of it says (``Duration: 00:12:34.56``), if it says."""
    found = _DURATION.search(stderr)
    return int(found[1]) * 3600 + int(found[2]) * 60 + float(found[3]) if found else None


_CONTEXT = re.compile(r"^\[[^\]]*@ ?0x[0-9a-fA-F]+\]\s*")  # "[in#0 @ 0x55d…] "
_GENERIC = (
    "Error opening input file", "Error opening output file", "Error parsing options", "Error selecting an encoder",
    "Failed to set value", "To ignore this", "Exiting with exit code", "Conversion failed",
)  # fmt: skip


def last_words(stderr: bytes) -> str:
    """The line of ffmpeg's stderr that says what went wrong, for a one-line error message.

    A refusal by a whitelist wins (it is the reason, whatever follows); otherwise the
    last line that is not one of ffmpeg's generic closing lines.
    """
    lines = [_CONTEXT.sub("", ln.strip()) for ln in stderr.decode("utf-8", "replace").splitlines() if ln.strip()]
    lines = [" ".join(ln.split()) for ln in lines if ln]
    if not lines:
        return "no message"
    for line in lines:
        if "whitelist" in line.lower():
            return re.sub(r" '[^']{40,}'", "", line)  # not the whole list of formats
    specific = [ln for ln in lines if not ln.startswith(_GENERIC)]
    return (specific or lines)[-1]
