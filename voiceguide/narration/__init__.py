"""Narration: turning utterances into trimmed speech clips, cached on disk, never hanging.

``narrate`` resolves each utterance's voice, serves what it can from the clip cache
and synthesises the rest in worker processes (see ``workers``); ``list_voices``
shows what an engine offers. Engines are named as in the registry or, for custom
and test engines, by an importable ``"module:Class"`` path.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from voiceguide import registry
from voiceguide.errors import NarratorError
from voiceguide.narration import cache as clip_cache
from voiceguide.narration import upkeep
from voiceguide.narration.base import Clip, VoiceInfo
from voiceguide.narration.engines import Engine, engine_ref, load_engine
from voiceguide.narration.store import ClipStore, store_from_environment
from voiceguide.narration.voices import filter_voices, resolve_voice, speaks, usable_voice
from voiceguide.registry import DEFAULT_ENGINE, NATURAL_ENGINE

if TYPE_CHECKING:  # the workers (and numpy with them) load when something is narrated, not with the command line
    from voiceguide.narration.maker import Job, Made
    from voiceguide.plan import Utterance  # the plan imports the routine model, which names the engines

__all__ = [
    "Clip", "Listed", "VoiceInfo", "catalogue", "default_engine", "default_timeout_s", "list_voices", "narrate", "narrator_of",
    "start_early", "stop_narrators", "voice_speaks",
]  # fmt: skip

BASE_TIMEOUT_S = 20.0
TIMEOUT_PER_CHAR_S = 0.2


def default_timeout_s(text: str, factor: float = 1.0) -> float:
    """How long one clip may take before its worker is presumed hung: 20 s plus 0.2 s per character, times the engine's ``timeout_factor``."""
    return factor * (BASE_TIMEOUT_S + TIMEOUT_PER_CHAR_S * len(text))


@functools.cache
def _engine(engine: str) -> type[Engine]:
    cls = load_engine(engine_ref(engine))
    cls.check()
    return cls


@functools.cache
def _voices(cls: type[Engine]) -> tuple[VoiceInfo, ...]:
    return tuple(cls.voices())


@functools.cache
def _version(cls: type[Engine]) -> str:
    return cls.version()


def list_voices(engine: str = DEFAULT_ENGINE, language: str | None = None) -> list[VoiceInfo]:
    """The engine's voices; with ``language`` (e.g. ``en``) only those speaking it or a dialect of it."""
    return filter_voices(list(_voices(_engine(engine))), language)


@dataclass(frozen=True)
class Listed:
    """A voice in the catalogue: which engine offers it, and whether it can speak here now."""

    engine: str
    voice: VoiceInfo
    ready: bool  # the engine runs here and the voice's files are installed


def voice_speaks(spec: str, language: str, engine: str = DEFAULT_ENGINE) -> bool:
    """Whether the voice ``spec`` names speaks ``language`` or a dialect of its language.

    True where the engine cannot say (it lists no languages for the voice) or cannot tell
    which voice is meant: narrating then reports what is wrong.
    """
    try:
        voice = resolve_voice(spec, list(_voices(_engine(engine))), engine)
    except NarratorError:
        return True
    return not voice.languages or speaks(voice, language.split("-", 1)[0])


def default_engine(voice: str, rate: int | None = None) -> str:
    """The engine for a routine that names none: Kokoro where it is installed here and has a voice for
    ``voice`` (a language code or a Kokoro voice) at ``rate``, else ``DEFAULT_ENGINE``."""
    cls = load_engine(engine_ref(NATURAL_ENGINE))
    try:  # asked afresh each time (not cached): an install made meanwhile counts
        cls.check()
        found = resolve_voice(voice, cls.voices(), NATURAL_ENGINE)
    except NarratorError:
        return DEFAULT_ENGINE
    return NATURAL_ENGINE if found.installed and (rate is None or cls.takes_rate(rate)) else DEFAULT_ENGINE


def narrator_of(u: Utterance, engine: str = DEFAULT_ENGINE) -> tuple[str, str]:
    """The engine and the voice id that say ``u`` (its own engine, else ``engine``); NarratorError as ``narrate`` would raise."""
    cls = _engine(u.engine or engine)
    return cls.name, usable_voice(u.voice, list(_voices(cls)), cls.name).id


def catalogue(engines: Iterable[str] | None = None, language: str | None = None) -> list[Listed]:
    """Every voice of ``engines``, installed or not; an engine that cannot even list its voices here is left out."""
    found: list[Listed] = []
    for name in registry.ENGINES if engines is None else engines:
        cls = load_engine(engine_ref(name))
        try:
            cls.check()
            runs = True
        except NarratorError:
            runs = False
        try:
            voices = cls.voices()
        except NarratorError:
            continue
        found.extend(Listed(name, v, runs and v.installed) for v in filter_voices(voices, language))
    return found


def start_early(first: Utterance, engine: str = DEFAULT_ENGINE, cache_dir: Path | str | None = None) -> None:
    """Start a narrator for ``first`` now, unless its clip is cached: it loads its model while the caller gets
    ready, for this process's next ``narrate`` with ``first_soon``; ``stop_narrators`` stops it (and any kept
    since) when narrating is over. An engine that cannot run here starts nothing (``narrate`` says why)."""
    from voiceguide.narration.workers import start_early as start

    name = first.engine or engine
    try:
        key, _, _ = _clip_of(first, name)
    except NarratorError:
        return
    if clip_cache.lookup(clip_cache.clip_path(clip_cache.cache_root(cache_dir), key)) is None:
        start(engine_ref(name))


def stop_narrators() -> None:
    """Stop the narrators ``start_early`` kept in this process (they would otherwise wait until it exits)."""
    from voiceguide.narration import resident

    resident.release()


def _check(u: Utterance, cls: type[Engine]) -> None:
    if not u.spoken.strip():
        raise NarratorError(f"nothing to say for {u.text!r}: its spoken text is empty")
    if not cls.takes_rate(u.rate):
        low, high = cls.rate_range
        raise NarratorError(f"rate {u.rate} for {u.text!r} is outside {low}–{high} words per minute")
    if not 0.0 <= u.volume <= 1.0:
        raise NarratorError(f"volume {u.volume} for {u.text!r} is outside 0–1")


def _clip_of(u: Utterance, engine: str) -> tuple[str, type[Engine], str]:
    """(the cache key of ``u``'s clip, the engine class that says it, the voice id); NarratorError for an engine or voice not here."""
    cls = _engine(engine)
    voice = usable_voice(u.voice, list(_voices(cls)), cls.name).id
    return clip_cache.clip_key(cls.name, _version(cls), voice, u.rate, u.volume, u.spoken), cls, voice


def narrate(
    utterances: Iterable[Utterance],
    engine: str = DEFAULT_ENGINE,
    progress: Callable[[int, int], None] | None = None,
    cache_dir: Path | str | None = None,
    timeout_s: float | None = None,
    stats: MutableMapping[str, int] | None = None,
    on_clip: Callable[[Utterance, Clip], None] | None = None,
    first_soon: bool = False,
) -> dict[Utterance, Clip]:
    """A trimmed clip for every utterance, keyed by the utterances given.

    engine: a name from the registry or an importable ``"module:Class"`` Engine path, for
        every utterance that names no engine of its own (``Utterance.engine``).
    progress: called as ``progress(done, total)`` each time an uncached clip is stored
        (``total`` counts uncached clips only; not called when everything is cached).
    cache_dir: the clip cache; default ``cache.cache_root()`` ($VOICEGUIDE_CACHE, XDG, ~/.cache).
    timeout_s: per-clip limit before a worker is presumed hung; default ``default_timeout_s(text, engine.timeout_factor)``.
    stats: if given, set to ``{"synthesised": n, "cached": m}``, counting distinct clips
        (utterances that differ only in written text share one clip).
    on_clip: called as ``on_clip(utterance, clip)`` once a clip is in the cache, first for those
        already there, then as each is made (in about the order given): to use clips before the
        last is made. An exception it raises stops the narration (its workers too).
    first_soon: make the first clip not in the cache before any other, with the machine to
        itself (by the narrator ``start_early`` started, if any); the rest follow on every core.
    Raises NarratorError for an unknown engine or voice, invalid settings, or an engine
    that fails, crashes or hangs.
    """
    from voiceguide.narration.maker import Job

    wanted = list(dict.fromkeys(utterances))
    for u in wanted:
        _check(u, _engine(u.engine or engine))
    root = clip_cache.cache_root(cache_dir)
    store = store_from_environment()  # clips shared between machines, behind this cache

    key_of: dict[Utterance, str] = {}
    every: dict[str, tuple[str, Job]] = {}  # each clip's engine and job, cached or not (to make again what goes missing)
    for u in wanted:
        name = u.engine or engine
        key, cls, voice = _clip_of(u, name)
        key_of[u] = key
        if key in every:
            continue
        path = clip_cache.clip_path(root, key)
        limit = timeout_s if timeout_s is not None else default_timeout_s(u.spoken, cls.timeout_factor)
        every[key] = (name, Job(key, u.spoken, voice, int(u.rate), float(u.volume), path, limit))
    with upkeep.held(root, every):  # no trim removes these clips while they are used (to the end of the build around this)
        return _narrated(every, key_of, root, store, progress, stats, on_clip, first_soon)


def _narrated(
    every: dict[str, tuple[str, Job]], key_of: dict[Utterance, str], root: Path, store: ClipStore | None,
    progress: Callable[[int, int], None] | None, stats: MutableMapping[str, int] | None,
    on_clip: Callable[[Utterance, Clip], None] | None = None, first_soon: bool = False,
) -> dict[Utterance, Clip]:  # fmt: skip
    """``narrate`` once its clips are held: what the cache has (marked as used), the rest made and labelled."""
    from voiceguide.narration.workers import run_jobs

    clips: dict[str, Clip] = {}
    jobs: dict[str, dict[str, Job]] = {}  # by engine, then clip key
    queued: set[str] = set()
    waiting: dict[str, list[Utterance]] = {}  # for on_clip: the utterances each clip says, until it is told
    for u, key in key_of.items():
        waiting.setdefault(key, []).append(u)

    def told(key: str) -> None:
        if on_clip is not None:
            for u in waiting.pop(key, []):
                on_clip(u, clips[key])

    for key, (name, job) in every.items():
        found = clip_cache.lookup(job.out)
        if found is None and store is not None and store.fetch(key, job.out):
            found = clip_cache.lookup(job.out)
        if found is not None:
            clips[key] = found
            told(key)
        else:
            jobs.setdefault(name, {})[key] = job
            queued.add(key)
    upkeep.touch(clip.path for clip in clips.values())
    cached = len(clips)
    done = 0

    def made(job: Job, result: Made) -> None:
        nonlocal done
        clips[job.key] = Clip(job.out, result.frames / result.sample_rate, result.sample_rate)
        if store is not None:
            store.put(job.key, job.out)
        told(job.key)
        done += 1
        if progress is not None:
            progress(done, len(queued))

    if queued:
        clip_cache.check_writable(root)  # a cache that cannot take the clips is the cache's problem, said before any synthesis
    for name, mine in jobs.items():  # one engine at a time: its workers use every core
        run_jobs(list(mine.values()), engine_ref(name), _engine(name).name, made, first_alone=first_soon)
        upkeep.label(root, ((key, _engine(name).name, job.voice) for key, job in mine.items()))
    gone: dict[str, dict[str, Job]] = {}  # clips the cache lost meanwhile (cleaned or removed by someone): made once more
    for key, clip in clips.items():
        if not clip.path.is_file():
            gone.setdefault(every[key][0], {})[key] = every[key][1]
    for name, mine in gone.items():
        clip_cache.check_writable(root)
        run_jobs(list(mine.values()), engine_ref(name), _engine(name).name, made)
    if stats is not None:
        stats.clear()
        stats.update(synthesised=len(queued), cached=cached)
    return {u: clips[key] for u, key in key_of.items()}
