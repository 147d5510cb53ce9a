"""voiceguide batch planned as a whole: each distinct line narrated once, here and on a real Dask cluster, and a worker
killed in the middle of a batch."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from installed import VOICEGUIDE
from test_batch import HAS_DASK, _stop, _wait_for, free_port, outputs
from test_batch import routine as routine  # the short routine with ranges, as a fixture of this module too

MATRIX = ["--length", "40s", "--length", "1m", "--rate", "140", "--rate", "170"]


def lines(stdout: str) -> tuple[int, int]:
    found = re.search(r"(\d+) lines? synthesised, (\d+) from the cache", stdout)
    assert found, stdout
    return int(found[1]), int(found[2])


def clips_in(cache: Path) -> int:
    return len(list((cache / "clips").glob("*/*.wav")))


@pytest.fixture(scope="module")
def here(routine, tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """A batch on this machine with a cold clip cache of its own."""
    work = tmp_path_factory.mktemp("here")
    args = ["batch", str(routine), *MATRIX, "--out", str(work / "out"), "--cache", str(work / "cache")]
    done = subprocess.run([*VOICEGUIDE, *args], capture_output=True, text=True, timeout=900, check=False)
    return work, done


@pytest.mark.slow
def test_each_distinct_line_is_narrated_once(here, routine):
    work, done = here
    assert done.returncode == 0, done.stderr
    synthesised, cached = lines(done.stdout)
    assert cached == 0 and synthesised == clips_in(work / "cache") > 0  # every clip made once, none made twice
    again = subprocess.run([*VOICEGUIDE, "batch", str(routine), *MATRIX, "--out", str(work / "out"), "--cache", str(work / "cache"),
                            "--force"], capture_output=True, text=True, timeout=900, check=False)  # fmt: skip
    assert lines(again.stdout) == (0, synthesised)


@pytest.mark.slow
@pytest.mark.parametrize(("length", "rate"), [("40s", "140"), ("1m", "170")])
def test_a_session_is_what_build_makes_whatever_shares_its_batch(here, routine, tmp_path, length, rate):
    work, done = here
    assert done.returncode == 0, done.stderr
    name = f"press-{length}-{rate}wpm.mp3"
    env = {**os.environ, "VOICEGUIDE_CACHE": str(work / "cache")}
    build = subprocess.run([*VOICEGUIDE, "build", str(routine), "--length", length, "--rate", rate, "-o", str(tmp_path / name)],
                           capture_output=True, text=True, timeout=900, check=False, env=env)  # fmt: skip
    assert build.returncode == 0, build.stderr
    assert (tmp_path / name).read_bytes() == (work / "out" / name).read_bytes()


@contextlib.contextmanager
def cluster(logs: Path, workers: int) -> Iterator[tuple[str, list[subprocess.Popen[bytes]]]]:
    """A real scheduler and ``workers`` single-threaded workers without nannies (a killed worker stays dead)."""
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    dask = str(Path(sys.executable).parent / "dask")
    with contextlib.ExitStack() as stack:
        log = stack.enter_context(open(logs / "scheduler.log", "w"))
        scheduler = subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
                                     stdout=subprocess.DEVNULL, stderr=log)  # fmt: skip
        stack.callback(_stop, scheduler)
        _wait_for(address)
        procs = []
        for n in range(workers):
            log = stack.enter_context(open(logs / f"worker-{n}.log", "w"))
            command = [dask, "worker", address, "--no-nanny", "--nthreads", "1", "--no-dashboard", "--host", "127.0.0.1"]
            procs.append(subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log))
            stack.callback(_stop, procs[-1])
        from distributed import Client

        with Client(address, timeout="30s") as client:
            client.wait_for_workers(workers, timeout=120)
        yield address, procs


def children(pid: int) -> list[int]:
    """The processes ``pid`` started, from any of its threads."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(p) for p in (task / "children").read_text().split()]
        except OSError:
            pass
    return found


needs_dask = pytest.mark.skipif(not HAS_DASK, reason="the [dask] extra is not installed: pip install 'voiceguide[dask]'")


@needs_dask
@pytest.mark.slow
def test_on_dask_the_same_lines_files_and_manifest(here, routine, tmp_path):
    work, done = here
    assert done.returncode == 0, done.stderr
    with cluster(tmp_path, 2) as (address, _):
        args = ["batch", str(routine), *MATRIX, "--out", str(tmp_path / "out"), "--cache", str(tmp_path / "cache")]
        remote = subprocess.run([*VOICEGUIDE, *args, "--scheduler", address], capture_output=True, text=True, timeout=900, check=False)
    assert remote.returncode == 0, remote.stderr
    assert lines(remote.stdout) == lines(done.stdout)  # the same distinct lines, each once, on a cold cache
    assert outputs(tmp_path / "out") == outputs(work / "out")
    assert json.loads((tmp_path / "out" / "manifest.json").read_text()) == json.loads((work / "out" / "manifest.json").read_text())


@needs_dask
@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="finds the worker's narrator through /proc")
def test_a_worker_killed_mid_batch_is_made_up_for(here, routine, tmp_path):
    work, done = here
    assert done.returncode == 0, done.stderr
    with cluster(tmp_path, 2) as (address, workers):
        args = ["batch", str(routine), *MATRIX, "--out", str(tmp_path / "out"), "--cache", str(tmp_path / "cache")]
        batch = subprocess.Popen([*VOICEGUIDE, *args, "--scheduler", address], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        victim = workers[0]
        deadline = time.monotonic() + 300
        while not children(victim.pid) and batch.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)  # until the worker has started its narrator: it is at work on the batch
        running = batch.poll() is None
        os.kill(victim.pid, signal.SIGKILL)
        out, err = batch.communicate(timeout=900)
    assert running, "the batch ended before a worker could be killed"
    assert batch.returncode == 0, err
    assert "4 sessions: 4 built" in out
    assert outputs(tmp_path / "out") == outputs(work / "out")
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.startswith(".")]  # nothing half-written


DRESSED = ["--length", "40s", "--rate", "140", "--sidecars", "--player", "--bed", "rain", "--music-level", "-20"]


def every_file(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.name not in ("manifest.json", "feed.xml")}


@pytest.fixture(scope="module")
def dressed(routine, tmp_path_factory) -> Path:
    """A batch with music, side files and a feed, here."""
    out = tmp_path_factory.mktemp("dressed")
    args = ["batch", str(routine), *DRESSED, "--out", str(out), "--feed", "https://example.com/feet"]
    done = subprocess.run([*VOICEGUIDE, *args], capture_output=True, text=True, timeout=900, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == f"wrote {out / 'feed.xml'}"
    return out


@pytest.mark.slow
def test_a_batch_makes_what_build_makes(dressed, routine, tmp_path):
    import feedparser

    name = "press-40s-140wpm.mp3"
    build = subprocess.run([*VOICEGUIDE, "build", str(routine), *DRESSED, "-o", str(tmp_path / name)],
                           capture_output=True, text=True, timeout=900, check=False)  # fmt: skip
    assert build.returncode == 0, build.stderr
    assert every_file(dressed) == every_file(tmp_path)
    assert sorted(every_file(dressed)) == [
        "press-40s-140wpm.chapters.json", "press-40s-140wpm.html", "press-40s-140wpm.mp3", "press-40s-140wpm.plan.json",
        "press-40s-140wpm.srt", "press-40s-140wpm.vtt",
    ]  # fmt: skip
    feed = feedparser.parse((dressed / "feed.xml").read_text())
    assert [e.enclosures[0].href for e in feed.entries] == [f"https://example.com/feet/{name}"]
    rerun = subprocess.run([*VOICEGUIDE, "batch", str(routine), *DRESSED, "--out", str(dressed)],
                           capture_output=True, text=True, timeout=900, check=False)  # fmt: skip
    assert ": 0 built, 1 unchanged" in rerun.stdout
    (dressed / "press-40s-140wpm.vtt").unlink()  # a side file gone: made again
    rerun = subprocess.run([*VOICEGUIDE, "batch", str(routine), *DRESSED, "--out", str(dressed)],
                           capture_output=True, text=True, timeout=900, check=False)  # fmt: skip
    assert ": 1 built, 0 unchanged" in rerun.stdout and (dressed / "press-40s-140wpm.vtt").is_file()


@needs_dask
@pytest.mark.slow
def test_on_dask_a_dressed_batch_gives_the_same_files(dressed, routine, tmp_path):
    with cluster(tmp_path, 2) as (address, _):
        args = ["batch", str(routine), *DRESSED, "--out", str(tmp_path / "out"), "--feed", "https://example.com/feet"]
        remote = subprocess.run([*VOICEGUIDE, *args, "--scheduler", address], capture_output=True, text=True, timeout=900, check=False)
    assert remote.returncode == 0, remote.stderr
    assert every_file(tmp_path / "out") == every_file(dressed)
    assert (tmp_path / "out" / "feed.xml").is_file()


@needs_dask
@pytest.mark.slow
def test_on_dask_a_failing_variant_does_not_stop_the_others(routine, tmp_path):
    with cluster(tmp_path, 2) as (address, _):
        args = ["batch", str(routine), "no-such-routine", "--length", "3s", "--length", "40s", "--out", str(tmp_path / "out")]
        done = subprocess.run([*VOICEGUIDE, *args, "--scheduler", address], capture_output=True, text=True, timeout=900, check=False)
    assert done.returncode == 1
    assert sorted(outputs(tmp_path / "out")) == ["press-40s.mp3"]
    failures = [line for line in done.stderr.splitlines() if line.startswith("voiceguide: failed: ")]
    assert len(failures) == 3 and any("press.yaml, 3s: " in f and "cannot fit the session into 3s" in f for f in failures)
    assert "4 sessions: 1 built, 0 unchanged, 3 failed" in done.stdout


@needs_dask
@pytest.mark.slow
def test_on_dask_an_interrupted_batch_resumes(routine, tmp_path):
    with cluster(tmp_path, 2) as (address, _):
        args = [*VOICEGUIDE, "batch", str(routine), *MATRIX, "--out", str(tmp_path / "out"), "--scheduler", address]
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert proc.stdout is not None
        assert proc.stdout.readline().startswith("built")
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 130 and "run the same command again" in err
        recorded = [f["file"] for f in json.loads((tmp_path / "out" / "manifest.json").read_text())["files"]]
        again = subprocess.run(args, capture_output=True, text=True, timeout=900, check=False)
    assert again.returncode == 0, again.stderr
    assert f"4 sessions: {4 - len(recorded)} built, {len(recorded)} unchanged" in again.stdout
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.startswith(".")]  # no temporary files left


class _LosingClient:
    """A client whose cluster loses a worker while the plugin is set up, ``losses`` times (a fault injected)."""

    def __init__(self, losses: int) -> None:
        self.losses = losses
        self.registered = 0

    def register_plugin(self, plugin: object) -> None:
        if self.losses:
            self.losses -= 1
            from distributed.comm.core import CommClosedError

            raise CommClosedError("in <TCP (closed) ConnectionPool.register_worker_plugin>: Stream is closed")
        self.registered += 1


@needs_dask
def test_a_worker_lost_while_the_plugin_is_set_up_is_registered_again_on_the_others():
    from voiceguide.batch.remote import PLUGIN_ATTEMPTS, _register

    client = _LosingClient(PLUGIN_ATTEMPTS - 1)
    _register(client, "tcp://127.0.0.1:1")
    assert client.registered == 1


@needs_dask
def test_a_cluster_that_keeps_losing_workers_is_one_line():
    from voiceguide.batch.remote import PLUGIN_ATTEMPTS, _register
    from voiceguide.errors import BatchError

    with pytest.raises(BatchError, match="kept losing workers") as raised:
        _register(_LosingClient(PLUGIN_ATTEMPTS), "tcp://127.0.0.1:1")
    assert "\n" not in raised.value.message and "run the batch again" in (raised.value.hint or "")
