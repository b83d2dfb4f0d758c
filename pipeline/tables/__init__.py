"""Stage 1b: tables.

Public:
- `regions(page) -> list[Box]`: where the page's tables are (called by ingest while the page is open,
  so that table text is cut out of the body text);
- `extract(doc) -> list[Table]`: every table of the document from its pages' words, rules and fills
  (never the PDF), with cells, boxes, caption, header rows; tables continued over a page break are
  merged; fills `doc.tables`;
- `show(path, fmt, password) -> str`: `trialex tables PDF --format md|csv|json`.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.model import Box, Document, Page, Table
from pipeline.tables import captions, continuation, detect, structure
from pipeline.tables.geometry import group_lines, split_line, text_height
from pipeline.tables.render import render

__all__ = ["regions", "extract", "show"]


def regions(page: Page) -> list[Box]:
    """The table regions of `page`. Their kinds are noted in `page.table_kinds` so that `extract`
    builds the tables without detecting them a second time."""
    found = detect.find(page)
    page.table_kinds = [r.kind for r in found]
    return [r.box for r in found]


def extract(doc: Document) -> list[Table]:
    pieces: list[continuation.Piece] = []
    for page in doc.pages:
        pieces.extend(_page_tables(page))
    doc.tables = continuation.merge(pieces)
    _unique_ids(doc.tables)
    return doc.tables


def _detected(page: Page) -> list[detect.Region]:
    """The page's regions as `regions` found them at ingest, or found now when the page was built
    some other way (its kinds unknown or out of step with `table_regions`)."""
    kinds = page.table_kinds
    if kinds is not None and len(kinds) == len(page.table_regions):
        return [detect.Region(box, kind) for box, kind in zip(page.table_regions, kinds, strict=True)]
    return detect.find(page)


def _page_tables(page: Page) -> list[continuation.Piece]:
    found = _detected(page)
    if not found:
        return []
    lines = group_lines(page.words)
    height = text_height(lines)
    segments = [s for ln in lines for s in split_line(ln, 1.2 * height)]
    caps = captions.find(segments, page.number, [r.box for r in found])
    out = []
    for k, region in enumerate(found, start=1):
        grid = structure.build(page, region)
        if grid.n_rows == 0 or grid.n_cols == 0:
            continue
        cap = captions.attach(caps, region.box, height)
        table = Table(
            table_id=cap.table_id if cap else f"Table p{page.number}.{k}",
            caption=cap.text if cap else "",
            n_rows=grid.n_rows,
            n_cols=grid.n_cols,
            cells=grid.cells,
            header_rows=min(grid.header_rows, grid.n_rows),
            pages=[page.number],
            boxes=[region.box],
            caption_box=cap.box if cap else None,
            ruled=region.kind == "ruled",
        )
        footer = continuation.strip_footer(table)
        at_top, at_bottom = continuation.edges(page, table)
        out.append(
            continuation.Piece(
                table,
                at_top,
                at_bottom,
                captioned=bool(cap and not cap.continued),
                continued=bool(cap and cap.continued),
                footer=footer,
            )
        )
    return out


def _unique_ids(tables: list[Table]) -> None:
    seen: dict[str, int] = {}
    for t in tables:
        seen[t.table_id] = seen.get(t.table_id, 0) + 1
        if seen[t.table_id] > 1:
            t.table_id = f"{t.table_id} ({seen[t.table_id]})"


def show(path: str | Path, fmt: str = "md", password: str | None = None) -> str:
    """The tables of a PDF as Markdown, long-format CSV (one line per cell) or JSON."""
    from pipeline import ingest

    if fmt not in ("md", "csv", "json"):
        raise ValueError(f"unknown format {fmt!r}: use md, csv or json")
    doc = ingest.read(path, password=password)
    return render(extract(doc), fmt)
