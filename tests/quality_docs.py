"""Small hand-built documents for the mention-level quality checks: body text split into sentences
and tables of cells, with the mentions NER would give. Invented names and numbers only."""

from __future__ import annotations

import re

from pipeline.model import Block, Box, Cell, Document, Mention, Span, Table


def text_doc(paragraphs: list[str], doc_id: str = "d", page: int = 4) -> Document:
    """A document of body paragraphs (one block each, one sentence per '. ')."""
    doc = Document(doc_id, f"{doc_id}.pdf")
    for i, p in enumerate(paragraphs):
        box = Box(page, 50, 100 + 40 * i, 300, 130 + 40 * i)
        doc.add_block(Block("paragraph", p, box), [Span(0, len(p), box)])
    for b in doc.blocks:
        start = b.start
        for part in re.split(r"(?<=\.) ", b.text):
            doc.sentences.append((start, start + len(part)))
            start += len(part) + 1
    return doc


def add_table(doc: Document, table_id: str, rows: list[list[str]], page: int = 3) -> Table:
    cells = [
        Cell(r, c, text, Box(page, 50 + 60 * c, 100 + 12 * r, 105 + 60 * c, 110 + 12 * r))
        for r, row in enumerate(rows)
        for c, text in enumerate(row)
    ]
    t = Table(table_id, f"{table_id}. Invented", len(rows), len(rows[0]), cells, pages=[page])
    doc.tables.append(t)
    return t


def mention(
    doc: Document, label: str, text: str, canonical: str | None = None, nth: int = 0, **attrs
) -> Mention:
    """A body-text mention of the nth occurrence of `text`."""
    starts = [m.start() for m in re.finditer(re.escape(text), doc.text)]
    start = starts[nth]
    sent = next(doc.text[a:b] for a, b in doc.sentences if a <= start < b)
    m = Mention(label, text, text if canonical is None else canonical, start, start + len(text), "text",
                doc.page_of(start), sentence=sent, attrs=dict(attrs))  # fmt: skip
    doc.mentions.append(m)
    return m


def cell_mention(doc: Document, table: Table, row: int, col: int, label: str, text: str, canonical: str | None = None,
                 **attrs) -> Mention:  # fmt: skip
    c = table.cell(row, col)
    assert c is not None and text in c.text
    start = c.text.index(text)
    m = Mention(label, text, text if canonical is None else canonical, start, start + len(text), "table",
                table.pages[0], c.box, c.text, table.table_id, row, col, attrs=dict(attrs))  # fmt: skip
    doc.mentions.append(m)
    return m
