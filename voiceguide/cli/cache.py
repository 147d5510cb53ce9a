"""cache: what the clip cache holds, and trimming it."""

from __future__ import annotations

import json

import click

from voiceguide import terminal
from voiceguide.cli import cli
from voiceguide.narration import upkeep
from voiceguide.narration.cache import cache_root


def _parsed(parse: object) -> object:
    def callback(ctx: click.Context, param: click.Parameter, value: str | None) -> object:
        if value is None:
            return None
        try:
            return parse(value)  # type: ignore[operator]
        except ValueError as err:
            raise click.BadParameter(str(err)) from None

    return callback


@cli.group(name="cache", invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object: folder, bytes, limit, and clips by engine and voice.")
@click.pass_context
def cache(ctx: click.Context, as_json: bool) -> None:
    """Show the clip cache: its folder, its size, and its clips by engine and voice.

    Everything there can be made again; 'voiceguide cache prune' trims it, and every
    build trims it to the limit (2GB unless 'cache_limit' in your config file says otherwise).
    """
    if ctx.invoked_subcommand is not None:
        return
    from voiceguide.user_defaults import config_path, user_defaults

    root = cache_root()
    found = upkeep.usage(root)
    limit = user_defaults().cache_limit
    if as_json:
        clips = [{"engine": e, "voice": v, "clips": n, "bytes": b} for (e, v), (n, b) in sorted(found.clips.items())]
        other = [{"kind": k, "files": n, "bytes": b} for k, (n, b) in sorted(found.other.items())]
        click.echo(json.dumps({"folder": str(root), "bytes": found.size, "limit": limit, "clips": clips, "other": other}))
        return
    total = sum(n for n, _ in found.clips.values()) + sum(n for n, _ in found.other.values())
    terminal.echo(f"clip cache: {terminal.printable(root)}")
    terminal.echo(
        f"{upkeep.format_size(found.size)} in {terminal.counted(total, 'file')}; trimmed to {upkeep.format_size(limit)} after"
        f" each build (cache_limit in {terminal.printable(config_path())})"
    )
    rows = [(f"{e} {v}" if (e, v) != upkeep.UNLABELLED else "made before labels", n, b) for (e, v), (n, b) in sorted(found.clips.items())]
    rows += [(kind, n, b) for kind, (n, b) in sorted(found.other.items())]
    width = max((len(name) for name, _, _ in rows), default=0)
    for name, count, size in rows:
        terminal.echo(f"  {terminal.printable(name):<{width}}  {count:>7,}  {upkeep.format_size(size):>9}")


@cache.command(name="prune")
@click.option("--max-size", metavar="SIZE", callback=_parsed(upkeep.parse_size), help="Trim to this size (500MB, 2GB).")
@click.option(
    "--older-than", metavar="AGE", callback=_parsed(upkeep.parse_age), help="Remove what no build used for this long (30d, 2w, 12h)."
)
def prune(max_size: int | None, older_than: float | None) -> None:
    """Remove the least recently used files until the cache fits; never a clip a running build holds.

    Without options, trims to your limit (cache_limit in your config file, else 2GB).
    """
    if max_size is None and older_than is None:
        from voiceguide.user_defaults import user_defaults

        max_size = user_defaults().cache_limit
    done = upkeep.prune(cache_root(), max_size, older_than)
    held = f"; {terminal.counted(done.kept_held, 'clip')} kept: running builds hold them" if done.kept_held else ""
    terminal.echo(
        f"removed {terminal.counted(done.removed, 'file')} ({upkeep.format_size(done.freed)}); "
        f"the cache holds {upkeep.format_size(done.size)}{held}"
    )
