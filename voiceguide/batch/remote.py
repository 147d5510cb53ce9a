"""A batch on a Dask cluster: each distinct line a task, each session a task, in the workers' own long-lived processes.

Every worker keeps its narrators (``Narrators``, a worker plugin): an engine is loaded once
per worker, not once per session. The sessions are planned here, round by round
(``lines``); each round's distinct lines become tasks keyed by their content (the same
line is one task however many sessions need it), and each session's task takes the
clips of its lines from the tasks that made them (Dask moves them between workers),
renders in a scratch folder on its worker and sends the files back, which are written
here through the atomic writer. A worker lost mid-batch has its tasks made again on
another by Dask; nothing is written until a session's files are back whole.

Clips are cached where they are made and used: ``Settings.cache`` names a folder (the
same path on every worker), else each worker's own cache; ``Settings.store`` a store every
worker shares.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import tempfile
import threading
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from distributed import Client, WorkerPlugin
from distributed import as_completed as completed

from voiceguide import __version__
from voiceguide.batch.lines import Counts, Line, Said, plan_sessions
from voiceguide.batch.runners import Done, Made, Settings, cache_settings, made_or_failed, render_variant
from voiceguide.batch.variants import Job, attachments
from voiceguide.errors import BatchError, VoiceguideError
from voiceguide.narration.base import Clip
from voiceguide.output import Outputs, replacing
from voiceguide.session import Session

CONNECT_TIMEOUT_S = 10
_ONE_AT_A_TIME = threading.Lock()  # a session's cache settings live in the process's environment: one session at a time


class Narrators(WorkerPlugin):  # type: ignore[misc]
    """Each worker keeps its narrators between tasks (each engine loaded once per worker); they end with the worker."""

    name = "voiceguide-narrators"

    def setup(self, worker: Any) -> None:
        from voiceguide.narration import resident

        # Dask starts its workers as daemon processes, which may not start processes of their own. The narrators
        # die with the worker all the same (they ask the kernel to be killed when it goes), so this one may.
        multiprocessing.current_process().daemon = False
        roomy_malloc()
        resident.keep()  # kept until the worker exits (each batch registers the plugin again: no teardown between)


# glibc's mallopt parameters, and the largest threshold its adaptive one reaches on 64-bit systems
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
_MMAP_THRESHOLD_MAX = 32 * 1024 * 1024


def roomy_malloc() -> None:
    """Let this process's allocator keep the memory it frees for its next arrays, as a process started without Dask's nanny does.

    The nanny starts each worker with ``MALLOC_TRIM_THRESHOLD_`` set (freed memory back to the system at once), which also
    turns off glibc's adaptive thresholds: every array over 128 KiB is then mapped afresh and unmapped when freed, and a render
    spends about 2.5 times the CPU (page faults). The thresholds are set where the adaptive ones end. Nothing where glibc is not.
    """
    import ctypes
    import sys

    if not sys.platform.startswith("linux"):
        return
    try:  # the symbols this process has loaded (libc's among them): find_library would start ldconfig, a process
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return
    mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD_MAX)
    mallopt(_M_TRIM_THRESHOLD, 2 * _MMAP_THRESHOLD_MAX)


@dataclass(frozen=True)
class Voiced:
    """A line said on a worker: what the planner needs (``said``), and the clip's bytes for the sessions that use it."""

    said: Said
    synthesised: bool = False
    data: bytes = b""


def say_line(line: Line, settings: Settings, version: str) -> Voiced:
    """A Dask task: the clip of one line, from the worker's cache or the store, else narrated by the worker's narrator."""
    from voiceguide.narration import narrate
    from voiceguide.narration.store import using
    from voiceguide.narration.wav import read_cached

    if version != __version__:
        return Voiced(Said(None, _other_version(version)))
    stats: dict[str, int] = {}
    try:  # a worker with more threads narrates as many lines at once, each with a narrator of its own
        with using(settings.store):
            clip = narrate([line.utterance], engine=line.engine, cache_dir=settings.cache, stats=stats)[line.utterance]
            data = read_cached(clip.path)
    except VoiceguideError as err:
        return Voiced(Said(None, "; ".join(str(err).splitlines())))
    return Voiced(Said(Clip(Path(clip.path.name), clip.duration_s, clip.sample_rate)), stats.get("synthesised", 0) > 0, data)


def said_of(voiced: Voiced) -> tuple[Said, bool]:
    """A Dask task: the small part of a line's result the planner waits for (the clip stays on the workers)."""
    return voiced.said, voiced.synthesised


def render_remote(job: Job, session: Session, settings: Settings, files: dict[str, tuple[str, str, bytes]], version: str,
                  *voiced: Voiced) -> Made:  # fmt: skip
    """A Dask task: one session rendered on this worker from its lines' clips; the files are sent back."""
    from voiceguide.narration.cache import cache_root, clip_path, lookup

    if version != __version__:
        return Made(job.name, error=_other_version(version))
    placed = {kind: _attachment(digest, suffix, data) for kind, (digest, suffix, data) in files.items()}
    job, session = replace(job, routine=_moved(job.routine, placed)), replace(session, routine=_moved(session.routine, placed))
    with _ONE_AT_A_TIME, cache_settings(settings), tempfile.TemporaryDirectory(prefix="voiceguide-batch-") as work:
        root = cache_root()
        data = {v.said.clip.path.name: v.data for v in voiced if v.said.clip is not None}
        clips: dict[Any, Clip] = {}
        for u, clip in session.clips.items():
            path = clip_path(root, clip.path.stem)
            if lookup(path) is None:
                path.parent.mkdir(parents=True, exist_ok=True)
                with replacing(path) as temp:
                    temp.write_bytes(data[clip.path.name])
            clips[u] = replace(clip, path=path)
        made = render_variant(job, replace(session, clips=clips), settings, Path(work) / job.name)
        if made.error:
            return made
        names = (job.name, *made.side)
        return replace(made, data={name: (Path(work) / name).read_bytes() for name in names})


def _moved(routine: Any, placed: Mapping[str, Path]) -> Any:
    if "music" in placed:
        routine = replace(routine, music=replace(routine.music, path=placed["music"]))
    if "cover" in placed:
        routine = replace(routine, cover=placed["cover"])
    return routine


def _other_version(version: str) -> str:
    return f"this worker has voiceguide {__version__}, the batch {version} — install the same version on every worker"


def _attachment(digest: str, suffix: str, data: bytes) -> Path:
    """A music or cover file on this worker, stored once by its hash."""
    path = Path(tempfile.gettempdir()) / "voiceguide-attachments" / f"{digest}{suffix}"
    if not path.is_file() or path.stat().st_size != len(data):
        path.parent.mkdir(parents=True, exist_ok=True)
        with replacing(path) as temp:
            temp.write_bytes(data)
    return path


def connect(address: str) -> Any:
    try:
        return Client(address, timeout=f"{CONNECT_TIMEOUT_S}s", set_as_default=False)
    except (OSError, TimeoutError, ValueError) as err:
        reason = " ".join(str(err).split()) or type(err).__name__
        raise BatchError(
            f"cannot reach the Dask scheduler at {address} ({reason[:200]})", hint="check the address, and that the scheduler runs"
        ) from None


PLUGIN_ATTEMPTS = 3


def _register(client: Any, address: str) -> None:
    """The narrators' plugin on every worker; a worker lost while it is set up (its connection closed) is the
    cluster's to replace, and the plugin is registered again on those left."""
    for attempt in range(1, PLUGIN_ATTEMPTS + 1):
        try:
            client.register_plugin(Narrators())
            return
        except OSError as err:  # distributed's CommClosedError among them
            if attempt == PLUGIN_ATTEMPTS:
                reason = " ".join(str(err).split()) or type(err).__name__
                raise BatchError(
                    f"the Dask cluster at {address} kept losing workers while the batch started ({reason[:200]})",
                    hint="check the workers' logs, then run the batch again: what was made is kept",
                ) from None


def run_dask(address: str, jobs: list[Job], settings: Settings, out: Path, done: Done) -> Counts:
    """Make ``jobs`` on the Dask cluster whose scheduler is at ``address``; write the files into ``out``."""
    counts = Counts()
    with connect(address) as client:
        _register(client, address)
        voiced: dict[str, Any] = {}  # each line's task, by its key
        results: dict[str, Said] = {}  # each line's clip (or error), by its key

        def narrate_round(lines: list[Line]) -> dict[Line, Said]:
            new = list({line.key: line for line in lines if line.key not in voiced}.values())  # one task per clip
            if new:  # the round's tasks sent as one graph: a submit each would cost the scheduler a message each
                keys = [line.key for line in new]
                made = client.map(say_line, new, settings=settings, version=__version__, key=[f"voiceguide-line-{k}" for k in keys])
                voiced.update(zip(keys, made, strict=True))
                small = client.map(said_of, made, key=[f"voiceguide-said-{k}" for k in keys])
                for key, (said, synthesised) in zip(keys, client.gather(small), strict=True):
                    results[key] = said
                    counts.synthesised += said.clip is not None and synthesised
                    counts.cached += said.clip is not None and not synthesised
            return {line: results[line.key] for line in lines}

        try:
            sessions, errors, uses = plan_sessions(jobs, narrate_round)
            for job in jobs:
                if job.name in errors:
                    done(job, Made(job.name, error=errors[job.name]))
            _render(client, [j for j in jobs if j.name in sessions], sessions, uses, voiced, settings, out, done)
        except BaseException:
            client.cancel(list(voiced.values()))
            raise
    return counts


def _render(client: Any, jobs: list[Job], sessions: dict[str, Session], uses: dict[str, list[Line]], voiced: dict[str, Any],
            settings: Settings, out: Path, done: Done) -> None:  # fmt: skip
    sent: dict[str, Any] = {}  # each music or cover file goes to the cluster once
    futures = {}
    for job in jobs:
        files = {}
        for kind, path in attachments(job.routine).items():
            digest = job.inputs[f"{kind}_sha256"]
            if digest not in sent:
                sent[digest] = client.scatter(path.read_bytes(), hash=False)
            files[kind] = (digest, path.suffix, sent[digest])
        needed = list(dict.fromkeys(voiced[line.key] for line in uses[job.name]))
        key = f"voiceguide-session-{job.key}"
        futures[client.submit(render_remote, job, sessions[job.name], settings, files, __version__, *needed, key=key)] = job
    try:
        for future in completed(futures, loop=client.loop):
            job = futures[future]
            made = made_or_failed(job, future.result)
            done(job, _written(out, made) if made.data is not None else made)
    except BaseException:
        client.cancel(list(futures))
        raise


def _written(out: Path, made: Made) -> Made:
    """The files a worker sent, written here together through the atomic writer."""
    assert made.data is not None
    if hashlib.sha256(made.data.get(made.name, b"")).hexdigest() != made.sha256:
        return replace(made, data=None, error="the file arrived damaged from the worker; run the batch again")
    with Outputs(force=True) as outputs:
        for name, data in made.data.items():
            outputs.write_bytes(out / name, data)
        outputs.commit()
    return replace(made, data=None)
