"""Unruled tables (booktabs, zebra, whitespace): columns from the white channels between aligned
words, rows from inner rules, fill stripes or baselines, with wrapped lines merged into the row they
continue; header lines, group headers over several columns, section labels, and a chart printed under
the rows."""

from __future__ import annotations

import re
from collections.abc import Callable

from pipeline.model import Box, Cell, Page, Word
from pipeline.tables.cells import MIN_CELL_ROWS, Grid, cell_of
from pipeline.tables.detect import Region
from pipeline.tables.geometry import (
    Line,
    chunks,
    column_gaps,
    group_lines,
    text_height,
)
from pipeline.tables.rowbreaks import collides, continues, figures, line_cells, opens_row, spanning


def aligned(page: Page, region: Region, words: list[Word], hs: list[Box]) -> Grid:
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
    ruled_head = bool(seps and min(seps) < lines[-1].top)
    if not ruled_head and not fills and not cells:  # no line under the first with cells apart
        gaps = column_gaps(lines, box.x0, box.x1, height, allowed=len(lines) // 8)
        if _data_on_top(lines, gaps, box):
            header_end = box.top
    if not ruled_head:
        header_end = _header_lines(lines, header_end, gaps, box, height)
    return rows_from_lines(page, box, lines, gaps, seps, fills, height, header_end=header_end)


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
        cells = line_cells(ln, col)
        if 0 in cells or figures([ln], col):
            break
        head.append(ln)
        header_end = (ln.bottom + ln.mid) / 2
    return header_end


def _data_on_top(lines: list[Line], gaps: list[tuple[float, float]], box: Box) -> bool:
    """The first line holds figures in two or more columns and no line under it holds any: a data
    row whose first cell wraps (a one-row piece of a table continued from the page before), no header."""
    bounds = [(a + b) / 2 for a, b in gaps]

    def col(w: Word) -> int:
        return sum((w.box.x0 + w.box.x1) / 2 > b for b in bounds)

    return len(figures(lines[:1], col)) >= 2 and not figures(lines[1:], col)


def _header_end(lines: list[Line], seps: list[float], fills: list[Box]) -> float:
    """The y below which the body starts: the first inner rule, else the top of the first stripe
    when text sits above it, else the bottom of the first stripe when the first line sits in it,
    else the end of a leading run of bold lines, else the first line."""
    if seps and min(seps) < lines[-1].top:
        return min(seps)
    stripes = sorted(fills, key=lambda f: f.top)
    if stripes and lines[0].mid < stripes[0].top:
        return stripes[0].top
    if stripes and lines[0].mid < stripes[0].bottom < lines[-1].mid:
        return stripes[0].bottom  # the first band shades the header, set over one line or more
    bold = 0
    while bold < len(lines) and all(w.bold for w in lines[bold].words):
        bold += 1
    if 0 < bold < len(lines):  # a table set all in bold has no bold header
        return (lines[bold - 1].bottom + lines[bold].top) / 2
    return lines[0].bottom + 0.1


def rows_from_lines(
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
                new = stripe(ln) != stripe(prev) or collides(groups[-1], ln, col)
            elif two_pitches and ln.top - prev.bottom > tight + 0.45 * height:
                new = True
            elif spanning(ln, bounds, height) or (
                spanning(prev, bounds, height) and 0 in line_cells(ln, col)
            ):
                new = True  # a section label running across the columns is a row of its own
            elif two_pitches:
                # Rows apart by a wider gap, wrapped lines tight: a tight line still opens a row
                # when it brings a second figure into a column, or the first figures under a
                # label line (single-spaced sections).
                new = opens_row(groups[-1], ln, col)
            else:
                new = not continues(groups[-1], ln, col)
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
            cell = cell_of(r, 0, group[0].words, Box(page.number, bounds[0], top, bounds[-1], bottom))
            cell.colspan = nc
            grid.cells.append(cell)
            grid.cells += [Cell(r, c, "", spanned_from=(r, 0)) for c in range(1, nc)]
            continue
        shared = _group_headers(group, lines, header_end, col, nc, height) if r == 0 else {}
        moved = {id(w) for run in shared.values() for w in run}
        for c in range(nc):
            cw = [w for ln in group for w in ln.words if col(w) == c and id(w) not in moved]
            cw += shared.get(c, [])
            grid.cells.append(cell_of(r, c, cw, Box(page.number, bounds[c], top, bounds[c + 1], bottom)))
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
        len(group) == 1 and len(chunks(group[0], 0.55 * height)) == 1 and spanning(group[0], bounds, height)
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
