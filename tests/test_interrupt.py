"""Interrupted, killed and stuck builds: real processes, real signals.

Whatever moment a build is stopped at, an existing output stays byte-identical, no
temporary file stays behind, no narrator or ffmpeg process outlives it, and the user
reads one line. A SIGKILLed build can leave only its temporary output, which the next
build removes. A narrator that hangs inside a build ends it with one line in bounded
time, and builds sharing one clip cache never see a half-written clip.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from installed import VOICEGUIDE

from voiceguide import ffmpeg
from voiceguide.narration import wav
from voiceguide.output import TEMP_MARK

pytestmark = pytest.mark.slow  # real builds in processes, interrupted

OLD = b"ID3 an existing session the user cares about\n" * 100
INTERRUPTED = "voiceguide: interrupted; nothing was written"

# About 32 minutes, nearly all holds: a few lines to narrate, then seconds of rendering and encoding.
LONG = """\
title: Interrupted
music: none
intro:
  - Welcome to a long and quiet session.
techniques:
  - name: Long press
    steps: [Press the arch of your foot., Keep breathing slowly.]
    repetitions: 5
    hold: 3m
    rest: 10s
  - name: Second press
    steps: [Press the heel.]
    repetitions: 5
    hold: 3m
outro:
  - That is the end.
"""


# ------------------------------------------------------------------------------ helpers


@dataclass
class Run:
    process: subprocess.Popen[bytes]
    marker: str  # in the environment of the build and of everything it starts
    out: Path
    tmpdir: Path
    cache: Path
    started: float

    stdout: str = ""

    def wait(self, timeout: float = 180) -> tuple[int, list[str]]:
        out, err = self.process.communicate(timeout=timeout)
        self.stdout = out.decode("utf-8", "replace")
        return self.process.returncode, err.decode("utf-8", "replace").splitlines()


_MARKERS: set[str] = set()  # of the builds this test process started (and only those may be cleaned up)


def output_of(folder: Path) -> Path:
    """``folder/out/session.mp3``, holding OLD unless a build replaced it."""
    out = folder / "out" / "session.mp3"
    out.parent.mkdir(exist_ok=True)
    if not out.exists():
        out.write_bytes(OLD)
    return out


def start_build(
    folder: Path,
    cache: Path,
    *extra: str,
    group: bool = False,
    routine: str = LONG,
    python: list[str] | None = None,
    env: dict[str, str] | None = None,
) -> Run:
    """``voiceguide build`` of ``routine`` into ``output_of(folder)``, with --force; its own TMPDIR and clip cache."""
    (folder / "routine.yaml").write_text(routine)
    out = output_of(folder)
    tmpdir = folder / "tmp"
    tmpdir.mkdir(exist_ok=True)
    marker = uuid.uuid4().hex
    _MARKERS.add(marker)
    environment = {**os.environ, **(env or {}), "VOICEGUIDE_CACHE": str(cache), "TMPDIR": str(tmpdir), "VOICEGUIDE_TEST_RUN": marker}
    music = [] if any(arg.startswith("--music") for arg in extra) else ["--no-music"]
    command = [*(python or VOICEGUIDE), "build", str(folder / "routine.yaml"), "-o", str(out), "--force", *music, *extra]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=environment, cwd=folder, start_new_session=group
    )
    return Run(process, f"VOICEGUIDE_TEST_RUN={marker}", out, tmpdir, cache, time.monotonic())


def processes_of(run: Run) -> list[int]:
    """Live processes started by the run (they carry its marker in their environment)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            with contextlib.suppress(OSError):
                if run.marker.encode() in (entry / "environ").read_bytes():
                    found.append(int(entry.name))
    return found


def no_processes_left(run: Run, within_s: float = 15.0) -> list[int]:
    deadline = time.monotonic() + within_s
    while (left := processes_of(run)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


def temp_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob(f".*{TEMP_MARK}*"))


def wait_for(condition: Callable[[], bool], run: Run, what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if run.process.poll() is not None:
            pytest.fail(f"the build ended before {what}: {run.process.stderr.read().decode() if run.process.stderr else ''}")
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.005)


def partial_size(run: Run) -> int:
    sizes = [p.stat().st_size for p in run.out.parent.glob(f".*{TEMP_MARK}*.partial.*") if p.exists()]
    return max(sizes, default=-1)


def clips(cache: Path) -> list[Path]:
    return sorted((cache / "clips").rglob("*")) if (cache / "clips").exists() else []


def assert_cache_consistent(cache: Path) -> None:
    for path in clips(cache):
        if path.is_file():
            assert path.suffix == ".wav" and not path.name.startswith("."), f"left in the cache: {path.name}"
            assert wav.stored_frames(path) is not None, f"a damaged clip in the cache: {path.name}"


STALE_PID = 4_000_000  # above the usual pid_max: never a live process


def plant_stale_temp(out: Path) -> Path:
    stale = out.parent / f".{out.stem}{TEMP_MARK}{STALE_PID}-planted.partial.mp3"
    stale.write_bytes(b"left by a killed build")
    return stale


@pytest.fixture(scope="module")
def warm_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clip cache holding every line of LONG, so a build reaches encoding within a second."""
    folder = tmp_path_factory.mktemp("warm")
    cache = folder / "cache"
    run = start_build(folder, cache)
    code, err = run.wait()
    assert code == 0, err
    return cache


# ------------------------------------------------------------------ signals at several moments


def _moment(run: Run, moment: str, stale: Path | None = None) -> None:
    """Wait until the build is at ``moment`` (for "+N s", ``stale`` is a file the build removes as it starts)."""
    if moment == "startup":  # the interpreter is up and importing voiceguide's modules (numpy is among the first)
        wait_for(lambda: _maps(run.process.pid, "_multiarray_umath"), run, "voiceguide's imports")
    elif stale is not None:  # "+0.2s": that long after the build proper started (it removes stale temp files first)
        wait_for(lambda: not stale.exists(), run, "the build to start")
        time.sleep(float(moment[1:-1]))
    elif moment == "narrating":
        wait_for(lambda: any(p.suffix == ".wav" for p in clips(run.cache)), run, "the first clip")
    elif moment == "encoding":
        wait_for(lambda: partial_size(run) > 64 * 1024, run, "encoding")
    else:
        raise ValueError(moment)


def _children(pid: int) -> list[int]:
    found: list[int] = []
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            found += [int(c) for c in (task / "children").read_text().split()]
    return found


def _catches(pid: int, signum: int) -> bool:
    """Whether process ``pid`` has a handler for ``signum`` (the SigCgt mask of /proc/PID/status)."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("SigCgt:"):
                return bool(int(line.split()[1], 16) >> (signum - 1) & 1)
    return False


def _narrators(run: Run) -> list[int]:
    """The build's narration workers (spawned interpreters), whether they have left its process group yet or not."""
    found = []
    for child in _children(run.process.pid):
        with contextlib.suppress(OSError):
            if b"multiprocessing.spawn" in Path(f"/proc/{child}/cmdline").read_bytes():
                found.append(child)
    return found


def _detached(pid: int, group: int) -> bool:
    try:
        return os.getpgid(pid) != group
    except ProcessLookupError:
        return True


def _maps(pid: int, library: str) -> bool:
    """Whether process ``pid`` has loaded ``library`` (a moment inside its imports; earlier, a signal hits the interpreter's own start-up)."""
    with contextlib.suppress(OSError):
        return library in Path(f"/proc/{pid}/maps").read_text()
    return False


def _assert_stopped_cleanly(run: Run, code: int, err: list[str]) -> None:
    assert code != 0
    assert run.out.read_bytes() == OLD, "the existing output was changed"
    assert temp_files(run.out.parent) == []
    assert no_processes_left(run) == [], "a narrator or ffmpeg process outlived the build"
    left = {p.name: sorted(x.name for x in p.rglob("*")) if p.is_dir() else [] for p in run.tmpdir.iterdir()}
    assert left == {}, f"left in TMPDIR: {left}"
    assert_cache_consistent(run.cache)
    assert not any("Traceback" in line for line in err), "\n".join(err)


SIGNALS = {"SIGINT": signal.SIGINT, "SIGTERM": signal.SIGTERM}
MOMENTS = [
    ("SIGINT", "startup"),
    ("SIGTERM", "startup"),
    ("SIGINT", "+0.2s"),
    ("SIGINT", "+0.5s"),
    ("SIGINT", "+1.0s"),
    ("SIGTERM", "+0.5s"),
    ("SIGINT", "narrating"),
    ("SIGTERM", "narrating"),
    ("SIGINT", "encoding"),
    ("SIGTERM", "encoding"),
]


@pytest.mark.parametrize(
    ("name", "moment"),
    MOMENTS,
    ids=[f"{n}-{m}" for n, m in MOMENTS],
)
def test_signal_leaves_the_old_output_and_nothing_else(name: str, moment: str, tmp_path: Path, warm_cache: Path) -> None:
    cache = warm_cache if moment == "encoding" else tmp_path / "cache"
    stale = plant_stale_temp(output_of(tmp_path)) if moment.startswith("+") else None
    run = start_build(tmp_path, cache)
    _moment(run, moment, stale)
    run.process.send_signal(SIGNALS[name])
    code, err = run.wait()
    _assert_stopped_cleanly(run, code, err)
    assert (code, err) == (130, [INTERRUPTED])


@pytest.mark.parametrize("moment", ["narrating", "encoding"])
def test_ctrl_c_reaches_the_whole_process_group(moment: str, tmp_path: Path, warm_cache: Path) -> None:
    """A terminal's Ctrl-C goes to every process of the group: the build and its ffmpeg (narrators have their own group)."""
    run = start_build(tmp_path, warm_cache if moment == "encoding" else tmp_path / "cache", group=True)
    _moment(run, moment)
    if moment == "narrating":  # once every narrator has its own group (a Ctrl-C before that: the xfail test below)
        wait_for(lambda: all(_detached(c, run.process.pid) for c in _narrators(run)), run, "the narrators to detach")
    os.killpg(run.process.pid, signal.SIGINT)
    code, err = run.wait()
    _assert_stopped_cleanly(run, code, err)
    assert (code, err) == (130, [INTERRUPTED])


def test_a_starting_narrator_ignores_sigint(tmp_path: Path) -> None:
    """Narrators start with SIGINT ignored (inherited across exec): a Ctrl-C that reaches one while its
    interpreter is still starting can neither kill it nor print its traceback."""
    run = start_build(tmp_path, tmp_path / "cache", group=True)
    wait_for(lambda: bool(_narrators(run)), run, "a narrator to be running")
    workers = _narrators(run)
    assert not any(_catches(worker, signal.SIGINT) for worker in workers), "a narrator handles SIGINT"
    for worker in workers:
        with contextlib.suppress(ProcessLookupError):
            os.kill(worker, signal.SIGINT)
    code, err = run.wait()
    assert not any("Traceback" in line or "KeyboardInterrupt" in line for line in err), "\n".join(err)
    assert code == 0, err


def test_ctrl_c_twice_while_encoding(tmp_path: Path, warm_cache: Path) -> None:
    """An impatient second Ctrl-C lands during the clean-up of the first."""
    run = start_build(tmp_path, warm_cache, group=True)
    _moment(run, "encoding")
    os.killpg(run.process.pid, signal.SIGINT)
    time.sleep(0.01)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(run.process.pid, signal.SIGINT)
    code, err = run.wait()
    assert code != 0 and len(err) == 1 and not any("Traceback" in line for line in err), err
    assert run.out.read_bytes() == OLD
    assert no_processes_left(run) == []
    leftovers = temp_files(run.out.parent)
    if leftovers:  # the second interrupt may cut the clean-up short: the next build must finish it
        rebuild = start_build(tmp_path, warm_cache)
        assert rebuild.wait()[0] == 0
        assert temp_files(run.out.parent) == []


@pytest.fixture(scope="module")
def long_music(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Five minutes of music: decoding it takes a moment, in the background while lines are narrated."""
    path = tmp_path_factory.mktemp("music") / "calm.flac"
    subprocess.run(
        [ffmpeg.ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "sine=frequency=220:duration=300",
         "-ac", "2", "-y", str(path)],
        check=True, timeout=300,
    )  # fmt: skip
    return path


@pytest.mark.parametrize("group", [False, True], ids=["kill-INT", "ctrl-c"])
def test_signal_while_the_music_decodes(group: bool, tmp_path: Path, long_music: Path) -> None:
    run = start_build(tmp_path, tmp_path / "cache", "--music", str(long_music), group=group)
    wait_for(lambda: any(run.out.parent.glob(f".music{TEMP_MARK}*.raw")), run, "the music to be decoding")
    # and every narrator started: while one starts, the build ignores SIGINT for a moment, and a Ctrl-C the
    # music thread takes then is lost (known, rare; see the closing note of this work)
    wait_for(lambda: any(p.suffix == ".wav" for p in clips(run.cache)), run, "the first clip")
    if group:
        os.killpg(run.process.pid, signal.SIGINT)
    else:
        run.process.send_signal(signal.SIGINT)
    code, err = run.wait(timeout=60)
    _assert_stopped_cleanly(run, code, err)
    assert (code, err) == (130, [INTERRUPTED])


THREAD_IMPORTS = """
import json, sys, threading
from pathlib import Path
seen = []
sys.addaudithook(lambda event, args: seen.append(args[0]) if event == "import" and threading.current_thread() is not threading.main_thread() else None)
from voiceguide.build import BuildOptions, build
music = Path(sys.argv[3]) if sys.argv[3] != "builtin" else "builtin"
build(sys.argv[1], BuildOptions(output=Path(sys.argv[2]), music=music))
print(json.dumps(sorted(set(seen))))
"""


@pytest.mark.parametrize("music", ["file", "builtin"])
def test_the_music_thread_imports_nothing(music: str, tmp_path: Path, long_music: Path) -> None:
    (tmp_path / "routine.yaml").write_text(LONG.replace("3m", "1s"))
    done = subprocess.run(
        [sys.executable, "-c", THREAD_IMPORTS, str(tmp_path / "routine.yaml"), str(tmp_path / "out.mp3"), str(long_music) if music == "file" else music],
        capture_output=True, text=True, timeout=300, check=False, env={**os.environ, "VOICEGUIDE_CACHE": str(tmp_path / "cache")},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == []


# ------------------------------------------------------------------------------ SIGKILL


def test_sigkill_while_encoding_leaves_only_what_the_next_build_removes(tmp_path: Path, warm_cache: Path) -> None:
    run = start_build(tmp_path, warm_cache)
    _moment(run, "encoding")
    run.process.kill()
    run.wait()
    assert run.out.read_bytes() == OLD
    assert no_processes_left(run) == [], "the encoder outlived a killed build"
    left = temp_files(run.out.parent)
    assert left and all(f".{run.process.pid}-" not in name or TEMP_MARK in name for name in left)
    assert_cache_consistent(warm_cache)
    rebuild = start_build(tmp_path, warm_cache)
    code, err = rebuild.wait()
    assert code == 0, err
    assert temp_files(run.out.parent) == []
    assert run.out.read_bytes()[:3] == b"ID3" and run.out.read_bytes() != OLD


def test_sigkill_while_narrating_leaves_nothing_the_next_build_cannot_remove(tmp_path: Path) -> None:
    run = start_build(tmp_path, tmp_path / "cache")
    _moment(run, "narrating")
    run.process.kill()
    run.wait()
    assert no_processes_left(run) == [], "a narrator outlived a killed build"
    for path in clips(tmp_path / "cache"):  # a clip being stored at the kill leaves its temporary file, nothing else
        if path.is_file() and path.name.startswith("."):
            assert TEMP_MARK in path.name, f"left in the cache: {path.name}"
    rebuild = start_build(tmp_path, tmp_path / "cache")
    assert rebuild.wait()[0] == 0
    assert_cache_consistent(tmp_path / "cache")
    assert temp_files(run.out.parent) == []
    assert list(run.tmpdir.iterdir()) == [], f"left in TMPDIR: {[p.name for p in run.tmpdir.iterdir()]}"


def test_stale_temp_files_of_live_builds_are_kept(tmp_path: Path, warm_cache: Path) -> None:
    """The clean-up removes only what dead builds left: a build running in the same folder keeps its file."""
    live = tmp_path / "out" / f".session{TEMP_MARK}{os.getpid()}-mine.partial.mp3"
    live.parent.mkdir()
    live.write_bytes(b"being written")
    run = start_build(tmp_path, warm_cache)
    assert run.wait()[0] == 0
    assert live.exists()


# ------------------------------------------------------------------------------ narrator faults

HANG_ENGINE = '''
import os, time
from pathlib import Path
from voiceguide.narration.engines import Pyttsx3Engine


class HangOnMarker(Pyttsx3Engine):
    """The real engine, except that it hangs on any text with HANG in it."""

    def synthesize(self, text, voice, rate, volume, path):
        if "HANG" in text:
            Path(os.environ["HANG_PID_DIR"], f"{os.getpid()}.pid").write_text("")
            time.sleep(1000)
        super().synthesize(text, voice, rate, volume, path)
'''

# The CLI with a short narrator deadline and an engine named by module path (--engine only lists the built-in ones).
CLI_WITH_TEST_ENGINE = """
import sys, click
from voiceguide import narration
narration.BASE_TIMEOUT_S, narration.TIMEOUT_PER_CHAR_S = 3.0, 0.0
from voiceguide.cli import cli, main
from voiceguide.cli import commands
for param in cli.commands["build"].params:
    if param.name == "engine":
        param.type = click.STRING
sys.argv = ["voiceguide", *sys.argv[1:]]
main()
"""

HANGING_ROUTINE = (
    LONG.replace("  - That is the end.", "  - That is the end. HANG here.").replace("repetitions: 5", "repetitions: 2").replace("3m", "5s")
)


def test_build_with_a_hanging_narrator_ends_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "engines").mkdir()
    (tmp_path / "engines" / "hang_on.py").write_text(HANG_ENGINE)
    pids = tmp_path / "pids"
    pids.mkdir()
    env = {"HANG_PID_DIR": str(pids), "PYTHONPATH": os.pathsep.join([str(tmp_path / "engines"), os.environ.get("PYTHONPATH", "")])}
    cache = tmp_path / "cache"
    run = start_build(
        tmp_path,
        cache,
        "--engine",
        "hang_on:HangOnMarker",
        routine=HANGING_ROUTINE,
        python=[sys.executable, "-c", CLI_WITH_TEST_ENGINE],
        env=env,
    )
    code, err = run.wait(timeout=120)
    assert time.monotonic() - run.started < 60
    assert code == 1
    assert len(err) == 1 and err[0].startswith(
        "voiceguide: the pyttsx3 engine did not finish saying 'That is the end. HANG here.' within 3 s"
    ), err
    assert list(pids.iterdir()), "the hanging engine was never reached"
    for pid_file in pids.iterdir():
        with pytest.raises(ProcessLookupError):
            os.kill(int(pid_file.stem), 0)
    assert run.out.read_bytes() == OLD and temp_files(run.out.parent) == []
    assert no_processes_left(run) == [] and list(run.tmpdir.iterdir()) == []
    assert_cache_consistent(cache)
    made = [p for p in clips(cache) if p.is_file()]
    assert made, "the other lines should have been stored before the hang was noticed"
    # The clips stored so far are as good as the real engine's (same name, same key): a real build reuses them.
    rebuild = start_build(tmp_path, cache, routine=HANGING_ROUTINE)
    code, err = rebuild.wait()
    assert code == 0, err
    assert f"(1 line synthesised, {len(made)} from cache)" in rebuild.stdout


def test_parallel_builds_sharing_a_cache_never_see_half_a_clip(tmp_path: Path) -> None:
    """Two cold builds of one routine into one cache and one output; a watcher reads every clip as it appears."""
    cache = tmp_path / "cache"
    many_lines = LONG.replace("repetitions: 5", "repetitions: 12").replace("3m", "1s").replace("10s", "1s")
    seen_half: list[str] = []
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            for path in clips(cache):
                if path.suffix == ".wav" and not path.name.startswith(".") and wav.stored_frames(path) is None and path.exists():
                    seen_half.append(path.name)
            time.sleep(0.001)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    runs = [start_build(tmp_path / side, cache, routine=many_lines) for side in ("a", "b")]
    results = [r.wait() for r in runs]
    stop.set()
    watcher.join(5)
    for code, err in results:
        assert code == 0, err
    assert seen_half == []
    assert_cache_consistent(cache)
    for run in runs:
        assert temp_files(run.out.parent) == [] and no_processes_left(run) == []


def test_parallel_builds_into_one_output(tmp_path: Path, warm_cache: Path) -> None:
    """Both finish; the file is one whole build (the last to finish), never a mix or a temp file."""
    first = start_build(tmp_path, warm_cache)
    second = start_build(tmp_path, warm_cache)
    assert first.wait()[0] == 0 and second.wait()[0] == 0
    assert temp_files(first.out.parent) == []
    data = first.out.read_bytes()
    assert data[:3] == b"ID3" and len(data) > 1_000_000


@pytest.fixture(autouse=True)
def _no_strays() -> Iterator[None]:
    """Whatever a test does, no process of a build it started is left running (only ours: marked by this process)."""
    yield
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            with contextlib.suppress(OSError):
                environ = (entry / "environ").read_bytes().split(b"\0")
                if any(
                    item.removeprefix(b"VOICEGUIDE_TEST_RUN=").decode() in _MARKERS
                    for item in environ
                    if item.startswith(b"VOICEGUIDE_TEST_RUN=")
                ):
                    os.kill(int(entry.name), signal.SIGKILL)


def test_interrupt_while_the_narrators_stop_still_cleans_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import multiprocessing
    import tempfile

    from voiceguide.narration import narrator, workers

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    real_end = narrator.Narrator.end

    def interrupted_end(self: narrator.Narrator, graceful: bool) -> None:
        if graceful:
            raise KeyboardInterrupt  # Ctrl-C lands while this worker is asked to stop
        real_end(self, graceful)

    monkeypatch.setattr(narrator.Narrator, "end", interrupted_end)
    jobs = [workers.Job(f"k{i}", f"Line {i}.", "gmw/en-us", 175, 1.0, tmp_path / "clips" / f"{i}.wav", 30.0) for i in range(2)]
    with pytest.raises(KeyboardInterrupt):
        workers.run_jobs(jobs, "voiceguide.narration.engines:Pyttsx3Engine", "pyttsx3", lambda job, made: None, processes=2)
    deadline = time.monotonic() + 10
    while multiprocessing.active_children() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not multiprocessing.active_children(), "a narrator worker was left running"
    assert not list(tmp_path.glob("voiceguide-narration-*")), "the scratch folder was left behind"


def test_interrupt_just_after_the_music_thread_starts_leaves_no_temp_file(
    tmp_path: Path, long_music: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from voiceguide import build as build_module
    from voiceguide.render.beds import MusicBed

    real_start = MusicBed.start
    started: list[object] = []

    def interrupted_start(self: object) -> None:
        real_start(self)  # type: ignore[arg-type]
        started.append(self)
        raise KeyboardInterrupt  # Ctrl-C lands the moment the thread is running

    monkeypatch.setattr(MusicBed, "start", interrupted_start)
    monkeypatch.setenv("VOICEGUIDE_CACHE", str(tmp_path / "cache"))
    (tmp_path / "routine.yaml").write_text(LONG)
    out = tmp_path / "out" / "session.mp3"
    with pytest.raises(KeyboardInterrupt):
        build_module.build(tmp_path / "routine.yaml", build_module.BuildOptions(output=out, music=long_music))
    assert started
    started[0]._thread.join(60)  # type: ignore[attr-defined]
    assert [p.name for p in out.parent.iterdir() if TEMP_MARK in p.name] == []
