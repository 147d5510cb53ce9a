"""feed: a podcast RSS feed from a folder of built sessions."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click

from voiceguide import registry, terminal
from voiceguide.cli import cli
from voiceguide.errors import VoiceguideError
from voiceguide.export.directory import category
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
@click.option("--author", default="", help="The podcast's author (default: 'author' in your config file, else the sessions' artist tag).")
@click.option("--owner", default="", help="The owner's name (itunes:owner; default: the author).")
@click.option(
    "--email",
    default="",
    callback=_checked(check_email),
    help="The owner's e-mail (itunes:owner): directories send a code there (default: 'email' in your config file).",
)
@click.option("--description", default="", help="The podcast's description (default: a sentence naming its sessions; at most 4,000 bytes).")
@click.option(
    "--category", "category_name", default="Health & Fitness", show_default=True, callback=_checked(lambda text: " > ".join(p for p in category(text) if p)),
    help="Apple's category, or a sub-category: 'Mental Health', 'Health & Fitness > Fitness'.",
)  # fmt: skip
@click.option("--season", type=click.IntRange(1), help="itunes:season of every episode.")
@click.option(
    "--episode", "first_episode", type=click.IntRange(1), default=1, show_default=True,
    help="The number of the earliest episode; the others are numbered after it in date order.",
)  # fmt: skip
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
    folder: Path, base_url: str, title: str, author: str, owner: str, email: str, description: str, category_name: str,
    season: int | None, first_episode: int, image: str | None, language: str | None, fmt: str, output: Path | None,
) -> None:  # fmt: skip
    """Write a podcast feed (RSS 2.0) for the sessions in DIR.

    One episode per audio file of --format, ordered by file name. Titles,
    descriptions and covers come from the files' tags; chapters, captions and
    durations from the side files that 'voiceguide build --sidecars' writes. Each
    episode's guid is derived from its URL, so rebuilding a session keeps it the
    same episode; its date is chosen by its first build (or the routine's published:)
    and kept in its plan side file, whatever happens to the file. The sessions' cover is
    written into DIR as cover-<hash>.jpg (or .png). The feed is taken to be served
    at the base URL under its own name. Upload DIR (with the feed) to --base-url.
    What podcast directories would refuse is reported as a warning.

    \b
    Example:
      voiceguide feed site --base-url https://example.com/feet --title "Foot care" --email you@example.com
    """
    from voiceguide.user_defaults import user_defaults

    mine = user_defaults()
    email = email or (check_email(mine.email) if mine.email else "")
    info = FeedInfo(
        title, base_url, author or mine.author, description, image, language, email, fmt, category(category_name), season, first_episode,
        owner,
    )  # fmt: skip
    result = write_feed(folder, info, output)
    for warning in result.warnings:
        terminal.echo(f"voiceguide: warning: {warning}", err=True)
    terminal.echo(f"wrote {result.path} — {terminal.counted(result.episodes, 'episode')}")
    for path in result.artwork:
        terminal.echo(f"wrote {path}")
