"""Every variant of a batch planned before anything is rendered, each distinct line narrated once for all of them.

Each session's planning (``session.planned``) asks for lines in rounds: all its lines, or,
fitted to a length, the lines at its fewest and most repetitions, then those a chosen
number of repetitions adds. The plannings of the batch go round by round together: each
round gathers the lines every session still needs, narrates the distinct ones among them
(``Line``: the words, the voice, the rate, the volume and the engine) once, and sends
each planning their durations. A line that cannot be narrated fails the sessions that
need it, and only those.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field

from voiceguide import __version__
from voiceguide.batch.variants import Job
from voiceguide.errors import RoutineError, VoiceguideError
from voiceguide.narration.base import Clip
from voiceguide.plan import Event, Utterance, script
from voiceguide.plan.fit import Fitted
from voiceguide.registry import DEFAULT_ENGINE
from voiceguide.routine import Routine
from voiceguide.session import Planning, Session, check_narration, lay_out, narrator_settings, planned


@dataclass(frozen=True)
class Line:
    """One distinct thing to say: an utterance and the engine it is said with when it names none."""

    utterance: Utterance
    engine: str

    @property
    def key(self) -> str:
        """sha256 of everything that shapes the clip (and of voiceguide's version): the same key, the same clip."""
        fields = {**asdict(self.utterance), "text": "", "default_engine": self.engine, "voiceguide": __version__}
        blob = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Said:
    """A line narrated: its clip (where the narration ran), or why it could not be."""

    clip: Clip | None
    error: str = ""


@dataclass
class Counts:
    synthesised: int = 0  # distinct lines narrated by this batch
    cached: int = 0  # distinct lines that came from a clip cache or the store


Narrate = Callable[[list[Line]], Mapping[Line, Said]]  # a round's distinct lines narrated


@dataclass
class _Planning:
    job: Job
    engine: str
    steps: Planning
    wants: list[Utterance]
    error: str = ""
    clips: dict[Utterance, Clip] = field(default_factory=dict)  # the lines it asked for, as ``prepare`` knows them

    def learn(self, said: Mapping[Line, Said]) -> str:
        """Take the clips of the lines it wanted; the first error among them, or ""."""
        for u in self.wants:
            found = said[Line(u, self.engine)]
            if found.clip is None:
                return found.error
            self.clips[u] = found.clip
        return ""


def plan_sessions(jobs: list[Job], narrate: Narrate) -> tuple[dict[str, Session], dict[str, str], dict[str, list[Line]]]:
    """Each job's session (by output name), the error of each job that cannot be planned, and the lines each session uses.

    Each planning is told the durations of the lines it asked for only, as ``prepare`` tells it: a session comes out the
    same whichever other sessions share its batch.
    """
    plannings = [_start(job) for job in jobs]
    said: dict[Line, Said] = {}
    done: dict[str, Session] = {}
    errors = {p.job.name: p.error for p in plannings if p.error}
    going = [p for p in plannings if not p.error]
    while going:
        fresh = list(dict.fromkeys(line for p in going for u in p.wants if (line := Line(u, p.engine)) not in said))
        said.update(narrate(fresh) if fresh else {})
        still = []
        for p in going:
            failed = p.learn(said)
            if failed:
                errors[p.job.name] = failed
                continue
            try:
                p.wants = p.steps.send({u: c.duration_s for u, c in p.clips.items()})
                still.append(p)
            except StopIteration as end:
                done[p.job.name] = _session(p, *end.value)
            except VoiceguideError as err:
                errors[p.job.name] = "; ".join(str(err).splitlines())
        going = still
    engines = {p.job.name: p.engine for p in plannings}
    uses = {name: [Line(u, engines[name]) for u in session.clips] for name, session in done.items()}
    return done, errors, uses


def _session(p: _Planning, routine: Routine, events: list[Event], fitted: Fitted | None) -> Session:
    """The planned session: its plan, and the clips of the lines it says."""
    used = {e.utterance for e in events if e.utterance is not None}
    clips = {u: c for u, c in p.clips.items() if u in used}
    return Session(routine, lay_out(routine, events, p.clips, p.engine), clips, 0, 0, fitted)


def _start(job: Job) -> _Planning:
    """A job's planning, started: it wants its first lines (or has an error: its routine's narration cannot be)."""
    v = job.variant
    try:
        problems = check_narration(job.routine, v.voice, v.rate, v.engine)
        if problems:
            raise RoutineError(problems)
        overrides, defaults = narrator_settings(job.routine, v.voice, v.rate, v.engine)

        def events_of(r: Routine) -> list[Event]:
            return script(r, overrides, defaults)

        steps = planned(job.routine, v.length_s, events_of)
        return _Planning(job, defaults.engine or DEFAULT_ENGINE, steps, next(steps))
    except VoiceguideError as err:
        return _Planning(job, "", iter(()), [], "; ".join(str(err).splitlines()))  # type: ignore[arg-type]
