"""Many sessions in one run: a matrix of variants built into one folder, with a manifest, skipping what is unchanged.

``run_batch`` resolves every variant first (a variant that cannot be made is listed,
and the others go on), skips each output whose inputs and content are as the manifest
records them, builds the rest here (one at a time, or on a pool of processes) or on a
Dask cluster, and records each file in the manifest as it is written, so an
interrupted batch resumes where it stopped.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from voiceguide.batch.manifest import Entry, Manifest
from voiceguide.batch.runners import Made, Settings, run_here
from voiceguide.batch.spec import read_spec
from voiceguide.batch.variants import Dressing, Job, Matrix, Variant, describe, file_sha256, resolve
from voiceguide.errors import BatchError, OutputError, VoiceguideError
from voiceguide.export.feed import FeedInfo, write_feed
from voiceguide.user_defaults import user_defaults

__all__ = ["DEFAULT_MANIFEST", "Dressing", "FeedInfo", "Matrix", "Outcome", "Report", "Variant", "read_spec", "run_batch"]

DEFAULT_MANIFEST = "manifest.json"
Status = Literal["built", "unchanged", "failed"]


@dataclass(frozen=True)
class Outcome:
    """What became of one variant."""

    variant: str  # in words
    status: Status
    path: Path | None = None
    duration_s: float = 0.0
    error: str = ""


@dataclass(frozen=True)
class Report:
    outcomes: tuple[Outcome, ...]
    manifest: Path
    synthesised: int = 0  # lines narrated by this batch
    cached: int = 0  # lines that came from the clip cache or the store
    feed: Path | None = None  # the feed written, if one was asked for

    def count(self, status: Status) -> int:
        return sum(1 for o in self.outcomes if o.status == status)


def run_batch(
    matrix: Matrix,
    out: Path,
    *,
    fmt: str,
    force: bool = False,
    scheduler: str | None = None,
    workers: int | None = None,
    cache: Path | str | None = None,
    manifest: str = DEFAULT_MANIFEST,
    dressing: Dressing | None = None,
    feed: FeedInfo | None = None,
    on_outcome: Callable[[Outcome, int, int], None] | None = None,
) -> Report:
    """Build every variant of ``matrix`` into ``out``. ``workers``: processes here (default: one per core);
    ``scheduler``: a Dask scheduler's address instead. ``cache``: a folder for the clips, or a store's URL (``s3://bucket/prefix``)
    the builds share behind their own caches. ``dressing``: music, cover and side files for every session; ``feed``: a
    podcast feed of ``out`` written at the end. ``on_outcome(outcome, done, total)`` follows the progress."""
    if scheduler is not None:
        check_dask()
    dressing = dressing or Dressing()
    settings = _settings(fmt, cache, dressing)
    jobs, errors = resolve(matrix.variants(), fmt, _engine_version, user_defaults(), dressing)
    _make_folder(out)
    record = Manifest(out / manifest)
    total = len(jobs) + len(errors)
    outcomes: list[Outcome] = []

    def report(outcome: Outcome) -> None:
        outcomes.append(outcome)
        if on_outcome is not None:
            on_outcome(outcome, len(outcomes), total)

    for variant, error in errors:
        report(Outcome(variant, "failed", error=error))
    todo = []
    for job in jobs:
        if not force and _unchanged(job, record, out, settings):
            report(Outcome(describe(job.variant), "unchanged", out / job.name, record.entries[job.name].duration_s))
        else:
            todo.append(job)

    def done(job: Job, made: Made) -> None:
        if made.error:
            report(Outcome(describe(job.variant), "failed", error=made.error))
            return
        record.record(Entry(job.name, made.sha256, made.size, made.duration_s, job.key, job.inputs))
        report(Outcome(describe(job.variant), "built", out / job.name, made.duration_s))

    if scheduler is not None:
        from voiceguide.batch.remote import run_dask

        counts = run_dask(scheduler, todo, settings, out, done)
    else:
        counts = run_here(todo, settings, out, min(workers or os.cpu_count() or 1, max(1, len(todo))), done)
    record.save()
    written = write_feed(out, replace(feed, fmt=fmt)).path if feed is not None else None
    return Report(tuple(outcomes), record.path, counts.synthesised, counts.cached, written)


def _make_folder(out: Path) -> None:
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OutputError(f"cannot create the folder {out} ({err.strerror})", hint="choose another folder with --out") from None


def check_dask() -> None:
    """BatchError unless Dask's distributed scheduler can be used here."""
    import importlib.util

    if importlib.util.find_spec("distributed") is None:
        raise BatchError("--scheduler needs Dask", hint="install it with: pip install 'voiceguide[dask]'")


def _settings(fmt: str, cache: Path | str | None, dressing: Dressing) -> Settings:
    """The settings every variant shares; a store's URL checked before anything is built."""
    from voiceguide.narration.store import check_url, is_url

    if isinstance(cache, str) and is_url(cache):
        check_url(cache)
        return Settings(fmt, store=cache, sidecars=dressing.sidecars, player=dressing.player)
    return Settings(fmt, str(Path(cache).resolve()) if cache is not None else None, None, dressing.sidecars, dressing.player)


def _unchanged(job: Job, record: Manifest, out: Path, settings: Settings) -> bool:
    """Whether the output of ``job`` is there with its side files, made from the same inputs, and as it was written."""
    from voiceguide.destinations import side_paths

    entry = record.entries.get(job.name)
    if entry is None or entry.inputs_sha256 != job.key:
        return False
    if not all(p.is_file() for p in side_paths(out / job.name, settings.sidecars, settings.player)):
        return False
    path = out / job.name
    try:
        return path.stat().st_size == entry.bytes and file_sha256(path) == entry.sha256
    except (OSError, VoiceguideError):
        return False


def _engine_version(engine: str) -> str:
    """The version of the engine a variant uses (part of its inputs); "unknown" where it cannot be loaded here."""
    from voiceguide.narration.engines import engine_ref, load_engine

    try:
        cls = load_engine(engine_ref(engine))
        cls.check()
        return cls.version()
    except (VoiceguideError, ImportError, OSError):
        return "unknown"
