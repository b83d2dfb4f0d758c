"""Tables that run over a page break: the piece at the foot of one page and the piece at the head of
the next become one logical table with one header (a repeated header row is dropped)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.model import Cell, Page, Table

EDGE = 0.09  # running heads and feet live in this share of the page height


@dataclass
class Piece:
    table: Table
    at_top: bool  # nothing but running heads (and its own caption) above it
    at_bottom: bool  # nothing but running feet below it
    captioned: bool  # has its own, non-"continued" caption
    continued: bool  # its caption says "(continued)"


def edges(page: Page, table: Table) -> tuple[bool, bool]:
    """Whether the table's region is the first and the last content of its page (horizontally
    overlapping text only, so the other column of a two-column page does not count)."""
    box = table.boxes[0]
    cap = table.caption_box
    above = below = False
    for w in page.words:
        b = w.box
        if b.x1 < box.x0 or b.x0 > box.x1 or (cap and cap.contains(b)):
            continue
        if b.bottom < box.top - 1 and b.top > EDGE * page.height:
            above = True
        if b.top > box.bottom + 1 and b.bottom < (1 - EDGE) * page.height:
            below = True
    return not above, not below


def merge(pieces: list[Piece]) -> list[Table]:
    out: list[Piece] = []
    for p in pieces:
        prev = out[-1] if out else None
        if prev is not None and _continues(prev, p):
            _append(prev.table, p.table)
            prev.at_bottom = p.at_bottom
            continue
        out.append(p)
    return [p.table for p in out]


def _continues(a: Piece, b: Piece) -> bool:
    if b.table.pages[0] != a.table.pages[-1] + 1 or a.table.n_cols != b.table.n_cols:
        return False
    if b.continued:
        return b.table.table_id == a.table.table_id or not a.table.table_id.startswith("Table p")
    return a.at_bottom and b.at_top and not b.captioned


def _norm(s: str) -> str:
    return re.sub(r"\W+", "", s).lower()


def _append(a: Table, b: Table) -> None:
    """Rows of b under a's; b's leading rows are dropped when they repeat a's header."""
    grid_b = b.grid()
    skip = 0
    head_a = [_norm(x) for x in a.header()]
    for k in range(1, min(3, b.n_rows) + 1):  # the repeat may be laid out over 1-3 rows
        joined = [_norm(" ".join(r[i] for r in grid_b[:k] if r[i])) for i in range(b.n_cols)]
        if joined == head_a and any(head_a):
            skip = k
            break
    offset = a.n_rows - skip
    for c in b.cells:
        if c.row >= skip:
            a.cells.append(Cell(c.row + offset, c.col, c.text, c.box, list(c.refs)))
    a.n_rows += b.n_rows - skip
    a.pages.append(b.pages[0])
    a.boxes.extend(b.boxes)
    a.ruled = a.ruled and b.ruled
