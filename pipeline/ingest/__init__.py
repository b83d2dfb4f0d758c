"""Stage 1: PDF -> Document (words, blocks in reading order, provenance).

Public: `read(path, password=None, doc_id=None) -> Document`, `IngestError`, `show(path, fmt, password)`,
`warm()` (what every document may read, loaded once per process ahead of the first).

Each page is parsed once: its glyphs become rows of words (`words`), its lines and rectangles
`rules` and `fills`, then `pipeline.tables.regions(page)` marks table areas whose words stay out of
the body. When every page is read, running headers/footers are found across pages (`cleanup`), the
rest is put in reading order per page (`layout`) and cut into typed blocks (`blocks`).

Citation markers are kept per word and per block as printed numbers with ranges expanded
("5-6" -> ["5", "6"], "1,3-5" -> ["1", "3", "4", "5"]).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection
from pathlib import Path

from pipeline import tables
from pipeline.ingest import blocks, cleanup, damage, glyphs, hyphens, layout, objects, rotation, words
from pipeline.ingest.errors import IngestError, check_bytes, classify, is_truncated, open_pdf
from pipeline.model import Box, Document, Page, Word

__all__ = ["IngestError", "read", "show", "warm"]

_FRAME = (40.0, 20.0)  # points: smallest width and height of a rectangle that may box text
_MIN_CHARS = 20  # fewer glyphs than this in the whole file: no text layer (a scan)


def warm() -> None:
    """Load the English word list that line-end hyphens are decided by (`hyphens.english`: some 0.2 s
    of CPU, paid by the first document that ends a line with a hyphen otherwise), for a process that
    will read documents: built with the worker's other long-lived objects, or once before workers are
    forked, it is read once rather than once in each worker."""
    hyphens.english()


def read(
    path: str | Path,
    password: str | None = None,
    doc_id: str | None = None,
    names: Collection[str] = frozenset(),
) -> Document:
    """The document of the PDF at `path`. `names`: paper-independent words (lower case) that decide
    line-end hyphens the paper itself does not, such as the rules' product and trial names
    (`pipeline.rules.name_words`)."""
    path = Path(path)
    data = check_bytes(path)
    if is_truncated(data):  # pdfminer half-reads such files; their missing pages would go unnoticed
        raise classify(path, data, ValueError("no %%EOF"), password)
    doc = Document(doc_id=doc_id or path.stem, path=str(path), sha256=hashlib.sha256(data).hexdigest())
    page_rows: list[list[list[Word]]] = []
    pool = words.Pool()  # repeated texts and numbers stored once across the document's pages
    with open_pdf(path, data, password) as pdf:
        doc.meta["producer"] = str(pdf.metadata.get("Producer", ""))
        doc.meta["title"] = str(pdf.metadata.get("Title", ""))
        for p in pdf.pages:
            try:
                if damage.damaged_streams(p.page_obj):
                    _warn(doc, p.page_number, "damaged", "a compressed content stream is damaged: text lost")
                page, rows = _parse_page(p, pool, doc)
            except IngestError:
                raise
            except Exception as e:  # noqa: BLE001 - a broken content stream deep in pdfminer
                raise classify(path, data, e, password) from None
            finally:
                p.close()  # release the page's cached objects: memory stays flat on long files
            doc.pages.append(page)
            page_rows.append(rows)
    n_chars = sum(len(w.text) for pg in doc.pages for w in pg.words)
    if n_chars < _MIN_CHARS:
        raise IngestError(
            "no_text",
            f"{path.name}: no text layer ({n_chars} characters on {len(doc.pages)} pages); "
            "a scanned document needs OCR first",
        )
    counts = [sum(len(w.text) for w in pg.words) for pg in doc.pages]
    for i in damage.thin_pages(counts):
        _warn(doc, i + 1, "thin_text", f"{counts[i]} characters, far fewer than on the pages around it")
    _assemble(doc, page_rows, names)
    return doc


def _warn(doc: Document, page: int, code: str, detail: str) -> None:
    doc.warnings.append({"page": page, "code": code, "detail": f"page {page}: {detail}"})


def _parse_page(p, pool: words.Pool, doc: Document) -> tuple[Page, list[list[Word]]]:
    n = p.page_number
    w, h = float(p.width), float(p.height)
    objs = objects.read(p)
    chars = objs.chars
    if missing := glyphs.resolve(chars, p.page_obj):
        _warn(doc, n, "unmapped_glyphs", f"{missing} glyphs with no Unicode mapping (shown as U+FFFD)")
    k = rotation.turn(chars)  # a page set sideways is read in its own direction
    page = Page(n, h, w) if k else Page(n, w, h)
    if k:
        chars = rotation.upright(chars, k, w, h)

    def box(o: dict) -> Box:
        return Box(n, *rotation.box(o["x0"], o["top"], o["x1"], o["bottom"], k, w, h))

    rows = words.rows(chars, n, page.width, page.height, pool)
    page.words = [w for r in rows for w in r]
    for e in objs.edges:  # thin lines and rect edges
        page.rules.append(box(e))
    for r in objs.rects:
        b = box(r)
        if r.get("fill") and b.width > 2 and b.height > 2:
            page.fills.append(b)
        if _FRAME[0] < b.width < 0.9 * page.width and _FRAME[1] < b.height < 0.9 * page.height:
            page.frames.append(b)
    page.table_regions = tables.regions(page)
    if page.table_regions:  # table words stay in page.words, out of the body rows
        rows = [kept for r in rows if (kept := [w for w in r if not _inside(w.box, page.table_regions)])]
    return page, rows


def _inside(box: Box, regions: list[Box]) -> bool:
    cx, cy = (box.x0 + box.x1) / 2, (box.top + box.bottom) / 2
    return any(r.x0 <= cx <= r.x1 and r.top <= cy <= r.bottom for r in regions)


def _assemble(doc: Document, page_rows: list[list[list[Word]]], names: Collection[str]) -> None:
    heights = {pg.number: pg.height for pg in doc.pages}
    doc.dropped = cleanup.running_lines([(rows, heights[i + 1]) for i, rows in enumerate(page_rows)])
    dropped = {id(w) for b in doc.dropped for w in _words_in(b, page_rows)}
    lines: list[layout.Line] = []
    for pg, rows in zip(doc.pages, page_rows, strict=True):
        body = [kept for r in rows if (kept := [w for w in r if id(w) not in dropped])]
        pg.columns, page_lines = layout.reading_order(body, pg.width, pg.table_regions)
        lines += page_lines
    frames = {pg.number: pg.frames for pg in doc.pages if pg.frames}
    geo = blocks.Geometry.of(lines, heights, frames)
    vocab = cleanup.vocabulary(w for ln in lines for w in ln.words)
    blocks.build(doc, lines, geo, vocab, names)


def _words_in(block, page_rows: list[list[list[Word]]]) -> list[Word]:
    rows = page_rows[block.box.page - 1]
    return [w for r in rows for w in r if block.box.contains(w.box, margin=0.5)]


def show(path: str | Path, fmt: str = "text", password: str | None = None) -> str:
    """The body text in reading order (fmt "text") or the blocks and dropped lines (fmt "json")."""
    doc = read(path, password=password)
    if fmt == "text":
        return doc.text
    if fmt != "json":
        raise IngestError("usage", f"unknown format {fmt!r}; use text or json")

    def block(b) -> dict:
        return {
            "kind": b.kind,
            "page": b.box.page,
            "bbox": str(b.box),
            "column": b.column,
            "font_size": b.font_size,
            "bold": b.bold,
            "refs": b.refs,
            "start": b.start,
            "end": b.end,
            "text": b.text,
        }

    out = {
        "doc_id": doc.doc_id,
        "sha256": doc.sha256,
        "pages": [
            {"number": p.number, "width": p.width, "height": p.height, "columns": p.columns}
            for p in doc.pages
        ],
        "blocks": [block(b) for b in doc.blocks],
        "dropped": [block(b) for b in doc.dropped],
    }
    return json.dumps(out, ensure_ascii=False, indent=1)
