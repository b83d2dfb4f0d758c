"""Growth bench: pipeline CPU time per page on generated papers of 25, 50, 100 and 300 pages (both
generators: `bench_batch._long_pdf`, one column of sentences; `longpdf.long_pdf`, two columns and a
ruled table per page). Cost must grow linearly with pages: the ms/page column stays roughly flat.

Each paper runs in one process that built the pipeline first (a worker), timed in CPU seconds of that
process (other processes on a loaded machine change wall time far more); peak RSS is the process's.
Run with `python -m bench growth` (BENCH_GROWTH_PAGES=25,50 for a shorter run).
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import ROOT

PAGES = tuple(int(x) for x in os.environ.get("BENCH_GROWTH_PAGES", "25,50,100,300").split(","))
KINDS = ("sentences", "columns+table")


def _pdf(kind: str, pages: int, folder: Path) -> Path:
    if kind == "sentences":
        from bench.bench_batch import _long_pdf

        return _long_pdf(pages)
    from bench.longpdf import long_pdf

    return long_pdf(folder, pages)


def _worker(kind: str, pages: int) -> None:
    from pipeline.process import Pipeline

    with tempfile.TemporaryDirectory() as folder:
        path = _pdf(kind, pages, Path(folder))
        pipe = Pipeline()
        t0 = time.process_time()
        r = pipe.process(path)
        cpu = time.process_time() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    stages = "  ".join(f"{k} {v / r.pages * 1000:4.0f}" for k, v in r.timings.items())
    print(
        f"{kind:14} {r.pages:4d} p  {cpu:6.1f} s CPU  {cpu / r.pages * 1000:5.0f} ms/page  peak RSS {rss:4.0f} MB"
        f"   (wall ms/page: {stages}; {len(r.outcomes)} outcomes, {len(r.findings)} findings)",
        flush=True,
    )


def main() -> None:
    print(
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (aim: flat ms/page, RSS <= 500 MB)"
    )
    for kind in KINDS:
        for pages in PAGES:
            out = subprocess.run(
                [sys.executable, "-m", "bench.bench_growth", "--worker", kind, str(pages)],
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=False,
            )
            print(out.stdout.strip() or f"{kind} {pages} p failed: {out.stderr.strip()[-500:]}", flush=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--worker"]:
        _worker(sys.argv[2], int(sys.argv[3]))
    else:
        main()
