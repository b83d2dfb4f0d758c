"""Ingest speed: seconds per page of `ingest.read` against a bare pdfplumber extract_words pass over
the same pages, in the same run (best of 3 each). Aim: ratio <= 1.5 on the development paper."""

from __future__ import annotations

from pathlib import Path

from bench.common import DEV_PDF, REAL_PDFS, bare_words, timed
from pipeline import ingest

REAL = ("bmc-hsr-2014.pdf", "clinsci-2014.pdf", "wang-2008-two-column.pdf", "journal-article-8p.pdf")


def _row(path: Path) -> tuple[str, int, float, float]:
    pages = bare_words(path)  # warm the OS cache and count pages
    bare = timed(lambda: bare_words(path))
    ours = timed(lambda: ingest.read(path))
    return path.name, pages, ours / pages, bare / pages


def main() -> None:
    paths = [DEV_PDF] + [REAL_PDFS / n for n in REAL if (REAL_PDFS / n).is_file()]
    print(f"{'pdf':32} {'pages':>5} {'ingest s/page':>14} {'bare s/page':>12} {'ratio':>6}")
    for path in paths:
        name, pages, ours, bare = _row(path)
        print(f"{name:32} {pages:5d} {ours:14.4f} {bare:12.4f} {ours / bare:6.2f}", flush=True)


if __name__ == "__main__":
    main()
