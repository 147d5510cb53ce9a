"""music: the generated music beds a routine or a build can choose."""

from __future__ import annotations

import json

import click

from voiceguide.cli import cli
from voiceguide.registry import BEDS, DEFAULT_BED


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON list of objects with name, sound and default.")
def music(as_json: bool) -> None:
    """List the generated music beds: use a name in a routine's 'music: {bed: NAME}' or with build --bed.

    Every bed is made in code (no recordings, no licences), loops without a seam,
    and keeps much of its sound where phone and laptop speakers play.
    """
    if as_json:
        click.echo(
            json.dumps([{"name": b.name, "sound": b.sound, "default": b.name == DEFAULT_BED} for b in BEDS.values()], ensure_ascii=False)
        )
        return
    for b in BEDS.values():
        click.echo(f"{b.name:<7} {b.sound}{' (default)' if b.name == DEFAULT_BED else ''}")
