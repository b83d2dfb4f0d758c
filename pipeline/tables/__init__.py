"""Stage 1b: tables. Public: `regions(page) -> list[Box]` (called by ingest so that table text is cut
out of the body), `extract(doc) -> list[Table]` (fills doc.tables), `show(...)`.
STUB: finds nothing; the real stage replaces it.
"""

from __future__ import annotations

from pipeline.model import Box, Document, Page, Table


def regions(page: Page) -> list[Box]:
    return []


def extract(doc: Document) -> list[Table]:
    doc.tables = []
    return doc.tables
