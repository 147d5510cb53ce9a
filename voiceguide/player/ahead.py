"""Playing a routine while it is narrated: the narrator works ahead, the timeline grows as its clips arrive.

Every event before the first line not yet narrated is timed exactly as ``build_plan``
times it (a line's start is the sum of what comes before it), so the part that can be
played is the plan of those events, and the first unnarrated line's start is where
playing must wait if it gets there first: at the start of a line, never inside one.

The sound is the build's own mix: clips prepared as ``render_session`` prepares them (``prepared``),
levelled by ``master`` on the lines there are when playing starts (later lines with the
same gain and ceiling, ``level_more``), and mixed block by block by the renderer's
``render`` over the music with its ducking envelope. Every clip lands in the clip cache
as it is made, so a later build of the same routine narrates nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Generator
from typing import Any

import numpy as np

from voiceguide.narration import narrate, stop_narrators
from voiceguide.narration.base import Clip
from voiceguide.plan import ChimeSound, Event, Plan, Sound, Utterance, build_plan, utterances
from voiceguide.player.timeline import Track
from voiceguide.render import CHANNELS, SAMPLE_RATE
from voiceguide.render.beds import MusicBed
from voiceguide.render.envelope import DuckShape, MusicEnvelope
from voiceguide.render.master import Mastered, MusicLevels, level_more, master
from voiceguide.render.mixer import render
from voiceguide.render.prepared import prepared
from voiceguide.render.settings import MixSettings
from voiceguide.render.tones import chime
from voiceguide.routine import Routine

OPEN_END_S = 1.0e7  # the music's fade-out waits for the session's end to be known
MIN_REST_S = 1.0  # while lines are still to come, the session is shown lasting at least this much longer


class _Stopped(Exception):
    """Raised in the narrator's callback to stop narrating (the player has stopped)."""


class Ahead:
    """A routine's session, narrated in a background thread while it is played; every method may be called from any thread."""

    def __init__(self, routine: Routine, events: list[Event], engine: str, mix: MixSettings, bed: MusicBed | None = None) -> None:
        self.routine = routine
        self.events = events
        self.engine = engine
        self.mix = mix
        self.bed = bed
        self.error: BaseException | None = None
        self._lines = utterances(events)
        self.chapter_count = len(dict.fromkeys(e.chapter for e in events))
        self._changed = threading.Condition()
        self._clips: dict[Utterance, Clip] = {}
        self._ready: dict[Sound, tuple[np.ndarray, np.ndarray | None]] = {}  # prepared, not levelled yet
        self._sounds: dict[Sound, np.ndarray] = {}  # levelled: ready to mix
        self._mastered: Mastered | None = None
        self._starts = [0.0]  # the start of each timed event, and where the next one starts
        self._narrated = False
        self._stop = False
        self._plan: tuple[int, Plan, MusicEnvelope | None] | None = None
        self._track: tuple[int, Track] | None = None  # the player's thread only
        self._thread = threading.Thread(target=self._narrate, name="voiceguide-ahead", daemon=True)

    # --- narrating ----------------------------------------------------------------------

    def start(self) -> None:
        if self.bed is not None:
            self.bed.start()
        self._thread.start()

    def stop(self, wait_s: float = 0.5) -> None:
        """Stop narrating at the next clip (clips are stored whole or not at all) and let the music go."""
        self._stop = True
        try:
            self._thread.join(wait_s)
        except KeyboardInterrupt:
            pass  # a second Ctrl-C while stopping: it is stopping already (the player has said where it stopped)
        if self.bed is not None:
            self.bed.close()

    def _narrate(self) -> None:
        try:
            narrate(self._lines, engine=self.engine, on_clip=self._arrived, first_soon=True)
        except _Stopped:
            pass
        except BaseException as err:  # noqa: BLE001 -- handed to the player's thread by wait()
            self.error = err
        finally:
            stop_narrators()  # the one ``play`` started early, kept since: narrating is over
            with self._changed:
                self._narrated = True
                self._changed.notify_all()

    def _arrived(self, u: Utterance, clip: Clip) -> None:
        if self._stop:
            raise _Stopped
        ready = prepared(clip.path, u) if self.bed is not None else None  # the mix only matters with sound
        mastered = self._mastered
        levelled = None
        if ready is not None and mastered is not None:  # levelled here, not in the sound device's thread
            levelled = level_more(mastered, {u: ready[0]}, self.mix.chime_level_db, {u: ready[1]} if ready[1] is not None else {})
        with self._changed:
            self._clips[u] = clip
            if levelled is not None:
                self._sounds.update(levelled)
            elif ready is not None:
                self._ready[u] = ready
            self._advance()
            self._changed.notify_all()

    def _advance(self) -> None:
        """Time every event up to the first line not narrated yet."""
        while len(self._starts) <= len(self.events):
            e = self.events[len(self._starts) - 1]
            if e.utterance is not None and e.utterance not in self._clips:
                return
            length = self._clips[e.utterance].duration_s if e.utterance is not None else e.seconds
            self._starts.append(self._starts[-1] + length)

    # --- where playing stands -----------------------------------------------------------

    @property
    def complete(self) -> bool:
        with self._changed:
            return len(self._starts) > len(self.events)

    def ready_until(self) -> float:
        """Seconds of the session that can be played: up to the start of the first line not narrated yet."""
        with self._changed:
            return self._starts[-1]

    def wait(self, timeout_s: float) -> None:
        """Until more is narrated (or ``timeout_s``); re-raises the narrator's error, if it failed."""
        with self._changed:
            if not self._narrated and len(self._starts) <= len(self.events):
                self._changed.wait(timeout_s)
        if self.error is not None:
            raise self.error

    def plan(self) -> Plan:
        """The plan of every timed event (the whole session once everything is narrated)."""
        return self._snapshot()[1]

    def track(self) -> Track:
        """What the player shows: the timed part, and an estimate of how long the rest lasts (made again only when it grows)."""
        timed, plan, _ = self._snapshot()
        if self._track is not None and self._track[0] == timed:
            return self._track[1]
        track = Track.from_plan_json(plan.to_json())
        if timed < len(self.events):
            rest = sum(_estimate_s(e) for e in self.events[timed:])
            track = Track(track.title or self.routine.title, plan.duration_s + max(MIN_REST_S, rest), track.chapters, track.items)
        self._track = (timed, track)
        return track

    def _snapshot(self) -> tuple[int, Plan, MusicEnvelope | None]:
        with self._changed:
            timed = len(self._starts) - 1
            if self._plan is None or self._plan[0] != timed:
                durations = {u: c.duration_s for u, c in self._clips.items()}
                plan = build_plan(self.routine, self.events[:timed], durations)
                self._plan = (timed, plan, self._envelope(plan, timed))
            return self._plan

    def _envelope(self, plan: Plan, timed: int) -> MusicEnvelope | None:
        if self.bed is None:
            return None
        spans = [(c.start_s, c.end_s) for c in plan.cues if c.kind == "speech"]
        whole = timed == len(self.events)
        if not whole:
            spans.append((plan.duration_s, plan.duration_s))  # the next line starts there: the music goes down for it as in the build
        return MusicEnvelope(spans, plan.duration_s if whole else OPEN_END_S, DuckShape(depth_db=self.mix.duck_depth_db))

    # --- the mix ------------------------------------------------------------------------

    def levels(self) -> bool:
        """Choose the levels once, on the lines narrated so far (False: no line is narrated yet, so not yet).

        The player's sound calls this before it starts, in the player's thread, so the
        device's thread never waits for it.
        """
        timed, plan, envelope = self._snapshot()
        if self._mastered is not None:
            return True
        if self.bed is None or (timed < len(self.events) and not any(c.kind == "speech" for c in plan.cues)):
            return False
        music = self.bed.result()
        with self._changed:
            if self._mastered is None:
                self._master(plan, music, envelope)
            return True

    def frames(self, first: int, count: int) -> np.ndarray | None:
        """Up to ``count`` mixed frames (int16, frames × channels) from frame ``first``; None where nothing more is narrated yet."""
        if not self.levels():
            return None
        _, plan, envelope = self._snapshot()
        music = self.bed.result() if self.bed is not None else None
        with self._changed:
            self._level_new()
            sounds = dict(self._sounds)
            gain = self._mastered.music_gain if self._mastered is not None else 0.0
        stop = min(first + count, round(plan.duration_s * SAMPLE_RATE))
        if stop <= first:
            return None
        blocks = list(render(plan, sounds, music, envelope, gain, block_frames=count, start=first, stop=stop))
        return np.concatenate(blocks) if blocks else None

    def _master(self, plan: Plan, music: Any, envelope: MusicEnvelope | None) -> None:
        """The levels, chosen by ``master`` on the lines narrated so far (called with the lock held)."""
        present = {c.sound for c in plan.cues if c.sound is not None}
        clips = {s: self._sound_of(s)[0] for s in present}
        energies = {s: e for s in present if (e := self._sound_of(s)[1]) is not None}
        levels = None
        if music is not None and envelope is not None:
            levels = MusicLevels(music.loudness_lufs, music.energy, self.mix.music_level_db, envelope)
        mastered = master(plan, clips, self.mix.target_lufs, levels, self.mix.chime_level_db, energies)
        self._sounds.update(mastered.sounds)
        for s in present:
            self._ready.pop(s, None)
        self._mastered = mastered
        self._level_new()  # the chimes still to come, and lines that arrived meanwhile

    def _level_new(self) -> None:
        assert self._mastered is not None
        chimes = {ChimeSound(e.seconds) for e in self.events if e.kind == "chime"} - set(self._sounds)
        fresh = {s: self._sound_of(s) for s in [*self._ready, *chimes]}
        if fresh:
            clips = {s: ready[0] for s, ready in fresh.items()}
            energies = {s: ready[1] for s, ready in fresh.items() if ready[1] is not None}
            self._sounds.update(level_more(self._mastered, clips, self.mix.chime_level_db, energies))
            self._ready.clear()

    def _sound_of(self, sound: Sound) -> tuple[np.ndarray, np.ndarray | None]:
        if isinstance(sound, ChimeSound):
            return chime(sound.seconds, SAMPLE_RATE), None
        return self._ready[sound]


def _estimate_s(e: Event) -> float:
    """How long an event not timed yet may last: its pause, or its words at its rate."""
    if e.utterance is None:
        return e.seconds
    return len(e.utterance.spoken.split()) * 60.0 / max(1, e.utterance.rate)


def feed(ahead: Ahead, position_s: float) -> Generator[bytes, int, None]:
    """A miniaudio playback generator of the mix from ``position_s``: silence where nothing is narrated yet
    (the player stops the sound there and starts it again when the next line is ready)."""
    frame = round(position_s * SAMPLE_RATE)
    width = 2 * CHANNELS
    pending = b""
    ahead.levels()  # primed in the player's thread: the device's thread finds the levels chosen
    wanted = yield b""
    while True:
        while len(pending) < wanted * width:
            block = ahead.frames(frame, max(wanted, 4096))
            if block is None:
                break
            pending += block.tobytes()
            frame += block.shape[0]
        chunk, pending = pending[: wanted * width], pending[wanted * width :]
        wanted = yield chunk + bytes(wanted * width - len(chunk))
