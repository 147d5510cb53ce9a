"""play: follow a session in the terminal while it plays."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from voiceguide import terminal
from voiceguide.cli import cli
from voiceguide.durations import format_clock


@cli.command(name="play")
@click.argument("target", metavar="ROUTINE|FILE")
@click.option(
    "--no-audio", is_flag=True, help="No sound: the same clock and display, for following along or where there is no sound device."
)
@click.option(
    "--resume/--start-over", default=None, help="Start where you last stopped in this file, or from the beginning (default: ask)."
)
@click.option(
    "--events",
    "events_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write what happens to FILE as JSON lines: t, event (start, speech, wait, chapter, pause, resume, end), position_s.",
)
def play_command(target: str, no_audio: bool, resume: bool | None, events_path: Path | None) -> None:
    """Play a session and show where you are: the technique, the words being said,
    the repetition and side, the time left in a hold, and what comes next.

    FILE is a built session (its .plan.json side file gives the full display; without
    it, chapters only). A ROUTINE (file or built-in name) is built first when there is
    no up-to-date build of it in output/.

    \b
    Keys: space pause/resume · → or n next chapter · ← or p back to the start of
          the chapter (again: the chapter before) · q quit (the place is remembered)

    \b
    Examples:
      voiceguide play gentle-foot-unwind
      voiceguide play output/gentle-foot-unwind.mp3 --no-audio
    """
    from voiceguide.player.audio import Output, Silent, Speaker
    from voiceguide.player.events import EventLog
    from voiceguide.player.loop import Player, Resume
    from voiceguide.player.positions import Positions
    from voiceguide.player.screen import Keys
    from voiceguide.player.source import is_audio, open_audio

    audio = Path(target) if is_audio(target) else _routine_audio(target)
    playable = open_audio(audio)
    output: Output = Silent() if no_audio else Speaker(audio)
    keys = Keys(sys.stdin) if sys.stdin.isatty() else None
    choice: Resume = "ask" if resume is None else "yes" if resume else "no"
    with EventLog(events_path) as events:
        outcome = Player(playable, output, sys.stdout, keys, Positions.default(), events).run(choice)
    if outcome.finished:
        terminal.echo(f"played {audio} to the end ({format_clock(playable.track.duration_s)})")
    else:
        terminal.echo(f"stopped at {format_clock(outcome.position_s)} in {audio} — play it again to resume there")
    if outcome.interrupted:
        raise click.exceptions.Exit(130)


def _routine_audio(argument: str) -> Path:
    """The routine's default build, built first (with its side files) unless an up-to-date one exists."""
    from voiceguide.build import BuildOptions, build
    from voiceguide.plan import load_routine
    from voiceguide.player.source import built_audio, up_to_date
    from voiceguide.progress import Progress
    from voiceguide.routine import find_routine

    routine = load_routine(find_routine(argument))
    audio = built_audio(routine)
    if up_to_date(routine, audio):
        return audio
    terminal.echo(f"building {audio} first", err=True)
    result = build(routine.source, BuildOptions(force=True, sidecars=True), Progress())
    return result.path
