"""listen: what the command detector hears in a recording, and calibrating it to a voice and a room."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from voiceguide import terminal
from voiceguide.cli import cli

if TYPE_CHECKING:
    from voiceguide.listen.calibration import Attempt
    from voiceguide.listen.detector import Thresholds
    from voiceguide.listen.gate import Gate
    from voiceguide.listen.recognise import Recogniser


@cli.command(name="listen")
@click.option("--mic", "mic", type=click.Path(path_type=Path, dir_okay=False), help="A recording of the microphone (WAV, FLAC, MP3, Ogg).")
@click.option(
    "--session",
    type=click.Path(path_type=Path, dir_okay=False),
    help="The built session the recording was made over: its own speech is not listened to.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the commands as one JSON list.")
@click.option(
    "--calibrate", is_flag=True, help="Say each command once (into the microphone, or in order in --mic) and store your thresholds."
)
def listen_command(mic: Path | None, session: Path | None, as_json: bool, calibrate: bool) -> None:
    """Run the spoken-command detector over a recording as fast as it can and print
    each command it heard, with the second it was decided and the model's score.

    With --session, the recording is taken to start with the session: the session's
    own speech (and a short tail) is not listened to, as when playing with --listen.

    \b
    Commands: pause / stop · continue / resume / go on · again / repeat · next · back · louder · softer

    \b
    Examples:
      voiceguide listen --mic room.wav --session output/gentle-foot-unwind.mp3
      voiceguide listen --calibrate
    """
    from voiceguide.listen.recognise import Recogniser

    if calibrate:
        _calibrate(Recogniser(), mic)
        return
    if mic is None:
        raise click.UsageError("give --mic FILE.wav (a recording of the microphone), or --calibrate")
    from voiceguide.listen.detector import Detector, detect_file
    from voiceguide.listen.microphone import read_recording

    samples = read_recording(mic)
    gate = _session_gate(session) if session is not None else None
    found = detect_file(Detector(Recogniser(), stored_thresholds()), samples, gate)
    if as_json:
        click.echo(json.dumps([c.to_json() for c in found]))
        return
    for command in found:
        click.echo(f"{command.t:8.2f} s  {command.command:<9} score {command.score:.2f}")
    terminal.echo(f"{len(found)} command{'' if len(found) == 1 else 's'} in {len(samples) / 16000:.1f} s of {mic}", err=True)


def _session_gate(session: Path) -> Gate:
    from voiceguide.listen.gate import Gate
    from voiceguide.player.source import open_audio

    playable = open_audio(session)
    if not playable.full:
        terminal.echo(f"{session} has no plan side file: nothing of it is gated", err=True)
    return Gate.around((i.start_s, i.end_s) for i in playable.track.items if i.kind != "pause")


def calibration_file() -> Path:
    from voiceguide.listen.calibration import FILE_NAME
    from voiceguide.user_defaults import config_path

    return config_path().parent / FILE_NAME


def stored_thresholds() -> Thresholds:
    from voiceguide.listen.calibration import load

    return load(calibration_file())


def _calibrate(recogniser: Recogniser, mic: Path | None) -> None:
    from voiceguide.listen.calibration import as_toml, attempts_in, load, thresholds_from
    from voiceguide.listen.microphone import read_recording
    from voiceguide.listen.phrases import COMMANDS
    from voiceguide.output import write_text_atomic

    path = calibration_file()
    attempts = attempts_in(recogniser, read_recording(mic)) if mic is not None else _ask_each(recogniser, COMMANDS)
    thresholds, lines = thresholds_from(attempts, load(path))
    for line in lines:
        click.echo(line)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, as_toml(thresholds))
    terminal.echo(f"wrote {path}", err=True)


def _ask_each(recogniser: Recogniser, commands: tuple[str, ...]) -> list[Attempt]:
    """Ask for each command in turn on the default microphone (three seconds each)."""
    from voiceguide.listen.calibration import attempts_in
    from voiceguide.listen.microphone import Device

    device = Device()
    attempts: list[Attempt] = []
    try:
        for command in commands:
            click.echo(f"say “{command}” now …")
            attempts += attempts_in(recogniser, device.record(3.0), (command,))
    finally:
        device.close()
    return attempts
