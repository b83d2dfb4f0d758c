"""The detector on third-party PDFs (shared/real-pdfs, skipped when absent): the tables it should
find, and no region swallowing body text (which would delete it from the document)."""

from __future__ import annotations

import pytest

from pipeline import ingest, tables
from tests.conftest import REAL_PDFS


def read(name: str):
    path = REAL_PDFS / name
    if not path.is_file():
        pytest.skip(f"{name} not present")
    doc = ingest.read(path)
    tables.extract(doc)
    return doc


def test_two_column_paper_with_one_ruled_table():
    doc = read("wang-2008-two-column.pdf")
    assert [(t.table_id, t.pages, t.n_cols) for t in doc.tables] == [("Table 1", [4], 6)]
    t = doc.tables[0]
    assert t.header()[:3] == ["Submission Runs", "Recall", "Precision"]
    assert t.caption.startswith("Table 1. Results of our submissions")


def test_side_by_side_tables_sharing_frame_rules_are_split():
    doc = read("journal-article-8p.pdf")
    page3 = [t for t in doc.tables if 3 in t.pages]
    # Three tables in the right column and one in the left (the page-2 table's continuation),
    # joined only by page-wide rules.
    assert len(page3) == 4
    assert all(b.width < 0.55 * doc.pages[2].width for t in page3 for b in t.boxes if b.page == 3)
    by_id = {t.table_id: t for t in doc.tables}
    assert by_id["Table 5"].header() == ["Requirements", "R1", "R2", "R3", "R4"]
    assert by_id["Table 5"].n_rows == 5
    # The paragraphs between the right column's tables stay body text.
    text = " ".join(doc.text.split())
    assert "This scale is very much similar to the one" in text
    assert "Let us suppose that there are" in text
