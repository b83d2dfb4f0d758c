"""Stage 1: PDF -> Document (words, blocks in reading order, provenance).

Public: `read(path, password=None, doc_id=None) -> Document`, `IngestError`, `show(...)`.
STUB: one block per page from extract_words; the real stage replaces it.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pdfplumber

from pipeline import tables
from pipeline.model import Block, Box, Document, Page, Span, Word


class IngestError(Exception):
    """A PDF that cannot be read; `code` is a short reason for the report."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def read(path: str | Path, password: str | None = None, doc_id: str | None = None) -> Document:
    path = Path(path)
    data = path.read_bytes()
    doc = Document(doc_id=doc_id or path.stem, path=str(path), sha256=hashlib.sha256(data).hexdigest())
    try:
        pdf = pdfplumber.open(path, password=password or "")
    except Exception as e:  # noqa: BLE001 - stub
        raise IngestError("corrupt", f"{path.name}: {e}") from e
    with pdf:
        for p in pdf.pages:
            page = Page(p.page_number, float(p.width), float(p.height))
            for e in p.edges:  # thin lines and rect edges
                page.rules.append(Box(p.page_number, e["x0"], e["top"], e["x1"], e["bottom"]))
            for r in p.rects:
                if r.get("fill") and r["width"] > 2 and r["height"] > 2:
                    page.fills.append(Box(p.page_number, r["x0"], r["top"], r["x1"], r["bottom"]))
            for w in p.extract_words():
                page.words.append(Word(w["text"], Box(p.page_number, w["x0"], w["top"], w["x1"], w["bottom"])))
            page.table_regions = tables.regions(page)
            doc.pages.append(page)
            text, spans = "", []
            for w in page.words:
                if text:
                    text += " "
                spans.append(Span(len(text), len(text) + len(w.text), w.box))
                text += w.text
            if text:
                doc.add_block(Block("paragraph", text, Box(p.page_number, 0, 0, page.width, page.height)), spans)
    return doc


def show(path: str | Path, fmt: str = "text", password: str | None = None) -> str:
    doc = read(path, password=password)
    return doc.text
