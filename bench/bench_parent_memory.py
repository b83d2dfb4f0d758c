"""Parent memory bench: peak RSS of the process that runs `pipeline.batch.run` for a batch of 100 and
of 1,000 documents (aim: <= 400 MB, and not growing with the number of documents).

The documents are distinct copies of a generated one-page review (invented trials, 40 result
sentences; one byte-distinct trailer each, after %%EOF). The first copy is processed for real; its cached record, relabelled with each copy's doc_id, fills the
cache for the others, so each batch is a real run of the runner (discovery and hashing of every file,
cache hits, per-document outputs, parts, the streamed merge of CSV and Parquet, reports) in which
every document carries a full-size result. Each batch runs in a fresh process whose peak RSS
(VmHWM; not getrusage's ru_maxrss, which Linux carries across exec from the process that started it,
so that after `bench batch` in the same `make bench` it showed that process's peak) is the figure. Data Docs are off, as in bench_batch (they read the merged
tables back into memory). Run with `python -m bench parent_memory`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from bench.common import ROOT

WORK = ROOT / "bench" / ".work" / "parent"
SIZES = (100, 1000)

_CHILD = """
import json, resource, sys, time
from pipeline.batch import run
t0 = time.perf_counter()
rep = run([sys.argv[1]], sys.argv[2], jobs=1, progress=False, data_docs=False, cache_dir=sys.argv[3],
          fail_on="never")
try:  # this process's own peak: ru_maxrss keeps, across exec, the peak of the process that started it
    peak_kb = int(next(l for l in open("/proc/self/status") if l.startswith("VmHWM")).split()[1])
except (OSError, StopIteration):
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"peak_mb": peak_kb / 1024,
                  "seconds": time.perf_counter() - t0, "totals": rep.summary["totals"]}))
"""


def _review_pdf(path: Path) -> Path:
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path))
    c.setFont("Helvetica", 7)
    for i in range(40):
        n, orr, cr = 40 + 3 * i, 50 + i % 40, 20 + i % 30
        c.drawString(40, 800 - i * 18, f"In the KESTREL-{i + 1} study (NCT0{5100000 + 37 * i}), {n} patients "
                     f"received valbotamab; the ORR was {orr}% and the CR rate was {cr}%.")  # fmt: skip
    c.save()
    return path


def _copies(n: int) -> Path:
    """n byte-distinct copies of the review; folders docs<N> hold hard links to the first N."""
    src = WORK / "all"
    src.mkdir(parents=True, exist_ok=True)
    data = _review_pdf(WORK / "review.pdf").read_bytes()
    for i in range(n):
        p = src / f"paper-{i:05d}.pdf"
        if not p.is_file():
            p.write_bytes(data + f"\n%trialex-bench copy {i}\n".encode())
    for size in SIZES:
        folder = WORK / f"docs{size}"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir()
        for i in range(size):
            os.link(src / f"paper-{i:05d}.pdf", folder / f"paper-{i:05d}.pdf")
    return src


def _relabel(record: dict, doc_id: str, job) -> dict:
    rec = json.loads(json.dumps(record))
    rec["row"].update(doc_id=doc_id, path=job.shown, sha256=job.sha256)
    for table in ("studies", "outcomes", "findings", "mentions"):
        for r in rec[table]:
            r["doc_id"] = doc_id
    return rec


def _fill_cache(src: Path, cache_dir: Path) -> int:
    """Process the first copy for real, then give every copy that record under its own doc_id."""
    from pipeline.batch import run
    from pipeline.batch.cache import Cache
    from pipeline.batch.discover import make_jobs
    from pipeline.outputs import DocRecord

    first = sorted(src.glob("*.pdf"))[0]
    run([str(first)], WORK / "fill-out", jobs=1, progress=False, data_docs=False, cache_dir=cache_dir)
    (entry,) = [json.loads(p.read_text()) for p in cache_dir.rglob("*.json")]
    stamp, record = entry["stamp"], entry["record"]
    cache = Cache(cache_dir, stamp["rules"], stamp["code"], stamp["task"])
    jobs = make_jobs(sorted(src.glob("*.pdf")))
    for job in jobs:
        cache.put(job, DocRecord(**_relabel(record, job.doc_id, job)))
    return sum(len(record[t]) for t in ("studies", "outcomes", "findings", "mentions"))


def _measure(size: int, cache_dir: Path) -> dict:
    out = WORK / f"out{size}"
    shutil.rmtree(out, ignore_errors=True)
    args = [sys.executable, "-c", _CHILD, str(WORK / f"docs{size}"), str(out), str(cache_dir)]
    res = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    shutil.rmtree(WORK, ignore_errors=True)
    src = _copies(max(SIZES))
    cache_dir = WORK / "cache"
    rows = _fill_cache(src, cache_dir)
    got = {size: _measure(size, cache_dir) for size in SIZES}
    for size, m in got.items():
        t = m["totals"]
        print(f"parent peak RSS {size:5d} documents {m['peak_mb']:6.0f} MB   {m['seconds']:6.1f} s   "
              f"({t['cached']} cached, {t['outcomes']} outcomes, {t['mentions']} mentions; {rows} rows per document)")  # fmt: skip
    small, large = got[SIZES[0]]["peak_mb"], got[SIZES[-1]]["peak_mb"]
    print(f"parent peak RSS growth {SIZES[0]} -> {SIZES[-1]} documents: {large - small:+.0f} MB "
          f"({large / small:.2f}x)   (aim: <= 400 MB, flat)")  # fmt: skip


if __name__ == "__main__":
    main()
