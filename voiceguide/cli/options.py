"""Options shared by several subcommands."""

from __future__ import annotations

import click

from voiceguide.narration import DEFAULT_ENGINE, ENGINES
from voiceguide.routine.limits import RATE_RANGE

voice_option = click.option(
    "--voice", metavar="VOICE", help="Narrator voice for every line (id, name or language; see 'voiceguide voices')."
)
rate_option = click.option(
    "--rate",
    metavar="WPM",
    type=click.IntRange(*RATE_RANGE),
    help=f"Speaking rate in words per minute for every line ({RATE_RANGE[0]}–{RATE_RANGE[1]}).",
)
engine_option = click.option(
    "--engine",
    type=click.Choice(list(ENGINES)),
    help=f"Speech engine (default: the routine's, else yours from $VOICEGUIDE_ENGINE or the config file, else {DEFAULT_ENGINE}).",
)
