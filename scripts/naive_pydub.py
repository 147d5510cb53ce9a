"""A guided session made the way most pydub scripts make one: the reference scripts/bench compares with.

Not part of voiceguide. Spoken clips and pauses are appended one by one with ``+=``
(each append copies everything so far), the music is laid under the whole session
with ``overlay(..., loop=True)`` at a fixed level, and pydub exports the result through
ffmpeg. Run it on the same length, clips and music as the build it is compared with,
and with the same ffmpeg (``--ffmpeg``) and LAME quality (``--quality``).

usage: naive_pydub.py --clip A.wav [--clip B.wav ...] --minutes M --music BED.wav -o OUT.mp3
                      [--pause 5] [--music-db -18] [--bitrate 128k] [--quality Q] [--ffmpeg PATH]
"""

from __future__ import annotations

import argparse
import itertools
import shutil
import sys

from pydub import AudioSegment


def session(clips: list[AudioSegment], minutes: float, pause_ms: int) -> AudioSegment:
    """Clips in turn, each followed by a pause, until the session is ``minutes`` long."""
    out = AudioSegment.silent(duration=0, frame_rate=clips[0].frame_rate)
    goal_ms = minutes * 60_000
    for clip in itertools.cycle(clips):
        if len(out) >= goal_ms:
            return out
        out += clip
        out += AudioSegment.silent(duration=pause_ms, frame_rate=clip.frame_rate)
    raise AssertionError("unreachable")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clip", action="append", required=True, help="a spoken clip (WAV); give several")
    parser.add_argument("--minutes", type=float, required=True)
    parser.add_argument("--music", required=True, help="music to loop under the session (WAV)")
    parser.add_argument("-o", "--output", required=True)
    parser.add_argument("--pause", type=float, default=5.0, help="seconds after each clip")
    parser.add_argument("--music-db", type=float, default=-18.0)
    parser.add_argument("--bitrate", default="128k")
    parser.add_argument("--quality", type=int, help="LAME -q (ffmpeg -compression_level); default: ffmpeg's (LAME's 3)")
    parser.add_argument("--ffmpeg", help="ffmpeg to export with (default: the one on PATH)")
    args = parser.parse_args()

    converter = args.ffmpeg or shutil.which("ffmpeg")
    if not converter:
        sys.exit("naive_pydub: no ffmpeg — give --ffmpeg")
    AudioSegment.converter = converter
    clips = [AudioSegment.from_wav(path) for path in args.clip]
    voice = session(clips, args.minutes, round(args.pause * 1000)).set_frame_rate(44100).set_channels(2)
    music = AudioSegment.from_wav(args.music) + args.music_db
    mixed = voice.overlay(music, loop=True)
    extra = [] if args.quality is None else ["-compression_level", str(args.quality)]
    mixed.export(args.output, format="mp3", bitrate=args.bitrate, parameters=extra).close()


if __name__ == "__main__":
    main()
