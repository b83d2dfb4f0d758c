"""Batch bench: pipeline cost per page against the bare pdfplumber pass; whole `trialex run`
processes on 6 distinct copies of the development paper (1 job against the bare pass, 2 jobs against
1, a cached re-run against a cold run) and on the real papers of ../shared/real-pdfs that ingest (1 job
against the bare pass); peak memory per worker (dev paper, then a 300-page PDF; a failed document is
printed with its reason).

The copies are written to a temporary folder (never the repo); the 300-page PDF under bench/.work/
(gitignored). Run with `make bench` or `python -m bench batch` (BENCH_REPS=n repetitions, default 3).
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.common import DEV_PDF, REAL_PDFS, ROOT, bare_words_tables, timed

WORK = ROOT / "bench" / ".work"


def _long_pdf(pages: int = 300) -> Path:
    path = WORK / f"long-{pages}p.pdf"
    if path.is_file():
        return path
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    WORK.mkdir(parents=True, exist_ok=True)
    c = canvas.Canvas(str(path), pagesize=A4)
    line = "In the phase II study, 97 patients received the product; the ORR was 73% (CR 33%) at 12 months."
    for p in range(pages):
        c.setFont("Helvetica", 9)
        for i in range(60):
            c.drawString(50, 800 - i * 12.5, f"{p + 1}.{i} {line}")
        c.showPage()
    c.save()
    return path


# The 300-page PDF takes minutes on a loaded machine: its memory is measured here, not its time.
LONG_TIMEOUT = 3600.0


def _run(paths: list[Path], out: Path, jobs: int, cache: bool) -> tuple[float, object]:
    from pipeline.batch import run

    t0 = time.perf_counter()
    rep = run([str(p) for p in paths], out, jobs=jobs, use_cache=cache, progress=False, data_docs=False,
              timeout=LONG_TIMEOUT)  # fmt: skip
    return time.perf_counter() - t0, rep


CORPUS_DEV = ROOT.parent / "shared" / "corpus" / "mm-car-t-review-2024.pdf"
_BARE = "import sys; from bench.common import bare_words_tables as b; [b(p) for p in sys.argv[1:]]"


def _copies(folder: Path, n: int = 6) -> list[Path]:
    """n copies of the development paper with distinct bytes (a comment after the trailer), so that
    neither the cache nor a doc_id clash makes one the same as another."""
    data = (CORPUS_DEV if CORPUS_DEV.is_file() else DEV_PDF).read_bytes()
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"copy-{i}.pdf" for i in range(n)]
    for i, p in enumerate(paths):
        p.write_bytes(data + f"\n%copy {i}\n%%EOF\n".encode())
    return paths


def _wall(cmd: list[str]) -> float:
    """Wall seconds of a whole process, start-up included."""
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def _wall_halves(cmd: list[str], args: list[str]) -> float:
    """Wall seconds of two processes of `cmd` side by side, each given half of `args`."""
    half = len(args) // 2
    t0 = time.perf_counter()
    procs = [subprocess.Popen([*cmd, *part], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
             for part in (args[:half], args[half:])]  # fmt: skip
    if any([p.wait() for p in procs]):  # a list: both waited for, whichever fails
        raise RuntimeError(f"{cmd} failed")
    return time.perf_counter() - t0


def _spread(xs: list[float], fmt: str = "{:.2f}") -> str:
    return f"{fmt.format(statistics.median(xs))} ({fmt.format(min(xs))}-{fmt.format(max(xs))})"


def whole_runs(reps: int = int(os.environ.get("BENCH_REPS", "3"))) -> None:
    """`trialex run` as a user runs it (a new process, start-up, Data Docs) on 6 distinct copies of
    the development paper, against a bare pdfplumber pass (words + find_tables) over the same files
    in a new process. Repetitions are interleaved (bare, 1 job, 2 jobs, cached re-run), so that each
    ratio is taken within one repetition while the machine's load drifts; median (min-max). Each
    repetition also times two bare passes side by side, each over half the files: how far this
    machine lets two processes of pdfplumber alone speed up (a worker's time is mostly pdfplumber's)."""
    tmp = Path(tempfile.mkdtemp(prefix="trialex-bench-"))  # never in the repo
    try:
        pdfs = _copies(tmp / "in")
        cli = [sys.executable, "-m", "pipeline.cli", "run", str(tmp / "in"), "--fail-on", "never"]
        r1, r2, rc, rb, loads = [], [], [], [], []
        for _ in range(reps):
            loads.append(os.getloadavg()[0])
            shutil.rmtree(tmp / "o1", ignore_errors=True)
            shutil.rmtree(tmp / "o2", ignore_errors=True)
            bare = _wall([sys.executable, "-c", _BARE, *map(str, pdfs)])
            bare2 = _wall_halves([sys.executable, "-c", _BARE], list(map(str, pdfs)))
            j1 = _wall([*cli, "-o", str(tmp / "o1"), "-j", "1", "--no-cache"])
            j2 = _wall([*cli, "-o", str(tmp / "o2"), "-j", "2", "--no-cache"])
            cached = _wall([*cli, "-o", str(tmp / "o2"), "-j", "2"])
            r1.append(j1 / bare)
            r2.append(j1 / j2)
            rc.append(cached / j2)
            rb.append(bare / bare2)
            loads.append(os.getloadavg()[0])
            print(
                f"  rep: bare {bare:5.1f} s (2 side by side {bare2:4.1f} s)  1 job {j1:5.1f} s  2 jobs {j2:5.1f} s  "
                f"cached {cached:5.2f} s",
                flush=True,
            )
        print(
            f"6 copies, {reps} interleaved reps, load average {min(loads):.1f}-{max(loads):.1f} on {os.cpu_count()} cores"
        )
        print(f"whole pipeline 1 job / bare pdfplumber   {_spread(r1)}x   (aim <= 1.3x)")
        print(f"speed-up 2 jobs / 1 job                  {_spread(r2)}x   (aim >= 1.8x)")
        print(f"  bare pdfplumber, 2 processes / 1       {_spread(rb)}x   (pdfplumber alone, this machine)")
        print(
            f"cached re-run / cold 2-job run           {_spread([x * 100 for x in rc], '{:.1f}')}%   (aim <= 5%)"
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def real_runs(reps: int = int(os.environ.get("BENCH_REPS", "3"))) -> None:
    """`trialex run -j 1` against the bare pdfplumber pass, both whole processes, on the real papers of
    ../shared/real-pdfs that ingest (read where they are, never copied); skipped when absent."""
    from bench.bench_ingest import ingestible

    pdfs = ingestible(dev=False)
    if not pdfs:
        print(f"real papers: none found in {REAL_PDFS} (skipped)")
        return
    tmp = Path(tempfile.mkdtemp(prefix="trialex-bench-"))
    try:
        cli = [sys.executable, "-m", "pipeline.cli", "run", *map(str, pdfs), "--fail-on", "never"]
        ratios, loads = [], []
        for _ in range(reps):
            loads.append(os.getloadavg()[0])
            shutil.rmtree(tmp / "o", ignore_errors=True)
            bare = _wall([sys.executable, "-c", _BARE, *map(str, pdfs)])
            j1 = _wall([*cli, "-o", str(tmp / "o"), "-j", "1", "--no-cache"])
            ratios.append(j1 / bare)
            loads.append(os.getloadavg()[0])
            print(f"  rep: bare {bare:5.1f} s  1 job {j1:5.1f} s", flush=True)
        print(f"{len(pdfs)} real papers that ingest, {reps} interleaved reps, load average "
              f"{min(loads):.1f}-{max(loads):.1f}")  # fmt: skip
        print(f"whole pipeline 1 job / bare pdfplumber   {_spread(ratios)}x   (aim <= 1.3x)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    from pipeline.process import Pipeline

    pipe = Pipeline()
    pages = pipe.process(DEV_PDF).pages  # warm-up (lazy imports, caches)
    t_pipe = timed(lambda: pipe.process(DEV_PDF), repeat=2)
    t_bare = timed(lambda: bare_words_tables(DEV_PDF), repeat=2)
    print(f"pipeline per page      {t_pipe / pages * 1000:7.0f} ms   bare pdfplumber {t_bare / pages * 1000:5.0f} ms"
          f"   ratio {t_pipe / t_bare:5.2f}x   (aim <= 1.5x)")  # fmt: skip

    whole_runs()
    real_runs()
    out = WORK / "out"
    shutil.rmtree(out, ignore_errors=True)
    with WorkerPeak() as dev_peak:
        _, dev = _run([DEV_PDF], out / "mem-dev", jobs=1, cache=False)
    with WorkerPeak() as long_peak:
        t_long, long = _run([_long_pdf()], out / "mem-long", jobs=1, cache=False)
    print(f"peak memory per worker dev paper {_memory(dev.records[0].row)}   300-page PDF "
          f"{_memory(long.records[0].row)} in {t_long:.0f} s   (aim <= 500 MB)")  # fmt: skip
    print(f"  whole worker life (outputs written too): dev paper {dev_peak.mb:5.0f} MB   "
          f"300-page PDF {long_peak.mb:5.0f} MB   (aim <= 500 MB)")  # fmt: skip


def _hwm_kb(pid: int) -> int:
    """A process's peak resident set so far (VmHWM, Linux), in KiB; 0 when it cannot be read."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            return next((int(line.split()[1]) for line in f if line.startswith("VmHWM:")), 0)
    except OSError:
        return 0


class WorkerPeak:
    """The highest peak RSS of this process's run workers (the fork server's children), sampled in a
    thread while the run goes. report.json's peak_rss_mb is taken when the document's record is made,
    before the worker writes its outputs; this covers the worker's whole life."""

    def __init__(self) -> None:
        self.kb, self._stop = 0, threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    @property
    def mb(self) -> float:
        return self.kb / 1024

    def _poll(self) -> None:
        import psutil

        me = psutil.Process()
        while not self._stop.wait(0.1):
            try:
                servers = [p for p in me.children() if "forkserver" in " ".join(p.cmdline())]
                workers = [w for s in servers for w in s.children()]
            except psutil.Error:
                continue
            self.kb = max([self.kb, *(_hwm_kb(w.pid) for w in workers)])

    def __enter__(self) -> WorkerPeak:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _memory(row: dict) -> str:
    """A worker's peak RSS, or why the document failed (a worker killed on timeout reports none)."""
    if row.get("status") != "ok" or "peak_rss_mb" not in row:
        return f"FAILED ({row.get('status')}: {row.get('error')}: {row.get('error_detail')})"
    return f"{row['peak_rss_mb']:5.0f} MB ({row['pages']} pages)"


if __name__ == "__main__":
    main()
