"""validate, list and plan: commands about routines and their timelines."""

from __future__ import annotations

import click

from voiceguide import registry, terminal
from voiceguide.cli import cli
from voiceguide.cli.options import engine_option, length_option, rate_option, voice_option
from voiceguide.durations import format_clock
from voiceguide.errors import RoutineError
from voiceguide.export.artwork import cover_warning
from voiceguide.plan import chapters_problem, load_routine
from voiceguide.progress import Progress
from voiceguide.routine import builtin_routines, find_routine
from voiceguide.session import check_narration, prepare


@cli.command()
@click.argument("files", nargs=-1, required=True, metavar="FILE...")
@click.option(
    "--format", "formats", multiple=True, type=click.Choice(registry.format_names()),
    help=f"Check that the session fits this format's chapter table too (repeatable; default {registry.DEFAULT_FORMAT}).",
)  # fmt: skip
def validate(files: tuple[str, ...], formats: tuple[str, ...]) -> None:
    """Check routine files; print every problem as FILE:LINE:COL: what — how to fix.

    Exits 0 when all files are valid, 1 otherwise.
    """
    problems = 0
    for name in files:
        try:
            loaded = load_routine(find_routine(name))
            too_many = chapters_problem(loaded, formats or [registry.DEFAULT_FORMAT])
            found = [too_many] if too_many is not None else check_narration(loaded)
            warning = cover_warning(loaded)
        except RoutineError as err:
            found, warning = err.problems, None
        if warning is not None:  # told, but the routine is still valid
            terminal.echo(str(warning), err=True)
        problems += len(found)
        for problem in found:
            terminal.echo(str(problem), err=True)
    if problems:
        raise click.exceptions.Exit(1)
    terminal.echo(f"{terminal.counted(len(files), 'routine')} valid")


@cli.command("list")
def list_routines() -> None:
    """List the built-in routines with their language (use their name wherever a ROUTINE is asked for)."""
    for name, path in builtin_routines().items():
        try:
            loaded = load_routine(path)
            title, language = loaded.title, loaded.language
        except RoutineError:
            title, language = "(invalid)", "?"
        terminal.echo(f"{name:<28} {language:<5} {title}")


@cli.command()
@click.argument("routine", metavar="ROUTINE")
@click.option("--json", "as_json", is_flag=True, help="Print exactly one JSON object: title, language, duration_s, chapters, cues.")
@voice_option
@rate_option
@engine_option
@length_option
@click.option(
    "--format", "fmt", type=click.Choice(registry.format_names()), default=registry.DEFAULT_FORMAT, show_default=True,
    help="Refuse a session whose chapters this format's chapter table cannot hold, before anything is narrated.",
)  # fmt: skip
def plan(routine: str, as_json: bool, voice: str | None, rate: int | None, engine: str | None, length_s: float | None, fmt: str) -> None:
    """Show the session's timeline: when each line is said and each pause held.

    ROUTINE is a routine file or a built-in routine's name. Timings come from the
    real narrator (clips are cached, so the second run is fast). With --length (or
    the routine's length:), the values chosen to fit are shown first.
    """
    loaded = load_routine(find_routine(routine))
    too_many = chapters_problem(loaded, [fmt])
    if too_many is not None:
        raise RoutineError([too_many])
    session = prepare(loaded, voice=voice, rate=rate, engine=engine, progress=Progress(), length_s=length_s)
    for warning in session.fit.warnings() if session.fit else ():
        terminal.echo(f"warning: {warning}", err=True)
    p = session.plan
    if as_json:
        terminal.echo(terminal.json_text(session.to_json()))
        return
    terminal.echo(p.title)
    if session.fit:
        f = session.fit
        terminal.echo(
            f"fitted to {format_clock(f.target_s)}: every pause ×{f.factor:.2f} within its bounds (possible: {format_clock(f.shortest_s)} to {format_clock(f.longest_s)})"
        )
        parts = list(dict.fromkeys(c.part for c in f.changes))
        wide = max((len(part) for part in parts), default=0)
        for part in parts:
            terminal.echo(f"  {part:<{wide}}  {', '.join(str(c) for c in f.changes if c.part == part)}")
    wide = max(len(c.title) for c in p.chapters)  # whole names, in a column as wide as the longest
    for cue in p.cues:
        kind = cue.mark.role if cue.kind == "pause" and cue.mark and cue.mark.role else cue.kind  # a hold or a rest, not "pause"
        what = f'"{cue.text}"' if cue.text else f"{kind} {cue.end_s - cue.start_s:.1f}s"
        terminal.echo(f"{format_clock(cue.start_s):>9}  {p.chapters[cue.chapter].title:<{wide}}  {what}")
    terminal.echo(
        f"{format_clock(p.duration_s):>9}  end — total {format_clock(p.duration_s)}, {terminal.counted(len(p.chapters), 'chapter')}"
    )
