"""new: a routine file to start from, written into the current folder."""

from __future__ import annotations

from pathlib import Path

import click

from voiceguide import terminal
from voiceguide.cli import cli


@cli.command()
@click.argument("name", metavar="NAME")
@click.option("--from", "source", metavar="ROUTINE", help="Start from this routine (a file or a built-in routine's name).")
@click.option("--language", "code", metavar="CODE", help="The routine's language (en, de, fr, …): its lines and cues.")
@click.option("--body-part", "body_part", metavar="PART", help="What its sides are: foot (default), hand, arm, leg, knee, shoulder, …")
def new(name: str, source: str | None, code: str | None, body_part: str | None) -> None:
    """Write NAME.yaml here: a commented routine that validates, to change as you like.

    It never replaces a file. Then: voiceguide validate NAME.yaml, voiceguide build NAME.yaml.
    """
    from voiceguide.output import Outputs
    from voiceguide.routine.starter import new_routine

    path, text = new_routine(name, Path.cwd(), source, code, body_part)
    with Outputs() as out:  # force off: a file that appeared meanwhile is not replaced either
        out.write_text(path, text)
        out.commit()
    terminal.echo(f"wrote {path.name}: check it with voiceguide validate {path.name}, hear it with voiceguide build {path.name}")
