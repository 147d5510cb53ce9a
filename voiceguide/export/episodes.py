"""Built sessions as feed episodes: each audio file with its tags, cover and side files.

Title, description, author, language and cover come from the file's own tags (read by
mutagen, whatever the format); chapters, duration and language from the side files
(``<name>.chapters.json``, ``<name>.plan.json``) when present, else from the file. Side
files whose plan is stale (``built.reader.is_stale``) come from another build
(captions would drift): that is an error, not a silent mismatch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from voiceguide.built import page_path, sidecar_path
from voiceguide.built.chapters import ChapterMark, marks_from_chapters_json, marks_from_plan_json, show_notes
from voiceguide.built.reader import is_stale, published_in, side_json
from voiceguide.errors import OutputError, RenderError
from voiceguide.language import known_languages, language
from voiceguide.registry import DEFAULT_FORMAT

HINT = "build sessions first: voiceguide build ROUTINE -o DIR --sidecars"
SIDE_HINT = "rebuild the session with --sidecars, or delete the file"


@dataclass(frozen=True)
class Episode:
    """One item of the feed, read from an audio file and its side files."""

    name: str  # file name, relative to the base URL
    title: str
    description: str
    author: str
    duration_s: float | None
    length: int  # bytes
    modified: datetime
    chapters: list[ChapterMark] = field(default_factory=list)
    sidecars: frozenset[str] = frozenset()  # kinds of side file present (see sidecars.SUFFIXES)
    page: bool = False  # a follow-along page (build --player) lies beside the audio
    language: str = ""  # from the plan, else from the file's language tag; empty when unknown
    cover: bytes | None = None  # the picture the file carries
    published: datetime | None = None  # the date its first build chose (or the routine's published:), from the plan side file
    explicit: bool = False  # the routine's explicit:, from the plan side file


def read_episode(audio: Path) -> Episode:
    """An episode from an audio file and whatever side files lie next to it."""
    from voiceguide.render.metadata import read_tags  # mutagen: not loaded for the other commands

    try:
        tags = read_tags(audio)
    except RenderError as err:
        raise OutputError(f"{err}", hint="rebuild it, or move it out of the folder") from None
    present = frozenset(kind for kind in ("vtt", "srt", "chapters", "plan") if sidecar_path(audio, kind).is_file())
    plan = side_json(sidecar_path(audio, "plan"), SIDE_HINT) if "plan" in present else None
    plan_dict = plan if isinstance(plan, dict) else {}
    try:
        if "chapters" in present:
            marks = marks_from_chapters_json(side_json(sidecar_path(audio, "chapters"), SIDE_HINT))
        elif plan is not None:
            marks = marks_from_plan_json(plan)
        else:
            marks = [ChapterMark(start, title) for start, title in tags.chapters]
    except ValueError as err:
        raise OutputError(f"the chapters beside {audio.name} are not valid ({err})", hint="rebuild the session with --sidecars") from None
    duration = plan_dict.get("duration_s")
    if isinstance(duration, bool) or not isinstance(duration, (int, float)):
        duration = tags.duration_s
    elif is_stale(duration, tags.duration_s):
        raise OutputError(
            f"the side files beside {audio.name} belong to another build (plan {duration:.1f} s, audio {tags.duration_s:.1f} s)",
            hint=f"rebuild it with --sidecars, or delete {audio.stem}.* side files",
        )
    title = tags.title or str(plan_dict.get("title") or "") or audio.stem
    description = "\n\n".join(part for part in (tags.comment.strip(), show_notes(marks)) if part)
    stat = audio.stat()
    return Episode(
        name=audio.name, title=title, description=description or title, author=tags.artist,
        duration_s=duration, length=stat.st_size, modified=datetime.fromtimestamp(stat.st_mtime, UTC),
        chapters=marks, sidecars=present, page=page_path(audio).is_file(),
        language=_episode_language(plan_dict, {"language": tags.language}), cover=tags.cover,
        published=published_in(plan_dict), explicit=plan_dict.get("explicit") is True,
    )  # fmt: skip


def _episode_language(plan: dict[str, object], tags: dict[str, str]) -> str:
    """The session's language code: the plan says it; the file's tag (ISO 639-2, deu) is mapped back to de."""
    code = plan.get("language")
    if isinstance(code, str) and code:
        return code
    tag = tags.get("language", "").strip().lower()
    return next((c for c in known_languages() if language(c).iso639_2 == tag), "")


def find_audio(folder: Path, fmt: str = DEFAULT_FORMAT) -> list[Path]:
    """The ``fmt`` files of ``folder`` by name; hidden files (unfinished builds) are left out. OutputError if none."""
    if not folder.is_dir():
        raise OutputError(f"{folder} is not a folder", hint=HINT)
    found = sorted(
        (p for p in folder.iterdir() if p.suffix.lower() == f".{fmt}" and not p.name.startswith(".") and p.is_file()),
        key=lambda p: p.name,
    )
    if not found:
        raise OutputError(f"no {fmt.upper()} files in {folder}", HINT + (f" --format {fmt}" if fmt != DEFAULT_FORMAT else ""))
    return found
