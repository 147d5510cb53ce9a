"""voiceguide batch: the variant matrix, names, manifest and skipping; real builds here, on a pool and on a Dask cluster."""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from audio_checks import RATE, decode
from installed import VOICEGUIDE
from test_fit_build import ROUTINE  # a short routine with ranges

from voiceguide.batch import Matrix, Variant, read_spec
from voiceguide.batch.manifest import Entry, Manifest
from voiceguide.batch.variants import file_name, resolve
from voiceguide.errors import RoutineError
from voiceguide.user_defaults import UserDefaults

HAS_DASK = importlib.util.find_spec("distributed") is not None


def run(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*VOICEGUIDE, *args], capture_output=True, text=True, timeout=timeout, check=False)


def no_version(v):
    return "espeak test"


# ------------------------------------------------------------------ the matrix, pure


def test_the_matrix_is_every_combination_once():
    m = Matrix(("a", "b"), lengths=(180.0, 300.0, 180.0), rates=(140, 170))
    variants = m.variants()
    assert len(variants) == 8
    assert Variant("b", None, 300.0, None, None, 170) in variants


def test_names_say_the_variant():
    assert file_name("foot", Variant("x", length_s=90.0, rate=140), "mp3") == "foot-1m30s-140wpm.mp3"
    assert file_name("foot", Variant("x", voice="gmw/en-us", engine="espeak-cli"), "flac") == "foot-gmw_en-us-espeak-cli.flac"
    assert file_name("foot", Variant("x"), "mp3") == "foot.mp3"


def test_a_language_picks_the_routines_translation():
    jobs, errors = resolve(Matrix(("gentle-foot-unwind",), languages=("en", "de", "es")).variants(), "mp3", no_version, UserDefaults())
    assert errors == []
    assert [j.name for j in jobs] == ["gentle-foot-unwind.mp3", "gentle-foot-unwind-de.mp3", "gentle-foot-unwind-es.mp3"]
    assert [j.routine.language for j in jobs] == ["en", "de", "es"]


def test_a_missing_language_or_routine_is_one_variants_error(write_routine):
    variants = Matrix(("gentle-foot-unwind", "no-such-routine"), languages=("en", "fi")).variants()
    jobs, errors = resolve(variants, "mp3", no_version, UserDefaults())
    assert [j.name for j in jobs] == ["gentle-foot-unwind.mp3"]
    assert len(errors) == 3
    assert any("no fi version of this routine" in e for _, e in errors)
    assert all("\n" not in e for _, e in errors)


def test_inputs_change_with_the_routine(write_routine):
    path = write_routine(ROUTINE, "r.yaml")
    first = resolve([Variant(str(path), rate=140)], "mp3", no_version, UserDefaults())[0][0]
    path.write_text(ROUTINE.replace("Done.", "The end."), encoding="utf-8")
    second = resolve([Variant(str(path), rate=140)], "mp3", no_version, UserDefaults())[0][0]
    assert first.name == second.name and first.key != second.key


def test_a_spec_file_is_read_relative_to_itself(write_routine, tmp_path):
    write_routine(ROUTINE, "r.yaml")
    spec = write_routine("routines: [r.yaml, gentle-foot-unwind]\nlength: [3m, 5m]\nrate: 150\n", "spec.yaml")
    m = read_spec(spec, ("pyttsx3",))
    assert m.routines == (str(tmp_path / "r.yaml"), "gentle-foot-unwind")
    assert (m.lengths, m.rates) == ((180.0, 300.0), (150,))


def test_a_bad_spec_is_located(write_routine):
    spec = write_routine("routines: [r.yaml]\nlenght: 3m\nrate: 5000\n", "spec.yaml")
    with pytest.raises(RoutineError) as err:
        read_spec(spec, ("pyttsx3",))
    lines = str(err.value).splitlines()
    assert len(lines) == 2
    assert "spec.yaml:2:1: unknown key 'lenght' in the batch spec — did you mean 'length'?" in lines[0]
    assert "spec.yaml:3:7: rate is 5000, outside 80–450" in lines[1]


@pytest.mark.parametrize("name", ["manifest.json", "manifest.csv"])
def test_the_manifest_reads_back_what_it_wrote(tmp_path, name):
    (tmp_path / "a.mp3").write_bytes(b"abc")
    m = Manifest(tmp_path / name)
    entry = Entry("a.mp3", "f" * 64, 3, 61.5, "e" * 64, {"routine": "r.yaml", "rate": 140, "voice": None})
    m.record(entry)
    m.record(Entry("gone.mp3", "0" * 64, 1, 1.0, "1" * 64, {}))  # its file is not there: not listed
    again = Manifest(tmp_path / name)
    assert list(again.entries) == ["a.mp3"]
    assert (again.entries["a.mp3"].sha256, again.entries["a.mp3"].inputs_sha256) == (entry.sha256, entry.inputs_sha256)


def test_a_damaged_manifest_counts_as_none(tmp_path):
    (tmp_path / "manifest.json").write_text('{"files": [{"file": 3}]}')
    assert Manifest(tmp_path / "manifest.json").entries == {}


# ------------------------------------------------------------------ real batches


def outputs(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.mp3"))}


@pytest.fixture(scope="module")
def routine(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("routine") / "press.yaml"
    # The episode's date is the routine's own, so a session's side files are the same whenever and wherever it is built.
    path.write_text(ROUTINE.lstrip("\n") + "published: 2026-12-01\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def local(routine, tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    out = tmp_path_factory.mktemp("local")
    return out, run("batch", str(routine), "--length", "40s", "--length", "1m", "--rate", "140", "--rate", "170", "--out", str(out))


@pytest.mark.slow
def test_a_batch_writes_every_variant_and_a_manifest(local):
    out, done = local
    assert done.returncode == 0, done.stderr
    names = ["press-1m-140wpm.mp3", "press-1m-170wpm.mp3", "press-40s-140wpm.mp3", "press-40s-170wpm.mp3"]
    assert sorted(outputs(out)) == names
    assert done.stdout.strip().splitlines()[-1].startswith("4 sessions: 4 built, 0 unchanged, 0 failed")
    manifest = json.loads((out / "manifest.json").read_text())
    assert [f["file"] for f in manifest["files"]] == names
    for f in manifest["files"]:
        seconds = decode(out / f["file"]).shape[0] / RATE
        assert seconds == pytest.approx(f["inputs"]["length_s"], abs=1.0)
        assert f["inputs"]["rate"] in (140, 170) and len(f["sha256"]) == 64 and f["bytes"] == (out / f["file"]).stat().st_size


@pytest.mark.slow
def test_a_second_run_does_no_work(local, routine):
    out, _ = local
    before = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    again = run("batch", str(routine), "--length", "40s", "--length", "1m", "--rate", "140", "--rate", "170", "--out", str(out))
    assert again.returncode == 0, again.stderr
    assert "4 sessions: 0 built, 4 unchanged, 0 failed" in again.stdout
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir() if p.suffix == ".mp3"} == {
        k: v for k, v in before.items() if k.endswith(".mp3")
    }


@pytest.mark.slow
def test_a_changed_input_or_file_is_made_again(routine, tmp_path):
    copy = tmp_path / "press.yaml"
    copy.write_text(routine.read_text())
    args = [
        "batch",
        str(copy),
        "--length",
        "40s",
        "--rate",
        "150",
        "--rate",
        "160",
        "--out",
        str(tmp_path / "out"),
        "--manifest",
        "list.csv",
    ]
    assert run(*args).returncode == 0
    (tmp_path / "out" / "press-40s-150wpm.mp3").write_bytes(b"damaged")
    assert "1 built, 1 unchanged" in run(*args).stdout
    copy.write_text(routine.read_text().replace("Done.", "That is all."))
    assert "2 built, 0 unchanged" in run(*args).stdout
    assert "2 built, 0 unchanged" in run(*args, "--force").stdout
    assert (tmp_path / "out" / "list.csv").read_text().splitlines()[0].startswith("file,sha256,bytes,duration_s,inputs_sha256,routine,")


@pytest.mark.slow
def test_a_failing_variant_does_not_stop_the_others(routine, tmp_path):
    done = run("batch", str(routine), "no-such-routine", "--length", "3s", "--length", "40s", "--out", str(tmp_path), "-j", "1")
    assert done.returncode == 1
    assert sorted(outputs(tmp_path)) == ["press-40s.mp3"]
    failures = [line for line in done.stderr.splitlines() if line.startswith("voiceguide: failed: ")]
    assert len(failures) == 3 and len(done.stderr.splitlines()) == 3
    assert any("press.yaml, 3s: " in f and "cannot fit the session into 3s" in f for f in failures)
    assert "4 sessions: 1 built, 0 unchanged, 3 failed" in done.stdout


@pytest.mark.slow
def test_an_interrupted_batch_resumes(routine, tmp_path):
    args = [
        *VOICEGUIDE,
        "batch",
        str(routine),
        "--length",
        "40s",
        "--rate",
        "130",
        "--rate",
        "145",
        "--rate",
        "160",
        "--out",
        str(tmp_path),
    ]
    proc = subprocess.Popen([*args, "-j", "1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    first = proc.stdout.readline()
    assert first.startswith("built")
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130
    assert "run the same command again" in err
    recorded = [f["file"] for f in json.loads((tmp_path / "manifest.json").read_text())["files"]]
    assert 1 <= len(recorded) <= 2
    again = subprocess.run(args, capture_output=True, text=True, timeout=600, check=False)
    assert again.returncode == 0, again.stderr
    assert f"3 sessions: {3 - len(recorded)} built, {len(recorded)} unchanged" in again.stdout
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary files left


# ------------------------------------------------------------------ Dask


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory):
    """A real Dask scheduler and two single-threaded workers on this machine, started as docs/batch.md says."""
    if not HAS_DASK:
        pytest.skip("the [dask] extra is not installed: pip install 'voiceguide[dask]'")
    logs = tmp_path_factory.mktemp("dask")
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    dask = str(Path(sys.executable).parent / "dask")
    commands = {
        "scheduler": [dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
        "workers": [dask, "worker", address, "--nworkers", "2", "--nthreads", "1", "--no-dashboard", "--host", "127.0.0.1"],
    }
    with contextlib.ExitStack() as stack:
        for name, command in commands.items():
            log = stack.enter_context(open(logs / f"{name}.log", "w"))
            proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log)
            stack.callback(_stop, proc)
            if name == "scheduler":
                _wait_for(address)
        _wait_for_workers(address, 2)
        yield address


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _wait_for(address: str, timeout_s: float = 60) -> None:
    host, port = address.removeprefix("tcp://").rsplit(":", 1)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            socket.create_connection((host, int(port)), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"no Dask scheduler at {address}")


def _wait_for_workers(address: str, n: int, timeout_s: float = 120) -> None:
    from distributed import Client

    with Client(address, timeout="30s") as client:
        client.wait_for_workers(n, timeout=timeout_s)


@pytest.mark.slow
def test_a_batch_on_dask_gives_the_same_bytes(local, routine, scheduler, tmp_path):
    out, done = local
    assert done.returncode == 0
    args = ["batch", str(routine), "--length", "40s", "--length", "1m", "--rate", "140", "--rate", "170"]
    remote = run(*args, "--out", str(tmp_path), "--scheduler", scheduler)
    assert remote.returncode == 0, remote.stderr
    assert "4 sessions: 4 built" in remote.stdout
    assert outputs(tmp_path) == outputs(out)
    assert json.loads((tmp_path / "manifest.json").read_text()) == json.loads((out / "manifest.json").read_text())
    again = run(*args, "--out", str(tmp_path), "--scheduler", scheduler)
    assert "0 built, 4 unchanged" in again.stdout


@pytest.mark.slow
def test_music_travels_to_the_workers(scheduler, write_routine, tmp_path):
    from audio_checks import sine_wav

    sine_wav(tmp_path / "music.wav", 330.0, 6 * RATE)
    path = write_routine(ROUTINE.replace("music: none", "music: {file: music.wav, level: -20}"), "music.yaml")
    here = run("batch", str(path), "--length", "30s", "--out", str(tmp_path / "here"), "-j", "1")
    there = run("batch", str(path), "--length", "30s", "--out", str(tmp_path / "there"), "--scheduler", scheduler)
    assert here.returncode == 0 and there.returncode == 0, there.stderr
    assert outputs(tmp_path / "there") == outputs(tmp_path / "here")


@pytest.mark.skipif(not HAS_DASK, reason="the [dask] extra is not installed: pip install 'voiceguide[dask]'")
@pytest.mark.slow
def test_an_unreachable_scheduler_is_one_line(routine, tmp_path):
    done = run("batch", str(routine), "--out", str(tmp_path), "--scheduler", f"tcp://127.0.0.1:{free_port()}", timeout=120)
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and "cannot reach the Dask scheduler at tcp://127.0.0.1:" in done.stderr


def test_without_dask_the_scheduler_option_says_how_to_install_it(routine, tmp_path):
    if HAS_DASK:
        pytest.skip("the [dask] extra is installed")
    done = run("batch", str(routine), "--out", str(tmp_path), "--scheduler", "tcp://127.0.0.1:8786")
    assert done.returncode == 1 and "pip install 'voiceguide[dask]'" in done.stderr
    assert os.listdir(tmp_path) == []
