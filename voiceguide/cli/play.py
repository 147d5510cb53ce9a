"""play: follow a session in the terminal while it plays."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from voiceguide import terminal
from voiceguide.cli import cli
from voiceguide.durations import format_clock

if TYPE_CHECKING:
    from voiceguide.plan import Event
    from voiceguide.player.events import EventLog
    from voiceguide.player.hands_free import Listening
    from voiceguide.player.loop import Outcome, Resume
    from voiceguide.player.screen import Keys
    from voiceguide.routine import Routine


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
    help="Write what happens to FILE as JSON lines: t, event (start, speech, wait, chapter, pause, resume, end; command with --listen), position_s.",
)
@click.option(
    "--listen",
    "listen",
    is_flag=True,
    help="Act on spoken commands (pause, continue, again, next, back, louder, softer); needs the listen extra.",
)
@click.option(
    "--mic", type=click.Path(path_type=Path, dir_okay=False), help="With --listen: read the microphone from this recording, in real time."
)
def play_command(target: str, no_audio: bool, resume: bool | None, events_path: Path | None, listen: bool, mic: Path | None) -> None:
    """Play a session and show where you are: the technique, the words being said,
    the repetition and side, the time left in a hold, and what comes next.

    FILE is a built session (its .plan.json side file gives the full display; without
    it, chapters only). A ROUTINE (file or built-in name) plays its up-to-date build in
    output/ if there is one; otherwise it starts speaking at once while the narrator
    works ahead (waiting at the start of a line if it falls behind), with the build's
    mix, and every line lands in the clip cache for a later build.

    \b
    Keys: space pause/resume · → or n next chapter · ← or p back to the start of
          the chapter (again: the chapter before) · q quit (the place is remembered)

    \b
    Spoken, with --listen: pause / stop · continue / resume / go on · again / repeat
          (the start of this repetition or step) · next · back · louder · softer

    \b
    Examples:
      voiceguide play gentle-foot-unwind
      voiceguide play gentle-foot-unwind --listen
      voiceguide play output/gentle-foot-unwind.mp3 --no-audio
    """
    from voiceguide.plan import load_routine
    from voiceguide.player.source import is_audio
    from voiceguide.routine import find_routine

    routine = None if is_audio(target) else load_routine(find_routine(target))
    audio = Path(target) if routine is None else _routine_audio(routine)
    narrating = _narrating(routine) if routine is not None and audio is None else None  # first: its narrator loads meanwhile

    from voiceguide.player.audio import Output, Silent, Speaker
    from voiceguide.player.events import EventLog
    from voiceguide.player.loop import Player
    from voiceguide.player.positions import Positions
    from voiceguide.player.screen import Keys
    from voiceguide.player.source import open_audio

    keys = Keys(sys.stdin) if sys.stdin.isatty() else None
    choice: Resume = "ask" if resume is None else "yes" if resume else "no"
    listening = _listening(mic) if listen or mic is not None else None
    with EventLog(events_path) as events:
        if routine is not None and narrating is not None:
            outcome = _play_ahead(routine, narrating, no_audio, keys, choice, events, listening)
        else:
            assert audio is not None
            output: Output = Silent() if no_audio else Speaker(audio)
            outcome = Player(open_audio(audio), output, sys.stdout, keys, Positions.default(), events, listening=listening).run(choice)
    name = str(audio) if audio is not None else routine.source.name if routine is not None else target
    if outcome.finished:
        terminal.echo(f"played {name} to the end ({format_clock(outcome.position_s)})")
    else:
        terminal.echo(f"stopped at {format_clock(outcome.position_s)} in {name} — play it again to resume there")
    if outcome.interrupted:
        raise click.exceptions.Exit(130)


def _listening(mic: Path | None) -> Listening | None:
    """The detector on the microphone (or ``mic``), with this person's calibration; None, said in one line, when it cannot listen."""
    from voiceguide.cli.listen import stored_thresholds
    from voiceguide.player.hands_free import open_listening

    return open_listening(mic, stored_thresholds(), lambda line: terminal.echo(line, err=True))


def _narrating(routine: Routine) -> tuple[list[Event], str]:
    """The routine's events and engine, its first line's narrator started (loading its model while the player gets ready)."""
    from voiceguide.errors import RoutineError
    from voiceguide.narration import start_early
    from voiceguide.plan import script, utterances
    from voiceguide.registry import DEFAULT_ENGINE
    from voiceguide.session import check_narration, narrator_settings

    problems = check_narration(routine)  # an engine not installed says so here, before any sound device is needed
    if problems:
        raise RoutineError(problems)
    overrides, defaults = narrator_settings(routine, None, None, None)
    events, engine = script(routine, overrides, defaults), defaults.engine or DEFAULT_ENGINE
    lines = utterances(events)
    if lines:
        start_early(lines[0], engine)
    return events, engine


def _play_ahead(
    routine: Routine, narrating: tuple[list[Event], str], no_audio: bool, keys: Keys | None, choice: Resume, events: EventLog,
    listening: Listening | None,
) -> Outcome:  # fmt: skip
    """Play the routine while it is narrated: speaking starts with its first line, every clip goes to the cache."""
    import tempfile

    from voiceguide.build import BuildOptions, music_choice
    from voiceguide.player.ahead import Ahead, feed
    from voiceguide.player.audio import Output, Silent, StreamSpeaker
    from voiceguide.player.loop import Player
    from voiceguide.player.positions import Positions
    from voiceguide.player.source import Playable
    from voiceguide.render import CHANNELS, SAMPLE_RATE
    from voiceguide.render.beds import MusicBed
    from voiceguide.render.settings import DEFAULT_TARGET_LUFS, MixSettings

    mix = MixSettings(routine.music.level_db, DEFAULT_TARGET_LUFS, routine.music.chime_level_db)
    bed = None if no_audio else MusicBed(music_choice(routine, BuildOptions()), Path(tempfile.gettempdir()))
    ahead = Ahead(routine, narrating[0], narrating[1], mix, bed)
    output: Output = Silent() if no_audio else StreamSpeaker(lambda at: feed(ahead, at), CHANNELS, SAMPLE_RATE)
    try:
        ahead.start()
        playable = Playable(routine.source, ahead.track(), True)
        return Player(playable, output, sys.stdout, keys, Positions.default(), events, ahead, listening).run(choice)
    finally:
        ahead.stop()


def _routine_audio(routine: Routine) -> Path | None:
    """The routine's default build when it is up to date; a routine fitted to a length is built first
    (its timing needs every line); otherwise None: it is played while it is narrated."""
    from voiceguide.player.source import built_audio, up_to_date

    audio = built_audio(routine)
    if up_to_date(routine, audio):
        return audio
    if routine.length_s is None:
        return None
    from voiceguide.build import BuildOptions, build
    from voiceguide.progress import Progress

    terminal.echo(f"building {audio} first", err=True)
    result = build(routine.source, BuildOptions(force=True, sidecars=True), Progress())
    return result.path
