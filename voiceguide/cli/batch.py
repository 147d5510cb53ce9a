"""batch: many sessions in one run, here or on a Dask cluster."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from voiceguide import registry, terminal
from voiceguide.cli import cli
from voiceguide.cli.options import parse_length
from voiceguide.durations import format_clock
from voiceguide.progress import Progress
from voiceguide.render.settings import Codec
from voiceguide.routine.limits import RATE_RANGE

if TYPE_CHECKING:
    from voiceguide.batch import FeedInfo, Matrix, Report


@cli.command(name="batch")
@click.argument("routines", nargs=-1, metavar="[ROUTINE]...")
@click.option(
    "--out", "out", required=True, type=click.Path(path_type=Path, file_okay=False), help="The folder for the sessions and the manifest."
)
@click.option(
    "--spec",
    type=click.Path(path_type=Path, dir_okay=False),
    help="A YAML file with routines: and the values to vary (options given here win).",
)
@click.option("--length", "lengths", multiple=True, metavar="LENGTH", help="A length to fit each session to (20m); repeat for more.")
@click.option("--voice", "voices", multiple=True, metavar="VOICE", help="A voice; repeat for more (see 'voiceguide voices').")
@click.option("--engine", "engines", multiple=True, type=click.Choice(registry.engine_names()), help="A speech engine; repeat for more.")
@click.option("--rate", "rates", multiple=True, type=click.IntRange(*RATE_RANGE), metavar="WPM", help="A speaking rate; repeat for more.")
@click.option(
    "--language",
    "languages",
    multiple=True,
    metavar="CODE",
    help="A language: the routine's version in it (<name>-<code>.yaml beside it); repeat for more.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(registry.format_names()),
    default=Codec.fmt,
    show_default=True,
    help="Audio format of every session.",
)
@click.option("--music", "music_file", type=click.Path(path_type=Path, dir_okay=False, exists=True), help="Music for every session.")
@click.option("--bed", type=click.Choice(registry.bed_names()), help="A generated music bed for every session ('voiceguide music').")
@click.option("--no-music", is_flag=True, help="No music in any session, whatever the routines say.")
@click.option("--music-level", type=click.FloatRange(-60, 0), metavar="DB", help="Music loudness in pauses relative to the voice, in dB.")
@click.option("--cover", type=click.Path(path_type=Path, dir_okay=False, exists=True), help="Cover art (JPEG or PNG) for every session.")
@click.option("--sidecars", is_flag=True, help="Captions, chapters and the plan beside each session, as 'build --sidecars'.")
@click.option("--player", is_flag=True, help="The follow-along page beside each session, as 'build --player'.")
@click.option(
    "--feed", "feed_url", metavar="BASE_URL", help="Also write a podcast feed of --out, served at BASE_URL (as 'voiceguide feed')."
)
@click.option("--feed-title", metavar="TEXT", help="The feed's title (default: the name of --out).")
@click.option(
    "--scheduler", metavar="tcp://HOST:PORT", help="Build on the Dask cluster of this scheduler (pip install 'voiceguide[dask]')."
)
@click.option(
    "--cache",
    metavar="FOLDER|URL",
    help="Clip cache for the builds: a folder (on a cluster, one every worker sees at this path), or a store every"
    " machine shares (s3://bucket/prefix, gs://…; pip install 'voiceguide[s3]'), behind each one's own cache.",
)
@click.option(
    "--jobs", "-j", type=click.IntRange(1, 256), metavar="N", help="Sessions built at once on this machine (default: one per core)."
)
@click.option("--manifest", default="manifest.json", show_default=True, metavar="NAME", help="The manifest's name in --out: .json or .csv.")
@click.option("--force", "-f", is_flag=True, help="Build every session again, even those whose inputs have not changed.")
@click.option("--quiet", "-q", is_flag=True, help="No progress; only failures and the last line.")
def batch_command(
    routines: tuple[str, ...], out: Path, spec: Path | None, lengths: tuple[str, ...], voices: tuple[str, ...], engines: tuple[str, ...],
    rates: tuple[int, ...], languages: tuple[str, ...], fmt: str, music_file: Path | None, bed: str | None, no_music: bool,
    music_level: float | None, cover: Path | None, sidecars: bool, player: bool, feed_url: str | None, feed_title: str | None,
    scheduler: str | None, cache: str | None, jobs: int | None, manifest: str, force: bool, quiet: bool,
) -> None:  # fmt: skip
    """Build every combination of ROUTINEs × --length × --voice × --engine × --rate × --language into --out.

    Each file's name says its variant (gentle-foot-unwind-5m-140wpm.mp3), and
    the manifest lists every file with its inputs and a content hash. A session
    whose inputs have not changed is skipped, so running the same command again
    does no work and an interrupted batch resumes. A variant that fails does not
    stop the others; failures are listed at the end, and the exit status is 1.

    \b
    Examples:
      voiceguide batch gentle-foot-unwind --length 12m --length 40m --out sessions/
      voiceguide batch a.yaml b.yaml --rate 140 --rate 170 --language en --language de --out season/
      voiceguide batch --spec season.yaml --out season/ --scheduler tcp://10.0.0.5:8786
    """
    from voiceguide.batch import Dressing, Matrix, Outcome, run_batch

    if sum(1 for given in (music_file, bed, no_music) if given) > 1:
        raise click.UsageError("use one of --music, --bed and --no-music")
    music: Path | str | None = music_file.resolve() if music_file else "none" if no_music else bed
    dressing = Dressing(music, music_level, cover.resolve() if cover else None, sidecars, player)
    feed = _feed(feed_url, feed_title, out, fmt)
    if not manifest.lower().endswith((".json", ".csv")) or "/" in manifest or manifest.startswith("."):
        raise click.BadParameter("write a file name ending in .json or .csv", param_hint="--manifest")
    if scheduler is not None and jobs is not None:
        raise click.UsageError("--jobs is for this machine; with --scheduler the cluster's workers decide")
    matrix = _matrix(Matrix(tuple(routines), tuple(parse_length(v) for v in lengths), voices, engines, rates, languages), spec)
    if not matrix.routines:
        raise click.UsageError("name at least one ROUTINE, or a --spec with routines:")
    progress = Progress(enabled=None if not quiet else False)

    def shown(outcome: Outcome, done: int, total: int) -> None:
        progress.done()
        if not quiet and outcome.status != "failed":
            terminal.echo(f"{outcome.status:<9} {outcome.path} — {format_clock(outcome.duration_s)}")
        progress.update(f"batch {done}/{total}", done, total)

    try:
        report = run_batch(
            matrix, out, fmt=fmt, force=force, scheduler=scheduler, workers=jobs, cache=cache, manifest=manifest, dressing=dressing,
            feed=feed, on_outcome=shown,
        )  # fmt: skip
    except KeyboardInterrupt:
        progress.done()
        terminal.error("interrupted; the sessions finished are in the manifest — run the same command again to go on")
        raise click.exceptions.Exit(130) from None
    finally:
        progress.done()
    if _summary(report):
        raise click.exceptions.Exit(1)


def _matrix(given: Matrix, spec: Path | None) -> Matrix:
    """The command line's matrix, its empty axes taken from the --spec file when one is given."""
    from voiceguide.batch import Matrix, read_spec

    if spec is None:
        return given
    base = read_spec(spec, registry.engine_names())
    return Matrix(
        given.routines or base.routines, given.lengths or base.lengths, given.voices or base.voices,
        given.engines or base.engines, given.rates or base.rates, given.languages or base.languages,
    )  # fmt: skip


def _summary(report: Report) -> int:
    """Print each failure and the last line; returns how many failed."""
    failed = [o for o in report.outcomes if o.status == "failed"]
    for outcome in failed:
        terminal.error(f"failed: {outcome.variant}: {outcome.error}")
    terminal.echo(
        f"{len(report.outcomes)} sessions: {report.count('built')} built, {report.count('unchanged')} unchanged, "
        f"{len(failed)} failed; {terminal.counted(report.synthesised, 'line')} synthesised, {report.cached} from the cache"
        f" — manifest {report.manifest}"
    )
    if report.feed is not None:
        terminal.echo(f"wrote {report.feed}")
    return len(failed)


def _feed(url: str | None, title: str | None, out: Path, fmt: str) -> FeedInfo | None:
    """The feed asked for with --feed, its URL and format checked before anything is built."""
    from voiceguide.batch import FeedInfo
    from voiceguide.errors import OutputError
    from voiceguide.export.feed import check_url

    if url is None:
        return None
    try:
        url = check_url(url, "URL")
    except OutputError as err:
        raise click.BadParameter(str(err), param_hint="--feed") from None
    if fmt not in registry.feed_formats():
        raise click.UsageError(
            f"a feed of {fmt} files is not something podcast apps play; use --format {' or '.join(registry.feed_formats())}"
        )
    return FeedInfo(title or out.resolve().name, url, fmt=fmt)
