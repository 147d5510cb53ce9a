"""Reading a routine file: read it safely, parse it, build the model checking every field.

The session it makes is checked as a whole by ``plan.checked.load_routine``, which calls this first.
"""

from __future__ import annotations

from pathlib import Path

from voiceguide.errors import Problem, RoutineError
from voiceguide.routine.builder import build_routine
from voiceguide.routine.files import read_text
from voiceguide.routine.model import Routine
from voiceguide.routine.yamlsafe import parse


def read_routine(path: Path | str) -> Routine:
    """Read a routine file and check every field; raise RoutineError listing every problem found."""
    path = Path(path)
    return routine_from_text(path, read_text(path))


def routine_from_text(path: Path, text: str) -> Routine:
    """Check a routine's text as if it were the content of ``path`` (the studio's editor); RoutineError as ``load_routine``."""
    root = parse(path, text)
    if root is None:
        raise RoutineError([Problem(path, 1, 1, "the file is empty", "a routine needs at least a title and one technique")])
    routine, check = build_routine(path, root, text)
    if check.problems or routine is None:
        raise RoutineError(check.problems)
    return routine
