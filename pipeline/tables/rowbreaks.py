"""Whether a printed line opens a row of an unruled table or continues the row above: single-spaced
rows have no gap to tell them apart, so the cells decide (a second figure in a column, a first column
that breaks mid-phrase, a section label across the columns)."""

from __future__ import annotations

import re
from collections.abc import Callable

from pipeline.model import Word
from pipeline.tables.geometry import (
    Line,
    chunks,
)

NUMERIC = re.compile(r"^[^A-Za-z]*\d[^A-Za-z]*$|^(?:NR|NE|NA|n/?a)$")


WRAPS = re.compile(r"(?:[-,/&+(]|\b(?:and|or|of|with|in|to|for|the|by|vs\.?))$", re.IGNORECASE)


def figures(group: list[Line], col: Callable[[Word], int]) -> set[int]:
    """The columns (after the first) where the lines hold a figure."""
    out = set()
    for g in group:
        row: dict[int, list[str]] = {}
        for w in g.words:
            row.setdefault(col(w), []).append(w.text)
        out |= {c for c, t in row.items() if c > 0 and NUMERIC.match(" ".join(t))}
    return out


def spanning(ln: Line, bounds: list[float], height: float) -> bool:
    """A line whose run of words crosses a column boundary (a section label across the table)."""
    return any(a < b - 1 and z > b + 1 for a, z in chunks(ln, 0.55 * height) for b in bounds[1:-1])


def line_cells(ln: Line, col: Callable[[Word], int]) -> dict[int, str]:
    row: dict[int, list[str]] = {}
    for w in ln.words:
        row.setdefault(col(w), []).append(w.text)
    return {c: " ".join(t) for c, t in row.items()}


def collides(group: list[Line], ln: Line, col: Callable[[Word], int]) -> bool:
    """Whether `ln` brings a figure into a column where the row already has one (two values in
    one cell mean two rows), unless the text above in that column breaks off ("15," / "16") or
    the new figure is a bracketed one under it (a confidence interval: "73.0" / "(60-80)")."""
    last: dict[int, str] = {}
    for g in group:
        last.update(line_cells(g, col))
    open_cols = {c for c, t in last.items() if WRAPS.search(t)}
    open_cols |= {c for c, t in line_cells(ln, col).items() if t[:1] in "(["}
    return bool((figures([ln], col) & figures(group, col)) - open_cols)


def opens_row(group: list[Line], ln: Line, col: Callable[[Word], int]) -> bool:
    """For a tightly spaced line: a second figure in a column, or the first figures under a
    first-column label that does not break mid-phrase, open a row."""
    if collides(group, ln, col):
        return True
    mine = line_cells(ln, col)
    labels = [t for g in group for c, t in line_cells(g, col).items() if c == 0]
    return bool(
        0 in mine
        and labels
        and figures([ln], col)
        and not figures(group, col)
        and not WRAPS.search(labels[-1])
        and not mine[0][:1].islower()  # "…of any trial" / "drug": the label wraps
    )


def continues(group: list[Line], ln: Line, col: Callable[[Word], int]) -> bool:
    """Whether text line `ln` continues the row made of `group` (single-spaced rows have no gap to
    tell them apart, so the cells decide): a second figure in a column opens a row; a line that
    leaves the first column empty continues the cells above; one that starts there opens a row
    unless the first column's text above breaks mid-phrase ("…adjuvant or" / "neoadjuvant…"), or
    the row above has figures in columns this line leaves empty while its first cell does not
    open with a capital (a label wrapped onto a second line: "Smith 2019" / "[8]")."""
    above_figures = figures(group, col)
    if collides(group, ln, col):
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
    return bool(above_figures - set(cells)) and not figures([ln], col) and not first[:1].isupper()
