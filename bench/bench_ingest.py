"""Ingest speed: seconds per page of `ingest.read` against a bare pdfplumber extract_words pass over
the same pages (aim: ratio <= 1.5 on the development paper), and of ingest + `tables.extract`
against bare extract_words + find_tables, in the same run (best of 3 each)."""

from __future__ import annotations

from pathlib import Path

from bench.common import DEV_PDF, REAL_PDFS, bare_words, bare_words_tables, timed
from pipeline import ingest, tables

REAL = ("bmc-hsr-2014.pdf", "clinsci-2014.pdf", "wang-2008-two-column.pdf", "journal-article-8p.pdf")


def _ingest_tables(path: Path) -> None:
    tables.extract(ingest.read(path))


def _row(path: Path) -> tuple[int, float, float, float, float]:
    pages = bare_words(path)  # warm the OS cache and count pages
    words = timed(lambda: bare_words(path)) / pages
    words_tables = timed(lambda: bare_words_tables(path)) / pages
    ours = timed(lambda: ingest.read(path)) / pages
    ours_tables = timed(lambda: _ingest_tables(path)) / pages
    return pages, ours, words, ours_tables, words_tables


def main() -> None:
    paths = [DEV_PDF] + [REAL_PDFS / n for n in REAL if (REAL_PDFS / n).is_file()]
    print(
        f"{'pdf':28} {'pages':>5} {'ingest':>8} {'words':>8} {'ratio':>6}"
        f" {'+tables':>8} {'w+tables':>8} {'ratio':>6}   (ms/page; aim ratio <= 1.5)"
    )
    for path in paths:
        pages, ours, words, ours_t, words_t = _row(path)
        print(
            f"{path.name[:28]:28} {pages:5d} {ours * 1e3:8.1f} {words * 1e3:8.1f} {ours / words:6.2f}"
            f" {ours_t * 1e3:8.1f} {words_t * 1e3:8.1f} {ours_t / words_t:6.2f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
