"""CPU bench: where the CPU of a whole cold `trialex run` goes, by process role (main process, GX
validator / Data Docs child, fork server, workers), on the 6 copies of the development paper, 1 job
and 2 jobs, and the 2-job speed-up that CPU allows on this machine: a run whose processes need C
CPU-seconds cannot end before C / cores, whatever the scheduling, so the speed-up is at most
(1-job wall) / (2-job CPU / cores). The 2-job run does all the work of the 1-job run, so its CPU is
at least the 1-job run's: the speed-up is also at most cores x (1-job wall) / (1-job CPU), a bound
that the 2-job run's contention does not move (only a change of the machine's speed between the two
runs does). The CPU of importing Great
Expectations alone (as the validator does, `quality.lean` first) is printed beside it: it is spent
off the 1-job run's critical path, so it bounds how high that second bound can go.

Read by polling /proc (Linux): a process's CPU is its last reading before it ends, so a few
hundredths of a second per process may be missing. Run with `make bench` or `python -m bench cpu`
(BENCH_COPIES=n copies of the development paper, default 6: the fixed costs weigh less on more)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from bench.bench_batch import _copies
from bench.common import ROOT
from pipeline.batch.procs import VALIDATOR_NAME

POLL = 0.05  # seconds between readings of /proc
_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds so far) of a live process."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text.rsplit(")", 1)[1].split()  # the name in parentheses may hold spaces
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / _TICK


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def _role(pid: int, root: int, parents: dict[int, int], cmd: str, comm: str = "") -> str:
    if pid == root:
        return "main process"
    if "resource_tracker" in cmd:
        return "resource tracker"
    if "forkserver" in cmd and parents.get(pid) == root:
        return "fork server"
    if "spawn_main" in cmd or comm == VALIDATOR_NAME:  # spawned, or forked from the server and named
        return "validator / Data Docs child"
    return "workers" if parents.get(pid) != root else "other"


def cpu_by_role(cmd: list[str]) -> tuple[float, dict[str, float]]:
    """Wall seconds of `cmd` and the CPU seconds of its process tree, by role."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    cpu: dict[int, float] = {}
    parents: dict[int, int] = {}
    cmds: dict[int, str] = {}
    comms: dict[int, str] = {}
    while proc.poll() is None:
        live = {pid: st for pid in map(int, filter(str.isdigit, os.listdir("/proc"))) if (st := _stat(pid))}
        tree, grew = {proc.pid}, True
        while grew:  # descendants of the run, however deep
            new = {pid for pid, (ppid, _) in live.items() if ppid in tree} - tree
            tree |= new
            grew = bool(new)
        for pid in tree & live.keys():
            parents[pid], cpu[pid] = live[pid]
            if pid not in cmds:
                cmds[pid] = _cmdline(pid)
            if comms.get(pid) != VALIDATOR_NAME:  # a forked child names itself just after it starts
                comms[pid] = _comm(pid)
        time.sleep(POLL)
    wall = time.perf_counter() - t0
    roles: dict[str, float] = defaultdict(float)
    for pid, seconds in cpu.items():
        roles[_role(pid, proc.pid, parents, cmds[pid], comms.get(pid, ""))] += seconds
    return wall, dict(roles)


def import_cpu(code: str) -> float:
    """CPU seconds of a new Python process that runs `code` (start-up included)."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


GX_IMPORT = "from pipeline.quality.lean import lean; lean(); import great_expectations"


def main() -> None:
    if not Path("/proc/self/stat").is_file():
        print("no /proc: the CPU bench runs on Linux only")
        return
    cores = os.cpu_count() or 1
    tmp = Path(tempfile.mkdtemp(prefix="trialex-bench-cpu-"))  # never in the repo
    try:
        copies = int(os.environ.get("BENCH_COPIES", "6"))
        _copies(tmp / "in", copies)
        print(f"{copies} copies of the development paper")
        cli = [
            sys.executable,
            "-m",
            "pipeline.cli",
            "run",
            str(tmp / "in"),
            "--fail-on",
            "never",
            "--no-cache",
        ]
        walls, totals = {}, {}
        for jobs in (1, 2):
            wall, roles = cpu_by_role([*cli, "-o", str(tmp / f"o{jobs}"), "-j", str(jobs)])
            walls[jobs], totals[jobs] = wall, sum(roles.values())
            parts = "  ".join(f"{name} {s:.1f}" for name, s in sorted(roles.items(), key=lambda kv: -kv[1]))
            print(
                f"{jobs} job{'s' if jobs > 1 else ''}: wall {wall:5.1f} s  CPU {totals[jobs]:5.1f} s  ({parts})"
            )
        floor = totals[2] / cores
        print(
            f"2 jobs cannot end before CPU / {cores} cores = {floor:.1f} s: speed-up at most "
            f"{walls[1] / floor:.2f}x (measured {walls[1] / walls[2]:.2f}x, aim >= 1.8x); 1.8x needs the "
            f"2-job CPU <= {walls[1] / 1.8 * cores:.1f} s with no serial part"
        )
        beside = totals[1] - walls[1]
        gx = import_cpu(GX_IMPORT) - import_cpu("pass")
        print(
            f"the 1-job run spends {beside:.1f} CPU-s beside its critical path, so at a steady speed no 2-job run beats "
            f"{cores} x {walls[1]:.1f} / {totals[1]:.1f} = {cores * walls[1] / totals[1]:.2f}x; 1.8x needs that "
            f"<= {walls[1] * (cores / 1.8 - 1):.1f} s (importing GX alone: {gx:.1f} CPU-s)"
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
