"""Music files of every kind: what is not a local audio file is refused early, in one line.

Two lines of defence are checked separately. ``check_music_file`` refuses missing files,
folders, pipes, devices, huge files and text (playlists, manifests, web pages) before any
line is narrated. Whatever gets past it, ffmpeg reads with ``ffmpeg.SAFE_INPUT``: the
local file protocol only and audio demuxers only, so a playlist or manifest in disguise
cannot make it open other files. The control experiments show the attacks are real:
without the whitelists this ffmpeg does open the file a manifest names.
"""

from __future__ import annotations

import contextlib
import errno
import os
import random
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from installed import VOICEGUIDE, engine_in_tests

from voiceguide import ffmpeg, narration
from voiceguide.build import BuildOptions, build
from voiceguide.errors import MusicError, RenderError, ResourceError, RoutineError
from voiceguide.output import TEMP_MARK
from voiceguide.plan import load_routine
from voiceguide.render import music as music_mod
from voiceguide.render.music import MAX_MUSIC_BYTES, check_music_file, decode_music

ROUTINE = "title: Music test\nintro:\n  - Welcome.\ntechniques:\n  - name: Toe press\n    steps: [Press your toes.]\noutro:\n  - Done.\n"


# ------------------------------------------------------------------------------ helpers


def make_audio(path: Path, seconds: float = 3.0, *codec: str, source: str = "sine=frequency=440") -> Path:
    """A generated test tone in the format ``path``'s suffix names (or as ``codec`` says)."""
    done = subprocess.run(
        [ffmpeg.ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", f"{source}:duration={seconds}",
         *codec, "-y", str(path)],
        capture_output=True, timeout=120, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        pytest.skip(f"this ffmpeg cannot write {path.name}: {ffmpeg.last_words(done.stderr)}")
    return path


@contextlib.contextmanager
def watched_fifo(path: Path) -> Iterator[threading.Event]:
    """A FIFO nobody writes; the event is set if anyone opens it for reading (then it is released with end-of-file)."""
    os.mkfifo(path)
    opened = threading.Event()
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            try:
                fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)  # succeeds only while a reader has it open
            except OSError as err:
                if err.errno != errno.ENXIO:
                    raise
                time.sleep(0.002)
                continue
            opened.set()
            os.close(fd)
            return

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        yield opened
    finally:
        stop.set()
        watcher.join(5)


def manifest(kind: str, segment: Path) -> bytes:
    """A playlist or manifest that makes ffmpeg read ``segment`` when it follows it."""
    mpd = (
        '<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" profiles="urn:mpeg:dash:profile:isoff-on-demand:2011" type="static" '
        'mediaPresentationDuration="PT10S" minBufferTime="PT1S"><Period><AdaptationSet mimeType="audio/mp4">'
        f'<Representation id="a" bandwidth="128000" codecs="mp4a.40.2"><BaseURL>{segment}</BaseURL></Representation>'
        "</AdaptationSet></Period></MPD>\n"
    )
    if kind == "hls":
        return f"#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\n{segment}\n#EXT-X-ENDLIST\n".encode()
    if kind == "ffconcat-after-id3":  # ffmpeg's prober skips an ID3 tag: this probes as a concat script
        return b"ID3\x03\x00\x00\x00\x00\x00\x40" + bytes(64) + f"ffconcat version 1.0\nfile '{segment}'\n".encode()
    if kind == "dash-private-use-comment":  # no ASCII text in the first 4 KB: a naive text sniffer calls it binary
        return ("<!-- " + "\ue000" * 1500 + " -->\n" + mpd).encode()
    if kind == "dash-c1-comment":
        return ("<!-- " + "\u0085\u0086" * 1500 + " -->\n" + mpd).encode()
    if kind == "dash-latin1":
        return b'<?xml version="1.0" encoding="ISO-8859-1"?>\n<!-- ' + b"\xe9" * 4000 + b" -->\n" + mpd.encode()
    raise ValueError(kind)


def run_ffmpeg_on(path: Path, *input_options: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [ffmpeg.ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "error", *input_options, "-i", str(path), "-f", "null", "-"],
        capture_output=True, timeout=60, check=False,
    )  # fmt: skip


def demuxers() -> str:
    return subprocess.run(
        [ffmpeg.ffmpeg_exe(), "-hide_banner", "-demuxers"], capture_output=True, text=True, timeout=60, check=False
    ).stdout


def no_temp_files(folder: Path) -> bool:
    return not [p for p in folder.iterdir() if TEMP_MARK in p.name]


# ------------------------------------------------------------------------------ fixtures


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "cache"
    monkeypatch.setenv("VOICEGUIDE_CACHE", str(root))
    return root


@pytest.fixture
def spy_narrator(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[], list[Path]]:
    """An engine that records its pid when asked to speak (and then hangs 3 s): calls show up as pid files."""
    folder = tmp_path / "narrator-calls"
    folder.mkdir()
    monkeypatch.setenv("VOICEGUIDE_TEST_PID_DIR", str(folder))
    monkeypatch.setattr(narration, "BASE_TIMEOUT_S", 3.0)
    return lambda: sorted(folder.iterdir())


@pytest.fixture
def routine(tmp_path: Path) -> Path:
    path = tmp_path / "routine.yaml"
    path.write_text(ROUTINE)
    return path


# --------------------------------------------------------- refused before anything is narrated


def _hostile(kind: str, folder: Path) -> Path:
    path = folder / "music.mp3"
    if kind == "missing":
        return folder / "nowhere.mp3"
    if kind == "folder":
        path.mkdir()
    elif kind == "url-made-into-a-path":
        return folder / "https:" / "example.com" / "calm.mp3"  # what Path("https://example.com/calm.mp3").resolve() becomes
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "text":
        path.write_text("These are the lyrics, not the song.\n" * 20)
    elif kind == "hls-renamed":
        path.write_bytes(manifest("hls", folder / "seg.aac"))
    elif kind == "hls-with-bom":
        path.write_bytes(b"\xef\xbb\xbf\r\n" + manifest("hls", folder / "seg.aac"))
    elif kind == "ffconcat-renamed":
        path.write_text(f"ffconcat version 1.0\nfile '{folder / 'other.mp3'}'\n")
    elif kind.startswith("dash"):
        path.write_bytes(manifest(kind, folder / "seg.m4a"))
    elif kind == "html-page":
        path.write_text("<!DOCTYPE html><html><body>Download calm.mp3</body></html>\n")
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "symlink-to-fifo":
        os.mkfifo(folder / "pipe")
        path.symlink_to(folder / "pipe")
    elif kind == "device":
        path.symlink_to("/dev/zero")
    elif kind == "symlink-to-passwd":
        path.symlink_to("/etc/passwd")
    elif kind == "symlink-loop":
        path.symlink_to(folder / "other.mp3")
        (folder / "other.mp3").symlink_to(path)
    elif kind == "over-2-gib":
        with path.open("wb") as handle:
            handle.truncate(MAX_MUSIC_BYTES + 1)  # sparse: the size is all there is
    else:
        raise ValueError(kind)
    return path


REFUSED_EARLY = [
    ("missing", "does not exist"),
    ("folder", "is a folder"),
    ("url-made-into-a-path", "looks like a web address"),
    ("empty", "is empty"),
    ("text", "text or playlist"),
    ("hls-renamed", "text or playlist"),
    ("hls-with-bom", "text or playlist"),
    ("ffconcat-renamed", "text or playlist"),
    ("dash-private-use-comment", "text or playlist"),
    ("dash-c1-comment", "text or playlist"),
    ("dash-latin1", "text or playlist"),
    ("html-page", "text or playlist"),
    ("fifo", "not a regular file"),
    ("symlink-to-fifo", "not a regular file"),
    ("device", "not a regular file"),
    ("symlink-to-passwd", "text or playlist"),
    ("symlink-loop", "cannot be used"),
    ("over-2-gib", "more than the 2 GiB limit"),
]


@pytest.mark.parametrize(("kind", "words"), REFUSED_EARLY, ids=[k for k, _ in REFUSED_EARLY])
def test_refused_before_any_line_is_narrated(
    kind: str, words: str, tmp_path: Path, routine: Path, cache: Path, spy_narrator: Callable[[], list[Path]]
) -> None:
    music = _hostile(kind, tmp_path)
    out = tmp_path / "out" / "session.mp3"
    start = time.monotonic()
    with pytest.raises(MusicError) as caught:
        build(routine, BuildOptions(output=out, music=music, engine=engine_in_tests("fake_engines", "HangingEngine")))
    assert time.monotonic() - start < 10
    message = str(caught.value)
    assert words in message and "\n" not in message and message.startswith("music '")
    assert spy_narrator() == [], "the narrator was asked to speak"
    assert not (cache / "clips").exists()
    assert not out.exists() and no_temp_files(out.parent)


CLI_CASES = [
    ("missing", "does not exist"),
    ("text", "text or playlist"),
    ("hls-renamed", "text or playlist"),
    ("fifo", "not a regular file"),
    ("over-2-gib", "2 GiB"),
    ("folder", "is a folder"),
]


@pytest.mark.slow  # runs the command line for each case
@pytest.mark.parametrize(("kind", "words"), CLI_CASES)
def test_cli_refuses_with_one_line_and_narrates_nothing(kind: str, words: str, tmp_path: Path, routine: Path) -> None:
    music = _hostile(kind, tmp_path)
    cache = tmp_path / "cli-cache"
    done = subprocess.run(
        [*VOICEGUIDE, "build", str(routine), "-o", str(tmp_path / "out.mp3"), "--music", str(music)],
        capture_output=True, text=True, timeout=120, env={**os.environ, "VOICEGUIDE_CACHE": str(cache)}, cwd=tmp_path, check=False,
    )  # fmt: skip
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("voiceguide: music '") and words in lines[0], done.stderr
    assert done.returncode == 1
    assert not (cache / "clips").exists(), "lines were narrated before the music was refused"


def test_cli_music_given_as_a_url(tmp_path: Path, routine: Path) -> None:
    done = subprocess.run(
        [*VOICEGUIDE, "build", str(routine), "-o", str(tmp_path / "out.mp3"), "--music", "https://example.com/calm.mp3"],
        capture_output=True, text=True, timeout=120, env={**os.environ, "VOICEGUIDE_CACHE": str(tmp_path / "cache")}, cwd=tmp_path, check=False,
    )  # fmt: skip
    assert done.returncode == 1
    assert len(done.stderr.splitlines()) == 1 and "looks like a web address" in done.stderr


ROUTINE_MUSIC = [
    ("folder", "is a folder"),
    ("missing", "does not exist"),
    ("fifo", "named pipe"),
    ("device", "is a device"),
]


@pytest.mark.parametrize(("kind", "words"), ROUTINE_MUSIC, ids=[k for k, _ in ROUTINE_MUSIC])
def test_routine_music_that_is_not_a_file_is_a_located_problem(kind: str, words: str, tmp_path: Path) -> None:
    music = _hostile(kind, tmp_path)
    path = tmp_path / "routine.yaml"
    path.write_text(f"title: T\nmusic: {{file: '{music.name}'}}\ntechniques:\n  - name: A\n")
    with pytest.raises(RoutineError) as caught:
        load_routine(path)
    (problem,) = caught.value.problems
    assert problem.line == 2 and words in problem.message


def test_routine_music_that_is_text_is_refused_before_narration(
    tmp_path: Path, cache: Path, spy_narrator: Callable[[], list[Path]]
) -> None:
    _hostile("hls-renamed", tmp_path)
    path = tmp_path / "routine.yaml"
    path.write_text(ROUTINE.replace("intro:", "music: {file: music.mp3}\nintro:"))
    with pytest.raises(MusicError, match="text or playlist"):
        build(path, BuildOptions(output=tmp_path / "out.mp3", engine=engine_in_tests("fake_engines", "HangingEngine")))
    assert spy_narrator() == [] and not (cache / "clips").exists()


# ------------------------------------------------------- what ffmpeg may read: the whitelists


FOLLOWED = ["dash-private-use-comment", "dash-c1-comment", "dash-latin1", "hls-m3u8"]


def _followed(kind: str, folder: Path) -> tuple[Path, Path]:
    """A manifest and the segment (to become a FIFO) it names."""
    if kind == "hls-m3u8":  # this ffmpeg detects HLS only with an .m3u8 name, and follows only media-named segments
        segment = folder / "seg.aac"
        path = folder / "music.m3u8"
        path.write_bytes(manifest("hls", segment))
    else:
        segment = folder / "seg.m4a"
        path = folder / "music.mp3"
        path.write_bytes(manifest(kind, segment))
    return path, segment


@pytest.mark.parametrize("kind", FOLLOWED)
def test_control_without_whitelists_ffmpeg_opens_what_a_manifest_names(kind: str, tmp_path: Path) -> None:
    """The attack is real: plain ffmpeg, even kept to local files, reads the file the manifest names."""
    if ("dash" in kind and " dash " not in demuxers()) or ("hls" in kind and " hls " not in demuxers()):
        pytest.skip("this ffmpeg has no such demuxer")
    path, segment = _followed(kind, tmp_path)
    with watched_fifo(segment) as opened:
        run_ffmpeg_on(path, "-protocol_whitelist", "file,pipe")
    assert opened.is_set(), "control experiment: ffmpeg did not follow the manifest (the safe test below proves nothing)"


@pytest.mark.parametrize("kind", [*FOLLOWED, "ffconcat-after-id3"])
def test_safe_input_never_opens_what_a_manifest_names(kind: str, tmp_path: Path) -> None:
    if kind == "ffconcat-after-id3":
        segment = tmp_path / "other.mp3"
        path = tmp_path / "music.mp3"
        path.write_bytes(manifest(kind, segment))
    else:
        path, segment = _followed(kind, tmp_path)
    with watched_fifo(segment) as opened:
        done = run_ffmpeg_on(path, *ffmpeg.SAFE_INPUT)
    assert not opened.is_set(), "ffmpeg opened the file the manifest names"
    assert done.returncode != 0


@pytest.mark.parametrize("kind", ["dash-private-use-comment", "dash-latin1", "ffconcat-after-id3", "hls-m3u8"])
def test_decoding_a_manifest_that_passed_the_sniffer_fails_cleanly(kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Even if the text sniffer were fooled, decode_music refuses in one line and reads no other file."""
    monkeypatch.setattr(music_mod, "check_music_file", lambda path: None)
    if kind == "ffconcat-after-id3":
        segment = tmp_path / "other.mp3"
        path = tmp_path / "music.mp3"
        path.write_bytes(manifest(kind, segment))
    else:
        path, segment = _followed(kind, tmp_path)
    with watched_fifo(segment) as opened, pytest.raises(MusicError) as caught:
        decode_music(path, tmp_path)
    assert not opened.is_set()
    assert "\n" not in str(caught.value)
    if kind in ("ffconcat-after-id3", "dash-private-use-comment", "dash-latin1"):
        assert "not plain audio" in str(caught.value)  # named as a refused format, not as a broken file
    assert no_temp_files(tmp_path) and not list(tmp_path.glob(".voiceguide-music-*"))


def test_id3_prefixed_playlist_passes_the_sniffer_but_not_ffmpeg(tmp_path: Path) -> None:
    """A binary-looking prefix (an ID3 tag, which ffmpeg's prober skips) gets past the sniffer; the whitelist stops it."""
    path = tmp_path / "music.mp3"
    path.write_bytes(manifest("ffconcat-after-id3", tmp_path / "other.mp3"))
    check_music_file(path)  # looks like an MP3 with a tag
    with watched_fifo(tmp_path / "other.mp3") as opened, pytest.raises(MusicError, match="not plain audio"):
        decode_music(path, tmp_path)
    assert not opened.is_set()


def test_every_ffmpeg_input_of_a_build_is_kept_to_local_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Record every ffmpeg command of a build with a music file and a cover: each input from the user is whitelisted.

    The cover never reaches ffmpeg: it is read and checked by voiceguide and written into the tags."""
    make_audio(tmp_path / "calm.mp3", 4.0)
    make_audio(tmp_path / "cover.png", 0.04, "-frames:v", "1", source="color=c=teal:s=64x64")
    routine = tmp_path / "routine.yaml"
    routine.write_text(ROUTINE.replace("intro:", "cover: cover.png\nmusic: {file: calm.mp3}\nintro:"))
    commands: list[list[str]] = []
    real_popen = subprocess.Popen

    class RecordingPopen(real_popen):  # type: ignore[misc,valid-type]
        def __init__(self, args: list[str], *rest: object, **kwargs: object) -> None:
            commands.append([str(a) for a in args])
            super().__init__(args, *rest, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(subprocess, "Popen", RecordingPopen)
    build(routine, BuildOptions(output=tmp_path / "out.mp3"))
    monkeypatch.undo()
    runs = [c for c in commands if Path(c[0]).name.startswith("ffmpeg")]
    inputs = 0
    for command in runs:
        group: list[str] = []
        for arg, value in zip(command, [*command[1:], ""], strict=True):
            if arg != "-i":
                group.append(arg)
                continue
            if not value.startswith("pipe:"):
                inputs += 1
                assert "-protocol_whitelist" in group, command
                assert "-format_whitelist" in group or "-f" in group, command  # a forced demuxer needs no whitelist
            group = []
    assert inputs >= 1  # the music


# ------------------------------------------------------------------ decoding what gets through


def test_truncated_mp3_is_a_clear_error(tmp_path: Path) -> None:
    whole = make_audio(tmp_path / "whole.mp3", 5.0)
    cut = tmp_path / "cut.mp3"
    cut.write_bytes(whole.read_bytes()[:2048])
    with pytest.raises(MusicError) as caught:
        decode_music(cut, tmp_path)
    assert "at least 2 s" in str(caught.value) and "\n" not in str(caught.value)
    assert not list(tmp_path.glob(".voiceguide-music-*"))


def test_half_an_mp3_still_plays(tmp_path: Path) -> None:
    whole = make_audio(tmp_path / "whole.mp3", 8.0)
    cut = tmp_path / "cut.mp3"
    data = whole.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    music = decode_music(cut, tmp_path)
    try:
        assert 3.0 < music.length / 44100 < 5.0
    finally:
        music.close()
    assert not list(tmp_path.glob(".voiceguide-music-*"))


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda d: make_audio(d / "short.wav", 1.0), "at least 2 s"),
        (lambda d: make_audio(d / "silent.wav", 3.0, source="anullsrc=r=44100:cl=stereo"), "is silent"),
        (lambda d: make_audio(d / "video.mp4", 3.0, "-c:v", "mpeg4", source="testsrc=s=64x64:r=5"), "has no audio"),
        (
            lambda d: (d / "noise.mp3").write_bytes(random.Random(1).randbytes(50_000)) and d / "noise.mp3",
            "cannot be decoded",
        ),  # seeded: some random bytes look like a format not whitelisted
        (lambda d: (d / "zeros.wav").write_bytes(bytes(50_000)) and d / "zeros.wav", "cannot be decoded"),
    ],
    ids=["shorter-than-2s", "silent", "video-without-audio", "random-bytes", "zero-bytes"],
)
def test_unusable_audio_is_one_clear_line(make: Callable[[Path], Path], words: str, tmp_path: Path) -> None:
    path = make(tmp_path)
    with pytest.raises(MusicError) as caught:
        decode_music(path, tmp_path)
    assert words in str(caught.value) and "\n" not in str(caught.value), str(caught.value)
    assert not list(tmp_path.glob(".voiceguide-music-*"))


def test_music_longer_than_the_limit_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The 2 h limit, scaled down: a 4 s file against a 3 s limit (decoding 2 h would write 1.3 GB)."""
    monkeypatch.setattr(music_mod, "MAX_MUSIC_S", 3.0)
    path = make_audio(tmp_path / "long.wav", 4.0)
    with pytest.raises(MusicError, match="is longer than 3s"):
        decode_music(path, tmp_path)
    assert not list(tmp_path.glob(".voiceguide-music-*"))


def test_music_limits_are_as_documented() -> None:
    assert (music_mod.MIN_MUSIC_S, music_mod.MAX_MUSIC_S, music_mod.MAX_MUSIC_BYTES) == (2.0, 7200.0, 2 * 1024**3)


FORMATS = {
    "mp3": (), "wav": (), "flac": (), "ogg": ("-c:a", "libvorbis"), "opus": ("-c:a", "libopus"), "m4a": ("-c:a", "aac"),
    "aiff": (), "wv": (), "mka": (), "caf": (), "wma": ("-c:a", "wmav2"),
    "amr": ("-ar", "8000", "-ac", "1", "-c:a", "libopencore_amrnb"),  # starts with "#!AMR": not a script
}  # fmt: skip


@pytest.mark.parametrize("suffix", list(FORMATS))
def test_real_audio_in_common_formats_is_accepted(suffix: str, tmp_path: Path) -> None:
    path = make_audio(tmp_path / f"music.{suffix}", 3.0, *FORMATS[suffix])
    check_music_file(path)
    music = decode_music(path, tmp_path)
    try:
        assert abs(music.length / 44100 - 3.0) < 0.1
    finally:
        music.close()


def test_ffmpeg_errors_name_the_reason_not_the_boilerplate() -> None:
    stderr = (
        b"[in#0 @ 0x55bc595ca180] Format not on whitelist 'mp3,wav,w64,flac,ogg,mov,mp4,m4a,3gp,matroska,webm'\n"
        b"[in#0 @ 0x55bc595c9e00] Error opening input: Invalid argument\n"
        b"Error opening input file id3concat.mp3.\nError opening input files: Invalid argument\n"
    )
    assert ffmpeg.last_words(stderr) == "Format not on whitelist"
    assert ffmpeg.last_words(b"[mp3 @ 0x1] Failed to read frame\nError opening input files: Invalid data\n") == "Failed to read frame"
    assert ffmpeg.last_words(b"") == "no message"


def test_decoding_has_a_deadline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A decoder that never ends is stopped: the build cannot wait forever on its music thread."""
    seen: dict[str, object] = {}

    def slow_run(
        args: list[str], what: str, timeout_s: float | None = None, stdin: bytes | None = None, writes: Path | None = None
    ) -> object:
        if args[args.index("-t") + 1] != "0":  # the decoding itself (the header is probed with -t 0)
            seen["timeout"] = timeout_s
            raise RenderError(f"ffmpeg took longer than {timeout_s:.0f} s {what}")
        return real_run(args, what, timeout_s, stdin, writes)

    real_run = ffmpeg.run
    monkeypatch.setattr(ffmpeg, "run", slow_run)
    path = make_audio(tmp_path / "calm.mp3", 3.0)
    with pytest.raises(MusicError, match="took longer than 600 s"):
        decode_music(path, tmp_path)
    assert seen["timeout"] == music_mod.DECODE_TIMEOUT_S


def test_a_newline_in_the_music_file_name_keeps_the_message_on_one_line(tmp_path: Path) -> None:
    path = tmp_path / "calm\nmusic.mp3"
    path.write_text("#EXTM3U\n")
    with pytest.raises(MusicError) as caught:
        check_music_file(path)
    assert "\n" not in str(caught.value) and "calm\\nmusic.mp3" in str(caught.value)


# ------------------------------------------------------------------------------ what decoding would write


def wav_header(path: Path, rate: int, data_bytes: int, channels: int = 1) -> Path:
    """A 16-bit PCM WAV of ``data_bytes`` of noise at ``rate`` Hz."""
    import struct

    header = b"RIFF" + struct.pack("<I", 36 + data_bytes) + b"WAVE"
    header += b"fmt " + struct.pack("<IHHIIHH", 16, 1, channels, rate, rate * 2 * channels, 2 * channels, 16)
    header += b"data" + struct.pack("<I", data_bytes)
    path.write_bytes(header + random.Random(7).randbytes(data_bytes))
    return path


@pytest.mark.parametrize(("rate", "named"), [(1, "1 Hz"), (100, "100 Hz"), (4000, "4000 Hz")])
def test_a_small_file_at_a_low_sample_rate_is_refused_before_anything_is_written(rate: int, named: str, tmp_path: Path) -> None:
    path = wav_header(tmp_path / "tiny.wav", rate, 8000)  # 8 KB: at 1 Hz, 67 minutes, 770 MB decoded
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(MusicError, match=named):
        decode_music(path, out)
    assert list(out.iterdir()) == []


def test_a_header_that_promises_hours_is_refused_before_decoding(tmp_path: Path) -> None:
    import struct

    path = make_audio(tmp_path / "long.flac", 3.0)
    data = bytearray(path.read_bytes())  # STREAMINFO (FLAC format, 8.2): its total samples say 3 h
    (packed,) = struct.unpack(">Q", data[18:26])
    data[18:26] = struct.pack(">Q", (packed & ~((1 << 36) - 1)) | (3 * 3600 * 44100))
    path.write_bytes(bytes(data))
    with pytest.raises(MusicError, match="longer than 2h"):
        decode_music(path, tmp_path)
    assert not list(tmp_path.glob(".voiceguide-music-*"))


def test_decoding_that_would_not_fit_beside_the_output_is_refused_before_it_starts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil
    from collections import namedtuple

    path = make_audio(tmp_path / "calm.wav", 20.0)
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda folder: usage(10**9, 10**9 - 1_000_000, 1_000_000))  # 1 MB left
    with pytest.raises(ResourceError, match=r"no space left in .* for the decoded music \(4 MB"):
        decode_music(path, tmp_path)
    assert not list(tmp_path.glob(".voiceguide-music-*"))


@pytest.mark.slow
def test_build_refuses_music_at_one_hertz_in_one_line_before_narrating(tmp_path: Path) -> None:
    from hostile import assert_refused, run

    wav_header(tmp_path / "tiny.wav", 1, 8000)
    (tmp_path / "routine.yaml").write_text(ROUTINE, encoding="utf-8")
    cache = tmp_path / "cache"
    result = run("build", "routine.yaml", "--music", "tiny.wav", "-o", "out.mp3", cwd=tmp_path, env={"VOICEGUIDE_CACHE": str(cache)})
    assert_refused(result, "tiny.wav", "1 Hz")
    assert not cache.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["routine.yaml", "tiny.wav"]
