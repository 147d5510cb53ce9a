"""The ``voiceguide`` command. The library raises VoiceguideError; here it becomes one line and an exit code."""

from __future__ import annotations

import sys

import click

from voiceguide import __version__
from voiceguide.errors import VoiceguideError


class _Group(click.Group):
    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except VoiceguideError as err:
            for line in str(err).splitlines() or [type(err).__name__]:
                click.echo(f"voiceguide: {line}", err=True)
            ctx.exit(err.exit_code)
        except KeyboardInterrupt:
            click.echo("voiceguide: interrupted; nothing was written", err=True)
            ctx.exit(130)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="voiceguide")
def cli() -> None:
    """Turn routine files into voice-guided audio sessions.

    A routine (YAML) lists techniques with spoken steps, repetitions, holds and
    rests. voiceguide narrates it offline, times every pause exactly, and writes an
    audio file you can follow with your eyes closed.

    \b
    Start here:
      voiceguide list                        the built-in routines
      voiceguide plan gentle-foot-unwind     the timeline, second by second
      voiceguide build gentle-foot-unwind    the MP3, into output/
      voiceguide validate my-routine.yaml    check your own routine
    """


def main() -> None:
    from voiceguide.cli import commands  # noqa: F401  (registers the subcommands)

    cli.main(prog_name="voiceguide")


if __name__ == "__main__":  # pragma: no cover
    main()
    sys.exit(0)
