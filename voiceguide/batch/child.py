"""One variant built in a process of its own: ``python -m voiceguide.batch.child JOB MADE OUTPUT``.

A Dask task starts this, so that a build (which starts narration workers and an
encoder) never runs inside the worker's own process.
"""

from __future__ import annotations

import pickle
import sys
from pathlib import Path

from voiceguide.batch.runners import build_variant
from voiceguide.output import replacing


def main(argv: list[str]) -> None:
    job_file, made_file, output = (Path(a) for a in argv[1:4])
    job, settings = pickle.loads(job_file.read_bytes())
    made = build_variant(job, settings, output)
    with replacing(made_file) as temp:
        temp.write_bytes(pickle.dumps(made))


if __name__ == "__main__":
    main(sys.argv)
