"""A hostile environment: a full disk, a file size limit, few file descriptors, little memory.

Whatever runs out, a build either completes or stops with one line that says what ran
out and where ("no space left in FOLDER", "the file size limit", "too many open files",
"ran out of memory"), exits non-zero, and leaves every existing file as it was with no
temporary files behind. The full disk is a small tmpfs (mounting needs root; the tests
skip with the reason where it is not allowed).
"""

from __future__ import annotations

import contextlib
import resource
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from audio_checks import decode
from hostile import ROUTINE, Run, assert_refused, run
from test_hostile_music import make_audio

from voiceguide.output import TEMP_MARK

pytestmark = pytest.mark.slow
OLD = b"ID3 the previous session, which must survive\x00" * 50


@contextlib.contextmanager
def small_disk(where: Path, free_kib: int, size_kib: int = 1024) -> Iterator[Path]:
    """A tmpfs of ``size_kib`` mounted at ``where`` with about ``free_kib`` left free; unmounted afterwards."""
    where.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_kib}k", "tmpfs", str(where)], capture_output=True, check=False)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small file system here: {mounted.stderr.decode(errors='replace').strip()}")
    try:
        (where / "old.mp3").write_bytes(OLD)
        with (where / "filler").open("wb") as f:
            try:
                f.write(b"\0" * max(0, (size_kib - free_kib) * 1024 - len(OLD) - 8192))
            except OSError:
                pass
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True, check=False)


def leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if TEMP_MARK in p.name]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("env")
    (path / "routine.yaml").write_text(ROUTINE, encoding="utf-8")
    (path / "builtin.yaml").write_text(ROUTINE.replace("music: none", "music: builtin"), encoding="utf-8")
    make_audio(path / "music.wav", 20.0)
    run("build", "routine.yaml", "-o", "warm.mp3", "--force", cwd=path)  # the clips are in the shared cache from here on
    return path


def built_or_refused(result: Run, output: Path, *named: str) -> None:
    """The contract under pressure: a complete, decodable file, or one clean line naming what ran out."""
    if result.code == 0:
        assert decode(output).shape[0] > 44100 * 3, "a file was written but does not hold the session"
    else:
        assert_refused(result, *named)


@pytest.mark.parametrize("fmt", ["mp3", "flac", "m4b"])
@pytest.mark.parametrize("free_kib", [4, 48, 96])
def test_a_full_disk_is_named_and_the_old_file_survives(fmt: str, free_kib: int, folder: Path, tmp_path: Path) -> None:
    with small_disk(tmp_path / "disk", free_kib) as disk:
        target = disk / "old.mp3" if fmt == "mp3" else disk / f"old.{fmt}"
        if fmt != "mp3":
            target.write_bytes(OLD)
        result = run("build", "routine.yaml", "-o", target, "--force", "--sidecars", cwd=folder)
        if result.code != 0:
            assert_refused(result, f"no space left in {disk}")
            assert target.read_bytes() == OLD
        else:
            assert decode(target).shape[0] > 44100 * 3
        assert not leftovers(disk)


def test_music_on_a_full_disk_is_no_space_not_bad_music(folder: Path, tmp_path: Path) -> None:
    with small_disk(tmp_path / "disk", 64) as disk:
        result = run("build", "routine.yaml", "-o", disk / "old.mp3", "--force", "--music", "music.wav", cwd=folder)
        message = assert_refused(result, f"no space left in {disk}")
        assert "cannot be decoded" not in message
        assert (disk / "old.mp3").read_bytes() == OLD and not leftovers(disk)


@pytest.mark.parametrize("fmt", ["mp3", "flac", "m4b"])
def test_the_file_size_limit_is_named_and_the_old_file_survives(fmt: str, folder: Path) -> None:
    target = folder / f"limited.{fmt}"
    target.write_bytes(OLD)
    result = run("build", "routine.yaml", "-o", target.name, "--force", cwd=folder, limits={resource.RLIMIT_FSIZE: 24 * 1024})
    message = assert_refused(result, "file size limit", target.name)
    assert TEMP_MARK not in message
    assert target.read_bytes() == OLD and not leftovers(folder)


@pytest.mark.parametrize("warm", [True, False])
@pytest.mark.parametrize("files", [8, 11, 14, 20])
def test_few_file_descriptors_build_or_say_so(files: int, warm: bool, folder: Path, tmp_path: Path) -> None:
    env = {} if warm else {"VOICEGUIDE_CACHE": str(tmp_path / "cache")}
    result = run("build", "routine.yaml", "-o", tmp_path / "out.mp3", cwd=folder, env=env, limits={resource.RLIMIT_NOFILE: files})
    built_or_refused(result, tmp_path / "out.mp3", "too many open files")
    if result.code != 0:
        assert f"the limit is {files}" in result.stderr
    assert not leftovers(tmp_path)


@pytest.mark.parametrize("routine", ["routine.yaml", "builtin.yaml"])
@pytest.mark.parametrize("kib", [200_000, 300_000, 500_000])
def test_little_memory_builds_or_says_so(kib: int, routine: str, folder: Path, tmp_path: Path) -> None:
    env = {"VOICEGUIDE_CACHE": str(tmp_path / "cache")}  # empty: narration, and the built-in bed made afresh
    result = run("build", routine, "-o", tmp_path / "out.mp3", cwd=folder, env=env, limits={resource.RLIMIT_AS: kib * 1024})
    built_or_refused(result, tmp_path / "out.mp3", "ran out of memory")
    assert not leftovers(tmp_path)
    if (tmp_path / "cache").exists():  # nothing half-made stays in the cache
        again = run("build", routine, "-o", tmp_path / "again.mp3", cwd=folder, env=env)
        assert again.code == 0, again.stderr


def test_resource_limits_reach_the_program() -> None:
    """Control: the limits are really set in the program the tests start."""
    result = subprocess.run(
        ["sh", "-c", "ulimit -n"], capture_output=True, text=True, check=True,
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (14, 14)),
    )  # fmt: skip
    assert result.stdout.strip() == "14"
