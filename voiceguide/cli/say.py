"""say: one line spoken into a WAV file, to hear a voice before a long build."""

from __future__ import annotations

from pathlib import Path

import click

from voiceguide import terminal
from voiceguide.cli import cli
from voiceguide.cli.options import engine_option, rate_option, voice_option
from voiceguide.errors import OutputError


@cli.command()
@click.argument("text")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path), help="The WAV file to write.")
@voice_option
@rate_option
@engine_option
@click.option("--force", "-f", is_flag=True, help="Replace the output file if it exists.")
def say(text: str, output: Path, voice: str | None, rate: int | None, engine: str | None, force: bool) -> None:
    """Speak TEXT with a voice into a WAV file (mono, 16-bit, the engine's own sample rate).

    The engine and voice default to yours ($VOICEGUIDE_ENGINE, $VOICEGUIDE_VOICE or the
    config file), else Kokoro where it is installed, else pyttsx3, speaking English. The clip is cached like a build's.

    \b
    Examples:
      voiceguide say "Press gently into the arch." --engine kokoro --voice af_heart -o heart.wav
      voiceguide say "Now switch to your left foot." --rate 130 -o slow.wav
    """
    from voiceguide.narration import wav
    from voiceguide.session import say as spoken

    if output.exists() and not force:
        raise OutputError(f"{output} already exists", hint="add --force to replace it, or choose another file with -o")
    clip, line, chosen = spoken(text, voice, rate, engine)
    samples, sample_rate = wav.read_mono16(clip.path)
    try:
        wav.write_mono16_atomic(output, samples, sample_rate)
    except OSError as err:
        raise OutputError(f"cannot write {output} ({err.strerror})", hint="choose another file with -o") from None
    terminal.echo(f"wrote {output} — {clip.duration_s:.1f} s, {chosen} voice {line.voice}")
