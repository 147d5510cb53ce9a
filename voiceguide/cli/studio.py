"""studio: write, hear, build, follow and publish sessions in the browser."""

from __future__ import annotations

from pathlib import Path

import click

from voiceguide import terminal
from voiceguide.cli import cli


@cli.command()
@click.option("--port", type=click.IntRange(0, 65535), default=0, help="The port to listen on. Default: a free one.")
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to listen on; only this computer by default.")
@click.option(
    "--library",
    type=click.Path(file_okay=False, path_type=Path),
    help="The folder of your routines. Default: 'studio' in your data folder.",
)
@click.option("--output", type=click.Path(file_okay=False, path_type=Path), help="Where builds go. Default: 'output' in the library.")
@click.option("--no-browser", is_flag=True, help="Print the address, do not open a browser.")
def studio(port: int, host: str, library: Path | None, output: Path | None, no_browser: bool) -> None:
    """Start the studio: a page in your browser to write routines, hear them, build, follow and publish.

    It prints its address with a token (like Jupyter) and opens it; only that address
    (or the token, for scripts: Authorization: Token …) gets in. Ctrl-C stops it.
    Needs the studio extra: pip install 'voiceguide[studio]'.

    \b
    Examples:
      voiceguide studio
      voiceguide studio --no-browser --port 8765 --library ~/routines
    """
    try:
        import jinja2  # noqa: F401
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as err:
        raise click.ClickException(f"the studio needs its extra ({err.name} is missing): pip install 'voiceguide[studio]'") from None
    from voiceguide.studio.server import Settings, folders_from, serve

    settings = Settings(folders_from(library, output), host, port, not no_browser)
    serve(settings, lambda line: terminal.echo(line, err=True))
