"""The studio's figures: time from 'voiceguide studio' to its first page, a validate round trip on the largest built-in
routine, and the server's memory idle and during a build. Paired with a reference run in the same session (A B A B),
the machine's load beside each figure.

    SETUP_EXTRAS=bench,studio scripts/bench --studio      (or: .venv/bin/python scripts/bench_studio.py [--repeat N])
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

VOICEGUIDE = [sys.executable, "-m", "voiceguide"]


def _rss_mb(pid: int, field: str = "VmRSS") -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):  # children of every thread: the build thread starts the narrators
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return found + [g for c in found for g in _children(c)]


class Studio:
    """'voiceguide studio' started as a person starts it; ``started_s``: until its first page was served."""

    def __init__(self, library: Path, env: dict[str, str]) -> None:
        clock = time.perf_counter()
        self.process = subprocess.Popen(
            [*VOICEGUIDE, "studio", "--no-browser", "--library", str(library)], stderr=subprocess.PIPE, text=True, env=env
        )
        assert self.process.stderr is not None
        for line in self.process.stderr:
            if "the studio is at" in line:
                url = line.split()[4]
                break
        else:
            raise SystemExit(f"the studio did not start (exit {self.process.wait()})")
        self.port = int(url.split(":")[2].split("/")[0])
        self.token = url.split("token=")[1]
        while True:
            try:
                if self.get("/")[0] == 200:
                    break
            except OSError:
                time.sleep(0.005)
        self.started_s = time.perf_counter() - clock

    def request(self, method: str, path: str, body: object = None) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        headers = {"Host": f"127.0.0.1:{self.port}", "Authorization": f"Token {self.token}", "Content-Type": "application/json"}
        conn.request(method, path, body=None if body is None else json.dumps(body), headers=headers)
        response = conn.getresponse()
        answer = response.status, response.read()
        conn.close()
        return answer

    def get(self, path: str) -> tuple[int, bytes]:
        return self.request("GET", path)

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.process.stderr:
            self.process.stderr.close()


def _cli_start(env: dict[str, str]) -> float:
    clock = time.perf_counter()
    subprocess.run([*VOICEGUIDE, "--version"], check=True, capture_output=True, env=env)
    return time.perf_counter() - clock


def _largest_builtin() -> Path:
    from voiceguide.routine import builtin_routines

    return max(builtin_routines().values(), key=lambda p: p.stat().st_size)


def _validate_in_process(path: Path) -> float:
    from voiceguide.errors import RoutineError
    from voiceguide.plan import load_routine
    from voiceguide.session import check_narration

    clock = time.perf_counter()
    try:
        check_narration(load_routine(path))
    except RoutineError:
        pass
    return time.perf_counter() - clock


def _spread(values: list[float], unit: float = 1000.0) -> str:
    return f"{statistics.median(values) * unit:.0f} ({min(values) * unit:.0f}–{max(values) * unit:.0f})"


def startup(work: Path, env: dict[str, str], repeat: int) -> str:
    """A: 'voiceguide studio' until its first page is served; B: the bare command line starting."""
    starts, clis, loads = [], [], []
    for i in range(repeat):
        loads.append(os.getloadavg()[0])
        studio = Studio(work / f"library-{i}", env)
        starts.append(studio.started_s)
        studio.stop()
        clis.append(_cli_start(env))
    ratio = statistics.median(a / b for a, b in zip(starts, clis, strict=True))
    return (
        f"| A: 'voiceguide studio' to its first page, ms; B: 'voiceguide --version', ms "
        f"| {_spread(starts)} | {_spread(clis)} | {ratio:.2f} | {statistics.median(loads):.1f} |"
    )


def validate_trip(studio: Studio, rounds: int) -> str:
    """A: POST /api/validate on the largest built-in routine; B: the same checks in this process."""
    routine = _largest_builtin()
    text = routine.read_text()
    trips, direct, loads = [], [], []
    studio.request("POST", "/api/validate", {"yaml": text})  # first use loads the checks
    _validate_in_process(routine)
    for _ in range(rounds):
        loads.append(os.getloadavg()[0])
        clock = time.perf_counter()
        status, _ = studio.request("POST", "/api/validate", {"yaml": text, "name": routine.stem})
        trips.append(time.perf_counter() - clock)
        assert status == 200
        direct.append(_validate_in_process(routine))
    ratio = statistics.median(a / b for a, b in zip(trips, direct, strict=True))
    return (
        f"| A: POST /api/validate on {routine.stem} ({routine.stat().st_size:,} bytes), ms; B: the same checks in-process, ms "
        f"| {_spread(trips)} | {_spread(direct)} | {ratio:.2f} | {statistics.median(loads):.1f} |"
    )


def memory(studio: Studio, routine: str) -> str:
    """The server's resident memory idle, then at its highest while it builds ``routine`` (and with its narrators)."""
    idle = _rss_mb(studio.process.pid)
    load = os.getloadavg()[0]
    _, body = studio.request("POST", "/api/builds", {"name": routine})
    build_id = json.loads(body)["id"]
    peak, with_children = 0.0, 0.0
    while json.loads(studio.get(f"/api/builds/{build_id}")[1])["state"] in ("queued", "running"):
        peak = max(peak, _rss_mb(studio.process.pid))
        with_children = max(with_children, peak + sum(_rss_mb(c) for c in _children(studio.process.pid)))
        time.sleep(0.05)
    state = json.loads(studio.get(f"/api/builds/{build_id}")[1])["state"]
    return (
        f"\nServer memory (RSS): idle {idle:.0f} MB; during a build of {routine} ({state}) at most {peak:.0f} MB "
        f"(high-water mark {_rss_mb(studio.process.pid, 'VmHWM'):.0f} MB; with its narration workers {with_children:.0f} MB); load {load:.1f}"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5, help="rounds of each A B pair")
    parser.add_argument("--build", default="gentle-foot-unwind", help="the built-in routine built for the memory figure")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="voiceguide-bench-studio-"))
    env = {**os.environ, "VOICEGUIDE_CACHE": str(work / "cache"), "VOICEGUIDE_ENGINE": os.environ.get("VOICEGUIDE_ENGINE", "pyttsx3")}
    lines = [
        f"\nStudio, {args.repeat} rounds (A B A B …), {os.cpu_count()} cores:\n",
        "| figure | A: median (range) | B: median (range) | A/B | load avg |",
        "|---|---|---|---|---|",
    ]
    try:
        lines.append(startup(work, env, args.repeat))
        studio = Studio(work / "library", env)
        try:
            lines.append(validate_trip(studio, args.repeat * 4))
            lines.append(memory(studio, args.build))
        finally:
            studio.stop()
        print("\n".join(lines))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
