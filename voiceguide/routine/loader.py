"""Loading a routine file: read it safely, parse it, build the model checking every field, check its size."""

from __future__ import annotations

from pathlib import Path

from voiceguide.errors import Problem, RoutineError
from voiceguide.routine.builder import build_routine
from voiceguide.routine.files import read_text
from voiceguide.routine.limits import RoutineLimitError, session_size_problem
from voiceguide.routine.model import Routine
from voiceguide.routine.yamlsafe import parse


def load_routine(path: Path | str) -> Routine:
    """Read and check a routine file; raise RoutineError listing every problem found."""
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
    size_problem = session_size_problem(routine)
    if size_problem is None and any(t.repetitions_range for t in routine.techniques):
        from voiceguide.fit import at_repetitions  # the fit imports the planner, which imports this package

        size_problem = session_size_problem(at_repetitions(routine, 1), with_silence=False)
    if size_problem is not None:
        raise RoutineLimitError([size_problem])
    return routine
