"""The clip cache and the narrator under attack: damaged clips, a FIFO for a clip, a cache that cannot be written,
a cache removed during a build, and a narrator whose data is missing.

A clip is stored with the sha256 of its samples and checked on every read: a damaged
one is made again, never used. Nothing that is not a whole clip is served: not an empty
clip (an engine that says nothing stores nothing), not a FIFO (it would block the build
forever). A cache that cannot be written is reported as the cache's problem, naming the
folder and the fix, never as the engine failing.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from hostile import ROUTINE, assert_refused, run
from installed import engine_in_tests

from voiceguide.errors import CacheError, NarratorError, RoutineError, SilentLineError
from voiceguide.narration import espeak_lib, narrate, wav
from voiceguide.narration.cache import lookup
from voiceguide.plan import Utterance

pytestmark = pytest.mark.slow
OLD = b"the previous session, which must survive\n" * 20


def say(text: str = "Press your toes.") -> Utterance:
    return Utterance(text, text, "en", 150, 1.0)


def clip_files(cache: Path) -> list[Path]:
    return sorted((cache / "clips").rglob("*.wav"))


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "routine.yaml").write_text(ROUTINE, encoding="utf-8")
    (tmp_path / "old.mp3").write_bytes(OLD)
    return tmp_path


def build(folder: Path, cache: Path, *extra: str) -> object:
    return run("build", "routine.yaml", "-o", "old.mp3", "--force", *extra, cwd=folder, env={"VOICEGUIDE_CACHE": str(cache)}, timeout=180)


# --------------------------------------------------------------- damaged clips


@pytest.mark.parametrize("where", ["first-sample", "middle", "last-sample"])
def test_a_clip_whose_samples_were_damaged_is_made_again_not_used(where: str, cache_dir: Path) -> None:
    u = say()
    clip = narrate([u])[u]
    data = bytearray(clip.path.read_bytes())
    at = {
        "first-sample": wav.HEADER_BYTES,
        "middle": (wav.HEADER_BYTES + len(data) - wav.SUM_BYTES) // 2,
        "last-sample": len(data) - wav.SUM_BYTES - 1,
    }[where]
    data[at] ^= 0x40  # one bit: the header and the size still look right
    clip.path.write_bytes(bytes(data))
    assert lookup(clip.path) is None
    stats: dict[str, int] = {}
    again = narrate([u], stats=stats)[u]
    assert stats == {"synthesised": 1, "cached": 0} and lookup(again.path) == again
    assert wav.read_stored(again.path)[0].size == round(again.duration_s * again.sample_rate)


def test_a_clip_damaged_between_narration_and_rendering_is_one_line(folder: Path, tmp_path: Path) -> None:
    from voiceguide import build as build_module
    from voiceguide.render import pipeline as render_session_module

    cache = tmp_path / "cache"
    real = render_session_module.render_session

    def damaging(plan: object, clips: dict[object, Path], *args: object, **kwargs: object) -> object:
        for path in clips.values():
            data = bytearray(path.read_bytes())
            data[wav.HEADER_BYTES + 10] ^= 0x01
            path.write_bytes(bytes(data))
        return real(plan, clips, *args, **kwargs)  # type: ignore[arg-type]

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("VOICEGUIDE_CACHE", str(cache))
        patch.setattr(build_module, "render_session", damaging)
        with pytest.raises(NarratorError, match=r"was removed or damaged during the build .* — build again") as caught:
            build_module.build(folder / "routine.yaml", build_module.BuildOptions(output=folder / "old.mp3", force=True))
    assert "\n" not in str(caught.value) and str(cache) in str(caught.value)
    assert (folder / "old.mp3").read_bytes() == OLD


# --------------------------------------------------------------- what stands where a clip or the cache should be


def test_a_fifo_where_a_clip_should_be_neither_hangs_nor_stays(folder: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    assert build(folder, cache).code == 0
    for clip in clip_files(cache):
        clip.unlink()
        os.mkfifo(clip)
    result = build(folder, cache)  # a hang would end in the run's timeout
    assert result.code == 0, result.stderr
    assert all(clip.is_file() and lookup(clip) is not None for clip in clip_files(cache))


@pytest.mark.parametrize("blocked", ["cache", "cache/clips", "shards"])
def test_a_file_where_a_cache_folder_should_be_names_the_cache_and_the_fix(blocked: str, folder: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    if blocked == "shards":
        (cache / "clips").mkdir(parents=True)
        for n in range(256):
            (cache / "clips" / f"{n:02x}").write_text("not a folder")
    else:
        (tmp_path / blocked).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / blocked).write_text("not a folder")
    message = assert_refused(build(folder, cache), f"the clip cache {cache}", "VOICEGUIDE_CACHE")
    assert "engine" not in message and "is a file, not a folder" in message
    assert (folder / "old.mp3").read_bytes() == OLD


@contextlib.contextmanager
def read_only_cache(where: Path, warm_from: Path | None = None) -> Iterator[Path]:
    """A tmpfs at ``where`` (holding a copy of ``warm_from``), remounted read-only: chmod does not stop root, this does."""
    where.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(where)], capture_output=True, check=False).returncode:
        pytest.skip("cannot mount a file system here (needs root)")
    try:
        if warm_from is not None:
            shutil.copytree(warm_from, where, dirs_exist_ok=True)
        subprocess.run(["mount", "-o", "remount,ro", str(where)], check=True, capture_output=True)
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True, check=False)


def test_a_read_only_cache_is_named_with_the_fix(folder: Path, tmp_path: Path) -> None:
    with read_only_cache(tmp_path / "cache") as cache:
        message = assert_refused(build(folder, cache), f"the clip cache {cache} is read-only", "VOICEGUIDE_CACHE")
        assert "engine" not in message
    assert (folder / "old.mp3").read_bytes() == OLD


def test_a_read_only_cache_that_holds_every_clip_still_builds(folder: Path, tmp_path: Path) -> None:
    warm = tmp_path / "warm"
    assert build(folder, warm, "--no-music").code == 0
    with read_only_cache(tmp_path / "cache", warm) as cache:
        result = build(folder, cache, "--no-music")
        assert result.code == 0, result.stderr
        assert "0 lines synthesised" in result.stdout


def test_a_cache_removed_during_narration_is_made_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv("VOICEGUIDE_CACHE", str(cache))
    monkeypatch.setenv("VOICEGUIDE_TEST_MARK", str(tmp_path / "removed"))
    lines = [say(f"Line {n}, press your toes.") for n in ("one", "two", "three", "four", "five", "six")]
    clips = narrate(lines, engine=engine_in_tests("hostile_engines", "CacheRemovingEngine"))
    assert (tmp_path / "removed").exists()  # the cache really went away meanwhile
    assert all(lookup(clip.path) == clip for clip in clips.values())


def test_a_cache_removed_before_rendering_is_one_line(folder: Path, tmp_path: Path) -> None:
    from voiceguide import build as build_module

    cache = tmp_path / "cache"
    real = build_module.render_session

    def after_removal(*args: object, **kwargs: object) -> object:
        shutil.rmtree(cache)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("VOICEGUIDE_CACHE", str(cache))
        patch.setattr(build_module, "render_session", after_removal)
        with pytest.raises(NarratorError, match="removed or damaged during the build") as caught:
            build_module.build(folder / "routine.yaml", build_module.BuildOptions(output=folder / "old.mp3", force=True))
    assert "\n" not in str(caught.value)
    assert (folder / "old.mp3").read_bytes() == OLD


# --------------------------------------------------------------- a narrator that says nothing


@pytest.fixture(scope="module")
def data_without_dictionary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    copy = tmp_path_factory.mktemp("espeak") / "espeak-ng-data"
    shutil.copytree(espeak_lib.data_path(), copy)
    (copy / "en_dict").unlink()
    return copy


def test_a_narrator_without_its_dictionary_stores_nothing_and_says_so(data_without_dictionary: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    u = say()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("VOICEGUIDE_TEST_ESPEAK_DATA", str(data_without_dictionary))
        with pytest.raises(SilentLineError) as caught:
            narrate([u], engine=engine_in_tests("hostile_engines", "BrokenDataEngine"), cache_dir=cache)
    message = str(caught.value)
    assert "\n" not in message and "made no sound" in message and "en_dict" in message, message
    assert clip_files(cache) == []  # no empty clip to break every later build
    clip = narrate([u], cache_dir=cache)[u]  # the real narrator, same cache keys: a real clip
    assert clip.duration_s > 0.3


def test_a_line_the_narrator_makes_no_sound_for_is_located(tmp_path: Path) -> None:
    from voiceguide.session import prepare

    path = tmp_path / "routine.yaml"  # 'ʻ' is a letter to Unicode, and silence to espeak-ng
    path.write_text("title: T\nmusic: none\ntechniques:\n  - name: Toe press\n    steps:\n      - Press.\n      - ʻʻ\n", encoding="utf-8")
    with pytest.raises(RoutineError) as caught:
        prepare(path)
    assert str(caught.value).startswith(f"{path}:7:1: ") and "made no sound" in str(caught.value), str(caught.value)


def test_build_of_a_silent_line_is_one_located_line_and_leaves_no_empty_clip(folder: Path, tmp_path: Path) -> None:
    (folder / "routine.yaml").write_text(ROUTINE.replace("- Press your toes.", "- Press your toes.\n      - 𝟘"), encoding="utf-8")
    cache = tmp_path / "cache"
    assert_refused(build(folder, cache), "routine.yaml:9:1: ", "made no sound")
    assert all(lookup(clip) is not None for clip in clip_files(cache))
    assert (folder / "old.mp3").read_bytes() == OLD


def test_cache_errors_are_cache_errors_not_engine_failures() -> None:
    assert issubclass(CacheError, NarratorError) and issubclass(SilentLineError, NarratorError)
