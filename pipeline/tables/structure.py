"""Rows, columns and cells of one table region.

Ruled grids take their cells from the rules (a missing rule segment means a spanning cell); every
text line inside a cell stays in that cell, so wrapped cells are one cell. Unruled tables take their
columns from the white channels between aligned words, and their rows from rules, fill stripes or
baselines, with wrapped lines merged into the row they continue (aligned.py; rowbreaks.py decides
where a row ends, cells.py joins a cell's text).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable

from pipeline.model import Box, Cell, Page, Word
from pipeline.tables.aligned import aligned, rows_from_lines
from pipeline.tables.cells import Grid, cell_of
from pipeline.tables.detect import Region
from pipeline.tables.geometry import (
    Line,
    chunks,
    cluster,
    group_lines,
    inside,
    page_rules,
    split_rules,
    text_bands,
    text_height,
)


def build(page: Page, region: Region) -> Grid:
    words = [w for w in page.words if inside(w, region.box)]
    rules = page_rules(page.rules, page.fills, page.width, page.height)
    hs, vs = split_rules([r for r in rules if region.box.overlaps(r, margin=1)])
    if region.kind == "ruled":
        return _ruled(page, region.box, words, hs, vs)
    return aligned(page, region, words, hs)


# -- ruled ----------------------------------------------------------------------------------------


def _ruled(page: Page, box: Box, words: list[Word], hs: list[Box], vs: list[Box]) -> Grid:
    xs = text_bands(cluster([(v.x0 + v.x1) / 2 for v in vs] + [box.x0, box.x1], 2.0), words)
    ys = cluster([(h.top + h.bottom) / 2 for h in hs] + [box.top, box.bottom], 2.0)
    nr, nc = len(ys) - 1, len(xs) - 1
    lines = group_lines(words)
    height = text_height(lines)

    # Sparse horizontal rules (header rule and bottom rule only): rows come from baselines.
    body_bands = [
        r for r in range(nr) if sum(1 for ln in lines if ys[r] <= ln.mid <= ys[r + 1]) > 1 and r > 0
    ]
    if nr <= 3 and body_bands:
        gaps = [(xs[i] - 0.5, xs[i] + 0.5) for i in range(1, nc)]
        return rows_from_lines(page, box, lines, gaps, [ys[1]] if nr > 1 else [], [], height, ruled=True)
    unruled = _unruled_rows(lines, xs, ys)
    if unruled:
        ys = sorted(ys + unruled)
        nr = len(ys) - 1

    def v_drawn(x: float, y0: float, y1: float) -> bool:
        need = 0.6 * (y1 - y0)
        return any(abs((v.x0 + v.x1) / 2 - x) <= 2 and min(v.bottom, y1) - max(v.top, y0) >= need for v in vs)

    def h_drawn(y: float, x0: float, x1: float) -> bool:
        if y in unruled:
            return True
        need = 0.6 * (x1 - x0)
        return any(abs((h.top + h.bottom) / 2 - y) <= 2 and min(h.x1, x1) - max(h.x0, x0) >= need for h in hs)

    def crossed(x: float, r: int) -> bool:
        """Whether a run of words in row band r runs across x (a cell spanning the missing rule)."""
        band = [ln for ln in lines if ys[r] <= ln.mid <= ys[r + 1]]
        return any(a < x - 1 and b > x + 1 for ln in band for a, b in chunks(ln, 0.55 * height))

    parent = {(r, c): (r, c) for r in range(nr) for c in range(nc)}

    def root(k: tuple[int, int]) -> tuple[int, int]:
        while parent[k] != k:
            k = parent[k]
        return k

    def join(a: tuple[int, int], b: tuple[int, int]) -> None:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    def centred(r: int) -> set[int]:
        """Undrawn column boundaries of band r inside a run of cells that holds one centred text
        (a group header over the columns below it, drawn as one box)."""
        out: set[int] = set()
        c = 0
        while c < nc:
            end = c
            while end + 1 < nc and not v_drawn(xs[end + 1], ys[r], ys[r + 1]):
                end += 1
            run = [w for w in words if ys[r] <= (w.box.top + w.box.bottom) / 2 <= ys[r + 1]]
            run = [w for w in run if xs[c] <= (w.box.x0 + w.box.x1) / 2 <= xs[end + 1]]
            if end > c and run:
                mid = (min(w.box.x0 for w in run) + max(w.box.x1 for w in run)) / 2
                if abs(mid - (xs[c] + xs[end + 1]) / 2) <= 0.15 * (xs[end + 1] - xs[c]):
                    out.update(range(c, end))
            c = end + 1
        return out

    # A missing vertical rule makes a spanning cell only where text runs across it, or in the top
    # band where one text sits centred over the columns of an undivided box: tables often draw
    # column rules in the header alone, and their body cells are still separate.
    first = next((r for r in range(nr) if _band_has_text(words, ys, r)), 0)
    group = centred(first)
    for r in range(nr):
        for c in range(nc):
            open_rule = c + 1 < nc and not v_drawn(xs[c + 1], ys[r], ys[r + 1])
            if open_rule and (crossed(xs[c + 1], r) or (r == first and c in group)):
                join((r, c), (r, c + 1))
            if r + 1 < nr and not h_drawn(ys[r + 1], xs[c], xs[c + 1]):
                join((r, c), (r + 1, c))
    spans: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for k in parent:
        spans.setdefault(root(k), []).append(k)
    # Bands with no text at all (double rules, decorative gaps) are dropped.
    used_rows = [r for r in range(nr) if _band_has_text(words, ys, r)]
    row_map = {r: i for i, r in enumerate(used_rows)}
    grid = Grid(n_rows=len(used_rows), n_cols=nc)
    header_span = False
    in_cell = _finder(words)
    for (r, c), members in sorted(spans.items()):
        if r not in row_map:
            continue
        r1 = max(m[0] for m in members)
        c1 = max(m[1] for m in members)
        cbox = Box(page.number, xs[c], ys[r], xs[c1 + 1], ys[r1 + 1])
        cw = in_cell(cbox)
        cell = cell_of(row_map[r], c, cw, cbox)
        cell.colspan = c1 - c + 1
        cell.rowspan = sum(1 for rr in used_rows if r <= rr <= r1) or 1
        grid.cells.append(cell)
        if r == used_rows[0] and c1 > c:
            header_span = True
            # A spanning group header names every column below it.
            for cc in range(c + 1, c1 + 1):
                grid.cells.append(
                    Cell(row_map[r], cc, cell.text, cbox, list(cell.refs), spanned_from=(cell.row, c))
                )
    covered = {(cell.row, cell.col) for cell in grid.cells}
    for cell in list(grid.cells):
        for rr in range(cell.row, cell.row + cell.rowspan):
            for cc in range(cell.col, cell.col + cell.colspan):
                if (rr, cc) not in covered:
                    covered.add((rr, cc))
                    grid.cells.append(Cell(rr, cc, "", spanned_from=(cell.row, cell.col)))
    for r in range(grid.n_rows):
        for c in range(nc):
            if (r, c) not in covered:
                grid.cells.append(Cell(r, c, ""))
    grid.cells.sort(key=lambda cell: (cell.row, cell.col))
    # A spanning cell in the first row is a two-level header: the next row holds the sub-headers.
    grid.header_rows = 2 if header_span and grid.n_rows > 2 else 1
    return grid


def _finder(words: list[Word]) -> Callable[[Box], list[Word]]:
    """`find(box)`: the `words` whose centre is inside `box` (as `geometry.inside`), in their order;
    a grid of many cells looks up only the words of its cells' row bands (sorted by centre height)."""
    mids = sorted(
        (cy, i)
        for i, w in enumerate(words)
        if (cy := (w.box.top + w.box.bottom) / 2) == cy  # NaN is inside nothing, and unsortable
    )
    ys = [cy for cy, _ in mids]
    xs = [(w.box.x0 + w.box.x1) / 2 for w in words]

    def find(box: Box) -> list[Word]:
        band = mids[bisect_left(ys, box.top) : bisect_right(ys, box.bottom)]
        return [words[i] for i in sorted(i for _, i in band if box.x0 <= xs[i] <= box.x1)]

    return find


def _unruled_rows(lines: list[Line], xs: list[float], ys: list[float]) -> list[float]:
    """Row boundaries inside rule bands that hold several rows drawn without rules between them:
    a band of three or more lines where every line starts in the first column and another column
    has a value on every line (a list of countries with their figures). Wrapped cells leave the first
    column empty on their continuation lines, so they stay one row."""
    out: list[float] = []
    for r in range(len(ys) - 1):
        band = [ln for ln in lines if ys[r] <= ln.mid <= ys[r + 1]]
        if len(band) < 3:
            continue
        cols = [{sum(b < (w.box.x0 + w.box.x1) / 2 for b in xs[1:-1]) for w in ln.words} for ln in band]
        if not all(0 in c for c in cols):
            continue
        if not any(all(k in c for c in cols) for k in range(1, len(xs) - 1)):
            continue
        out += [(a.bottom + b.top) / 2 for a, b in zip(band, band[1:], strict=False)]
    return out


def _band_has_text(words: list[Word], ys: list[float], r: int) -> bool:
    return any(ys[r] <= (w.box.top + w.box.bottom) / 2 <= ys[r + 1] for w in words)


# -- unruled ---------------------------------------------------------------------------------------


# -- cell text -------------------------------------------------------------------------------------
