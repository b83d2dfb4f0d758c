"""Batch bench: pipeline cost per page against the bare pdfplumber pass, 2 jobs against 1, a cached
re-run against a cold run, and peak memory per worker (dev paper, then a 300-page PDF).

Inputs are built under bench/.work/ (gitignored): copies of the dev paper, the shared real PDFs when
present, and a generated 300-page PDF. Run with `make bench` or `python -m bench batch`.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from bench.common import DEV_PDF, REAL_PDFS, ROOT, bare_words_tables, timed

WORK = ROOT / "bench" / ".work"
GOOD_REAL = ["arxiv-0807.3577", "bmc-hsr-2014", "bmj-rct-smoking-pregnancy", "clinsci-2014",
             "intpsychogeriatrics-2014", "journal-article-8p", "rotated-table", "wang-2008-two-column"]  # fmt: skip


def _batch_folder(n: int = 20) -> Path:
    folder = WORK / "batch20"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    real = [REAL_PDFS / f"{s}.pdf" for s in GOOD_REAL if (REAL_PDFS / f"{s}.pdf").is_file()]
    for p in real[: n // 2]:
        shutil.copy(p, folder / p.name)
    for i in range(n - len(list(folder.iterdir()))):
        shutil.copy(DEV_PDF, folder / f"dev-copy-{i:02d}.pdf")
    return folder


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


def _run(paths: list[Path], out: Path, jobs: int, cache: bool) -> tuple[float, object]:
    from pipeline.batch import run

    t0 = time.perf_counter()
    rep = run([str(p) for p in paths], out, jobs=jobs, use_cache=cache, progress=False, data_docs=False)
    return time.perf_counter() - t0, rep


def main() -> None:
    from pipeline.process import Pipeline

    pipe = Pipeline()
    pages = pipe.process(DEV_PDF).pages  # warm-up (lazy imports, caches)
    t_pipe = timed(lambda: pipe.process(DEV_PDF), repeat=2)
    t_bare = timed(lambda: bare_words_tables(DEV_PDF), repeat=2)
    print(f"pipeline per page      {t_pipe / pages * 1000:7.0f} ms   bare pdfplumber {t_bare / pages * 1000:5.0f} ms"
          f"   ratio {t_pipe / t_bare:5.2f}x   (aim <= 1.5x)")  # fmt: skip

    folder = _batch_folder()
    out = WORK / "out"
    shutil.rmtree(out, ignore_errors=True)
    t1, rep1 = _run([folder], out / "j1", jobs=1, cache=False)
    t2, _ = _run([folder], out / "j2", jobs=2, cache=False)
    n_pages = rep1.summary["totals"]["pages"]
    print(
        f"20 papers ({n_pages} pages) 1 job {t1:6.1f} s   2 jobs {t2:6.1f} s   speed-up {t1 / t2:4.2f}x   (aim >= 1.7x)"
    )

    cold, _ = _run([folder], out / "cached", jobs=2, cache=True)
    warm, rep = _run([folder], out / "cached", jobs=2, cache=True)
    assert rep.summary["totals"]["cached"] == rep.summary["totals"]["documents"]
    print(
        f"cached re-run          cold {cold:6.1f} s   re-run {warm:5.2f} s   ratio {warm / cold:6.1%}   (aim <= 5%)"
    )

    _, dev = _run([DEV_PDF], out / "mem-dev", jobs=1, cache=False)
    _, long = _run([_long_pdf()], out / "mem-long", jobs=1, cache=False)
    m_dev, m_long = dev.records[0].row["peak_rss_mb"], long.records[0].row["peak_rss_mb"]
    print(f"peak memory per worker dev paper {m_dev:5.0f} MB   300-page PDF {m_long:5.0f} MB "
          f"({long.records[0].row['status']}, {long.records[0].row['pages']} pages)   (aim <= 500 MB)")  # fmt: skip


if __name__ == "__main__":
    main()
