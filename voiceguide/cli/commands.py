"""Subcommands: each lives in its own module and registers itself on ``cli``."""

from voiceguide.cli import build, routines, voices  # noqa: F401
from voiceguide.cli import feed  # noqa: F401
