"""What voiceguide accepts: the bounds of a routine file and of the session it makes.

Field bounds are checked where each field is read (``builder``); the session as a whole
is checked by the planner's package right after loading (``plan.checked``), before
anything is narrated.
"""

from __future__ import annotations

from voiceguide import registry
from voiceguide.errors import LimitError, RoutineError
from voiceguide.routine.model import Routine
from voiceguide.routine.pronounce import speakable

MAX_FILE_BYTES = 1024 * 1024
MAX_TEXT = 1000  # characters in one spoken line
MAX_NAME = 200  # characters in a title or a technique's name
MAX_PAUSE_S = 2 * 3600.0
MAX_COVER_BYTES = 16 * 1024 * 1024
RATE_RANGE = registry.RATE_RANGE  # words per minute: the widest any engine takes (each engine checks its own)
REPETITIONS_RANGE = (1, 1000)
MAX_SESSION_S = 4 * 3600.0
MAX_CUES = 100_000  # far more than a 4 h session holds; keeps planning a hostile file fast
MAX_PRONUNCIATIONS = 1000  # entries in a routine's list
MAX_SPOKEN = 2 * MAX_TEXT  # characters in one line as the narrator is given it, after respelling
MIN_VOLUME = 0.1  # narration volume: below this a narrator says next to nothing (0 is silence)


class RoutineLimitError(RoutineError, LimitError):
    """A routine certainly beyond the session limits: a located problem of the file and a limit at once."""


def unsayable(spoken: str) -> str | None:
    """The one check of a line as the narrator is given it (after respelling): "silent" when it has nothing to say
    (no letters or digits), "long" when it has grown past ``MAX_SPOKEN``; None when it can be said."""
    if not speakable(spoken):
        return "silent"
    return "long" if len(spoken) > MAX_SPOKEN else None


def chapter_line(routine: Routine, chapter: int) -> int:
    """The line where a chapter of the plan starts: a technique's, or the intro's or outro's first step."""
    if 1 <= chapter <= len(routine.techniques):
        return max(1, routine.techniques[chapter - 1].line)
    steps = routine.outro if chapter else (routine.intro or routine.precautions)
    return max(1, steps[0].line) if steps else 1
