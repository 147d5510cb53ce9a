"""feed: a podcast RSS feed from a folder of built sessions."""

from __future__ import annotations

from pathlib import Path

import click

from voiceguide.cli import cli
from voiceguide.errors import VoiceguideError
from voiceguide.export.feed import FEED_NAME, FeedInfo, check_url, write_feed


def _url(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Refuse anything but an absolute http(s) URL as a bad invocation (exit 2)."""
    if value is None:
        return None
    try:
        return check_url(value, "URL")
    except VoiceguideError as err:
        raise click.BadParameter(str(err)) from None


@cli.command(name="feed")
@click.argument("folder", metavar="DIR", type=click.Path(path_type=Path))
@click.option("--base-url", required=True, callback=_url, metavar="URL", help="Where DIR is served, e.g. https://example.com/sessions.")
@click.option("--title", required=True, help="The podcast's title.")
@click.option("--author", default="", help="The podcast's author (default: the sessions' artist tag).")
@click.option("--description", default="", help="The podcast's description (default: its title).")
@click.option("--image", callback=_url, metavar="URL", help="Cover art URL (Apple asks for a square JPEG or PNG, 1400–3000 px).")
@click.option("--language", help="The podcast's language (RSS language code). Default: the sessions' language, else en.")
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), help=f"Feed file. Default: DIR/{FEED_NAME}.")
def feed_command(
    folder: Path, base_url: str, title: str, author: str, description: str, image: str | None, language: str | None, output: Path | None
) -> None:
    """Write a podcast feed (RSS 2.0) for every MP3 in DIR.

    One episode per MP3, ordered by file name. Titles and descriptions come from
    the MP3 tags; chapters, captions and durations from the side files that
    'voiceguide build --sidecars' writes. Each episode's guid is derived from its
    URL, so rebuilding a session keeps it the same episode; its date is the MP3's
    modification time. Upload DIR (with the feed) to --base-url.

    \b
    Example:
      voiceguide feed site --base-url https://example.com/feet --title "Foot care"
    """
    result = write_feed(folder, FeedInfo(title, base_url, author, description, image, language), output)
    click.echo(f"wrote {result.path} — {result.episodes} episode{'s' if result.episodes != 1 else ''}")
