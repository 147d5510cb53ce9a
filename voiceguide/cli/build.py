"""build: the session as an audio file."""

from __future__ import annotations

from pathlib import Path

import click

from voiceguide import registry, terminal
from voiceguide.cli import cli
from voiceguide.cli.options import engine_option, length_option, rate_option, voice_option
from voiceguide.durations import format_clock
from voiceguide.progress import Progress
from voiceguide.render.settings import DEFAULT_TARGET_LUFS, Codec


@cli.command(name="build")
@click.argument("routine", metavar="ROUTINE")
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Output file or folder. Default: output/<routine name>.<format>.")
@click.option(
    "--music",
    "music_file",
    type=click.Path(path_type=Path),
    help="Music bed file (any format ffmpeg reads), a path from the current folder; looped, faded and ducked under the voice.",
)
@click.option(
    "--bed",
    type=click.Choice(registry.bed_names()),
    help="A generated music bed instead of the routine's music ('voiceguide music' lists them).",
)
@click.option("--no-music", is_flag=True, help="No music at all, whatever the routine says.")
@click.option(
    "--music-level",
    type=click.FloatRange(-60, 0),
    metavar="DB",
    help="Music loudness in pauses relative to the voice, in dB (default: the routine's, else -14).",
)
@voice_option
@rate_option
@engine_option
@length_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(registry.format_names()),
    help=f"Audio format (m4b: an audiobook with chapters). Default: from the output file's name (-o session.flac), else {Codec.fmt}.",
)
@click.option(
    "--bitrate",
    metavar="B",
    help=f"Bitrate of the lossy formats, e.g. 96k, 128k, 192k. Default: {registry.FORMATS['mp3'].bitrate}, Opus {registry.FORMATS['opus'].bitrate}.",
)
@click.option(
    "--mp3-quality",
    type=click.IntRange(0, 9),
    default=Codec.mp3_quality,
    show_default=True,
    metavar="Q",
    help="LAME quality search, 0 (slowest) to 9; 2–3 is LAME's own default at about 2.4× the encode time.",
)
@click.option(
    "--target-lufs",
    type=click.FloatRange(-40, -5),
    default=DEFAULT_TARGET_LUFS,
    show_default=True,
    metavar="L",
    help="Integrated loudness of the result (podcasts: -16; true peak stays at or below -1 dBTP).",
)
@click.option(
    "--sidecars",
    is_flag=True,
    help="Also write captions (.vtt, .srt), chapters (.chapters.json) and the plan (.plan.json) beside the audio.",
)
@click.option(
    "--player",
    is_flag=True,
    help="Also write a self-contained follow-along web page (.html) and the plan (.plan.json, for 'voiceguide play') beside the audio.",
)
@click.option("--force", "-f", is_flag=True, help="Replace the output file if it exists.")
@click.option("--quiet", "-q", is_flag=True, help="No progress and no final line.")
def build_command(
    routine: str, output: Path | None, music_file: Path | None, bed: str | None, no_music: bool, music_level: float | None, voice: str | None,
    rate: int | None, engine: str | None, fmt: str | None, bitrate: str | None, mp3_quality: int, target_lufs: float, sidecars: bool,
    player: bool, force: bool, quiet: bool, length_s: float | None,
) -> None:  # fmt: skip
    """Build ROUTINE (a file or a built-in name) into an audio session.

    Every line is narrated offline and placed at its planned time; pauses hold
    exactly as long as the routine says. The file is written beside its
    destination first and moved into place when complete, so an interrupted build
    never damages an existing file.

    \b
    Examples:
      voiceguide build gentle-foot-unwind
      voiceguide build my-routine.yaml -o session.mp3 --music calm.mp3
      voiceguide build my-routine.yaml --no-music --rate 130 --force
      voiceguide build gentle-foot-unwind --bed rain
      voiceguide build gentle-foot-unwind -o episodes/ --sidecars
      voiceguide build gentle-foot-unwind --player
      voiceguide build gentle-foot-unwind --length 20m
    """
    from voiceguide.build import ROUTINE_MUSIC, BuildOptions, build
    from voiceguide.export.artwork import cover_warning
    from voiceguide.render.beds import NONE

    if sum(1 for given in (music_file, bed, no_music) if given) > 1:
        raise click.UsageError("use one of --music, --bed and --no-music")
    if bitrate is not None and not _valid_bitrate(bitrate):
        raise click.BadParameter(f"'{bitrate}' is not a bitrate; write e.g. 128k", param_hint="--bitrate")
    music: Path | str = ROUTINE_MUSIC
    if no_music:
        music = NONE
    elif music_file is not None:
        music = music_file.resolve()
    elif bed is not None:
        music = bed
    options = BuildOptions(
        output=output, music=music, music_level_db=music_level, voice=voice, rate=rate, engine=engine,
        fmt=fmt, bitrate=bitrate, mp3_quality=mp3_quality, target_lufs=target_lufs, force=force, sidecars=sidecars, player=player,
        length_s=length_s,
    )  # fmt: skip
    result = build(routine, options, Progress(enabled=None if not quiet else False))
    if not quiet:
        s = result.session
        terminal.echo(
            f"wrote {result.path} — {format_clock(result.plan.duration_s)} long, {terminal.counted(len(result.plan.chapters), 'chapter')}, "
            f"{result.loudness_lufs:.1f} LUFS ({terminal.counted(s.synthesised, 'line')} synthesised, {s.cached} from cache)"
            + (f", fitted: every pause ×{s.fit.factor:.2f}" if s.fit else "")
        )
        for path in result.side_files:
            terminal.echo(f"wrote {path}")
    for warning in result.session.fit.warnings() if result.session.fit else ():
        terminal.echo(f"warning: {warning}", err=True)
    cover = cover_warning(result.session.routine)
    if cover is not None:
        terminal.echo(str(cover), err=True)


def _valid_bitrate(value: str) -> bool:
    digits = value[:-1] if value.lower().endswith("k") else value
    # ASCII digits only: str.isdigit() is also true of ¹²⁸ (which int() refuses) and of ١٢٨ (which ffmpeg refuses)
    return digits.isascii() and digits.isdigit() and 8 <= int(digits) * (1 if value.lower().endswith("k") else 0.001) <= 320
