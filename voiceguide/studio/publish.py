"""Publishing: the sessions picked on the page gathered into one folder with the podcast feed that lists them."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from voiceguide.destinations import side_paths
from voiceguide.export.feed import FEED_NAME, FeedInfo, write_feed
from voiceguide.output import Outputs
from voiceguide.studio.folders import Folders, StudioError

PODCAST = "podcast"  # the folder inside the output folder that is uploaded
FIELDS = ("title", "base_url", "author", "email", "description", "language", "format")


def publish(folders: Folders, request: dict[str, Any]) -> dict[str, object]:
    """Copy the picked sessions (and their side files) into the podcast folder, leave out the rest, write the feed."""
    sessions = request.get("sessions")
    if not isinstance(sessions, list) or not sessions or not all(isinstance(s, str) for s in sessions):
        raise StudioError("pick at least one session", 'send "sessions": ["name.mp3", …]', 422)
    fields = {k: request.get(k, "") for k in FIELDS}
    if any(not isinstance(v, str) for v in fields.values()) or not fields["title"] or not fields["base_url"]:
        raise StudioError("the feed needs a title and a base URL (and text for the other fields)", "fill them in", 422)
    unknown = set(request) - {*FIELDS, "sessions"}
    if unknown:
        raise StudioError(f"unknown field '{sorted(unknown)[0]}'", f"the fields are: sessions, {', '.join(FIELDS)}", 422)
    picked = [folders.output_file(name) for name in sessions]
    if any(p.parent != folders.output for p in picked):
        raise StudioError("pick sessions of the output folder itself", "the publish page lists them", 422)
    folder = folders.output / PODCAST
    _gather(picked, folder)
    info = FeedInfo(
        fields["title"], fields["base_url"], fields["author"], fields["description"], None, fields["language"] or None,
        fields["email"], fields["format"] or picked[0].suffix.lstrip("."),
    )  # fmt: skip
    result = write_feed(folder, info)
    return {
        "feed": "/files/" + result.path.relative_to(folders.output).as_posix(), "episodes": result.episodes,
        "warnings": list(result.warnings),
    }  # fmt: skip


def _gather(picked: list[Path], folder: Path) -> None:
    """The podcast folder holds the picked sessions and their side files, copied as one result; other sessions leave it."""
    wanted = {p.name for audio in picked for p in (audio, *side_paths(audio, True, True)) if p.is_file()}
    with Outputs(force=True) as outputs:
        for audio in picked:
            for path in (audio, *side_paths(audio, True, True)):
                if path.is_file():
                    outputs.write_bytes(folder / path.name, path.read_bytes())
        outputs.commit()
    for entry in os.scandir(folder):
        if (
            entry.is_file(follow_symlinks=False)
            and entry.name not in wanted
            and entry.name != FEED_NAME
            and not entry.name.startswith(("cover-", "."))
        ):
            os.unlink(entry.path)  # a copy of a session that is no longer picked; the session stays in the output folder
