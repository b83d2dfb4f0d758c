"""Generated PDFs holding one result table each (reportlab via tests/pdfgen.py), read by the real
ingest, table, NER and records stages. A table is a list of rows of cell texts; "\\n" breaks a cell into
printed lines; `merged` lists (row, col) cells that continue the cell above (no rule between them, no
text), as a trial name merged down its block."""

from __future__ import annotations

from pathlib import Path

from reportlab.pdfbase.pdfmetrics import stringWidth

from pipeline import ingest, tables
from pipeline.model import Document, Outcome, Study
from tests.pdfgen import PdfSpec, paragraph, unicode_font
from tests.records_helpers import AnnotatedBuilder

SIZE = 7.5
LEAD = 9.5


def ruled_table(
    spec: PdfSpec,
    y: float,
    rows: list[list[str]],
    merged: set[tuple[int, int]] = frozenset(),  # type: ignore[assignment]
    x: float = 30,
    font: str = "Helvetica",
) -> float:
    """Draws a fully ruled table from `y` down, each column as wide as its longest line; returns the y
    below it."""
    widths = [
        max(stringWidth(ln, font, SIZE) for row in rows for ln in row[c].split("\n")) + 8
        for c in range(len(rows[0]))
    ]
    xs = [x]
    for w in widths:
        xs.append(xs[-1] + w)
    tops = [y]
    for row in rows:
        lines = max(len(t.split("\n")) for t in row)
        tops.append(tops[-1] + lines * LEAD + 4)
    for r, row in enumerate(rows):
        for c, t in enumerate(row):
            if (r, c) in merged:
                continue
            for k, ln in enumerate(t.split("\n")):
                spec.text(xs[c] + 2.5, tops[r] + 2 + SIZE + k * LEAD, ln, SIZE, font)
    for r, top in enumerate(tops):  # horizontal rules, broken over merged cells
        for c in range(len(widths)):
            if (r, c) not in merged:
                spec.line(xs[c], top, xs[c + 1], top)
    for xv in xs:
        spec.line(xv, tops[0], xv, tops[-1])
    return tops[-1]


def table_pdf(path: Path, caption: str, rows: list[list[str]], **kw) -> Path:
    spec = PdfSpec()
    font = unicode_font() or "Helvetica"
    y = paragraph(spec, 60, 70, ["A generated review of invented studies.", "Its only table follows."])
    spec.text(60, y + 14, caption, 9, font)
    ruled_table(spec, y + 22, rows, font=font, **kw)
    return spec.save(path)


def read(builder: AnnotatedBuilder, path: Path) -> tuple[Document, list[Study], list[Outcome]]:
    doc = ingest.read(path)
    tables.extract(doc)
    studies, outcomes = builder.build(doc)
    return doc, studies, [o for o in outcomes if o.source == "table"]


def rows_of(outcomes: list[Outcome]) -> set[tuple]:
    """(study label, arm, subgroup set, metric, timepoint, value, qualifier, unit) per outcome."""
    return {
        (
            o.trial or o.product,
            o.arm,
            bool(o.subgroup),
            o.metric,
            o.timepoint_months,
            o.value,
            o.qualifier,
            o.unit,
        )
        for o in outcomes
    }
