"""The one atomic writer: several files replaced together or not at all, inputs protected, stale files cleaned."""

from __future__ import annotations

import os
import re
import stat
import time
from pathlib import Path

import pytest

from voiceguide.errors import OutputError, ResourceError
from voiceguide.output import NAME_MAX, TEMP_MARK, Outputs, clean_stale, replacing, temp_path, write_text_atomic

DEAD_PID = 2**22 + 12345  # above the usual pid_max: no such process


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if TEMP_MARK in p.name)


def test_files_appear_only_on_commit(tmp_path: Path) -> None:
    with Outputs() as out:
        out.write_text(tmp_path / "a.txt", "A")
        out.write_text(tmp_path / "b.txt", "B")
        assert not (tmp_path / "a.txt").exists() and len(leftovers(tmp_path)) == 2
        assert out.commit() == [tmp_path / "a.txt", tmp_path / "b.txt"]
    assert (tmp_path / "a.txt").read_text() == "A" and (tmp_path / "b.txt").read_text() == "B"
    assert leftovers(tmp_path) == []


def test_an_error_before_commit_leaves_old_files_and_no_temporaries(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("old")
    with pytest.raises(RuntimeError), Outputs(force=True) as out:
        out.write_text(tmp_path / "a.txt", "new")
        raise RuntimeError("the build failed")
    assert (tmp_path / "a.txt").read_text() == "old" and leftovers(tmp_path) == []


def test_a_failed_replacement_puts_back_the_files_already_replaced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("a.mp3", "a.vtt", "a.srt"):
        (tmp_path / name).write_text(f"old {name}")
    real_replace = os.replace

    def failing_replace(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        if str(dst).endswith("a.srt") and TEMP_MARK in str(src) and not str(src).endswith(".kept"):
            raise OSError(28, "No space left on device", str(dst))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", failing_replace)
    with Outputs(force=True) as out:
        for name in ("a.mp3", "a.vtt", "a.srt"):
            out.write_text(tmp_path / name, f"new {name}")
        with pytest.raises(ResourceError, match=rf"no space left in {re.escape(str(tmp_path))} — free some space"):
            out.commit()
    assert {p.name: p.read_text() for p in tmp_path.iterdir()} == {n: f"old {n}" for n in ("a.mp3", "a.vtt", "a.srt")}


def test_a_failed_replacement_removes_new_files_that_had_no_old_version(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_replace = os.replace

    def failing_replace(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        if str(dst).endswith("b.txt"):
            raise KeyboardInterrupt
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(KeyboardInterrupt), Outputs() as out:
        out.write_text(tmp_path / "a.txt", "A")
        out.write_text(tmp_path / "b.txt", "B")
        out.commit()
    assert list(tmp_path.iterdir()) == []


def test_existing_files_need_force(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("old")
    with pytest.raises(OutputError, match="already exists — add --force"), Outputs() as out:
        out.reserve(tmp_path / "a.txt")


@pytest.mark.parametrize("kind", ["same path", "other spelling", "hard link"])
def test_an_input_is_never_an_output(tmp_path: Path, kind: str) -> None:
    source = tmp_path / "routine.yaml"
    source.write_text("title: T")
    target = {"same path": source, "other spelling": tmp_path / "." / "routine.yaml", "hard link": tmp_path / "link.yaml"}[kind]
    if kind == "hard link":
        os.link(source, target)
    with pytest.raises(OutputError, match="one of this build's own inputs"), Outputs(force=True, inputs=[source]) as out:
        out.reserve(target)
    assert source.read_text() == "title: T"


def test_one_result_never_writes_a_file_twice(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="written twice"), Outputs(force=True) as out:
        out.reserve(tmp_path / "session.srt")
        out.check(tmp_path / "session.srt")


def test_a_folder_where_the_file_should_go_is_refused(tmp_path: Path) -> None:
    (tmp_path / "a.mp3").mkdir()
    with pytest.raises(OutputError, match="exists and is not a file"), Outputs(force=True) as out:
        out.reserve(tmp_path / "a.mp3")


def test_modes_follow_the_replaced_file_or_the_umask(tmp_path: Path) -> None:
    (tmp_path / "kept.txt").write_text("old")
    os.chmod(tmp_path / "kept.txt", 0o640)
    write_text_atomic(tmp_path / "kept.txt", "new")
    write_text_atomic(tmp_path / "fresh.txt", "new")
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE((tmp_path / "kept.txt").stat().st_mode) == 0o640
    assert stat.S_IMODE((tmp_path / "fresh.txt").stat().st_mode) == 0o666 & ~umask


def test_long_names_get_temporary_siblings_that_fit(tmp_path: Path) -> None:
    longest = tmp_path / ("é" * ((NAME_MAX - 4) // 2) + ".mp3")
    assert len(longest.name.encode()) <= NAME_MAX
    temp = temp_path(longest)
    assert len(temp.name.encode()) <= NAME_MAX and temp.exists()
    with Outputs() as out:
        out.write_text(longest, "x")
        out.commit()
    assert longest.read_text() == "x"
    with pytest.raises(OutputError, match="longer than 255 bytes — choose a shorter output name"), Outputs() as out:
        out.reserve(tmp_path / ("x" * 256))


def test_stale_files_of_dead_processes_are_removed_and_set_aside_files_restored(tmp_path: Path) -> None:
    (tmp_path / f".a.mp3{TEMP_MARK}{DEAD_PID}-0000.partial.mp3").write_text("half")
    (tmp_path / f".b.mp3{TEMP_MARK}{DEAD_PID}-0000.kept").write_text("the only copy of b")
    (tmp_path / "c.mp3").write_text("new c")
    (tmp_path / f".c.mp3{TEMP_MARK}{DEAD_PID}-0000.kept").write_text("old c")
    mine = tmp_path / f".d.mp3{TEMP_MARK}{os.getpid()}-0000.partial.mp3"
    mine.write_text("being written")
    clean_stale(tmp_path)
    assert {p.name: p.read_text() for p in tmp_path.iterdir()} == {
        "b.mp3": "the only copy of b",
        "c.mp3": "new c",
        mine.name: "being written",
    }


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="zombies are told apart through /proc")
def test_a_killed_process_not_yet_reaped_leaves_a_stale_file(tmp_path: Path) -> None:
    """An orphan killed with its worker stays a zombie where nothing reaps it: what it left is stale all the same."""
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    try:
        wait_until_zombie(pid)
        (tmp_path / f".a.wav{TEMP_MARK}{pid}-0000.partial.wav").write_text("half")
        clean_stale(tmp_path)
        assert list(tmp_path.iterdir()) == []
    finally:
        os.waitpid(pid, 0)


def wait_until_zombie(pid: int) -> None:
    for _ in range(500):
        if Path(f"/proc/{pid}/stat").read_bytes().rsplit(b")", 1)[1].split()[0] == b"Z":
            return
        time.sleep(0.01)
    raise AssertionError(f"process {pid} did not exit")


def test_replacing_is_for_caches(tmp_path: Path) -> None:
    target = tmp_path / "clip.wav"
    with replacing(target) as temp:
        temp.write_bytes(b"RIFF")
    assert target.read_bytes() == b"RIFF"
    with pytest.raises(ValueError), replacing(target) as temp:
        temp.write_bytes(b"half")
        raise ValueError
    assert target.read_bytes() == b"RIFF" and leftovers(tmp_path) == []
