"""A batch spec file: the matrix of a batch written down, so a season or a clinic's set can be rebuilt with one command.

```yaml
routines: [gentle-foot-unwind, my-routine.yaml]   # files relative to the spec, or built-in names
length: [12m, 40m]
rate: [140, 170]
voice: en-gb
engine: pyttsx3
language: [en, de]
```

Each key takes one value or a list; every problem is a located line, as in routine files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from yaml.nodes import Node, SequenceNode

from voiceguide.batch.variants import Matrix
from voiceguide.errors import Problem, RoutineError
from voiceguide.routine.checks import Checker
from voiceguide.routine.files import builtin_routines, read_text
from voiceguide.routine.limits import MAX_SESSION_S, RATE_RANGE
from voiceguide.routine.yamlsafe import parse

SPEC_KEYS = ("routines", "length", "rate", "voice", "engine", "language")


def read_spec(path: Path, engines: tuple[str, ...]) -> Matrix:
    """The matrix a spec file describes; RoutineError with every problem found."""
    root = parse(path, read_text(path))
    if root is None:
        raise RoutineError([Problem(path, 1, 1, "the file is empty", "write routines: and the values to vary, one key a line")])
    c = Checker(path)
    keys = c.mapping(root, "the batch spec", SPEC_KEYS, required=("routines",))

    def values(key: str, read: Any) -> tuple[Any, ...]:
        if key not in keys:
            return ()
        node = keys[key]
        items = node.value if isinstance(node, SequenceNode) else [node]
        found = [read(item, key) for item in items]
        return tuple(v for v in found if v is not None)

    def length(node: Node, key: str) -> float | None:
        seconds = c.duration(node, key, MAX_SESSION_S)
        if seconds == 0:
            c.problem(node, "length is 0s", "write a length such as 20m")
            return None
        return seconds

    matrix = Matrix(
        routines=values("routines", lambda n, k: _routine(c, n, path)),
        lengths=values("length", length),
        rates=values("rate", lambda n, k: c.integer(n, k, *RATE_RANGE)),
        voices=values("voice", lambda n, k: c.text(n, k, max_len=100)),
        engines=values("engine", lambda n, k: c.choice(n, k, engines)),
        languages=values("language", lambda n, k: c.text(n, k, max_len=20)),
    )
    if c.problems:
        raise RoutineError(c.problems)
    return matrix


def _routine(c: Checker, node: Node, spec: Path) -> str | None:
    """A routine named in the spec: a built-in name as it is, a file relative to the spec."""
    name = c.text(node, "a routine", max_len=4096)
    if name is None or name in builtin_routines():
        return name
    return str(spec.parent / name)
