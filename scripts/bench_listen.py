"""The spoken-command detector's figures: its real-time factor over a recording and the CPU of play with it, paired
with a reference run in the same session (A B A B), the machine's load beside each; and commands found, missed and
invented over microphone recordings made like the tests' (the session played into a room, 40 ms late, 6 dB down, a
0.3 s tail) with several voices and noise levels.

    SETUP_EXTRAS=bench,listen,kokoro scripts/bench --listen      (or: .venv/bin/python scripts/bench_listen.py [--repeat N])
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import numpy as np
from listen_room import LISTEN_ALONG, RATE, Room, command_clip, in_room, quiet_spans, recording, say_into, write_wav

VOICEGUIDE = [sys.executable, "-m", "voiceguide"]
SAID = ["pause", "go on", "again", "next", "back", "louder", "softer", "stop", "continue", "repeat"]
MEANT = ["pause", "continue", "again", "next", "back", "louder", "softer", "pause", "continue", "again"]
VOICES = [("pyttsx3", "en-gb-x-rp"), ("pyttsx3", "en-029"), ("kokoro", "af_heart"), ("kokoro", "am_adam"), ("kokoro", "bf_emma")]
NOISES = [-50.0, -40.0, -30.0]
WITHIN_S = 1.5


def load() -> float:
    return os.getloadavg()[0]


def build(routine: Path, folder: Path) -> tuple[Path, dict[str, Any]]:
    subprocess.run([*VOICEGUIDE, "build", str(routine), "-o", str(folder), "--sidecars", "--force", "-q"], check=True)
    audio = folder / f"{routine.stem}.mp3"
    return audio, json.loads(audio.with_name(f"{routine.stem}.plan.json").read_text(encoding="utf-8"))


def detected(mic: np.ndarray, plan: dict[str, Any] | None) -> tuple[list[Any], float, int]:
    """The commands in ``mic`` (gated by ``plan`` when given), the CPU seconds it took, and the stretches transcribed."""
    from voiceguide.listen.detector import Detector, detect_file
    from voiceguide.listen.gate import Gate, sounding_of_plan
    from voiceguide.listen.recognise import Recogniser

    detector = Detector(_recogniser(Recogniser))
    gate = Gate.around(sounding_of_plan(plan["cues"])) if plan is not None else None
    began = time.process_time()
    found = detect_file(detector, mic, gate)
    return found, time.process_time() - began, detector.stretches


_loaded: dict[str, Any] = {}


def _recogniser(kind: Any) -> Any:
    if "r" not in _loaded:
        _loaded["r"] = kind(1)
    return _loaded["r"]


def quality(work: Path, audio: Path, plan: dict[str, Any]) -> list[str]:
    """Commands found, wrong and invented per voice and noise level, over the listen-along session."""
    rows = ["| voice | noise | found within 1.5 s | wrong command | invented | CPU s / audio s | load |", "|---|---|---|---|---|---|---|"]
    session = recording(audio)
    spans = quiet_spans(plan)
    for engine, voice in VOICES:
        clips = [command_clip(work, phrase, voice, engine) for phrase in SAID]
        for noise in NOISES:
            mic = in_room(session, Room(noise_dbfs=noise))
            ends = []
            for clip, (start, _) in zip(clips, spans, strict=False):
                mic, end = say_into(mic, clip, start + 1.0)
                ends.append(end)
            found, cpu_s, _ = detected(mic, plan)
            right = sum(
                any(c.command == meant and 0 <= c.t - end <= WITHIN_S for c in found) for meant, end in zip(MEANT, ends, strict=True)
            )
            near = [c for c in found if any(0 <= c.t - end <= WITHIN_S for end in ends)]
            wrong = sum(1 for c in near if not any(c.command == m and 0 <= c.t - e <= WITHIN_S for m, e in zip(MEANT, ends, strict=True)))
            rows.append(
                f"| {engine} {voice} | {noise:.0f} dBFS | {right} of {len(SAID)} | {wrong} | {len(found) - len(near)} | "
                f"{cpu_s / (len(mic) / RATE):.4f} | {load():.1f} |"
            )
            print(rows[-1], file=sys.stderr)
    return rows


def nobody(work: Path) -> list[str]:
    """The built-in English routines' own sound in the room: commands invented with the gate and without it."""
    from voiceguide.routine import find_routine

    rows = ["| routine | noise | invented (gated) | stretches transcribed (gated) | invented (no gate) | stretches (no gate) | load |"]
    rows.append("|---|---|---|---|---|---|---|")
    names = ["gentle-foot-unwind", "ankle-heel-sole-release", "calf-to-toes-classic", "stretch-sole-and-ankle", "twelve-step-foot-tour"]
    for name in names:
        audio = work / f"{name}.mp3"
        plan = json.loads(audio.with_name(f"{name}.plan.json").read_text()) if audio.exists() else build(find_routine(name), work)[1]
        session = recording(audio)
        for noise in NOISES[:2]:
            mic = in_room(session, Room(noise_dbfs=noise))
            gated, _, gated_n = detected(mic, plan)
            open_, _, open_n = detected(mic, None)
            rows.append(f"| {name} | {noise:.0f} dBFS | {len(gated)} | {gated_n} | {len(open_)} | {open_n} | {load():.1f} |")
            print(rows[-1], file=sys.stderr)
    return rows


def real_time_factor(audio: Path, plan: dict[str, Any], repeat: int) -> list[str]:
    """A: the detector over the room recording of a session; B: only decoding that recording (what any reader pays)."""
    rows = ["| figure | A: detector (median, range) | B: decode only | A/B | load avg |", "|---|---|---|---|---|"]
    a, b, loads = [], [], []
    mic_path = write_wav(audio.with_name("rtf-mic.wav"), in_room(recording(audio)))
    length = len(recording(mic_path)) / RATE
    for _ in range(repeat):
        loads.append(load())
        began = time.process_time()
        detected(recording(mic_path), plan)
        a.append((time.process_time() - began) / length)
        began = time.process_time()
        recording(mic_path)
        b.append((time.process_time() - began) / length)
    rows.append(
        f"| CPU s per s of microphone ({length / 60:.0f}-min session, gated) | {statistics.median(a):.4f} ({min(a):.4f}–{max(a):.4f}) | "
        f"{statistics.median(b):.4f} | {statistics.median(a) / statistics.median(b):.1f} | {statistics.median(loads):.1f} ({min(loads):.1f}–{max(loads):.1f}) |"
    )
    return rows


def _play_cpu(command: list[str]) -> tuple[float, float]:
    """CPU seconds and wall seconds of ``command`` run to its end."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.monotonic()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "OMP_NUM_THREADS": "1"})
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, time.monotonic() - began


def playing(audio: Path, work: Path, repeat: int) -> list[str]:
    """A: play --no-audio --listen --mic (a room recording with commands that do not move the session: louder, softer);
    B: play --no-audio alone. The CPU share of one core while playing."""
    session = recording(audio)
    mic = in_room(session)
    for n, phrase in enumerate(["louder", "softer", "louder"]):
        mic, _ = say_into(mic, command_clip(work, phrase), 11.0 + 8.0 * n)  # into holds of the listen-along session
    mic_path = write_wav(work / "play-mic.wav", mic)
    state = {"VOICEGUIDE_STATE": str(work / "state")}
    os.environ.update(state)
    a, b, loads = [], [], []
    for _ in range(repeat):
        loads.append(load())
        cpu, wall = _play_cpu([*VOICEGUIDE, "play", str(audio), "--no-audio", "--start-over", "--listen", "--mic", str(mic_path)])
        a.append(cpu / wall)
        cpu, wall = _play_cpu([*VOICEGUIDE, "play", str(audio), "--no-audio", "--start-over"])
        b.append(cpu / wall)
    return [
        "| figure | A: play --listen --mic (median, range) | B: play alone | A−B | load avg |",
        "|---|---|---|---|---|",
        (
            f"| share of one core while playing ({len(session) / RATE:.0f}-s session) | {statistics.median(a):.3f} ({min(a):.3f}–{max(a):.3f}) | "
            f"{statistics.median(b):.3f} | {statistics.median(a) - statistics.median(b):.3f} | {statistics.median(loads):.1f} ({min(loads):.1f}–{max(loads):.1f}) |"
        ),
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3, help="rounds of each A B pair")
    parser.add_argument("--keep", type=Path, help="keep (and reuse) built sessions and clips in this folder")
    parser.add_argument("--skip-builtins", action="store_true", help="leave out the built-in routines with nobody speaking")
    args = parser.parse_args(argv)
    work = args.keep or Path(tempfile.mkdtemp(prefix="voiceguide-bench-listen-"))
    work.mkdir(parents=True, exist_ok=True)
    routine = work / "listen-along.yaml"
    routine.write_text(textwrap.dedent(LISTEN_ALONG).lstrip(), encoding="utf-8")
    audio = work / "listen-along.mp3"
    plan = json.loads((work / "listen-along.plan.json").read_text()) if audio.exists() else build(routine, work)[1]
    print(f"listening benchmark — {os.cpu_count()} cores, load {load():.1f}", file=sys.stderr)
    lines = ["Detector cost:", "", *real_time_factor(audio, plan, args.repeat), "", "While playing:", ""]
    lines += [*playing(audio, work, args.repeat), "", "Commands in the room:", "", *quality(work, audio, plan)]
    if not args.skip_builtins:
        lines += ["", "Nobody speaking, the built-in routines:", "", *nobody(work)]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
