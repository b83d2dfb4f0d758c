"""Geometry helpers shared by detection and structure: rule segments, text lines, word chunks,
column gaps. Everything is measured relative to the text height so that it scales with font size."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from itertools import accumulate

from pipeline.model import Box, Word

THIN = 2.0  # a rule is at most this thick (pt); thicker shapes are fills


@dataclass
class Line:
    """Words sharing a baseline band, left to right."""

    words: list[Word] = field(default_factory=list)

    @property
    def top(self) -> float:
        return min(w.box.top for w in self.words)

    @property
    def bottom(self) -> float:
        return max(w.box.bottom for w in self.words)

    @property
    def x0(self) -> float:
        return min(w.box.x0 for w in self.words)

    @property
    def x1(self) -> float:
        return max(w.box.x1 for w in self.words)

    @property
    def mid(self) -> float:
        return (self.top + self.bottom) / 2

    @property
    def height(self) -> float:
        return statistics.median(w.box.height for w in self.words)

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)


def page_rules(rules: list[Box], fills: list[Box], width: float, height: float) -> list[Box]:
    """The rules that may belong to a table: without the outlines of shapes that bleed off the page
    edge (a running head's coloured band). A table never touches the edge of the sheet, and such a
    band's sides, meeting a table's top rule, would join the running head to the table."""
    bleed = [f for f in fills if f.top <= 1 or f.bottom >= height - 1 or f.x0 <= 1 or f.x1 >= width - 1]
    bleed += [r for r in rules if r.top <= 1 or r.bottom >= height - 1]
    return [r for r in rules if not any(b.contains(r, margin=0.3) for b in bleed)]


def split_rules(rules: list[Box]) -> tuple[list[Box], list[Box]]:
    """Horizontal and vertical rules, with collinear pieces that touch joined into one segment
    (grids are often drawn one cell edge at a time)."""
    hs = [r for r in rules if r.height <= THIN and r.width > THIN]
    vs = [r for r in rules if r.width <= THIN and r.height > THIN]
    return _join(hs, horizontal=True), _join(vs, horizontal=False)


def _join(segs: list[Box], horizontal: bool, gap: float = 2.5) -> list[Box]:
    def key(b: Box) -> tuple[float, float]:
        return (round((b.top + b.bottom) / 2), b.x0) if horizontal else (round((b.x0 + b.x1) / 2), b.top)

    out: list[Box] = []
    for s in sorted(segs, key=key):
        last = out[-1] if out else None
        if last is not None:
            if horizontal:
                same = abs((last.top + last.bottom) - (s.top + s.bottom)) / 2 <= 1.0
                touch = s.x0 <= last.x1 + gap and s.x1 >= last.x0 - gap
            else:
                same = abs((last.x0 + last.x1) - (s.x0 + s.x1)) / 2 <= 1.0
                touch = s.top <= last.bottom + gap and s.bottom >= last.top - gap
            if same and touch:
                out[-1] = last.union(s)
                continue
        out.append(s)
    return out


def cluster(values: list[float], tol: float) -> list[float]:
    """Sorted values with neighbours closer than `tol` merged into their mean."""
    groups: list[list[float]] = []
    for v in sorted(values):
        if groups and v - groups[-1][-1] <= tol:
            groups[-1].append(v)
        else:
            groups.append([v])
    return [sum(g) / len(g) for g in groups]


def group_lines(words: list[Word]) -> list[Line]:
    """Words into lines: a word joins the line whose vertical band holds its middle. Superscripts
    sit high but their middle still falls inside the band of the line they belong to."""
    lines: list[Line] = []
    bands: list[list[float]] = []  # [top, bottom] of each line, kept up to date as words join
    for w in sorted(words, key=lambda w: (w.box.top, w.box.x0)):
        top, bottom = w.box.top, w.box.bottom
        mid = (top + bottom) / 2
        for k in range(len(lines) - 1, max(-1, len(lines) - 4), -1):  # the last three lines
            band = bands[k]
            if band[0] - 0.5 <= mid <= band[1] + 0.5:
                lines[k].words.append(w)
                if top < band[0]:
                    band[0] = top
                if bottom > band[1]:
                    band[1] = bottom
                break
        else:
            lines.append(Line([w]))
            bands.append([top, bottom])
    for line in lines:
        line.words.sort(key=lambda w: w.box.x0)
    lines.sort(key=lambda ln: ln.top)
    return lines


def split_line(line: Line, gap: float) -> list[Line]:
    """A page-wide line cut at gutters wider than `gap` (the columns of a two-column page)."""
    out = [Line([line.words[0]])]
    for w in line.words[1:]:
        if w.box.x0 - out[-1].words[-1].box.x1 > gap:
            out.append(Line([w]))
        else:
            out[-1].words.append(w)
    return out


def text_height(lines: list[Line]) -> float:
    hs = [w.box.height for ln in lines for w in ln.words if w.box.height > 0]
    return statistics.median(hs) if hs else 10.0


def chunks(line: Line, gap: float) -> list[tuple[float, float]]:
    """x-ranges of the runs of words in a line separated by more than `gap`."""
    out: list[list[float]] = []
    for w in line.words:
        if out and w.box.x0 - out[-1][1] <= gap:
            out[-1][1] = max(out[-1][1], w.box.x1)
        else:
            out.append([w.box.x0, w.box.x1])
    return [(a, b) for a, b in out]


def column_gaps(
    lines: list[Line], x0: float, x1: float, height: float, allowed: int = 0
) -> list[tuple[float, float]]:
    """Vertical white channels inside [x0, x1] that at most `allowed` word runs cross: the column
    separators of an unruled table. Runs are split where words are further apart than about half
    the text height (more than a word space, less than a column gap)."""
    if x1 - x0 < 1:
        return []
    width = int(x1 - x0) + 1
    # Runs covering each integer x: +1 where a run starts, -1 after it ends, then a running sum.
    delta = [0] * (width + 1)
    for line in lines:
        for a, b in chunks(line, 0.55 * height):
            i, j = max(0, int(a - x0)), min(width, int(b - x0) + 1)
            if i < j:
                delta[i] += 1
                delta[j] -= 1
    cover = list(accumulate(delta[:-1]))
    gaps: list[tuple[float, float]] = []
    start = None
    for i, c in enumerate(cover + [allowed + 1]):
        if c <= allowed and start is None:
            start = i
        elif c > allowed and start is not None:
            if start > 0 and i < width and (i - start) >= 0.3 * height:  # inner channels only
                gaps.append((x0 + start, x0 + i))
            start = None
    return gaps


def straddles(line: Line, gaps: list[tuple[float, float]], height: float) -> bool:
    """True when a run of the line's words crosses a column channel (a paragraph line, not a row)."""
    for a, b in chunks(line, 0.55 * height):
        for g0, g1 in gaps:
            if a < g0 - 0.5 and b > g1 + 0.5:
                return True
    return False


def text_bands(xs: list[float], words: list[Word], vertical: bool = True) -> list[float]:
    """Column boundaries `xs` (or row boundaries when not `vertical`) without the bands that hold no
    text (double rules, cell padding drawn as a second frame): an empty band joins its neighbour."""

    def centre(w: Word) -> float:
        return (w.box.x0 + w.box.x1) / 2 if vertical else (w.box.top + w.box.bottom) / 2

    mids = [centre(w) for w in words]
    keep = [xs[0]]
    for i in range(1, len(xs)):
        if any(xs[i - 1] < m < xs[i] for m in mids):
            keep.append(xs[i])
        elif len(keep) > 1:
            keep[-1] = xs[i]  # the empty band joins the band on its left
        # an empty first band joins the band on its right
    return keep if len(keep) >= 2 else [xs[0], xs[-1]]


def inside(word: Word, box: Box) -> bool:
    cx = (word.box.x0 + word.box.x1) / 2
    cy = (word.box.top + word.box.bottom) / 2
    return box.x0 <= cx <= box.x1 and box.top <= cy <= box.bottom
