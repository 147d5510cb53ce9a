"""Music and cover files uploaded into the library's media folder, checked as the command line checks them."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

from voiceguide.errors import MusicError
from voiceguide.images import image_info
from voiceguide.output import Outputs
from voiceguide.routine.limits import MAX_COVER_BYTES
from voiceguide.studio.folders import Folders, StudioError, inside

MEDIA = "media"  # the library's folder of uploads: a routine names them as media/NAME
MAX_UPLOAD_BYTES = 256 * 1024 * 1024  # music; covers are held to the routine's own limit
COVER_SUFFIXES = (".jpg", ".jpeg", ".png")
MUSIC_SUFFIXES = (".mp3", ".m4a", ".aac", ".ogg", ".opus", ".flac", ".wav")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,79}\.[A-Za-z0-9]{2,4}$")


def media_name(name: str) -> tuple[str, str]:
    """(the file's name, "music" or "cover"), or a refusal naming what is accepted."""
    suffix = Path(name).suffix.lower()
    if not _NAME.match(name) or suffix not in (*COVER_SUFFIXES, *MUSIC_SUFFIXES):
        accepted = ", ".join(s.lstrip(".") for s in (*MUSIC_SUFFIXES, *COVER_SUFFIXES))
        raise StudioError(
            f"'{name[:60]}' is not a name for a music or cover file", f"use letters, digits, - and _, ending in one of: {accepted}", 422
        )
    return name, "cover" if suffix in COVER_SUFFIXES else "music"


async def save_upload(folders: Folders, name: str, chunks: AsyncIterator[bytes]) -> dict[str, object]:
    """Write the upload beside its place, check it, and move it into place only if it passes."""
    name, kind = media_name(name)
    limit = MAX_COVER_BYTES if kind == "cover" else MAX_UPLOAD_BYTES
    folder = folders.library / MEDIA
    folder.mkdir(exist_ok=True)
    destination = inside(folders.library, f"{MEDIA}/{name}")
    size = 0
    with Outputs(force=True) as outputs:
        temp = outputs.reserve(destination)
        with open(temp, "wb") as out:
            async for chunk in chunks:
                size += len(chunk)
                if size > limit:
                    raise StudioError(f"the {kind} file is larger than {limit // 1048576} MiB", "use a smaller or compressed file", 413)
                out.write(chunk)
        _check(temp, kind, name)
        outputs.commit()
    return {"path": f"{MEDIA}/{name}", "kind": kind, "bytes": size}


def _check(path: Path, kind: str, name: str) -> None:
    if kind == "cover":
        info = image_info(path.read_bytes())
        if info is None:
            raise StudioError(f"'{name}' is not a JPEG or PNG image", "save the cover as JPEG or PNG", 422)
        return
    from voiceguide.render.music import check_music_file

    try:
        check_music_file(path)
    except MusicError as err:
        raise StudioError(err.message.replace(f"'{path}'", f"'{name}'"), err.hint, 422) from None
