"""Ingest speed and worker memory.

Speed: per paper (the development paper and every real PDF of ../shared/real-pdfs that ingests),
`ingest.read` against a bare pdfplumber `extract_words` pass over the same pages, and ingest +
`tables.extract` against bare `extract_words` + `find_tables` (aim: ingest <= 1.5x, the stage pair
<= 1.3x). The four are run interleaved, `ROUNDS` rounds, each round timed in CPU seconds of this
process (other processes on a loaded machine change wall time far more than CPU time); the ratio
printed is the median of the rounds' ratios, with its spread (min-max) and the load average.

Memory: a fresh process builds the pipeline (rules, spaCy, checker: what a worker holds before its
first page), then reads a generated 300-page paper (two columns of text and a ruled table per page,
bench/longpdf.py, in a temporary folder) through ingest, tables and NER; its peak RSS after each
stage is printed (aim: <= 500 MB).
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.common import DEV_PDF, REAL_PDFS, ROOT, bare_words, bare_words_tables
from pipeline import ingest, tables

ROUNDS = 3
LONG_PAGES = 300


def _cpu(fn: Callable[[], object]) -> float:
    t0 = time.process_time()
    fn()
    return time.process_time() - t0


def ingestible(dev: bool = True) -> list[Path]:
    """The development paper (with `dev`) and every real PDF of ../shared/real-pdfs that ingests."""
    out = [DEV_PDF] if dev else []
    for p in sorted(REAL_PDFS.glob("*.pdf")) if REAL_PDFS.is_dir() else []:
        try:
            ingest.read(p)
        except ingest.IngestError:
            continue
        out.append(p)
    return out


def _rounds(path: Path) -> dict[str, list[float]]:
    runs: dict[str, Callable[[], object]] = {
        "words": lambda: bare_words(path),
        "ingest": lambda: ingest.read(path),
        "words+tables": lambda: bare_words_tables(path),
        "ingest+tables": lambda: tables.extract(ingest.read(path)),
    }
    out: dict[str, list[float]] = {k: [] for k in runs}
    for _ in range(ROUNDS):
        for k, fn in runs.items():
            out[k].append(_cpu(fn))
    return out


def _ratio(ours: list[float], bare: list[float]) -> tuple[float, float, float]:
    rs = [a / b for a, b in zip(ours, bare, strict=True)]
    return statistics.median(rs), min(rs), max(rs)


def speed() -> None:
    paths = ingestible()
    print(
        f"load average at start {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; {ROUNDS} interleaved rounds"
    )
    print(
        f"{'pdf':28} {'pages':>5} {'ingest':>7} {'words':>7} {'ratio':>5} {'spread':>11}"
        f" {'+tables':>7} {'w+tab':>7} {'ratio':>5} {'spread':>11}  (CPU ms/page)"
    )
    total: dict[str, list[float]] = {}
    for path in paths:
        pages = bare_words(path)
        r = _rounds(path)
        for k, v in r.items():
            total[k] = [a + b for a, b in zip(total.get(k, [0.0] * ROUNDS), v, strict=True)]
        ing, wor = statistics.median(r["ingest"]), statistics.median(r["words"])
        it, wt = statistics.median(r["ingest+tables"]), statistics.median(r["words+tables"])
        m1, lo1, hi1 = _ratio(r["ingest"], r["words"])
        m2, lo2, hi2 = _ratio(r["ingest+tables"], r["words+tables"])
        print(
            f"{path.name[:28]:28} {pages:5d} {ing / pages * 1e3:7.1f} {wor / pages * 1e3:7.1f} {m1:5.2f}"
            f" {lo1:5.2f}-{hi1:<5.2f} {it / pages * 1e3:7.1f} {wt / pages * 1e3:7.1f} {m2:5.2f} {lo2:5.2f}-{hi2:<5.2f}",
            flush=True,
        )
    m1, lo1, hi1 = _ratio(total["ingest"], total["words"])
    m2, lo2, hi2 = _ratio(total["ingest+tables"], total["words+tables"])
    tab = statistics.median(total["ingest+tables"]) - statistics.median(total["ingest"])
    print(
        f"{'all':28} ingest {m1:.2f}x ({lo1:.2f}-{hi1:.2f})   ingest+tables {m2:.2f}x ({lo2:.2f}-{hi2:.2f})"
        f"   table stage {tab / statistics.median(total['ingest+tables']):.0%} of the pair"
        f"   load average at end {os.getloadavg()[0]:.1f}   (aim ingest <= 1.5x, pair <= 1.3x)"
    )


def memory() -> None:
    """Peak RSS of a fresh worker-like process over the long paper (see the module's docstring)."""
    out = subprocess.run(
        [sys.executable, "-m", "bench.bench_ingest", "--worker", str(LONG_PAGES)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    print(out.stdout.strip() or f"memory run failed: {out.stderr.strip()[-500:]}")


def _worker(pages: int) -> None:
    from bench.longpdf import long_pdf
    from pipeline.process import Pipeline

    def peak() -> float:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    with tempfile.TemporaryDirectory() as folder:
        path = long_pdf(Path(folder), pages)
        pipe = Pipeline()
        start = peak()
        doc = ingest.read(path, names=pipe.names)
        after_ingest = peak()
        tables.extract(doc)
        after_tables = peak()
        pipe.annotator.annotate(doc)
        print(
            f"worker peak RSS, generated {len(doc.pages)}-page paper ({len(doc.tables)} tables): "
            f"pipeline built {start:.0f} MB, after ingest {after_ingest:.0f} MB, tables {after_tables:.0f} MB, "
            f"ner {peak():.0f} MB   (aim <= 500 MB)"
        )


def main() -> None:
    speed()
    memory()


if __name__ == "__main__":
    if sys.argv[1:2] == ["--worker"]:
        _worker(int(sys.argv[2]))
    else:
        main()
