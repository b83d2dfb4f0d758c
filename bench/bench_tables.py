"""Table stage: cell accuracy and time on the development paper's table pages, side by side with
Camelot (lattice, stream) and a bare pdfplumber `find_tables` pass over the same pages.

Cell accuracy: the share of gold table snippets (shared/gold/seed-outcomes.csv, source=table) found
inside the cell of the right row (the row holding the study's N) and the right column (by header).
Shape: rows x columns of each table against the printed Tables 1-3.
"""

from __future__ import annotations

import csv
import re
import warnings
from collections.abc import Callable

import pdfplumber

from bench.common import DEV_PDF, ROOT, timed

PAGES = [3, 4, 9]
EXPECTED = [(10, 7), (6, 7), (6, 7)]
GOLD = ROOT.parent / "shared" / "gold" / "seed-outcomes.csv"
METRIC_COLUMN = {"N": "patients", "DOSE": "design", "CRS_G3": "adverseevents", "NT_G3": "adverseevents"}

Grid = list[list[str]]


def norm(s: str) -> str:
    return re.sub(r"[\s^]+", "", s or "").lower()


def ours() -> list[Grid]:
    from pipeline import ingest, tables

    doc = ingest.read(DEV_PDF)
    return [t.grid() for t in tables.extract(doc) if t.pages[0] in PAGES]


def plumber() -> list[Grid]:
    out = []
    with pdfplumber.open(DEV_PDF) as pdf:
        for n in PAGES:
            for t in pdf.pages[n - 1].find_tables():
                out.append([[c or "" for c in row] for row in t.extract()])
    return out


def camelot_flavor(flavor: str) -> Callable[[], list[Grid]]:
    def run() -> list[Grid]:
        import camelot

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            found = camelot.read_pdf(str(DEV_PDF), pages=",".join(map(str, PAGES)), flavor=flavor)
        return [t.df.values.tolist() for t in found]

    return run


def cell_accuracy(grids: list[Grid]) -> tuple[int, int]:
    """(gold snippets found in the right cell, gold snippets) for Table 1 (the only gold table)."""
    with open(GOLD, newline="") as f:
        gold = [r for r in csv.DictReader(f) if r["source"] == "table"]
    groups: dict[str, list[dict]] = {}
    for g in gold:
        groups.setdefault(g["study_key"], []).append(g)
    best = 0
    for grid in grids:  # the tool's best table on these pages counts as its Table 1
        if not grid or not grid[0]:
            continue
        header = [norm(h) for h in grid[0]]
        found = 0
        for rows in groups.values():
            n_snips = [norm(r["snippet"]) for r in rows if r["metric"] == "N" and not r["subgroup"]]
            try:
                pcol = header.index("patients")
            except ValueError:
                break
            hits = [row for row in grid[1:] if all(s in norm(row[pcol]) for s in n_snips)]
            if len(hits) != 1:
                continue
            for r in rows:
                name = METRIC_COLUMN.get(r["metric"], "outcomes")
                if name in header and norm(r["snippet"]) in norm(hits[0][header.index(name)]):
                    found += 1
        best = max(best, found)
    return best, len(gold)


def shapes_ok(grids: list[Grid]) -> int:
    got = [(len(g), max((len(r) for r in g), default=0)) for g in grids]
    return sum(1 for e in EXPECTED if e in got)


def bare() -> None:
    with pdfplumber.open(DEV_PDF) as pdf:
        for n in PAGES:
            pdf.pages[n - 1].extract_words()
            pdf.pages[n - 1].find_tables()


def main() -> None:
    base = timed(bare)
    tools: list[tuple[str, Callable[[], list[Grid]], int]] = [
        ("trialex ingest+tables", ours, 3),
        ("pdfplumber find_tables", plumber, 3),
    ]
    try:
        import camelot  # noqa: F401

        tools += [
            ("camelot lattice", camelot_flavor("lattice"), 1),
            ("camelot stream", camelot_flavor("stream"), 1),
        ]
    except ImportError as e:  # bench-only dependency (the dev extra)
        print(f"camelot not available ({e}); skipped")
    print(f"pages {PAGES} of {DEV_PDF.name}; bare pdfplumber words+find_tables: {base:.3f}s")
    from pipeline import ingest, tables

    doc = ingest.read(DEV_PDF)
    stage = timed(lambda: tables.extract(doc))
    print(f"trialex tables.extract alone (10 ingested pages): {stage:.3f}s = {stage / base:.2f} x bare")
    print(f"{'tool':26} {'tables':>6} {'shapes':>7} {'cells':>9} {'acc':>6} {'time s':>8} {'x bare':>7}")
    for name, fn, repeat in tools:
        try:
            grids = fn()
            secs = timed(fn, repeat=repeat)
        except Exception as e:  # noqa: BLE001 - a baseline failing must not stop the bench
            print(f"{name:26} failed: {type(e).__name__}: {e}")
            continue
        hit, total = cell_accuracy(grids)
        print(
            f"{name:26} {len(grids):>6} {shapes_ok(grids):>4}/{len(EXPECTED)} {hit:>4}/{total:<4} "
            f"{hit / total:>6.1%} {secs:>8.3f} {secs / base:>7.1f}"
        )
    print("(trialex times the whole document: ingest of all 10 pages + tables; the others only 3 pages)")


if __name__ == "__main__":
    main()
