"""Options shared by several subcommands."""

from __future__ import annotations

import click

from voiceguide import registry
from voiceguide.routine.limits import MAX_SESSION_S, RATE_RANGE

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
    type=click.Choice(registry.engine_names()),
    help=(
        "Speech engine (default: the routine's, else yours from $VOICEGUIDE_ENGINE or the config file,"
        f" else {registry.NATURAL_ENGINE} where it is installed and speaks the language, else {registry.DEFAULT_ENGINE})."
    ),
)


def parse_length(value: str) -> float:
    """A session length: 20m, 1h30m, 300 (seconds); more than 0, at most the session limit. BadParameter otherwise."""
    from voiceguide.durations import format_duration, parse_duration

    try:
        seconds = parse_duration(value)
    except ValueError as err:
        raise click.BadParameter(str(err)) from None
    if not 0 < seconds <= MAX_SESSION_S:
        raise click.BadParameter(f"'{value}' is not a length from 1s to {format_duration(MAX_SESSION_S)}")
    return seconds


length_option = click.option(
    "--length",
    "length_s",
    metavar="LENGTH",
    callback=lambda ctx, param, value: None if value is None else parse_length(value),
    help="Fit the session to this length (20m, 1h30m): pauses, holds, rests and ranged repetitions stretch or shrink; speech keeps its pace.",
)
