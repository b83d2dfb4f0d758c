"""Rows, columns and cells of one table region.

Ruled grids take their cells from the rules (a missing rule segment means a spanning cell); every
text line inside a cell stays in that cell, so wrapped cells are one cell. Unruled tables take their
columns from the white channels between aligned words, and their rows from rules, fill stripes or
baselines, with wrapped lines merged into the row they continue.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from pipeline.model import Box, Cell, Page, Word
from pipeline.tables.detect import Region
from pipeline.tables.geometry import (
    Line,
    chunks,
    cluster,
    column_gaps,
    group_lines,
    inside,
    page_rules,
    split_rules,
    text_bands,
    text_height,
)

MIN_CELL_ROWS = 3  # rows with cells apart needed to draw columns from them alone


@dataclass
class Grid:
    cells: list[Cell] = field(default_factory=list)
    n_rows: int = 0
    n_cols: int = 0
    header_rows: int = 1


def build(page: Page, region: Region) -> Grid:
    words = [w for w in page.words if inside(w, region.box)]
    rules = page_rules(page.rules, page.fills, page.width, page.height)
    hs, vs = split_rules([r for r in rules if region.box.overlaps(r, margin=1)])
    if region.kind == "ruled":
        return _ruled(page, region.box, words, hs, vs)
    return _aligned(page, region, words, hs)


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
        return _rows_from_lines(page, box, lines, gaps, [ys[1]] if nr > 1 else [], [], height, ruled=True)
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
    for (r, c), members in sorted(spans.items()):
        if r not in row_map:
            continue
        r1 = max(m[0] for m in members)
        c1 = max(m[1] for m in members)
        cbox = Box(page.number, xs[c], ys[r], xs[c1 + 1], ys[r1 + 1])
        cw = [w for w in words if inside(w, cbox)]
        cell = _cell(row_map[r], c, cw, cbox)
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


def _aligned(page: Page, region: Region, words: list[Word], hs: list[Box]) -> Grid:
    box = region.box
    lines = group_lines(words)
    if not lines:
        return Grid(n_rows=0, n_cols=0)
    height = text_height(lines)
    lines = lines[: _chart_axis(lines, box, hs, height)]
    # Rules strictly inside the region (booktabs midrules) separate rows; the first one closes the header.
    # Partial rules (under a group header) separate nothing across the table.
    full = [h for h in hs if h.width >= 0.8 * box.width]
    seps = [(h.top + h.bottom) / 2 for h in full if box.top + 2 < (h.top + h.bottom) / 2 < box.bottom - 2]
    fills = [f for f in page.fills if box.overlaps(f) and f.width > 0.5 * box.width]
    if len(fills) < 2:
        fills = []  # one shaded band is a header's background, not stripes that make rows
    header_end = _header_end(lines, seps, fills)
    body = [ln for ln in lines if ln.mid > header_end] or lines
    # Section labels (a line of one run of words) may cross the columns; the rows with cells
    # apart draw the channels.
    cells = [ln for ln in body if len(chunks(ln, 0.55 * height)) > 1]
    body = cells if len(cells) >= MIN_CELL_ROWS else body
    gaps = column_gaps(body, box.x0, box.x1, height, allowed=len(body) // 8)
    if not (seps and min(seps) < lines[-1].top):
        header_end = _header_lines(lines, header_end, gaps, box, height)
    return _rows_from_lines(page, box, lines, gaps, seps, fills, height, header_end=header_end)


def _chart_axis(lines: list[Line], box: Box, hs: list[Box], height: float) -> int:
    """Where a chart printed under the table's rows starts (a forest plot's axis): a line of three or
    more numbers alone, evenly spaced, right under a short rule spanning them (the axis with its tick
    labels), with nothing after it in the first column (the axis titles, "Favours A | Favours B").
    Returns the index of that line, else len(lines)."""
    for i, ln in enumerate(lines):
        if i < MIN_CELL_ROWS or not _ticks(ln):
            continue
        if any(x.x0 < box.x0 + 0.2 * box.width for x in lines[i:]):
            continue
        a, b = ln.words[0].box, ln.words[-1].box
        lo, hi = (a.x0 + a.x1) / 2, (b.x0 + b.x1) / 2
        axis = [
            h
            for h in hs
            if h.width < 0.6 * box.width
            and 0 <= ln.top - h.bottom <= 1.5 * height
            and min(h.x1, hi) - max(h.x0, lo) >= 0.8 * (hi - lo)
        ]
        if axis:
            return i
    return len(lines)


def _ticks(ln: Line) -> bool:
    """A line of three or more numbers alone whose centres are evenly spaced (an axis's tick labels)."""
    if len(ln.words) < 3 or not all(re.fullmatch(r"[-−–]?\d+(?:[.,]\d+)?%?", w.text) for w in ln.words):
        return False
    mids = [(w.box.x0 + w.box.x1) / 2 for w in ln.words]
    steps = [b - a for a, b in zip(mids, mids[1:], strict=False)]
    mean = sum(steps) / len(steps)
    return mean > 0 and all(abs(s - mean) <= 0.12 * mean for s in steps)


def _header_lines(
    lines: list[Line], header_end: float, gaps: list[tuple[float, float]], box: Box, height: float
) -> float:
    """A header set over several lines without a rule under it: the lines right below the first
    that leave the first column empty and hold no figure ("Median" / "age, y") still belong to it."""
    bounds = [box.x0] + [(a + b) / 2 for a, b in gaps] + [box.x1]

    def col(w: Word) -> int:
        return sum((w.box.x0 + w.box.x1) / 2 > b for b in bounds[1:-1])

    head = [ln for ln in lines if ln.mid <= header_end]
    for ln in lines:
        if ln.mid <= header_end:
            continue
        if not head or ln.top - head[-1].bottom > 0.8 * height:
            break
        cells = _cells(ln, col)
        if 0 in cells or _figures([ln], col):
            break
        head.append(ln)
        header_end = (ln.bottom + ln.mid) / 2
    return header_end


def _header_end(lines: list[Line], seps: list[float], fills: list[Box]) -> float:
    """The y below which the body starts: the first inner rule, else the top of the first stripe
    when text sits above it, else the end of a leading run of bold lines, else the first line."""
    if seps and min(seps) < lines[-1].top:
        return min(seps)
    stripes = sorted(f.top for f in fills)
    if stripes and lines[0].mid < stripes[0]:
        return stripes[0]
    bold = 0
    while bold < len(lines) - 1 and all(w.bold for w in lines[bold].words):
        bold += 1
    if bold:
        return (lines[bold - 1].bottom + lines[bold].top) / 2
    return lines[0].bottom + 0.1


def _rows_from_lines(
    page: Page,
    box: Box,
    lines: list[Line],
    gaps: list[tuple[float, float]],
    seps: list[float],
    fills: list[Box],
    height: float,
    header_end: float | None = None,
    ruled: bool = False,
) -> Grid:
    bounds = [box.x0] + [(a + b) / 2 for a, b in gaps] + [box.x1]
    nc = len(bounds) - 1

    if header_end is None:
        header_end = min(seps) if seps else lines[0].bottom + 0.1
    # A word goes to the column its middle falls in, except that a run of text overflowing into
    # the channel on its right (a long first-column label) stays in the column it started in.
    assigned: dict[int, int] = {}
    for ln in lines:
        before: Word | None = None
        for w in ln.words:
            c = sum((w.box.x0 + w.box.x1) / 2 > b for b in bounds[1:-1])
            if (
                before is not None
                and ln.mid > header_end
                and c > 0
                and assigned[id(before)] < c
                and w.box.x0 - before.box.x1 <= 0.55 * height
                and w.box.x0 < gaps[c - 1][1]
            ):
                c = assigned[id(before)]
            assigned[id(w)] = c
            before = w

    def col(w: Word) -> int:
        return assigned[id(w)]

    # Which band of stripes a line sits in: lines in the same stripe (or the same gap between
    # stripes) belong to the same row.
    edges = sorted({f.top for f in fills} | {f.bottom for f in fills})

    def stripe(ln: Line) -> int:
        return sum(ln.mid > e for e in edges)

    body = [ln for ln in lines if ln.mid > header_end]
    gaps_y = _pitch_gaps(body, height)
    tight = min(gaps_y) if gaps_y else 0.0
    two_pitches = bool(gaps_y) and max(gaps_y) > tight + 0.45 * height

    groups: list[list[Line]] = []
    for ln in lines:
        if ln.mid <= header_end:
            if not groups:
                groups.append([])
            groups[0].append(ln)
            continue
        prev = groups[-1][-1] if groups and groups[-1] else None
        new = prev is None or prev.mid <= header_end
        if not new and prev is not None:
            if any(prev.mid < s < ln.mid for s in seps):
                new = True
            elif edges:
                new = stripe(ln) != stripe(prev) or _collides(groups[-1], ln, col)
            elif two_pitches and ln.top - prev.bottom > tight + 0.45 * height:
                new = True
            elif _spanning(ln, bounds, height) or (_spanning(prev, bounds, height) and 0 in _cells(ln, col)):
                new = True  # a section label running across the columns is a row of its own
            elif two_pitches:
                # Rows apart by a wider gap, wrapped lines tight: a tight line still opens a row
                # when it brings a second figure into a column, or the first figures under a
                # label line (single-spaced sections).
                new = _opens_row(groups[-1], ln, col)
            else:
                new = not _continues(groups[-1], ln, col)
        if new:
            groups.append([ln])
        else:
            groups[-1].append(ln)

    grid = Grid(n_rows=len(groups), n_cols=nc, header_rows=1 if groups and groups[0] else 0)
    for r, group in enumerate(groups):
        top = min(ln.top for ln in group) - 0.5
        bottom = max(ln.bottom for ln in group) + 0.5
        if r > 0 and _label_row(group, bounds, height):
            # A section label running across the table in one run is one cell spanning the row.
            cell = _cell(r, 0, group[0].words, Box(page.number, bounds[0], top, bounds[-1], bottom))
            cell.colspan = nc
            grid.cells.append(cell)
            grid.cells += [Cell(r, c, "", spanned_from=(r, 0)) for c in range(1, nc)]
            continue
        shared = _group_headers(group, lines, header_end, col, nc, height) if r == 0 else {}
        moved = {id(w) for run in shared.values() for w in run}
        for c in range(nc):
            cw = [w for ln in group for w in ln.words if col(w) == c and id(w) not in moved]
            cw += shared.get(c, [])
            grid.cells.append(_cell(r, c, cw, Box(page.number, bounds[c], top, bounds[c + 1], bottom)))
    return grid


def _group_headers(
    head: list[Line], lines: list[Line], header_end: float, col: Callable[[Word], int], nc: int, height: float
) -> dict[int, list[Word]]:
    """Header runs of words over several columns (a group header: "No. of patients" over the arms):
    for each column, the runs that span the body text of that column and at least one more (or, over
    no body text, whose words fall in several columns), so that every column below a group header
    carries all of it; a run over the body text of one column goes to that column whole."""
    # Rows with a label and cells apart (not section labels, nor a chart's axis under the rows).
    body = [
        ln
        for ln in lines
        if ln.mid > header_end and len(chunks(ln, 0.55 * height)) > 1 and any(col(w) == 0 for w in ln.words)
    ]
    ranges: dict[int, tuple[float, float]] = {}
    for ln in body:
        for w in ln.words:
            c = col(w)
            a, b = ranges.get(c, (w.box.x0, w.box.x1))
            ranges[c] = (min(a, w.box.x0), max(b, w.box.x1))
    out: dict[int, list[Word]] = {}
    if len(body) < MIN_CELL_ROWS:
        return out
    for ln in head:
        for a, b in chunks(ln, 0.55 * height):
            run = [w for w in ln.words if a <= w.box.x0 and w.box.x1 <= b]
            own = {col(w) for w in run}
            under = {c for c in range(nc) if c in ranges and min(b, ranges[c][1]) > max(a, ranges[c][0])}
            under = under or own
            if len(under) < 2 and under == own:
                continue
            for c in under:
                out.setdefault(c, []).extend(run)
    return out


def _label_row(group: list[Line], bounds: list[float], height: float) -> bool:
    """A row of one line holding one run of words that crosses a column boundary."""
    return (
        len(group) == 1 and len(chunks(group[0], 0.55 * height)) == 1 and _spanning(group[0], bounds, height)
    )


def _pitch_gaps(body: list[Line], height: float) -> list[float]:
    """The vertical gaps between consecutive lines that measure the line pitch. Lines overlap in
    height when a one-line cell is centred against a two-line neighbour (a half-line offset: the
    wrap pitch of that table); any other overlap is chance (a row below a taller cell) and says
    nothing of the pitch."""
    out = []
    for i in range(len(body) - 1):
        a, b = body[i], body[i + 1]
        gap = b.top - a.bottom
        if gap < 0 and not (_centred(body, i, height) or _centred(body, i + 1, height)):
            continue
        out.append(gap)
    return out


def _centred(body: list[Line], i: int, height: float) -> bool:
    """Whether line i sits half-way between the lines around it, overlapping both."""
    if i == 0 or i + 1 >= len(body):
        return False
    up, ln, down = body[i - 1], body[i], body[i + 1]
    return (
        up.bottom > ln.top and down.top < ln.bottom and abs(ln.mid - (up.mid + down.mid) / 2) <= 0.15 * height
    )


NUMERIC = re.compile(r"^[^A-Za-z]*\d[^A-Za-z]*$|^(?:NR|NE|NA|n/?a)$")
WRAPS = re.compile(r"(?:[-,/&+(]|\b(?:and|or|of|with|in|to|for|the|by|vs\.?))$", re.IGNORECASE)


def _figures(group: list[Line], col: Callable[[Word], int]) -> set[int]:
    """The columns (after the first) where the lines hold a figure."""
    out = set()
    for g in group:
        row: dict[int, list[str]] = {}
        for w in g.words:
            row.setdefault(col(w), []).append(w.text)
        out |= {c for c, t in row.items() if c > 0 and NUMERIC.match(" ".join(t))}
    return out


def _spanning(ln: Line, bounds: list[float], height: float) -> bool:
    """A line whose run of words crosses a column boundary (a section label across the table)."""
    return any(a < b - 1 and z > b + 1 for a, z in chunks(ln, 0.55 * height) for b in bounds[1:-1])


def _cells(ln: Line, col: Callable[[Word], int]) -> dict[int, str]:
    row: dict[int, list[str]] = {}
    for w in ln.words:
        row.setdefault(col(w), []).append(w.text)
    return {c: " ".join(t) for c, t in row.items()}


def _collides(group: list[Line], ln: Line, col: Callable[[Word], int]) -> bool:
    """Whether `ln` brings a figure into a column where the row already has one (two values in
    one cell mean two rows), unless the text above in that column breaks off ("15," / "16") or
    the new figure is a bracketed one under it (a confidence interval: "73.0" / "(60-80)")."""
    last: dict[int, str] = {}
    for g in group:
        last.update(_cells(g, col))
    open_cols = {c for c, t in last.items() if WRAPS.search(t)}
    open_cols |= {c for c, t in _cells(ln, col).items() if t[:1] in "(["}
    return bool((_figures([ln], col) & _figures(group, col)) - open_cols)


def _opens_row(group: list[Line], ln: Line, col: Callable[[Word], int]) -> bool:
    """For a tightly spaced line: a second figure in a column, or the first figures under a
    first-column label that does not break mid-phrase, open a row."""
    if _collides(group, ln, col):
        return True
    mine = _cells(ln, col)
    labels = [t for g in group for c, t in _cells(g, col).items() if c == 0]
    return bool(
        0 in mine
        and labels
        and _figures([ln], col)
        and not _figures(group, col)
        and not WRAPS.search(labels[-1])
        and not mine[0][:1].islower()  # "…of any trial" / "drug": the label wraps
    )


def _continues(group: list[Line], ln: Line, col: Callable[[Word], int]) -> bool:
    """Whether text line `ln` continues the row made of `group` (single-spaced rows have no gap to
    tell them apart, so the cells decide): a second figure in a column opens a row; a line that
    leaves the first column empty continues the cells above; one that starts there opens a row
    unless the first column's text above breaks mid-phrase ("…adjuvant or" / "neoadjuvant…"), or
    the row above has figures in columns this line leaves empty while its first cell does not
    open with a capital (a label wrapped onto a second line: "Smith 2019" / "[8]")."""
    above_figures = _figures(group, col)
    if _collides(group, ln, col):
        return False
    cells: dict[int, list[str]] = {}
    for w in ln.words:
        cells.setdefault(col(w), []).append(w.text)
    if 0 not in cells:
        return True
    first = " ".join(cells[0])
    above = [" ".join(w.text for w in g.words if col(w) == 0) for g in group]
    above = [a for a in above if a]
    if above and WRAPS.search(above[-1]):
        return True
    return bool(above_figures - set(cells)) and not _figures([ln], col) and not first[:1].isupper()


# -- cell text -------------------------------------------------------------------------------------


def _cell(row: int, col: int, words: list[Word], box: Box) -> Cell:
    lines = group_lines(words)
    text = ""
    for ln in lines:
        part = " ".join(w.text for w in ln.words)
        text = _join_lines(text, part)
    refs: list[str] = []
    for ln in lines:
        for w in ln.words:
            refs.extend(r for r in w.refs if r not in refs)
    return Cell(row, col, text.strip(), box, refs)


def _join_lines(text: str, part: str) -> str:
    """Join a wrapped line: "randomi-" + "zed" drops the hyphen (a word broken by the typesetter);
    "BCMA-" + "CAR-T" keeps it (a compound broken at its own hyphen)."""
    if not text:
        return part
    if text.endswith("-") and len(text) > 1 and part:
        if text[-2].islower() and part[0].islower():
            return text[:-1] + part
        return text + part
    return text + " " + part
