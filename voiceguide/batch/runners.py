"""Where the sessions of a batch are made here: planned together (each distinct line narrated once), then rendered
one after another or on a local pool of processes.

Narration runs in this process with narrators kept from one round to the next (each engine
loaded once), every core busy; the sessions are then rendered from the clip cache, which
holds every line they need. Every way of running a batch renders through
``render_variant``, so the same inputs give the same bytes here and on a cluster
(``remote``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from voiceguide.batch.lines import Counts, Line, Said, plan_sessions
from voiceguide.batch.variants import Job, file_sha256
from voiceguide.errors import VoiceguideError
from voiceguide.session import Session

Done = Callable[[Job, "Made"], None]


@dataclass(frozen=True)
class Settings:
    """What every variant of a batch shares."""

    fmt: str
    cache: str | None = None  # the clip cache folder, as the builds see it; None: their own default
    store: str | None = None  # a clip store every build shares (an fsspec URL), behind its cache
    sidecars: bool = False  # captions, chapters and the plan beside each session
    player: bool = False  # the player's page beside each session


@dataclass(frozen=True)
class Made:
    """What building one variant gave: the file's hash, size and length, or one line saying why not."""

    name: str
    sha256: str = ""
    size: int = 0
    duration_s: float = 0.0
    error: str = ""
    side: tuple[str, ...] = ()  # the side files written with it (captions, chapters, the player)
    data: dict[str, bytes] | None = None  # the files themselves, when they were made on another machine


def render_variant(job: Job, session: Session, settings: Settings, destination: Path) -> Made:
    """Render one planned variant into ``destination`` (and its side files beside it); its failure is returned, not raised."""
    from voiceguide.build import BuildOptions, build

    v = job.variant
    options = BuildOptions(
        output=destination, voice=v.voice, rate=v.rate, engine=v.engine, fmt=settings.fmt, force=True, length_s=v.length_s,
        sidecars=settings.sidecars, player=settings.player,
    )  # fmt: skip
    try:
        with cache_settings(settings):
            result = build(job.routine, options, session=session)
    except VoiceguideError as err:
        return Made(job.name, error="; ".join(str(err).splitlines()))
    side = tuple(p.name for p in result.side_files)
    return Made(job.name, file_sha256(result.path), result.path.stat().st_size, result.plan.duration_s, side=side)


@contextmanager
def cache_settings(settings: Settings) -> Iterator[None]:
    """The clip cache and the store of ``settings`` in this process's environment for the duration (builds read it there)."""
    from voiceguide.narration.store import STORE_VARIABLE

    values = {"VOICEGUIDE_CACHE": settings.cache, STORE_VARIABLE: settings.store}
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


def narrate_here(counts: Counts) -> Callable[[list[Line]], Mapping[Line, Said]]:
    """A round's lines narrated in this process, an engine at a time on every core; a line that fails is told apart."""
    from voiceguide.narration import narrate

    def round_(lines: list[Line]) -> dict[Line, Said]:
        said: dict[Line, Said] = {}
        for engine in dict.fromkeys(line.engine for line in lines):
            group = [line for line in lines if line.engine == engine]
            stats: dict[str, int] = {}
            try:
                clips = narrate([line.utterance for line in group], engine=engine, stats=stats)
            except VoiceguideError as err:
                if len(group) == 1:
                    said[group[0]] = Said(None, "; ".join(str(err).splitlines()))
                else:  # which line it was: each on its own (the others come from the cache now)
                    for line in group:
                        said.update(round_([line]))
                continue
            counts.synthesised += stats.get("synthesised", 0)
            counts.cached += stats.get("cached", 0)
            said.update({line: Said(clips[line.utterance]) for line in group})
        return said

    return round_


def run_here(jobs: list[Job], settings: Settings, out: Path, workers: int, done: Done) -> Counts:
    """Make ``jobs`` into ``out``: planned and narrated here, rendered here when ``workers`` is 1, else on that many processes."""
    from voiceguide.narration import resident

    counts = Counts()
    resident.keep()
    try:
        with cache_settings(settings):
            sessions, errors, _ = plan_sessions(jobs, narrate_here(counts))
    finally:
        resident.release()
    for job in jobs:
        if job.name in errors:
            done(job, Made(job.name, error=errors[job.name]))
    planned = [job for job in jobs if job.name in sessions]
    if workers <= 1 or len(planned) <= 1:
        for job in planned:
            done(job, render_variant(job, sessions[job.name], settings, out / job.name))
        return counts
    import multiprocessing

    with ProcessPoolExecutor(max_workers=min(workers, len(planned)), mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = {pool.submit(render_variant, job, sessions[job.name], settings, out / job.name): job for job in planned}
        try:
            for future in as_completed(futures):
                done(futures[future], made_or_failed(futures[future], future.result))
        except BaseException:
            for future in futures:
                future.cancel()
            raise
    return counts


def made_or_failed(job: Job, result: Callable[[], Made]) -> Made:
    try:
        return result()
    except Exception as err:  # noqa: BLE001 -- one variant's failure, whatever it is, must not stop the others: it is listed
        return Made(job.name, error=f"{type(err).__name__}: {' '.join(str(err).split())[:300]}")
