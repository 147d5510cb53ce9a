"""The parts of a routine beside its techniques: the files it names (music, cover) and its pronunciation list.

A named file must be a regular file beside the routine, a cover a real image; every
pronunciation says something, and the list is bounded (each entry costs work on every line).
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime
from pathlib import Path

from yaml.nodes import MappingNode, Node, ScalarNode

from voiceguide.images import image_info
from voiceguide.routine.checks import Checker, describe, shown
from voiceguide.routine.files import file_kind, read_at_most
from voiceguide.routine.limits import MAX_COVER_BYTES, MAX_PRONUNCIATIONS
from voiceguide.routine.pronounce import speakable

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")
_NOT_LOCAL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def music_file(check: Checker, routine: Path, node: Node, name: str) -> Path | None:
    """The music file ``name`` names (relative to the routine); a URL or an ffmpeg protocol is a located problem."""
    if _NOT_LOCAL.match(name) or name.startswith(("data:", "concat:", "subfile,")):
        check.problem(node, f"music '{shown(name, 80)}' is not a local file", "download it and name the file path instead")
        return None
    return local_file(check, routine, node, name, "music", "name an audio file such as music.mp3")


def local_file(check: Checker, routine: Path, node: Node, name: str, what: str, hint: str) -> Path | None:
    """The regular file ``name`` names, relative to the routine; anything else is a located problem."""
    path = routine.parent / os.path.expanduser(name)
    try:
        path = path.resolve()
        kind = file_kind(path.stat().st_mode)
    except (FileNotFoundError, NotADirectoryError):
        check.problem(
            node,
            f"{what} file '{shown(name, 80)}' does not exist (looked for {shown(str(path), 200)})",
            "paths are relative to the routine file; check the name",
        )
        return None
    except (OSError, ValueError) as err:
        reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
        check.problem(node, f"{what} file '{shown(name, 80)}' cannot be used ({shown(reason, 80)})", "check the name")
        return None
    if kind:
        check.problem(node, f"{what} '{shown(name, 80)}' is {kind}, not a file", hint)
        return None
    return path


def cover_file(check: Checker, routine: Path, node: Node) -> Path | None:
    """The cover image the node names: a JPEG or PNG whose header holds together, at most MAX_COVER_BYTES."""
    name = check.text(node, "cover", max_len=4096)
    if name is None:
        return None
    if Path(name).suffix.lower() not in IMAGE_SUFFIXES:
        check.problem(node, f"cover '{shown(name, 80)}' is not a JPEG or PNG image", "name a .jpg or .png file")
        return None
    path = local_file(check, routine, node, name, "cover image", "name a .jpg or .png file")
    if path is None:
        return None
    try:  # it goes into the audio file as it is: check it is what it says, and not huge
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
        try:
            size = os.fstat(fd).st_size
            head = read_at_most(fd, min(size, MAX_COVER_BYTES))  # the JPEG frame header can come after large metadata
        finally:
            os.close(fd)
    except OSError as err:
        check.problem(node, f"cover image '{shown(name, 80)}' cannot be read ({err.strerror})", "check its permissions")
        return None
    if size > MAX_COVER_BYTES:
        check.problem(
            node,
            f"cover image '{shown(name, 80)}' is {size / 1048576:.1f} MiB, more than {MAX_COVER_BYTES // 1048576} MiB",
            "use a smaller image (podcast covers are usually under 1 MiB)",
        )
        return None
    if not head.startswith((b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")):
        check.problem(node, f"cover image '{shown(name, 80)}' is not a JPEG or PNG file inside", "save the image as JPEG or PNG")
        return None
    if image_info(head) is None:  # as the build reads it: a header that holds together, with a size
        check.problem(
            node,
            f"cover image '{shown(name, 80)}' is not a whole JPEG or PNG image (its header does not hold together)",
            "save the image again as JPEG or PNG",
        )
        return None
    return path


def pronunciations(check: Checker, node: Node) -> tuple[tuple[str, str], ...]:
    """The pronunciation list (word, how to say it), each entry checked; at most MAX_PRONUNCIATIONS are read."""
    c = check
    if not isinstance(node, MappingNode):
        c.problem(
            node,
            f"pronunciations should be a mapping of word: how to say it, got {describe(node)}",
            "write lines like  plantar: plan tar",
        )
        return ()
    pairs: dict[str, tuple[str, str]] = {}
    for number, (key_node, value_node) in enumerate(node.value, start=1):
        if number > MAX_PRONUNCIATIONS:  # each entry costs work on every line: bounded where the list passes it
            c.problem(key_node, f"pronunciations has more than {MAX_PRONUNCIATIONS:,} entries", "keep the words this routine says")
            break
        word = c.text(key_node, "a pronounced word", max_len=100)
        say = c.text(value_node, f"the pronunciation of '{shown(word or '')}'", max_len=200)
        if word is None or say is None:
            continue
        if not speakable(say):
            c.problem(value_node, f"the pronunciation of '{shown(word)}' has nothing to say (no letters or digits)", "write how to say it")
            continue
        if word.lower() in pairs:
            c.problem(key_node, f"'{shown(word)}' appears twice in pronunciations", "keep one of them")
            continue
        pairs[word.lower()] = (word, say)
    return tuple(pairs.values())


def published_time(check: Checker, node: Node) -> datetime | None:
    """published: an ISO 8601 date or time (2026-12-01, 2026-12-01T07:30:00+01:00), as UTC; no zone means UTC."""
    text = str(node.value).strip() if isinstance(node, ScalarNode) else ""
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None
    except ValueError:
        when = None
    if when is None or not 1970 <= when.year <= 2100:
        check.problem(
            node, f"published should be a date such as 2026-12-01, got {describe(node)}", "write it as YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ"
        )
        return None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC)
