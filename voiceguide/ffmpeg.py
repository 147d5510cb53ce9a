"""Finding and running ffmpeg: located once, called with argument lists, kept to local files.

Lookup order: ``VOICEGUIDE_FFMPEG``, then ``ffmpeg`` on PATH, then the static build that
the imageio-ffmpeg package ships (so a pip install alone is enough).
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from pathlib import Path

from voiceguide.errors import RenderError

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
        raise RenderError(f"VOICEGUIDE_FFMPEG names '{configured}', which is not a file — unset it or point it at ffmpeg")
    on_path = shutil.which("ffmpeg")
    if on_path:
        return on_path
    try:
        import imageio_ffmpeg

        return str(imageio_ffmpeg.get_ffmpeg_exe())
    except (ImportError, RuntimeError) as err:
        raise RenderError(f"no ffmpeg found ({err}) — run 'pip install imageio-ffmpeg' or install ffmpeg") from None


def run(args: list[str], what: str, timeout_s: float | None = None, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    """Run ffmpeg with ``args``; a failure becomes RenderError naming ``what`` and ffmpeg's last words."""
    command = [ffmpeg_exe(), *([] if stdin is not None else ["-nostdin"]), "-hide_banner", "-loglevel", "error", *args]
    try:
        result = subprocess.run(command, input=stdin, capture_output=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired:
        raise RenderError(f"ffmpeg took longer than {timeout_s:.0f} s {what}") from None
    if result.returncode != 0:
        raise RenderError(f"ffmpeg failed {what}: {last_words(result.stderr)}")
    return result


def last_words(stderr: bytes) -> str:
    """The last meaningful line ffmpeg wrote, for an error message."""
    lines = [ln.strip() for ln in stderr.decode("utf-8", "replace").splitlines() if ln.strip()]
    return lines[-1] if lines else "no message"
