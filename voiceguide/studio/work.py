"""What the editor asks while a routine is written: its problems, its timeline, a line spoken, a bed heard.

The same loader, checks and planner as ``validate``, ``plan`` and ``say``: the studio shows
the very problems the command line prints.
"""

from __future__ import annotations

import io
import os
import wave
from pathlib import Path

from voiceguide.errors import Problem, RoutineError
from voiceguide.plan.checked import checked_session
from voiceguide.routine import Routine
from voiceguide.routine.limits import MAX_FILE_BYTES
from voiceguide.routine.loader import routine_from_text
from voiceguide.studio.folders import Folders, StudioError
from voiceguide.studio.options import Narrator

BED_PREVIEW_S = 12.0
MAX_SAY_CHARS = 2000


def routine_of(text: str, source: Path, folders: Folders) -> Routine:
    """The routine ``text`` holds, as if saved at ``source``; RoutineError with located problems otherwise.

    A routine in the studio may use music and cover files inside its library only.
    """
    if len(text.encode("utf-8")) > MAX_FILE_BYTES:
        raise StudioError("the routine is larger than 1 MiB", "split very long routines", 413)
    if not text.strip():
        raise RoutineError([Problem(source, 1, 1, "the routine is empty", "a routine needs at least a title and one technique")])
    routine = checked_session(routine_from_text(source, text))
    root = os.path.realpath(folders.library)
    for key, path in (("music", routine.music.path), ("cover", routine.cover)):
        if path is not None and not Path(os.path.realpath(path)).is_relative_to(root):
            line, column = routine.place(key) or routine.place(f"{key}.file") or (1, 1)
            message = f"the {key} file is outside the studio's library"
            raise RoutineError([Problem(source, line, column, message, "put the file into the library folder and name it from there")])
    return routine


def problems(text: str, source: Path, folders: Folders, who: Narrator | None = None) -> list[Problem]:
    """Every problem ``validate`` would print for this text (nothing is synthesised)."""
    from voiceguide.session import check_narration

    who = who or Narrator()
    try:
        return check_narration(routine_of(text, source, folders), who.voice, who.rate, who.engine)
    except RoutineError as err:
        return err.problems


def problem_json(problem: Problem) -> dict[str, object]:
    return {"line": problem.line, "column": problem.column, "message": problem.message, "hint": problem.hint}


def plan_json(text: str, source: Path, folders: Folders, who: Narrator, reach: bool = False) -> dict[str, object]:
    """What ``plan --json`` prints for this text (lines are narrated, or taken from the cache).

    ``reach``: also the shortest and longest session the routine can be fitted to (for the length slider).
    """
    from voiceguide.errors import VoiceguideError
    from voiceguide.session import prepare

    routine = routine_of(text, source, folders)
    session = prepare(routine, voice=who.voice, rate=who.rate, engine=who.engine, length_s=who.length_s)
    answer = session.to_json()
    if reach:
        fitted = session.fit
        try:  # fitted to its own length: the same lines (from the cache), and what the routine allows
            fitted = fitted or prepare(routine, voice=who.voice, rate=who.rate, engine=who.engine, length_s=session.plan.duration_s).fit
        except VoiceguideError:
            fitted = None
        if fitted is not None:
            answer["reach"] = {"shortest_s": round(fitted.shortest_s, 3), "longest_s": round(fitted.longest_s, 3)}
    return answer


def say_wav(text: str, who: Narrator) -> bytes:
    """One line spoken as ``voiceguide say`` would, as WAV bytes."""
    from voiceguide.session import say

    if not text.strip() or len(text) > MAX_SAY_CHARS:
        raise StudioError(f"text must be 1 to {MAX_SAY_CHARS} characters", "say one line of the routine", 422)
    clip, _, _ = say(text, who.voice, who.rate, who.engine)
    return clip.path.read_bytes()


def bed_wav(name: str) -> bytes:
    """The first seconds of a generated bed as 16-bit stereo WAV."""
    import numpy as np

    from voiceguide.registry import bed_names
    from voiceguide.render.beds import generated_bed

    if name not in bed_names():
        raise StudioError(f"no bed named '{name[:40]}'", f"the beds are: {', '.join(bed_names())}", 404)
    rate = 44100
    bed = generated_bed(name, rate)[: int(BED_PREVIEW_S * rate)]
    fade = np.linspace(1.0, 0.0, rate, dtype=np.float32)[:, None]
    bed = bed.copy()
    bed[-rate:] *= fade
    pcm = (np.clip(bed, -1.0, 1.0) * 32767).astype("<i2").tobytes()
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm)
    return out.getvalue()
