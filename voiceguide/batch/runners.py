"""Where the variants of a batch are built: here one after another, on a local process pool, or on a Dask cluster.

Every way runs the same ``build_variant``, so the same inputs give the same bytes.
On a pool each worker builds straight into the output folder (atomically, as every
build). On Dask each variant is a task: it gets the routine, its music and cover
(sent once to each worker that needs them), builds in a fresh process of its own on
the worker (so the worker's threads and daemon setting do not matter) and sends the
file back, and it is written here. Clips are cached where the builds run: a folder
the workers share when ``cache`` names one, else each worker's own cache.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from voiceguide import __version__
from voiceguide.batch.variants import Job, attachments, file_sha256
from voiceguide.errors import BatchError, VoiceguideError
from voiceguide.output import Outputs, replacing
from voiceguide.user_defaults import ENGINE_VARIABLE, VOICE_VARIABLE

CONNECT_TIMEOUT_S = 10
Done = Callable[[Job, "Made"], None]


@dataclass(frozen=True)
class Settings:
    """What every variant of a batch shares."""

    fmt: str
    cache: str | None = None  # the clip cache folder, as the builds see it; None: their own default
    store: str | None = None  # a clip store every build shares (an fsspec URL), behind its cache


@dataclass(frozen=True)
class Made:
    """What building one variant gave: the file's hash, size and length, or one line saying why not."""

    name: str
    sha256: str = ""
    size: int = 0
    duration_s: float = 0.0
    error: str = ""
    synthesised: int = 0  # lines narrated for it, and lines that came from the cache or the store
    cached: int = 0
    data: bytes | None = None  # the file itself, when it was made on another machine


def build_variant(job: Job, settings: Settings, destination: Path) -> Made:
    """Build one variant into ``destination``; its failure is returned, not raised."""
    from voiceguide.build import BuildOptions, build

    v = job.variant
    options = BuildOptions(
        output=destination, voice=v.voice, rate=v.rate, engine=v.engine, fmt=settings.fmt, force=True, length_s=v.length_s
    )
    try:
        with _cache(settings.cache, settings.store):
            result = build(job.routine, options)
    except VoiceguideError as err:
        return Made(job.name, error="; ".join(str(err).splitlines()))
    s = result.session
    return Made(job.name, file_sha256(result.path), result.path.stat().st_size, result.plan.duration_s, "", s.synthesised, s.cached)


@contextmanager
def _cache(folder: str | None, store: str | None) -> Iterator[None]:
    """The clip cache set to ``folder`` and the store to ``store`` for the duration (this process builds one variant at a time)."""
    from voiceguide.narration.store import STORE_VARIABLE

    values = {"VOICEGUIDE_CACHE": folder, STORE_VARIABLE: store}
    before = {name: os.environ.get(name) for name in values}
    for name, value in values.items():
        if value is not None:
            os.environ[name] = value
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def run_here(jobs: list[Job], settings: Settings, out: Path, workers: int, done: Done) -> None:
    """Build ``jobs`` into ``out``: in this process when ``workers`` is 1, else on a pool of that many processes."""
    if workers <= 1:
        for job in jobs:
            done(job, build_variant(job, settings, out / job.name))
        return
    import multiprocessing

    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = {pool.submit(build_variant, job, settings, out / job.name): job for job in jobs}
        try:
            for future in as_completed(futures):
                done(futures[future], _made(futures[future], future.result))
        except BaseException:
            for future in futures:
                future.cancel()
            raise


def check_dask() -> None:
    """BatchError unless Dask's distributed scheduler can be used here."""
    import importlib.util

    if importlib.util.find_spec("distributed") is None:
        raise BatchError("--scheduler needs Dask", hint="install it with: pip install 'voiceguide[dask]'")


def run_dask(address: str, jobs: list[Job], settings: Settings, out: Path, done: Done) -> None:
    """Build ``jobs`` as tasks on the Dask cluster whose scheduler is at ``address``; write the files into ``out``."""
    check_dask()
    from distributed import Client
    from distributed import as_completed as completed

    try:
        client = Client(address, timeout=f"{CONNECT_TIMEOUT_S}s", set_as_default=False)
    except (OSError, TimeoutError, ValueError) as err:
        reason = " ".join(str(err).split()) or type(err).__name__
        raise BatchError(
            f"cannot reach the Dask scheduler at {address} ({reason[:200]})",
            hint="check the address, and that the scheduler runs",
        ) from None
    with client:
        sent: dict[str, Any] = {}  # each music or cover file goes to the cluster once
        futures = {}
        for job in jobs:
            files = {}
            for kind, path in attachments(job.routine).items():
                digest = job.inputs[f"{kind}_sha256"]
                if digest not in sent:
                    sent[digest] = client.scatter(path.read_bytes(), hash=False)
                files[kind] = (digest, path.suffix, sent[digest])
            key = f"voiceguide-{job.name}-{uuid.uuid4().hex[:8]}"
            futures[client.submit(build_remote, job, settings, files, __version__, key=key, pure=False)] = job
        try:
            for future in completed(futures, loop=client.loop):
                job = futures[future]
                made = _made(job, future.result)
                if made.data is not None:
                    made = _written(out / job.name, made)
                done(job, made)
        except BaseException:
            client.cancel(list(futures))
            raise


def _made(job: Job, result: Callable[[], Made]) -> Made:
    try:
        return result()
    except Exception as err:  # noqa: BLE001 -- one variant's failure, whatever it is, must not stop the others: it is listed
        return Made(job.name, error=f"{type(err).__name__}: {' '.join(str(err).split())[:300]}")


def _written(path: Path, made: Made) -> Made:
    """The file a worker sent, written here through the one atomic writer."""
    assert made.data is not None
    if hashlib.sha256(made.data).hexdigest() != made.sha256:
        return replace(made, data=None, error="the file arrived damaged from the worker; run the batch again")
    with Outputs(force=True) as outputs:
        outputs.write_bytes(path, made.data)
        outputs.commit()
    return replace(made, data=None)


def build_remote(job: Job, settings: Settings, files: dict[str, tuple[str, str, bytes]], version: str) -> Made:
    """A Dask task: build one variant in a fresh process on this worker and return the file."""
    if version != __version__:
        return Made(
            job.name, error=f"this worker has voiceguide {__version__}, the batch {version} — install the same version on every worker"
        )
    placed = {kind: _attachment(digest, suffix, data) for kind, (digest, suffix, data) in files.items()}
    routine = job.routine
    if "music" in placed:
        routine = replace(routine, music=replace(routine.music, path=placed["music"]))
    if "cover" in placed:
        routine = replace(routine, cover=placed["cover"])
    with tempfile.TemporaryDirectory(prefix="voiceguide-batch-") as tmp:
        work = Path(tmp)
        (work / "job.pickle").write_bytes(pickle.dumps((replace(job, routine=routine), settings)))
        command = [
            sys.executable,
            "-m",
            "voiceguide.batch.child",
            str(work / "job.pickle"),
            str(work / "made.pickle"),
            str(work / job.name),
        ]
        # the person's defaults where the batch started, not this worker's: no config file, their engine and voice
        env = {k: v for k, v in os.environ.items() if k not in (VOICE_VARIABLE, ENGINE_VARIABLE)}
        env["VOICEGUIDE_CONFIG"] = str(work / "no-config.toml")
        for variable, key in ((ENGINE_VARIABLE, "default_engine"), (VOICE_VARIABLE, "default_voice")):
            if job.inputs[key]:
                env[variable] = str(job.inputs[key])
        proc = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
        if proc.returncode != 0 or not (work / "made.pickle").exists():
            last = (proc.stderr.strip().splitlines() or ["no message"])[-1]
            return Made(job.name, error=f"the build process on the worker ended with status {proc.returncode}: {last[:300]}")
        made: Made = pickle.loads((work / "made.pickle").read_bytes())
        if made.error:
            return made
        return replace(made, data=(work / job.name).read_bytes())


def _attachment(digest: str, suffix: str, data: bytes) -> Path:
    """A music or cover file on this worker, stored once by its hash."""
    path = Path(tempfile.gettempdir()) / "voiceguide-attachments" / f"{digest}{suffix}"
    if not path.is_file() or path.stat().st_size != len(data):
        path.parent.mkdir(parents=True, exist_ok=True)
        with replacing(path) as temp:
            temp.write_bytes(data)
    return path
