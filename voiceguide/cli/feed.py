"""feed: a podcast RSS feed from a folder of built sessions."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click

from voiceguide import registry, terminal
from voiceguide.cli import cli
from voiceguide.errors import VoiceguideError
from voiceguide.export.feed import FEED_NAME, FeedInfo, check_email, check_url, write_feed


def _checked(check: Callable[[str], str]) -> Callable[[click.Context, click.Parameter, str | None], str | None]:
    """A click callback: the value as ``check`` returns it, or a bad invocation (exit 2) with its message."""

    def callback(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
        if not value:
            return value
        try:
            return check(value)
        except VoiceguideError as err:
            raise click.BadParameter(str(err)) from None

    return callback


@cli.command(name="feed")
@click.argument("folder", metavar="DIR", type=click.Path(path_type=Path))
@click.option(
    "--base-url", required=True, callback=_checked(lambda url: check_url(url, "URL")), metavar="URL",
    help="Where DIR is served, e.g. https://example.com/sessions.",
)  # fmt: skip
@click.option("--title", required=True, help="The podcast's title.")
@click.option("--author", default="", help="The podcast's author (default: the sessions' artist tag).")
@click.option(
    "--email", default="", callback=_checked(check_email), help="The owner's e-mail (itunes:owner): directories send a code there."
)
@click.option("--description", default="", help="The podcast's description (default: its title).")
@click.option(
    "--image", callback=_checked(lambda url: check_url(url, "URL")), metavar="URL",
    help="Cover art URL. Default: the sessions' own cover, served from DIR (a square JPEG or PNG, 1400–3000 px).",
)  # fmt: skip
@click.option("--language", help="The podcast's language (RSS language code). Default: the sessions' language, else en.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(registry.feed_formats()),
    default="mp3",
    show_default=True,
    help="Which files of DIR are the episodes.",
)
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), help=f"Feed file. Default: DIR/{FEED_NAME}.")
def feed_command(
    folder: Path, base_url: str, title: str, author: str, email: str, description: str, image: str | None, language: str | None,
    fmt: str, output: Path | None,
) -> None:  # fmt: skip
    """Write a podcast feed (RSS 2.0) for the sessions in DIR.

    One episode per audio file of --format, ordered by file name. Titles,
    descriptions and covers come from the files' tags; chapters, captions and
    durations from the side files that 'voiceguide build --sidecars' writes. Each
    episode's guid is derived from its URL, so rebuilding a session keeps it the
    same episode; its date is the file's modification time. The sessions' cover is
    written into DIR as cover-<hash>.jpg (or .png). The feed is taken to be served
    at the base URL under its own name. Upload DIR (with the feed) to --base-url.
    What podcast directories would refuse is reported as a warning.

    \b
    Example:
      voiceguide feed site --base-url https://example.com/feet --title "Foot care" --email you@example.com
    """
    info = FeedInfo(title, base_url, author, description, image, language, email, fmt)
    result = write_feed(folder, info, output)
    for warning in result.warnings:
        terminal.echo(f"voiceguide: warning: {warning}", err=True)
    terminal.echo(f"wrote {result.path} — {terminal.counted(result.episodes, 'episode')}")
    for path in result.artwork:
        terminal.echo(f"wrote {path}")
