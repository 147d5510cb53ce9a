"""validate, list and plan: commands about routines and their timelines."""

from __future__ import annotations

import click

from voiceguide import terminal
from voiceguide.cli import cli
from voiceguide.cli.options import engine_option, length_option, rate_option, voice_option
from voiceguide.durations import format_clock
from voiceguide.errors import RoutineError
from voiceguide.plan import load_routine
from voiceguide.progress import Progress
from voiceguide.routine import builtin_routines, find_routine
from voiceguide.session import check_narration, prepare


@cli.command()
@click.argument("files", nargs=-1, required=True, metavar="FILE...")
def validate(files: tuple[str, ...]) -> None:
    """Check routine files; print every problem as FILE:LINE:COL: what — how to fix.

    Exits 0 when all files are valid, 1 otherwise.
    """
    problems = 0
    for name in files:
        try:
            found = check_narration(load_routine(find_routine(name)))
        except RoutineError as err:
            found = err.problems
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
def plan(routine: str, as_json: bool, voice: str | None, rate: int | None, engine: str | None, length_s: float | None) -> None:
    """Show the session's timeline: when each line is said and each pause held.

    ROUTINE is a routine file or a built-in routine's name. Timings come from the
    real narrator (clips are cached, so the second run is fast). With --length (or
    the routine's length:), the values chosen to fit are shown first.
    """
    session = prepare(routine, voice=voice, rate=rate, engine=engine, progress=Progress(), length_s=length_s)
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
        for part in dict.fromkeys(c.part for c in f.changes):
            terminal.echo(f"  {part[:28]:<28}  {', '.join(str(c) for c in f.changes if c.part == part)}")
    for cue in p.cues:
        what = f'"{cue.text}"' if cue.text else f"{cue.kind} {cue.end_s - cue.start_s:.1f}s"
        chapter = p.chapters[cue.chapter].title
        terminal.echo(f"{format_clock(cue.start_s):>9}  {chapter[:22]:<22}  {what}")
    terminal.echo(
        f"{format_clock(p.duration_s):>9}  end — total {format_clock(p.duration_s)}, {terminal.counted(len(p.chapters), 'chapter')}"
    )
