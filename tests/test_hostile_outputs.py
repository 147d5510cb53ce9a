"""Data loss: an existing file is never damaged, never half-replaced, never replaced by something it is not.

The audio and its side files are one result, replaced together or not at all, and only
with --force. An output that is one of the build's inputs (the routine, the music, the
cover, through a link or not) is refused, as is an output that collides with one of its
own side files, a name that says another format (FLAC bytes in a .mp3, audio in a .srt),
and a feed written over a file that is not a feed voiceguide wrote. Every refusal comes
before anything is narrated and leaves the folder exactly as it was.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from audio_checks import decode
from hostile import ROUTINE, assert_refused, run
from test_hostile_env import small_disk
from test_hostile_music import make_audio

from voiceguide.output import TEMP_MARK

pytestmark = pytest.mark.slow
OLD = b"the previous file, which must survive\n" * 20
SIDES = (".vtt", ".srt", ".chapters.json", ".plan.json")


def snapshot(folder: Path) -> dict[str, bytes | str]:
    """Every entry of ``folder``: a file's bytes, a link's target, a folder's mark."""
    found: dict[str, bytes | str] = {}
    for path in sorted(folder.rglob("*")):
        key = str(path.relative_to(folder))
        found[key] = f"-> {os.readlink(path)}" if path.is_symlink() else "<dir>" if path.is_dir() else path.read_bytes()
    return found


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "routine.yaml").write_text(ROUTINE, encoding="utf-8")
    make_audio(tmp_path / "music.wav", 3.0)
    return tmp_path


Setup = Callable[[Path], None]


def _nothing(folder: Path) -> None:
    pass


def _old(*names: str) -> Setup:
    def setup(folder: Path) -> None:
        for name in names:
            (folder / name).write_bytes(OLD)

    return setup


def _link(name: str, target: str, hard: bool = False) -> Setup:
    def setup(folder: Path) -> None:
        (os.link if hard else os.symlink)(folder / target if hard else target, folder / name)

    return setup


def _routine_named(name: str) -> Setup:
    def setup(folder: Path) -> None:
        (folder / name).write_text(ROUTINE, encoding="utf-8")

    return setup


def _folder(name: str) -> Setup:
    def setup(folder: Path) -> None:
        (folder / name).mkdir()

    return setup


REFUSED = [
    # a name that says another kind of file
    ("srt-with-sidecars", _nothing, ["routine.yaml", "-o", "session.srt", "--sidecars"], ["session.srt", "which voiceguide does not write", "session.mp3"]),
    ("srt", _nothing, ["routine.yaml", "-o", "session.srt"], ["session.srt"]),
    ("json", _old("notes.json"), ["routine.yaml", "-o", "notes.json", "--force"], ["notes.json"]),
    ("txt", _nothing, ["routine.yaml", "-o", "notes.txt"], ["notes.txt"]),
    ("flac-in-mp3", _nothing, ["routine.yaml", "-o", "x.mp3", "--format", "flac"], ["x.mp3", "x.flac"]),
    ("mp3-in-flac", _old("x.flac"), ["routine.yaml", "-o", "x.flac", "--format", "mp3", "--force"], ["x.flac"]),
    ("opus-in-m4b", _nothing, ["routine.yaml", "-o", "x.m4b", "--format", "opus"], ["x.m4b"]),
    # an output that is an input
    ("the-routine", _nothing, ["routine.yaml", "-o", "routine.yaml", "--force"], ["routine.yaml"]),
    ("the-routine-named-as-audio", _routine_named("r.mp3"), ["r.mp3", "-o", "r.mp3", "--force"], ["r.mp3", "own inputs"]),
    ("the-music", _nothing, ["routine.yaml", "--music", "music.wav", "-o", "music.wav", "--force"], ["music.wav", "own inputs"]),
    ("a-link-to-the-music", _link("out.wav", "music.wav"), ["routine.yaml", "--music", "music.wav", "-o", "out.wav", "--force"], ["own inputs"]),
    ("a-hard-link-to-the-music", _link("out.wav", "music.wav", hard=True), ["routine.yaml", "--music", "music.wav", "-o", "out.wav", "--force"], ["own inputs"]),
    ("a-side-file-that-is-the-routine", _routine_named("s.srt"), ["s.srt", "-o", "s.mp3", "--sidecars", "--force"], ["s.srt", "own inputs"]),
    # side files: replaced only with --force, and only when they are files
    ("an-old-side-file", _old("s.vtt"), ["routine.yaml", "-o", "s.mp3", "--sidecars"], ["s.vtt", "--force"]),
    ("an-old-page", _old("s.html"), ["routine.yaml", "-o", "s.mp3", "--player"], ["s.html", "--force"]),
    ("an-old-plan-for-the-player", _old("s.plan.json"), ["routine.yaml", "-o", "s.mp3", "--player"], ["s.plan.json", "--force"]),
    ("a-side-file-that-is-a-folder", _folder("s.srt"), ["routine.yaml", "-o", "s.mp3", "--sidecars", "--force"], ["s.srt", "not a file"]),
]  # fmt: skip


@pytest.mark.parametrize(("setup", "args", "named"), [case[1:] for case in REFUSED], ids=[case[0] for case in REFUSED])
def test_refused_before_narration_and_nothing_changes(setup: Setup, args: list[str], named: list[str], folder: Path) -> None:
    setup(folder)
    before = snapshot(folder)
    cache = folder.parent / f"{folder.name}-cache"
    assert_refused(run("build", *args, cwd=folder, env={"VOICEGUIDE_CACHE": str(cache)}), *named)
    assert snapshot(folder) == before
    assert not cache.exists(), "something was narrated before the refusal"


def test_a_link_as_output_is_replaced_itself_never_its_target(folder: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    elsewhere = tmp_path_factory.mktemp("elsewhere") / "precious.mp3"
    elsewhere.write_bytes(OLD)
    (folder / "out.mp3").symlink_to(elsewhere)
    result = run("build", "routine.yaml", "-o", "out.mp3", "--force", cwd=folder)
    assert result.code == 0, result.stderr
    assert elsewhere.read_bytes() == OLD
    assert not (folder / "out.mp3").is_symlink() and decode(folder / "out.mp3").shape[0] > 44100 * 3


# --------------------------------------------------------------- the feed


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("feed")
    (root / "routine.yaml").write_text(ROUTINE, encoding="utf-8")
    result = run("build", "routine.yaml", "-o", "site/a.mp3", "--sidecars", cwd=root)
    assert result.code == 0, result.stderr
    return root


FEED = ["--base-url", "https://example.com/x", "--title", "T"]


@pytest.mark.parametrize(
    ("target", "named"),
    [
        ("routine.yaml", "not a file voiceguide wrote"),
        ("site/a.mp3", "name for audio or a side file"),
        ("site/a.plan.json", "name for audio or a side file"),
        ("notes.txt", "not a file voiceguide wrote"),
        ("site/other.xml", "not a file voiceguide wrote"),
    ],
)
def test_feed_never_writes_over_a_file_that_is_not_a_feed_it_wrote(target: str, named: str, site: Path) -> None:
    if not (site / target).exists():
        (site / target).write_bytes(b'<?xml version="1.0"?>\n<rss version="2.0"><channel><title>Someone else</title></channel></rss>\n')
    before = snapshot(site)
    assert_refused(run("feed", "site", *FEED, "-o", target, cwd=site), target, named)
    assert snapshot(site) == before


def test_feed_replaces_its_own_feed_and_refuses_a_stranger_in_its_place(site: Path) -> None:
    for _ in range(2):  # the second run replaces the feed the first wrote
        result = run("feed", "site", *FEED, cwd=site)
        assert result.code == 0, result.stderr
    (site / "site" / "feed.xml").write_text("my own notes, not a feed\n", encoding="utf-8")
    assert_refused(run("feed", "site", *FEED, cwd=site), "feed.xml", "not a file voiceguide wrote")
    assert (site / "site" / "feed.xml").read_text(encoding="utf-8") == "my own notes, not a feed\n"
    (site / "site" / "feed.xml").unlink()


# --------------------------------------------------------------- all or nothing


@pytest.mark.parametrize("free_kib", [40, 72, 100, 130])
def test_audio_and_side_files_are_replaced_together_or_not_at_all(free_kib: int, folder: Path, tmp_path: Path) -> None:
    with small_disk(tmp_path / "disk", free_kib) as disk:
        names = ["s.mp3", *(f"s{suffix}" for suffix in SIDES)]
        for name in names:
            (disk / name).write_bytes(OLD)
        result = run("build", "routine.yaml", "-o", disk / "s.mp3", "--sidecars", "--force", cwd=folder)
        after = {name: (disk / name).read_bytes() for name in names}
        if result.code == 0:
            assert all(data != OLD for data in after.values()), "a build that succeeded left old side files"
            plan = json.loads(after["s.plan.json"])
            assert abs(decode(disk / "s.mp3").shape[0] / 44100 - plan["duration_s"]) < 0.1
        else:
            assert_refused(result, "no space left")
            assert all(data == OLD for data in after.values()), [n for n, d in after.items() if d != OLD]
        assert not [p.name for p in disk.iterdir() if TEMP_MARK in p.name]
