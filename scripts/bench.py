"""Benchmark voiceguide builds against references measured in the same run.

For each session length it generates a routine, builds it cold (empty clip cache) and
warm, and compares with (a) a bare ffmpeg encode of the same audio with the same
settings, the floor for any tool writing this MP3, and (b) the usual pydub approach
(../shared/bench/naive_pydub.py) on the same length. Peak memory is the largest
resident set of the build process itself (VmHWM); the encoder's is the bare
encode's, about 30 MB.

usage: scripts/bench [--minutes 30 120] [--naive-minutes 30] [--long-minutes 180] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
RUNNER = r"""
import json, re, resource, sys
from voiceguide.cli import main
sys.argv = ["voiceguide", *sys.argv[1:]]
code = 0
try:
    main()
except SystemExit as exit:
    code = exit.code or 0
# VmHWM is this program's own peak (ru_maxrss can carry the launching process's size over exec)
me = int(re.search(r"VmHWM:\s+(\d+)", open("/proc/self/status").read()).group(1))
kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print("BENCH " + json.dumps({"code": code, "self_kb": me, "children_kb": kids}), file=sys.stderr)
"""


def ffmpeg() -> str:
    from voiceguide.ffmpeg import ffmpeg_exe

    return ffmpeg_exe()


def routine_yaml(minutes: float) -> str:
    """A routine of about ``minutes``: twelve techniques, both feet, ten repetitions each."""
    techniques = 12
    hold = max(1.0, (minutes * 60 / techniques - 62) / 20)  # measured: ≈ 62 s of speech and fixed pauses per technique
    lines = [
        "title: Benchmark session",
        f"description: About {minutes:g} minutes, generated for benchmarking.",
        "intro:",
        "  - Welcome to this generated benchmark session. Sit comfortably.",
    ]
    lines.append("techniques:")
    for t in range(1, techniques + 1):
        lines += [
            f"  - name: Technique number {t}",
            "    steps:",
            f"      - Place both thumbs on the sole of your foot for technique {t}.",
            f"      - Press slowly and evenly, then release, as in step {t}.",
            "    repetitions: 10",
            f"    hold: {hold:.2f}s",
            "    rest: 2s",
            "    sides: each",
            "    pause_after: 3s",
        ]
    lines += ["outro:", "  - That is the end of the benchmark session."]
    return "\n".join(lines) + "\n"


def run_build(routine: Path, output: Path, cache: Path, *extra: str) -> dict[str, float]:
    env = {**os.environ, "VOICEGUIDE_CACHE": str(cache)}
    start = time.perf_counter()
    proc = subprocess.run(
        [PY, "-c", RUNNER, "build", str(routine), "-o", str(output), "--force", "--quiet", *extra],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - start
    report = next((json.loads(line[6:]) for line in proc.stderr.splitlines() if line.startswith("BENCH ")), None)
    if proc.returncode != 0 or report is None or report["code"] != 0:
        sys.exit(f"bench: build failed:\n{proc.stderr}")
    return {"wall_s": wall, "peak_mb": report["self_kb"] / 1024, "child_peak_mb": report["children_kb"] / 1024}


def timed(command: list[str], env: dict[str, str] | None = None) -> dict[str, float]:
    start = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        assert proc.stderr is not None
        sys.exit(f"bench: {' '.join(command[:3])} failed:\n{proc.stderr.read().decode()}")
    return {"wall_s": wall, "peak_mb": usage.ru_maxrss / 1024}  # wait4: this child (and what it reaped)


def bare_encode(mp3: Path, work: Path) -> dict[str, float]:
    """ffmpeg encoding the same session audio (decoded from our MP3) with the same settings (bitrate, LAME -q).

    Also gives the session's decoded length. The audio goes through a file, never through
    this process, which stays small so that the peaks measured for its children are theirs.
    """
    raw = work / "session.raw"
    subprocess.run([ffmpeg(), "-v", "error", "-y", "-i", str(mp3), "-f", "s16le", "-ac", "2", "-ar", "44100", str(raw)], check=True)
    length_s = raw.stat().st_size / 4 / 44100
    from voiceguide.render.settings import Codec

    codec = Codec()  # the build's default settings
    result = timed(
        [ffmpeg(), "-v", "error", "-y", "-f", "s16le", "-ar", "44100", "-ac", "2", "-i", str(raw), *codec.args(), str(work / "bare.mp3")]
    )
    raw.unlink()
    return {**result, "length_s": length_s}


def naive(script: Path, cache: Path, minutes: float, work: Path) -> dict[str, float]:
    """The pydub tutorial approach on the same length, with speech clips from our cache and our bed as music."""
    clips = sorted(cache.rglob("*.wav"))[:8]
    bin_dir = work / "bin"
    bin_dir.mkdir(exist_ok=True)
    link = bin_dir / "ffmpeg"
    if not link.exists():
        link.symlink_to(ffmpeg())
    bed = work / "bed.wav"
    subprocess.run(
        [
            PY,
            "-c",
            f"import numpy as np, wave; from voiceguide.render.tones import ambient_bed; b=(ambient_bed(44100)*32767).astype('<i2'); w=wave.open({str(bed)!r},'wb'); w.setnchannels(2); w.setsampwidth(2); w.setframerate(44100); w.writeframes(b.tobytes()); w.close()",
        ],
        check=True,
    )
    args = [
        PY,
        str(script),
        *[a for c in clips for a in ("--speech", str(c))],
        "--minutes",
        str(minutes),
        "--music",
        str(bed),
        "-o",
        str(work / "naive.mp3"),
    ]
    return timed(args, env={**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"})


def long_music(work: Path) -> Path:
    """Ten minutes of varied music-like audio, as MP3."""
    path = work / "ten-minutes.mp3"
    graph = "sine=f=220:d=600,volume=0.3[a];anoisesrc=d=600:c=pink:a=0.05[b];[a][b]amix=inputs=2,aformat=channel_layouts=stereo"
    subprocess.run([ffmpeg(), "-v", "error", "-y", "-filter_complex", graph, "-c:a", "libmp3lame", "-b:a", "128k", str(path)], check=True)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, nargs="+", default=[30, 120])
    parser.add_argument(
        "--naive-minutes", type=float, nargs="*", default=[30], help="lengths to run the naive script on (it is slow and memory-hungry)"
    )
    parser.add_argument("--naive-script", type=Path, default=ROOT.parent / "shared" / "bench" / "naive_pydub.py")
    parser.add_argument(
        "--long-minutes", type=float, default=180, help="session length for the memory check with a 10-minute music file (0 to skip)"
    )
    parser.add_argument("--keep", type=Path, help="keep generated files in this folder")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="voiceguide-bench-")) if args.keep is None else args.keep
    work.mkdir(parents=True, exist_ok=True)
    rows: list[str] = []
    results: dict[float, dict[str, dict[str, float]]] = {}
    print(f"voiceguide benchmark — {os.cpu_count()} cores, Python {sys.version.split()[0]}, ffmpeg {ffmpeg()}", file=sys.stderr)
    try:
        for minutes in args.minutes:
            routine = work / f"bench-{minutes:g}.yaml"
            routine.write_text(routine_yaml(minutes))
            cache = work / f"cache-{minutes:g}"
            shutil.rmtree(cache, ignore_errors=True)
            out = work / f"bench-{minutes:g}.mp3"
            print(f"[{minutes:g} min] cold build …", file=sys.stderr)
            cold = run_build(routine, out, cache)
            print(f"[{minutes:g} min] warm build …", file=sys.stderr)
            warm = run_build(routine, out, cache)
            print(f"[{minutes:g} min] bare ffmpeg encode of the same audio …", file=sys.stderr)
            bare = bare_encode(out, work)
            entry = {"cold": cold, "warm": warm, "bare": bare, "length": {"s": bare["length_s"]}}
            if minutes in args.naive_minutes and args.naive_script.exists():
                print(f"[{minutes:g} min] naive pydub script …", file=sys.stderr)
                entry["naive"] = naive(args.naive_script, cache, minutes, work)
            results[minutes] = entry
        if args.long_minutes:
            minutes = args.long_minutes
            routine = work / f"bench-{minutes:g}.yaml"
            routine.write_text(routine_yaml(minutes))
            print(f"[{minutes:g} min] build with a 10-minute music file …", file=sys.stderr)
            long_run = run_build(routine, work / f"bench-{minutes:g}.mp3", work / f"cache-{minutes:g}", "--music", str(long_music(work)))
        rows.append("| session | build | wall s | peak MB | × bare encode | vs naive pydub |")
        rows.append("|---|---|---|---|---|---|")
        for entry in results.values():
            bare = entry["bare"]["wall_s"]
            for kind in ("cold", "warm"):
                r = entry[kind]
                vs_naive = f"{entry['naive']['wall_s'] / r['wall_s']:.1f}× faster" if "naive" in entry else "—"
                rows.append(
                    f"| {entry['length']['s'] / 60:.1f} min | {kind} | {r['wall_s']:.1f} | {r['peak_mb']:.0f} | {r['wall_s'] / bare:.2f} | {vs_naive} |"
                )
            rows.append(
                f"| {entry['length']['s'] / 60:.1f} min | bare ffmpeg encode | {bare:.1f} | {entry['bare']['peak_mb']:.0f} | 1.00 | |"
            )
            if "naive" in entry:
                n = entry["naive"]
                rows.append(
                    f"| {entry['length']['s'] / 60:.1f} min | naive pydub | {n['wall_s']:.1f} | {n['peak_mb']:.0f} | {n['wall_s'] / bare:.2f} | 1.0× |"
                )
        if len(results) >= 2:
            first, last = next(iter(results)), list(results)[-1]
            growth = results[last]["cold"]["wall_s"] / results[first]["cold"]["wall_s"]
            rows.append(f"\n{last:g}-minute cold build / {first:g}-minute cold build: {growth:.2f}× (length ratio {last / first:.1f}×)")
        if args.long_minutes:
            rows.append(
                f"{args.long_minutes:g}-minute session with a 10-minute music file: {long_run['wall_s']:.1f} s, peak {long_run['peak_mb']:.0f} MB"
            )
        print("\n".join(rows))
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
