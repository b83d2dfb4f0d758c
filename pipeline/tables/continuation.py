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
    footer: bool = False  # its last row said "continued on next page" (dropped)


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


FOOTER_RE = re.compile(
    r"^[(\[]?\s*(?:table\s+\S+\s+)?(?:is\s+)?(?:continued|cont(?:'|\u2019)?d\.?|continues)"
    r"(?:\s+(?:on\s+(?:the\s+)?(?:next|following)\s+page|overleaf|below))?\s*[)\]]?[.:\u2026]*$",
    re.IGNORECASE,
)


def strip_footer(table: Table) -> bool:
    """Drop a last row that only says the table goes on ("Continued on next page", "(cont'd)");
    True when there was one (the piece then continues on the next page)."""
    last = table.n_rows - 1
    text = " ".join(c.text for c in table.cells if c.row == last and c.text and c.spanned_from is None)
    if last < 1 or not FOOTER_RE.match(text.strip()):
        return False
    table.cells = [c for c in table.cells if c.row != last]
    table.n_rows -= 1
    return True


def merge(pieces: list[Piece]) -> list[Table]:
    out: list[Piece] = []
    for p in pieces:
        prev = out[-1] if out else None
        if prev is not None and _continues(prev, p):
            _append(prev.table, p.table)
            prev.at_bottom = p.at_bottom
            prev.footer = p.footer
            continue
        out.append(p)
    return [p.table for p in out]


def _continues(a: Piece, b: Piece) -> bool:
    if b.table.pages[0] != a.table.pages[-1] + 1 or _column_map(a.table, b.table) is None:
        return False
    if a.table.n_cols != b.table.n_cols and not (a.footer or b.continued):
        return False  # stacked tables of one layout line up too: a different shape needs a sign
    if b.continued:
        return b.table.table_id == a.table.table_id or not a.table.table_id.startswith("Table p")
    return (a.at_bottom or a.footer) and b.at_top and not b.captioned


def _column_map(a: Table, b: Table) -> list[int] | None:
    """Which column of `a` each column of `b` continues: by position when the counts agree, else by
    the columns' x-ranges (a page piece may lose columns it has no text in, or split one). None
    when they do not line up (another table)."""
    if a.n_cols == b.n_cols:
        return list(range(b.n_cols))
    ra, rb = _x_ranges(a, a.pages[-1]), _x_ranges(b, b.pages[0])
    if len(ra) < a.n_cols or len(rb) < b.n_cols:
        return None
    if _wider_repeat(a, b, ra, rb):
        return list(range(b.n_cols))
    out = []
    for x0, x1 in rb:
        overlap = [max(0.0, min(x1, a1) - max(x0, a0)) for a0, a1 in ra]
        best = max(range(len(ra)), key=lambda k: overlap[k])
        if overlap[best] < 0.5 * (x1 - x0):
            return None
        out.append(best)
    return out if out == sorted(out) else None


def _wider_repeat(a: Table, b: Table, ra: list[tuple[float, float]], rb: list[tuple[float, float]]) -> bool:
    """b repeats a's header in its first columns, which start where a's do, and has more columns
    right of them (a first page piece with no text in a table's last columns)."""
    head_a = [_norm(x) for x in a.header()]
    if b.n_cols <= a.n_cols or not all(head_a) or b.n_rows < 2:
        return False
    if [_norm(x) for x in b.grid()[0][: a.n_cols]] != head_a:
        return False
    return all(abs(ra[k][0] - rb[k][0]) < 0.5 * (rb[k][1] - rb[k][0]) for k in range(a.n_cols))


def _x_ranges(t: Table, page: int) -> list[tuple[float, float]]:
    """Per column, the x-range its cells' boxes take on `page` (columns without a box left out)."""
    out: dict[int, tuple[float, float]] = {}
    for c in t.cells:
        if c.box is None or c.box.page != page or c.spanned_from is not None or c.colspan > 1:
            continue
        x0, x1 = out.get(c.col, (c.box.x0, c.box.x1))
        out[c.col] = (min(x0, c.box.x0), max(x1, c.box.x1))
    return [out[k] for k in sorted(out)]


def _norm(s: str) -> str:
    return re.sub(r"\W+", "", s).lower()


def _append(a: Table, b: Table) -> None:
    """Rows of b under a's, in the columns of a they line up with (a gains the columns b has right of
    its own); b's leading rows are dropped when they repeat a's header (its new columns' header text
    then heads them)."""
    cols = _column_map(a, b) or list(range(b.n_cols))
    grid_b = b.grid()
    skip = 0
    head_a = [_norm(x) for x in a.header()]
    for k in range(1, min(3, b.n_rows) + 1):  # the repeat may be laid out over 1-3 rows
        joined = ["" for _ in range(max(cols) + 1)]
        for i in range(b.n_cols):
            joined[cols[i]] += _norm(" ".join(r[i] for r in grid_b[:k] if r[i]))
        if joined[: a.n_cols] == head_a and any(head_a):
            skip = k
            break
    _widen(
        a, max(cols) + 1, {cols[i]: " ".join(r[i] for r in grid_b[:skip] if r[i]) for i in range(b.n_cols)}
    )
    offset = a.n_rows - skip
    placed: dict[tuple[int, int], Cell] = {}
    for c in sorted(b.cells, key=lambda c: (c.row, c.col)):
        if c.row < skip or c.spanned_from is not None:
            continue
        key = (c.row + offset, cols[c.col])
        if key in placed:  # two columns of b in one column of a
            held = placed[key]
            held.text = " ".join(x for x in (held.text, c.text) if x)
            continue
        placed[key] = Cell(key[0], key[1], c.text, c.box, list(c.refs), rowspan=c.rowspan)
    a.cells.extend(placed.values())
    rows = {r - offset for r, _ in placed} | set(range(skip, b.n_rows))
    for r in rows:
        for k in range(a.n_cols):
            if (r + offset, k) not in placed:
                a.cells.append(Cell(r + offset, k, ""))
    a.n_rows += b.n_rows - skip
    a.pages.append(b.pages[0])
    a.boxes.extend(b.boxes)
    a.ruled = a.ruled and b.ruled


def _widen(a: Table, n_cols: int, head: dict[int, str]) -> None:
    """Give `a` empty columns up to `n_cols`, headed by `head`'s text in its first row."""
    for k in range(a.n_cols, n_cols):
        a.cells.extend(Cell(r, k, head.get(k, "") if r == 0 else "") for r in range(a.n_rows))
    a.n_cols = max(a.n_cols, n_cols)
