"""voices: what the narrator can speak with."""

from __future__ import annotations

import click

from voiceguide.cli import cli
from voiceguide.cli.options import engine_option
from voiceguide.narration import list_voices


@cli.command()
@click.option("--language", "-l", metavar="L", help="Only voices for this language (e.g. en, de, fr).")
@engine_option
def voices(language: str | None, engine: str) -> None:
    """List the narrator's voices; use an id in a routine's 'voice' or with --voice."""
    found = list_voices(engine=engine, language=language)
    if not found:
        raise click.ClickException(f"no voice for language '{language}' — run 'voiceguide voices' to see them all")
    for v in found:
        click.echo(f"{v.id:<24} {v.name:<32} {', '.join(v.languages)}")
