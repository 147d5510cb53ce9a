"""Benchmark voiceguide builds against references measured in the same run, like for like.

Each comparison runs its two sides in turn (A B A B …), both with the same ffmpeg binary
and the same encoder settings, and reports the median of the paired ratios A/B with the
machine's load during the runs: the 1-minute load average when each run started, and the
cores other programs kept busy while it ran (from /proc/stat, minus the run's own CPU time).

References:
- bare encode: ffmpeg encoding the very same session audio (decoded from the build to a
  raw file first, untimed) with the build's encoder arguments. The floor for writing this
  MP3 with one encoder.
- split floor: two ffmpeg processes each encoding half of that audio at once, against one
  on the whole: what a second core can give at best.
- naive pydub: scripts/naive_pydub.py (``+=``, ``overlay(loop=True)``, export) on the same
  length with speech clips from the build's cache and the built-in bed, at the same LAME quality.
- formats: the warm M4B and Opus builds of one session against its warm MP3 build.

usage: scripts/bench [--minutes 30] [--repeat 3] [--ffmpeg PATH] [--qualities 7 3]
                     [--naive-minutes 30] [--long-minutes 180] [--batch 20] [--batch-engine pyttsx3] [--keep DIR] [--json FILE]
only the formats: scripts/bench --minutes --naive-minutes --mix-minutes 0 --long-minutes 0 --batch 0 --formats-minutes 10
only the batch: scripts/bench --minutes --naive-minutes --mix-minutes 0 --long-minutes 0 --batch 8 --repeat 2
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NAIVE = ROOT / "scripts" / "naive_pydub.py"
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


@dataclass(frozen=True)
class Run:
    """One timed program run."""

    wall_s: float
    cpu_s: float  # the program and every child it waited for
    peak_mb: float  # the program's own peak resident memory
    child_peak_mb: float  # the largest of its children's
    load1: float  # 1-minute load average when it started
    others: float  # cores other programs kept busy while it ran


def _busy_s() -> float:
    """CPU seconds all cores have spent busy since boot (/proc/stat)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def timed(command: list[str], env: dict[str, str] | None = None) -> tuple[Run, str]:
    """Run ``command``; its time, CPU, memory and the load around it, and what it printed (stderr and stdout)."""
    load1 = os.getloadavg()[0]
    busy, start = _busy_s(), time.perf_counter()
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(command, stdout=err, stderr=err, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        busy = _busy_s() - busy
        err.seek(0)
        stderr = err.read().decode(errors="replace")  # and its stdout: the last lines people read
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        sys.exit(f"bench: {' '.join(command[:4])} … failed:\n{stderr[-2000:]}")
    cpu = usage.ru_utime + usage.ru_stime
    run = Run(wall, cpu, usage.ru_maxrss / 1024, 0.0, load1, max(0.0, (busy - cpu) / wall))
    return run, stderr


class Bench:
    """Everything measured in one benchmark run, with one ffmpeg."""

    def __init__(self, work: Path, ffmpeg: str) -> None:
        self.work, self.ffmpeg = work, ffmpeg
        self.env = {**os.environ, "VOICEGUIDE_FFMPEG": ffmpeg}

    def build(self, routine: Path, cache: Path, out: Path, *extra: str, cold: bool = False) -> Run:
        if cold:
            shutil.rmtree(cache, ignore_errors=True)
        args = [PY, "-c", RUNNER, "build", str(routine), "-o", str(out), "--force", "--quiet", *extra]
        run, stderr = timed(args, {**self.env, "VOICEGUIDE_CACHE": str(cache)})
        report = next((json.loads(line[6:]) for line in stderr.splitlines() if line.startswith("BENCH ")), None)
        if report is None or report["code"] != 0:
            sys.exit(f"bench: build failed:\n{stderr[-2000:]}")
        return Run(run.wall_s, run.cpu_s, report["self_kb"] / 1024, report["children_kb"] / 1024, run.load1, run.others)

    def raw_of(self, mp3: Path) -> Path:
        """The build's audio as raw s16le stereo (untimed): what the references encode."""
        raw = mp3.with_suffix(".raw")
        subprocess.run([self.ffmpeg, "-v", "error", "-y", "-i", str(mp3), "-f", "s16le", "-ac", "2", "-ar", "44100", str(raw)], check=True)
        return raw

    def encode_args(self, quality: int) -> list[str]:
        from voiceguide.render.settings import Codec

        return Codec(mp3_quality=quality).args()  # the build's own arguments

    def bare(self, raw: Path, quality: int) -> Run:
        raw_in = ["-f", "s16le", "-ar", "44100", "-ac", "2"]
        out = self.work / "bare.mp3"
        return timed([self.ffmpeg, "-v", "error", "-y", *raw_in, "-i", str(raw), *self.encode_args(quality), str(out)])[0]

    def halves(self, raw: Path, quality: int) -> Run:
        """Two ffmpeg processes at once, each encoding half of ``raw`` (cut at a frame boundary)."""
        frames = raw.stat().st_size // 4
        half = frames // 2 // 1152 * 1152
        script = "\n".join(
            f"{self.ffmpeg!r} -v error -y -f s16le -ar 44100 -ac 2 -ss {start / 44100!r} -t {length / 44100!r} -i {str(raw)!r} "
            f"{' '.join(self.encode_args(quality))} {str(self.work / f'half{i}.mp3')!r} &"
            for i, (start, length) in enumerate([(0, half), (half, frames - half)])
        )
        return timed(["sh", "-c", script + "\nwait"])[0]

    def naive(self, cache: Path, minutes: float, quality: int) -> Run:
        clips = sorted((cache / "clips").rglob("*.wav"))[:8]
        bed = self.work / "bed.wav"
        if not bed.exists():
            code = (
                "import wave, numpy as np; from voiceguide.render.tones import ambient_bed; "
                "b = (ambient_bed(44100) * 32767).astype('<i2'); "
                f"w = wave.open({str(bed)!r}, 'wb'); w.setnchannels(2); w.setsampwidth(2); w.setframerate(44100); "
                "w.writeframes(b.tobytes()); w.close()"
            )
            subprocess.run([PY, "-c", code], check=True)
        args = [PY, str(NAIVE), *[a for c in clips for a in ("--clip", str(c))], "--minutes", str(minutes), "--music", str(bed)]
        args += ["--quality", str(quality), "--ffmpeg", self.ffmpeg, "-o", str(self.work / "naive.mp3")]
        return timed(args)[0]


@dataclass(frozen=True)
class Pair:
    """A against B, run in turn."""

    name: str
    a_label: str
    b_label: str
    a: list[Run]
    b: list[Run]

    @property
    def ratios(self) -> list[float]:
        return [x.wall_s / y.wall_s for x, y in zip(self.a, self.b, strict=True)]

    def row(self) -> str:
        ratios = self.ratios
        med = statistics.median
        a, b = med(r.wall_s for r in self.a), med(r.wall_s for r in self.b)
        loads = [r.load1 for r in self.a + self.b]
        others = [r.others for r in self.a + self.b]
        peak = f"{med(r.peak_mb for r in self.a):.0f} / {med(r.peak_mb for r in self.b):.0f}"
        spread = f"{min(ratios):.2f}–{max(ratios):.2f}" if len(ratios) > 1 else ""
        return (
            f"| {self.name} | {self.a_label} {a:.1f} s | {self.b_label} {b:.1f} s | **{med(ratios):.2f}** {spread} | {peak} "
            f"| {med(loads):.1f} ({min(loads):.1f}–{max(loads):.1f}) | {med(others):.2f} ({max(others):.2f}) |"
        )


def paired(name: str, a_label: str, b_label: str, a: Callable[[], Run], b: Callable[[], Run], repeat: int) -> Pair:
    runs_a, runs_b = [], []
    for i in range(repeat):
        print(f"  {name}: round {i + 1}/{repeat}", file=sys.stderr)
        runs_a.append(a())
        runs_b.append(b())
    return Pair(name, a_label, b_label, runs_a, runs_b)


def routine_yaml(minutes: float) -> str:
    """A routine of about ``minutes``: twelve techniques, both feet, ten repetitions each."""
    techniques = 12
    hold = max(1.0, (minutes * 60 / techniques - 62) / 20)  # measured: ≈ 62 s of speech and fixed pauses per technique
    lines = [
        "title: Benchmark session",
        f"description: About {minutes:g} minutes, generated for benchmarking.",
        "intro:",
        "  - Welcome to this generated benchmark session. Sit comfortably.",
        "techniques:",
    ]
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


def long_music(bench: Bench) -> Path:
    """Ten minutes of varied music-like audio, as MP3."""
    path = bench.work / "ten-minutes.mp3"
    graph = "sine=f=220:d=600,volume=0.3[a];anoisesrc=d=600:c=pink:a=0.05[b];[a][b]amix=inputs=2,aformat=channel_layouts=stereo"
    subprocess.run(
        [bench.ffmpeg, "-v", "error", "-y", "-filter_complex", graph, "-c:a", "libmp3lame", "-b:a", "128k", str(path)], check=True
    )
    return path


def session(bench: Bench, minutes: float, args: argparse.Namespace) -> tuple[float, list[Pair]]:
    """Every comparison for one session length; its decoded length in seconds and the pairs."""
    routine = bench.work / f"bench-{minutes:g}.yaml"
    routine.write_text(routine_yaml(minutes))
    cache, out = bench.work / f"cache-{minutes:g}", bench.work / f"bench-{minutes:g}.mp3"

    print(f"[{minutes:g} min] first build (untimed) …", file=sys.stderr)
    bench.build(routine, cache, out, cold=True)
    raw = bench.raw_of(out)
    length_s = raw.stat().st_size / 4 / 44100
    q = args.qualities[0]
    build = functools.partial(bench.build, routine, cache, out)

    def pair(name: str, labels: tuple[str, str], a: Callable[[], Run], b: Callable[[], Run]) -> Pair:
        return paired(name, *labels, a, b, args.repeat)

    pairs = [
        pair(
            f"cold build ÷ bare encode, q{q}",
            ("build", "bare"),
            lambda: build("--mp3-quality", str(q), cold=True),
            lambda: bench.bare(raw, q),
        ),
        pair(f"warm build ÷ bare encode, q{q}", ("build", "bare"), lambda: build("--mp3-quality", str(q)), lambda: bench.bare(raw, q)),
    ]
    for other in args.qualities[1:]:
        pairs.append(
            pair(
                f"warm build ÷ bare encode, q{other}",
                ("build", "bare"),
                functools.partial(build, "--mp3-quality", str(other)),
                functools.partial(bench.bare, raw, other),
            )
        )
    pairs.append(
        pair(
            f"two encoders on halves ÷ one on the whole, q{q}",
            ("halves", "whole"),
            lambda: bench.halves(raw, q),
            lambda: bench.bare(raw, q),
        )
    )
    if minutes in args.naive_minutes:
        for quality in args.qualities:
            pairs.append(
                pair(
                    f"naive pydub ÷ warm build, q{quality}",
                    ("naive", "build"),
                    functools.partial(bench.naive, cache, length_s / 60, quality),
                    functools.partial(build, "--mp3-quality", str(quality)),
                )
            )
    raw.unlink()
    return length_s, pairs


BATCH_ROUTINE = """title: Batch benchmark
music: none
intro:
  - say: Welcome to this short generated session. Sit comfortably.
    pause: 3s
techniques:
  - name: Thumb walk
    steps:
      - Walk your thumbs slowly along the sole of your foot.
    repetitions: 4..8
    hold: 4s..12s
    rest: 1s
  - name: Ankle circles
    steps:
      - Circle your ankle slowly, in both directions.
    repetitions: 3..6
    hold: 3s..10s
    sides: each
outro:
  - say: That is the end of the session.
    pause: 2s
"""


def batch_section(bench: Bench, variants: int, repeat: int, engine: str) -> tuple[list[str], dict[str, object]]:
    """``variants`` sessions of two to four minutes (lengths × four rates) on a two-worker Dask cluster started here and
    on the local pool (one process per core), on the same cores, paired (A B A B), each run with a cold clip cache; the
    lines each synthesised against the distinct lines the batch needs; then the pool again with nothing to do.

    The cluster is started, and makes the batch once (its workers import voiceguide and start their narrators, as a
    running cluster has done before), before the pairs: each side's time is then the command a person runs, from its
    start to its exit (the client's import of Dask and its connection counted; the pool's start of its processes too)."""
    routine = bench.work / "batch.yaml"
    routine.write_text(BATCH_ROUTINE)
    rates = ["130", "150", "170", "190"]
    count = max(1, variants // len(rates))
    lengths = [f"{120 + round(120 * i / max(1, count - 1))}s" for i in range(count)]
    matrix = [str(routine), "--engine", engine, *(a for v in lengths for a in ("--length", v)), *(a for r in rates for a in ("--rate", r))]
    n = len(lengths) * len(rates)
    said: dict[str, list[tuple[int, int, int]]] = {"dask": [], "pool": []}  # (synthesised, from the cache, distinct clips)

    def batch(mode: str, *extra: str) -> Run:
        cache, out = bench.work / f"batch-cache-{mode}", bench.work / f"batch-{mode}"
        shutil.rmtree(cache, ignore_errors=True)
        shutil.rmtree(out, ignore_errors=True)
        print(f"[batch] {n} variants, {mode} …", file=sys.stderr)
        run, printed = timed(
            [PY, "-m", "voiceguide", "batch", *matrix, "--out", str(out), "--cache", str(cache), "--quiet", *extra], bench.env
        )
        found = re.search(r"(\d+) lines? synthesised, (\d+) from the cache", printed)
        assert found, printed[-500:]
        said[mode].append((int(found[1]), int(found[2]), len(list((cache / "clips").glob("*/*.wav")))))
        return run

    dask = str(Path(PY).parent / "dask")
    if not Path(dask).exists():
        return [f"\nbatch: {n} variants; Dask not measured (pip install 'voiceguide[dask]')"], {}
    with socket.socket() as probe_port:
        probe_port.bind(("127.0.0.1", 0))
        port = str(probe_port.getsockname()[1])
    address = f"tcp://127.0.0.1:{port}"
    started = [subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", port, "--no-dashboard"], stderr=subprocess.DEVNULL)]
    try:
        time.sleep(3)
        worker = [dask, "worker", address, "--nworkers", "2", "--nthreads", "1", "--no-dashboard", "--host", "127.0.0.1"]
        started.append(subprocess.Popen(worker, stderr=subprocess.DEVNULL))
        probe = (
            "import sys, time; from distributed import Client, wait\n"
            "with Client(sys.argv[1]) as c:\n"
            "    c.wait_for_workers(2, timeout=120); c.gather(c.map(abs, range(20)))\n"
            "    t = time.perf_counter(); fs = c.map(abs, range(1000)); wait(fs); print((time.perf_counter() - t) / 1000)\n"
        )
        per_task = float(subprocess.run([PY, "-c", probe, address], capture_output=True, text=True, check=True).stdout)
        first = batch("dask", "--scheduler", address)  # untimed in the pairs: a running cluster has made a batch before
        pair = paired("batch", "Dask", "pool", lambda: batch("dask", "--scheduler", address), lambda: batch("pool"), repeat)
    finally:
        for proc in reversed(started):
            proc.terminate()
            proc.wait(timeout=60)
    rerun = timed([PY, "-m", "voiceguide", "batch", *matrix, "--out", str(bench.work / "batch-pool"), "--cache",
                   str(bench.work / "batch-cache-pool"), "--quiet"], bench.env)[0]  # fmt: skip
    identical = all((bench.work / "batch-dask" / f.name).read_bytes() == f.read_bytes() for f in (bench.work / "batch-pool").glob("*.mp3"))
    lines = [
        (
            f"\nbatch: {n} sessions of 2–4 minutes (lengths × rates), engine {engine}, cold clip cache each run,"
            f" {os.cpu_count()} cores, {repeat} rounds (A B A B …):\n"
        ),
        "| comparison | A (median) | B (median) | A/B: median, range | peak MB A / B | load avg (range) | others' cores (max) |",
        "|---|---|---|---|---|---|---|",
        pair.row().replace("| batch |", "| Dask (2 workers × 1 thread, here) / local pool |"),
        *(
            f"\n{mode}: lines synthesised {s} (from the cache {c}) against {d} distinct lines"
            for mode, runs in said.items()
            for s, c, d in runs[:1]
        ),
        (
            f"\nthe cluster's first batch after it started (untimed in the pairs): {first.wall_s:.1f} s (load {first.load1:.1f})"
            f"\nlocal pool again, nothing to do: {rerun.wall_s:.1f} s (load {rerun.load1:.1f}); Dask's own cost per task"
            f" (1000 no-op tasks): {per_task * 1000:.2f} ms; files identical Dask / pool: {identical}"
        ),
    ]
    return lines, {"pair": asdict(pair) | {"ratios": pair.ratios}, "lines": said, "rerun": asdict(rerun), "dask_task_s": per_task,
                   "identical": identical, "dask_first": asdict(first)}  # fmt: skip


def mix_section(bench: Bench, minutes: float, repeat: int) -> tuple[list[str], dict[str, object]]:
    """What the mix costs: a warm build over each generated bed against the same build without music, a first
    build that makes its bed (while the narrator works) against one that finds it cached, and each bed's making."""
    from voiceguide.registry import BEDS
    from voiceguide.render.beds import maker

    routine = bench.work / f"mix-{minutes:g}.yaml"
    routine.write_text(routine_yaml(minutes))
    cache, out = bench.work / f"mix-cache-{minutes:g}", bench.work / f"mix-{minutes:g}.mp3"
    print(f"[mix, {minutes:g} min] first build (untimed) …", file=sys.stderr)
    bench.build(routine, cache, out, cold=True)
    build = functools.partial(bench.build, routine, cache, out)

    def cold_clips(keep_bed: bool) -> Run:
        shutil.rmtree(cache / "clips" if keep_bed else cache, ignore_errors=True)
        return build()

    pairs = [
        paired(
            f"warm build, {name} bed ÷ no music",
            name,
            "none",
            functools.partial(build, "--bed", name),
            functools.partial(build, "--no-music"),
            repeat,
        )
        for name in BEDS
    ]
    pairs.append(
        paired(
            "cold build making its bed ÷ finding it cached",
            "bed made",
            "bed cached",
            lambda: cold_clips(False),
            lambda: cold_clips(True),
            repeat,
        )
    )
    made = {}
    for name in BEDS:
        make = maker(name)
        start = time.perf_counter()
        make(44100)
        made[name] = time.perf_counter() - start
    lines = [
        f"\nThe mix, {minutes:g}-minute session, {repeat} rounds (A B A B …):\n",
        "| comparison | A (median) | B (median) | A/B: median, range | peak MB A / B | load avg (range) | others' cores (max) |",
        "|---|---|---|---|---|---|---|",
        *[p.row() for p in pairs],
        f"\nMaking each bed once (in this process, load {os.getloadavg()[0]:.1f}): "
        + ", ".join(f"{name} {seconds:.2f} s" for name, seconds in made.items()),
    ]
    return lines, {"pairs": [asdict(p) | {"ratios": p.ratios} for p in pairs], "made_s": made}


def formats_section(bench: Bench, minutes: float, repeat: int) -> tuple[list[str], dict[str, object]]:
    """Warm M4B and Opus builds against the warm MP3 build of the same session, paired (the narrator: espeak-ng)."""
    routine = bench.work / f"formats-{minutes:g}.yaml"
    routine.write_text(routine_yaml(minutes))
    cache = bench.work / f"cache-formats-{minutes:g}"

    def build(fmt: str) -> Run:
        return bench.build(routine, cache, bench.work / f"formats.{fmt}", "--engine", "pyttsx3")

    print(f"[{minutes:g} min] formats: first builds (untimed) …", file=sys.stderr)
    for fmt in ("mp3", "m4b", "opus"):
        build(fmt)
    pairs = [paired(f"warm {fmt} build ÷ warm mp3 build", fmt, "mp3", functools.partial(build, fmt), functools.partial(build, "mp3"), repeat)
             for fmt in ("m4b", "opus")]  # fmt: skip
    lines = [f"\nFormats, {minutes:g}-minute session, {repeat} rounds (A B A B …):\n"]
    lines += ["| comparison | A (median) | B (median) | A/B: median, range | peak MB A / B | load avg (range) | others' cores (max) |"]
    lines += ["|---|---|---|---|---|---|---|", *(p.row() for p in pairs)]
    return lines, {"minutes": minutes, "pairs": [asdict(p) | {"ratios": p.ratios} for p in pairs]}


def ffmpeg_version(path: str) -> str:
    first = subprocess.run([path, "-version"], capture_output=True, text=True, check=True).stdout.split("\n", 1)[0]
    return first.split(" Copyright")[0].removeprefix("ffmpeg version ")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, nargs="*", default=[30], help="session lengths to measure builds on (none: skip)")
    parser.add_argument("--repeat", type=int, default=3, help="rounds of each A B pair")
    parser.add_argument("--ffmpeg", help="the ffmpeg for every side (default: the one voiceguide finds)")
    parser.add_argument("--qualities", type=int, nargs="+", default=[7, 3], help="LAME -q values: ours first, then others (3 is LAME's)")
    parser.add_argument("--naive-minutes", type=float, nargs="*", default=[30], help="lengths to run the naive script on")
    parser.add_argument(
        "--long-minutes", type=float, default=180, help="session length for the memory check with a 10-minute music file (0 to skip)"
    )
    parser.add_argument("--batch", type=int, default=20, metavar="N", help="variants for the batch section (0 to skip)")
    parser.add_argument("--batch-engine", default="pyttsx3", help="the narrator of the batch section (kokoro: narration dominates)")
    parser.add_argument("--mix-minutes", type=float, default=10, help="session length for what the mix costs, per bed (0 to skip)")
    parser.add_argument("--formats-minutes", type=float, default=10, help="session length for M4B and Opus against MP3 (0 to skip)")
    parser.add_argument("--keep", type=Path, help="keep generated files in this folder")
    parser.add_argument("--json", type=Path, help="also write every run here")
    parser.add_argument(
        "--voices", action="store_true", help="then measure the narrators too (scripts/bench_voices.py: extras kokoro, piper, measure)"
    )
    parser.add_argument("--studio", action="store_true", help="only the studio's figures (scripts/bench_studio.py: the studio extra)")
    parser.add_argument(
        "--listen", action="store_true", help="only the spoken-command detector's (scripts/bench_listen.py: the listen extra)"
    )
    args = parser.parse_args()
    if args.listen:
        import bench_listen  # scripts/: real-time factor, CPU while playing, commands found and invented

        bench_listen.main([f"--repeat={args.repeat}"])
        return
    if args.studio:
        import bench_studio  # scripts/: start-up, validate round trip, memory

        bench_studio.main([f"--repeat={args.repeat}"])
        return
    from voiceguide.ffmpeg import ffmpeg_exe

    ffmpeg = str(Path(args.ffmpeg).resolve()) if args.ffmpeg else ffmpeg_exe()
    work = Path(tempfile.mkdtemp(prefix="voiceguide-bench-")) if args.keep is None else args.keep
    work.mkdir(parents=True, exist_ok=True)
    bench = Bench(work, ffmpeg)
    version = ffmpeg_version(ffmpeg)
    print(f"voiceguide benchmark — {os.cpu_count()} cores, Python {sys.version.split()[0]}, ffmpeg {version}", file=sys.stderr)
    lines, record = [], {"ffmpeg": version, "cores": os.cpu_count(), "sessions": {}}
    try:
        for minutes in args.minutes:
            length_s, pairs = session(bench, minutes, args)
            lines.append(f"\n{length_s / 60:.1f}-minute session, ffmpeg {version}, {args.repeat} rounds (A B A B …):\n")
            lines.append(
                "| comparison | A (median) | B (median) | A/B: median, range | peak MB A / B | load avg (range) | others' cores (max) |"
            )
            lines.append("|---|---|---|---|---|---|---|")
            lines += [p.row() for p in pairs]
            record["sessions"][f"{minutes:g}"] = {"length_s": length_s, "pairs": [asdict(p) | {"ratios": p.ratios} for p in pairs]}
        if args.formats_minutes:
            format_lines, record["formats"] = formats_section(bench, args.formats_minutes, args.repeat)
            lines += format_lines
        if args.mix_minutes:
            mix_lines, record["mix"] = mix_section(bench, args.mix_minutes, args.repeat)
            lines += mix_lines
        if args.long_minutes:
            minutes = args.long_minutes
            routine = work / f"bench-{minutes:g}.yaml"
            routine.write_text(routine_yaml(minutes))
            print(f"[{minutes:g} min] build with a 10-minute music file …", file=sys.stderr)
            run = bench.build(routine, work / f"cache-{minutes:g}", work / f"bench-{minutes:g}.mp3", "--music", str(long_music(bench)))
            lines.append(
                f"\n{minutes:g}-minute session with a 10-minute music file: {run.wall_s:.1f} s, "
                f"peak {run.peak_mb:.0f} MB (its largest child process {run.child_peak_mb:.0f} MB), load {run.load1:.1f}"
            )
            record["long"] = asdict(run)
        if args.batch:
            batch_lines, record["batch"] = batch_section(bench, args.batch, args.repeat, args.batch_engine)
            lines += batch_lines
        print("\n".join(lines))
        if args.voices:
            import bench_voices  # scripts/: speed, words a minute, word error rate and Kokoro builds

            bench_voices.main([])
        if args.json:
            args.json.write_text(json.dumps(record, indent=1))
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
