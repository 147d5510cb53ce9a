"""Narration with the real pyttsx3/espeak-ng engine on small inputs, plus injected engine faults."""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from installed import engine_in_tests

from voiceguide import narration
from voiceguide.errors import NarratorError
from voiceguide.narration import list_voices, narrate, wav
from voiceguide.narration import trim as trimming
from voiceguide.narration.base import VoiceInfo
from voiceguide.narration.engines import parse_voice_table
from voiceguide.narration.voices import resolve_voice
from voiceguide.narration.workers import Job, run_jobs
from voiceguide.plan import Utterance
from voiceguide.registry import ENGINES

TEXT = "Press your thumb firmly into the arch of your foot and hold it there."
RATE = 22050
LEAD = round(trimming.LEAD_S * RATE)
WINDOW = round(trimming.WINDOW_S * RATE)


def fake(name: str) -> str:
    return engine_in_tests("fake_engines", name)


pytestmark = pytest.mark.usefixtures("cache_dir")  # every test here starts from an empty clip cache


def say(text: str = TEXT, voice: str = "en-us", rate: int = 175, volume: float = 1.0) -> Utterance:
    return Utterance(text, text, voice, rate, volume)


def audio(clip_path: Path) -> np.ndarray:
    samples, rate = wav.read_mono16(clip_path)
    assert rate == RATE
    return samples


def rms_dbfs(x: np.ndarray) -> float:
    return float(10 * np.log10(np.mean((x.astype(np.float64) / 32768) ** 2)))


def no_workers_left() -> bool:
    return not multiprocessing.active_children()


# --- real engine -------------------------------------------------------------------


def test_clip_is_mono16_trimmed_and_sane(cache_dir: Path) -> None:
    u = say()
    clip = narrate([u])[u]
    assert clip.path.is_relative_to(cache_dir)
    assert clip.sample_rate == RATE
    x = audio(clip.path)
    assert clip.duration_s == len(x) / RATE
    assert 2.0 < clip.duration_s < 6.0  # 13 words at 175 wpm, silence trimmed
    levels = trimming.window_levels_dbfs(x, WINDOW)
    assert levels[: LEAD + 1].max() >= trimming.THRESHOLD_DBFS  # sound within the lead margin
    assert levels[-(round(trimming.TAIL_S * RATE) + WINDOW) :].max() >= trimming.THRESHOLD_DBFS
    assert trimming.sound_bounds(x, RATE) == (LEAD, len(x) - 1 - round(trimming.TAIL_S * RATE))


def test_prints_nothing_on_stdout(capfd: pytest.CaptureFixture[str]) -> None:
    narrate([say(), say("Breathe in slowly.")])
    out, _err = capfd.readouterr()
    assert out == ""


def test_rate_120_lasts_twice_rate_240() -> None:
    slow, fast = say(rate=120), say(rate=240)
    clips = narrate([slow, fast])
    assert clips[slow].duration_s / clips[fast].duration_s == pytest.approx(2.0, rel=0.15)


def test_rate_changes_take_effect_in_one_worker(cache_dir: Path) -> None:
    """audio-facts: a rate change after the first synthesis can be lost. One worker, alternating rates."""
    rates = [240, 120, 240, 120, 175]
    jobs = [Job(f"k{i}", TEXT, "gmw/en-us", r, 1.0, cache_dir / f"{i}.wav", 30.0) for i, r in enumerate(rates)]
    frames: dict[str, int] = {}
    run_jobs(jobs, "voiceguide.narration.engines:Pyttsx3Engine", "pyttsx3", lambda j, m: frames.update({j.key: m.frames}), 1)
    d = [frames[f"k{i}"] for i in range(len(rates))]
    assert d[0] == pytest.approx(d[2], rel=0.01) and d[1] == pytest.approx(d[3], rel=0.01)
    assert d[1] / d[0] == pytest.approx(2.0, rel=0.15)
    assert d[0] < d[4] < d[1]


@pytest.mark.slow
def test_same_utterance_gives_the_same_bytes_whatever_was_said_before(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """espeak-ng carries state from one utterance to the next inside a process; no clip may depend on it."""
    target = say("Let your shoulders drop and breathe out slowly.")
    others = [say("Curl your toes."), say("Spread them wide.", rate=240), say("Rest now.", voice="English (Great Britain)")]

    def fresh(utterances: list[Utterance]) -> bytes:
        shutil.rmtree(cache_dir, ignore_errors=True)
        stats: dict[str, int] = {}
        clip = narrate(utterances, stats=stats)[target]
        assert stats["synthesised"] == len(utterances)
        return clip.path.read_bytes()

    alone = fresh([target])
    assert fresh([target]) == alone  # again, in a separate call
    with monkeypatch.context() as m:
        m.setattr(os, "cpu_count", lambda: 1)  # one worker: the target comes after three other lines
        assert fresh([*others, target]) == alone
    assert fresh([*others, target]) == alone  # however the workers share the lines out

    # Straight to the workers: the same line three times in one worker, other lines in between.
    text, voice = target.spoken, "gmw/en-us"
    lines = [text, "Curl your toes.", text, text]
    jobs = [Job(f"k{i}", t, voice, 175, 1.0, cache_dir / f"{i}.wav", 30.0) for i, t in enumerate(lines)]
    run_jobs(jobs, "voiceguide.narration.engines:Pyttsx3Engine", "pyttsx3", lambda j, m: None, 1)
    for i in (0, 2, 3):
        assert (cache_dir / f"{i}.wav").read_bytes() == alone


def test_voice_espeak_cannot_load_is_an_error(cache_dir: Path) -> None:
    """The worker checks what espeak actually holds; pyttsx3 alone ignores an unknown voice silently."""
    job = Job("k", TEXT, "xx/no-such-voice", 175, 1.0, cache_dir / "x.wav", 30.0)
    with pytest.raises(NarratorError, match="could not load voice 'xx/no-such-voice'"):
        run_jobs([job], "voiceguide.narration.engines:Pyttsx3Engine", "pyttsx3", lambda j, m: None)
    assert no_workers_left()


def test_volume_half_is_6_db_quieter() -> None:
    loud, quiet = say(volume=1.0), say(volume=0.5)
    clips = narrate([loud, quiet])
    drop = rms_dbfs(audio(clips[quiet].path)) - rms_dbfs(audio(clips[loud].path))
    assert drop == pytest.approx(-6.0, abs=2.0)


def test_voice_changes_the_audio() -> None:
    us, gb = say(voice="en-us"), say(voice="English (Great Britain)")
    clips = narrate([us, gb])
    a, b = audio(clips[us].path), audio(clips[gb].path)
    assert len(a) != len(b) or not np.array_equal(a, b)


def test_unknown_voice_lists_close_matches() -> None:
    with pytest.raises(NarratorError, match="unknown voice 'en-usa'") as err:
        narrate([say(voice="en-usa")])
    assert "did you mean" in str(err.value) and "en-us" in str(err.value)
    assert "\n" not in str(err.value)


def test_second_narrate_synthesises_nothing() -> None:
    utterances = [say(f"Step {n}: relax your toes.") for n in ("one", "two", "three")]
    first: dict[str, int] = {}
    clips = narrate(utterances, stats=first)
    assert first == {"synthesised": 3, "cached": 0}
    again: dict[str, int] = {}
    start = time.perf_counter()
    assert narrate(utterances, stats=again) == clips
    assert time.perf_counter() - start < 0.5
    assert again == {"synthesised": 0, "cached": 3}


def test_same_spoken_words_share_one_clip() -> None:
    a = Utterance("Hold for 5 s.", "Hold for five seconds.", "en-us", 175, 1.0)
    b = Utterance("Hold for five seconds.", "Hold for five seconds.", "en-us", 175, 1.0)
    stats: dict[str, int] = {}
    clips = narrate([a, b, a], stats=stats)
    assert set(clips) == {a, b} and clips[a] == clips[b]
    assert stats == {"synthesised": 1, "cached": 0}


def test_progress_counts_uncached_clips() -> None:
    calls: list[tuple[int, int]] = []
    narrate([say("One."), say("Two."), say("Three.")], progress=lambda done, total: calls.append((done, total)))
    assert calls == [(1, 3), (2, 3), (3, 3)]


@pytest.mark.parametrize(
    "utterance, message",
    [
        (say(rate=20), "rate 20"),
        (say(volume=1.5), "volume 1.5"),
        (say("   "), "nothing to say"),
    ],
)
def test_invalid_settings_are_refused(utterance: Utterance, message: str) -> None:
    with pytest.raises(NarratorError, match=message):
        narrate([utterance])


def test_list_voices_filters_by_language() -> None:
    english = list_voices(language="en")
    assert "gmw/en-us" in {v.id for v in english}
    assert all(any(lang == "en" or lang.startswith("en-") for lang in v.languages) for v in english)
    assert len(list_voices()) > len(english)
    assert tuple(ENGINES) == ("pyttsx3", "espeak-cli", "kokoro", "piper")


def test_unknown_engine() -> None:
    with pytest.raises(NarratorError, match="unknown engine 'festival'"):
        narrate([say()], engine="festival")


# --- voice resolution (pure) -------------------------------------------------------

VOICES = [
    VoiceInfo("gmw/en-029", "English (Caribbean)", ("en-029", "en"), (5, 10)),
    VoiceInfo("gmw/en", "English (Great Britain)", ("en-gb", "en"), (2, 2)),
    VoiceInfo("gmw/en-us", "English (America)", ("en-us", "en"), (2, 3)),
    VoiceInfo("gmw/en-gb-x-rp", "English (Received Pronunciation)", ("en-gb-x-rp", "en-gb", "en"), (5, 4, 5)),
]


@pytest.mark.parametrize(
    "spec, expected",
    [
        ("gmw/en-us", "gmw/en-us"),
        ("GMW/EN-US", "gmw/en-us"),
        ("English (America)", "gmw/en-us"),
        ("en", "gmw/en"),  # lowest priority number wins
        ("en-us", "gmw/en-us"),
        ("en_US", "gmw/en-us"),
        ("en-gb", "gmw/en"),
        ("en-gb-x-rp", "gmw/en-gb-x-rp"),
    ],
)
def test_resolve_voice(spec: str, expected: str) -> None:
    assert resolve_voice(spec, VOICES, "test").id == expected


def test_resolve_voice_without_close_match() -> None:
    with pytest.raises(NarratorError, match="none of its 4 voices is close"):
        resolve_voice("klingon", VOICES, "test")


# --- trimming (pure, generated signals) --------------------------------------------


def tone(seconds: float, amplitude: float = 0.5, rate: int = RATE) -> np.ndarray:
    t = np.arange(round(seconds * rate)) / rate
    return np.round(amplitude * 32767 * np.sin(2 * np.pi * 440 * t)).astype(np.int16)


def test_trim_keeps_margins_around_the_sound() -> None:
    burst = tone(0.2)
    burst[0] = 0  # sin(0): the sound's first sample is the next one
    x = np.concatenate([np.zeros(3000, np.int16), burst, np.zeros(4000, np.int16)])
    first, last = trimming.sound_bounds(x, RATE) or (-1, -1)
    assert first == 3001
    assert last == 3000 + len(burst) - 1 - int(np.argmax(np.abs(burst[::-1]) >= 104))
    y = trimming.trim(x, RATE)
    assert len(y) == (last - first + 1) + LEAD + round(trimming.TAIL_S * RATE)
    assert np.abs(y[:LEAD]).max() == 0 and np.abs(y[LEAD]) > 0


def test_trim_ignores_clicks_and_quiet_noise() -> None:
    rng = np.random.default_rng(1)
    noise = np.round(rng.normal(0, 10, 22050)).astype(np.int16)  # about -70 dBFS
    noise[5000] = 1000  # one click: a -30 dBFS sample, but its window stays under -50 dBFS
    assert trimming.sound_bounds(noise, RATE) is None
    assert len(trimming.trim(noise, RATE)) == 0
    assert len(trimming.trim(np.zeros(0, np.int16), RATE)) == 0


def test_trim_never_pads_sound_at_the_edges() -> None:
    x = tone(0.1)  # sound from the first to the last sample: no room for margins
    assert np.array_equal(trimming.trim(x, RATE), x)


# --- faults: hangs, crashes, errors, interrupts -----------------------------------


@pytest.mark.slow
def test_stopping_the_workers_removes_what_killed_clips_left_in_the_cache(cache_dir: Path) -> None:
    """A clip's process killed while storing it leaves a temporary file beside the clip; stopping cleans its folder."""
    from voiceguide.output import TEMP_MARK

    dead = 2**22 + 4321  # above the usual pid_max: no such process
    for first in range(256):  # a left-over file in every folder a clip can go to
        folder = cache_dir / "clips" / f"{first:02x}"
        folder.mkdir(parents=True)
        (folder / f".clip.wav{TEMP_MARK}{dead}-0000.partial.wav").write_bytes(b"RIFF")
    with pytest.raises(NarratorError):
        narrate([say("Nobody finishes this line.")], engine=fake("HangingEngine"), timeout_s=1)
    assert len(list((cache_dir / "clips").rglob(f"*{TEMP_MARK}*"))) == 255  # the stopped clip's folder is clean


@pytest.mark.slow
def test_hanging_engine_is_stopped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOICEGUIDE_TEST_PID_DIR", str(tmp_path))
    start = time.monotonic()
    with pytest.raises(NarratorError, match=r"did not finish saying 'Press your thumb.*within 3 s") as err:
        narrate([say()], engine=fake("HangingEngine"), timeout_s=3)
    assert time.monotonic() - start < 3 + 10
    assert "try --engine espeak-cli" in str(err.value)
    pids = [int(p.stem) for p in tmp_path.glob("*.pid")]
    assert pids, "the hanging worker never started"
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    assert no_workers_left()


@pytest.mark.parametrize("engine, how", [("ExitingEngine", "exit code 3"), ("SegfaultEngine", "SIGSEGV")])
def test_crashing_engine_is_reported(engine: str, how: str) -> None:
    with pytest.raises(NarratorError, match=f"crashed \\({'killed by ' if how == 'SIGSEGV' else ''}{how}\\)"):
        narrate([say(), say("Breathe out.")], engine=fake(engine), timeout_s=20)
    assert no_workers_left()


def test_engine_error_is_reported() -> None:
    with pytest.raises(NarratorError, match=r"failed on .*the fake engine refuses"):
        narrate([say()], engine=fake("FailingEngine"))
    assert no_workers_left()


@pytest.mark.parametrize(
    "engine, message",
    [
        ("ThreadInWorkerEngine", "the narration worker runs 2 threads; it cannot fork safely"),
        pytest.param(
            "EspeakInWorkerEngine",
            "the narration worker ran [0-9]+ threads when it forked",
            marks=pytest.mark.skipif(not sys.platform.startswith("linux"), reason="native threads are counted in /proc"),
        ),
    ],
)
def test_worker_with_threads_refuses_to_fork(engine: str, message: str) -> None:
    """Forking is only safe from a worker with one thread; espeak's own thread counts too."""
    with pytest.raises(NarratorError, match=message):
        narrate([say()], engine=fake(engine))
    assert no_workers_left()


def test_keyboard_interrupt_stops_every_worker() -> None:
    def interrupt(done: int, total: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        narrate([say("One."), say("Two."), say("Three."), say("Four.")], progress=interrupt)
    assert no_workers_left()


# --- espeak-ng command line ---------------------------------------------------------

VOICE_TABLE = """Pty Language       Age/Gender VoiceName          File                 Other Languages
 5  af              --/M      Afrikaans          gmw/af
 2  en-gb           --/M      English_(Great_Britain) gmw/en               (en 2)
 2  en-us           --/M      English_(America)  gmw/en-US            (en 3)
"""


def test_parse_voice_table() -> None:
    voices = parse_voice_table(VOICE_TABLE)
    assert voices[1] == VoiceInfo("gmw/en", "English (Great Britain)", ("en-gb", "en"), (2, 2), gender="male", licence="GPL-3.0-or-later")
    assert resolve_voice("en-us", voices, "espeak-cli").id == "gmw/en-us"


FAKE_ESPEAK = """#!{python}
import json, math, struct, sys, wave
args = sys.argv[1:]
if args == ["--version"]:
    print("eSpeak NG text-to-speech: 1.51-fake  Data at: /nowhere")
elif args == ["--voices"]:
    print({table!r})
else:
    with open({log!r}, "a") as log:
        log.write(json.dumps(args) + "\\n")
    opts = dict(zip(args[:-1:2], args[1:-1:2]))
    words, rate, amp = len(args[-1].split()), int(opts["-s"]), int(opts["-a"]) / 100
    n = round(22050 * 60 * words / rate)
    tone = [round(amp * 16000 * math.sin(i / 5)) for i in range(n)]
    with wave.open(opts["-w"], "wb") as w:
        w.setnchannels(1); w.setsampwidth(2); w.setframerate(22050)
        w.writeframes(struct.pack(f"<{{2205 + n + 4410}}h", *([0] * 2205 + tone + [0] * 4410)))
"""


@pytest.fixture
def fresh_engines() -> Iterator[None]:
    """Engine checks, voices and versions are cached per process; a test that changes PATH must forget them."""
    caches = (narration._engine, narration._voices, narration._version)
    for c in caches:
        c.cache_clear()
    yield
    for c in caches:
        c.cache_clear()


def test_espeak_cli_engine_passes_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_engines: None) -> None:
    """A stand-in espeak-ng program checks the plumbing: arguments, voices, version, clip."""
    bin_dir, log = tmp_path / "bin", tmp_path / "args.log"
    bin_dir.mkdir()
    program = bin_dir / "espeak-ng"
    program.write_text(FAKE_ESPEAK.format(python=sys.executable, table=VOICE_TABLE, log=str(log)))
    program.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    assert [v.id for v in list_voices("espeak-cli", "en")] == ["gmw/en", "gmw/en-us"]
    u = say("-Four words said here", voice="en-us", rate=120, volume=0.5)
    clip = narrate([u], engine="espeak-cli")[u]
    assert clip.duration_s == pytest.approx(2.0 + trimming.LEAD_S + trimming.TAIL_S, abs=0.002)
    args = json.loads(log.read_text())
    assert args == ["-v", "gmw/en-us", "-s", "120", "-a", "50", "-w", args[7], " -Four words said here"]


@pytest.mark.skipif(shutil.which("espeak-ng") is not None, reason="espeak-ng is installed here")
def test_espeak_cli_missing_says_how_to_fix() -> None:
    with pytest.raises(NarratorError, match=r"espeak-ng is not on PATH .* or use --engine pyttsx3"):
        list_voices(engine="espeak-cli")


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="no espeak-ng program on PATH")
def test_espeak_cli_engine() -> None:
    u = say()
    clip = narrate([u], engine="espeak-cli")[u]
    assert 2.0 < clip.duration_s < 6.0
