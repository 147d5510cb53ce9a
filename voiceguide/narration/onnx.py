"""ONNX Runtime sessions as the narration workers need them: CPU, one thread, a fixed random seed.

A worker loads a model once and forks a child per clip; forking is only safe while the
worker runs one thread, and ONNX Runtime starts a pool of ``intra_op_num_threads - 1``
threads per session. With one thread per session there is no pool, so the worker can
still fork, and the workers (one per core) together use every core without
oversubscribing them (threads × workers = cores). The one exception is the narrator
that makes a ``play``'s first clip alone (``workers.start_early``): it uses every core
for that clip, and shares them with the others afterwards.

Some models draw random numbers inside the graph (Piper's noise). Their generators are
seeded when a session is made, so every session starts from the same fixed seed, and
each clip, made in a fresh child of the worker, draws the same numbers for the same text.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
from pathlib import Path
from typing import Any

from voiceguide import registry
from voiceguide.errors import NarratorError

THREADS_PER_SESSION = 1
SEED = 20240501


def require(engine: str) -> None:
    """Raise NarratorError saying how to install the engine's extra unless every package it needs can be imported."""
    kind = registry.ENGINES[engine]
    missing = [m for m in kind.packages if importlib.util.find_spec(m) is None]
    extra = kind.extra
    if missing:
        raise NarratorError(
            f"the {extra} engine needs {', '.join(missing)}, which is not installed", hint=f"pip install 'voiceguide[{extra}]'"
        )


def versions(*distributions: str) -> str:
    """``name version`` of each installed distribution, for cache keys."""
    return "; ".join(f"{d} {importlib.metadata.version(d)}" for d in distributions)


def session(model: Path, optimise: bool = True, threads: int = THREADS_PER_SESSION) -> Any:
    """A CPU inference session for ``model``: one thread (or ``threads``), seeded, quiet.

    ``optimise`` False skips ONNX Runtime's graph optimisations when the session is made: for a
    model they do not speed up, that is start-up time saved before its first clip. ``threads``
    above one (the narrator making the first clip alone): its threads sleep rather than spin
    while they wait, since other narrators soon share the cores (Kokoro on two cores: 0.9 s
    instead of 1.45 s for the first line of gentle-foot-unwind, the same CPU, the same samples).
    """
    import onnxruntime as ort

    ort.set_seed(SEED)
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    if threads > 1:
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.inter_op_num_threads = THREADS_PER_SESSION
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.log_severity_level = 3  # errors only: warnings would land on the build's terminal
    if not optimise:
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    return ort.InferenceSession(str(model), sess_options=options, providers=["CPUExecutionProvider"])
