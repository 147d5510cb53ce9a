"""Subcommands: each lives in its own module and registers itself on ``cli``."""

from voiceguide.cli import (  # noqa: F401
    batch,
    build,
    cache,
    feed,
    listen,
    music,
    new,
    play,
    routines,
    say,
    studio,
    voices,
)
