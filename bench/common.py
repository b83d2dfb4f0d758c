"""Shared bench helpers: the pages to time, and the bare pdfplumber pass every ratio is against."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pdfplumber

ROOT = Path(__file__).resolve().parent.parent
DEV_PDF = ROOT / "input" / "mm-car-t-review-2024.pdf"
REAL_PDFS = ROOT.parent / "shared" / "real-pdfs"


def timed(fn: Callable[[], object], repeat: int = 3) -> float:
    """Best of `repeat` wall-clock runs, in seconds (best-of damps noise from the other core)."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def bare_words(path: Path, tables: bool = False) -> int:
    """The baseline: pdfplumber extract_words on every page (and find_tables, the baseline of the
    whole pipeline, with `tables`), nothing else. Returns the page count."""
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            page.extract_words()
            if tables:
                page.find_tables()
        return len(pdf.pages)


def bare_words_tables(path: Path) -> int:
    return bare_words(path, tables=True)
