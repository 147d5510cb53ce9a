"""The console entry point: signals are handled before anything heavy is imported.

Ctrl-C or SIGTERM at any moment, even while the program is still starting, ends in one
line and exit code 130, and a build in progress cleans up after itself.
"""

from __future__ import annotations

import signal
import sys


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main() -> None:
    signal.signal(signal.SIGTERM, _terminate)
    try:
        from voiceguide.cli import main as cli_main

        cli_main()
    except KeyboardInterrupt:
        sys.stderr.write("voiceguide: interrupted; nothing was written\n")
        sys.exit(130)
