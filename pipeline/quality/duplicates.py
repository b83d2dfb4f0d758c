"""The same study twice: one table listing a study by the same first author and year in two rows
("Lindqvist 2019" twice) with different numbers of patients — a row entered twice, or two reports
of one cohort counted as two studies. Checked from the table's cells alone."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from pipeline.model import Document, Finding, Table
from pipeline.quality.findings import Evidence, Severities, make
from pipeline.quality.subjects import Subjects

_AUTHOR_YEAR = re.compile(r"\b([A-Z][a-z]+(?:[- ][A-Z][a-z]+)?)(?:\s+et\s+al\.?)?\s*,?\s+((?:19|20)\d{2})\b")
_YEAR_START = re.compile(r"^\s*(?:19|20)\d{2}\b")
_REF = re.compile(r"\[(\d+(?:[,–-]\s*\d+)*)\]")


def _rows(t: Table, n_header: re.Pattern[str]) -> list[tuple[int, str, str, str]]:
    """(row, label, n cell, ref) for each body row whose label cell names an author and year (a
    label broken over two rows, "Lindqvist" / "2019 [7]", is joined)."""
    grid, head = t.grid(), t.header()
    n_col = next((i for i, h in enumerate(head) if n_header.search(h)), -1)
    out = []
    for r in range(t.header_rows, len(grid)):
        label = grid[r][0].strip()
        nxt = grid[r + 1][0].strip() if r + 1 < len(grid) else ""
        if not _AUTHOR_YEAR.search(label) and _YEAR_START.match(nxt):
            label = f"{label} {nxt}"
        m = _AUTHOR_YEAR.search(label)
        if m is None or n_col < 0:
            continue
        ref = _REF.search(label)
        out.append((r, f"{m.group(1)} {m.group(2)}", grid[r][n_col].strip(), ref.group(1) if ref else ""))
    return out


def same_study_twice(
    doc: Document, subjects: Subjects, conf: Mapping[str, Any], sev: Severities, check: str
) -> list[Finding]:
    n_header = re.compile(str(conf.get("n_header") or r"(?i)^\s*(?:n|patients|no\.)\b"))
    out = []
    for t in doc.tables:
        seen: dict[str, list[tuple[int, str, str]]] = defaultdict(list)
        for r, label, n, ref in _rows(t, n_header):
            seen[label].append((r, n, ref))
        for label, rows in seen.items():
            ns = {n for _, n, _ in rows if n}
            if len(rows) < 2 or len(ns) < 2:
                continue
            who = subjects.of_cell(t.table_id, rows[0][0], 0, "")
            page = t.pages[0] if t.pages else 0
            ev = [
                Evidence(
                    f"{label}" + (f" [{ref}]" if ref else ""),
                    f"n={n}",
                    "table",
                    page,
                    " | ".join(t.grid()[r][:5]),
                )
                for r, n, ref in rows
            ]
            msg = f"{t.table_id} lists {label} {len(rows)} times with different n: " + ", ".join(
                f"n={n}" + (f" (ref {ref})" if ref else "") for _, n, ref in rows
            )
            subject = f"twice|{t.table_id}|{label}"
            out.append(
                make(
                    doc.doc_id,
                    check,
                    sev.get(check),
                    subject,
                    msg,
                    ev,
                    metric="N",
                    product=who.product,
                    study_id=label,
                )
            )
    return out
