"""Rows of words -> lines in reading order, with one- or two-column layout detected per page.

A page has two columns when an x-interval near its middle is crossed by (almost) no word while
plenty of text lies on both sides: the gutter. Rows that cross it (title, abstract, wide captions,
footers) are full width and cut the page into bands; inside a band the left column is read before
the right one, so full-width elements keep their place in the flow.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from itertools import accumulate

from pipeline.model import Box, Word

_SEARCH = (0.3, 0.7)  # gutter searched in this fraction of the page width
_MIN_SIDE = 0.2  # each side of a gutter holds at least this share of the words
_MIN_GUTTER = 0.8  # em; narrowest gutter accepted (wider than any space between words)
CAPTION = re.compile(
    r"^(?:Supplementary\s+)?(?:Table|TABLE|Fig\.?|Figure|FIGURE)\s*[A-Z]?\d+[A-Za-z]?\s*[.:|]"
)
_MAX_CROSSING = 0.4  # share of rows that may run across a gutter


@dataclass
class Line:
    """Words of one line of one column. Its words are fixed once made (a changed line is a new
    `Line`), so box, size and text are computed once: paragraph building asks for them often."""

    words: list[Word]
    column: int  # 0 full width, 1 left, 2 right

    @cached_property
    def box(self) -> Box:
        ws = self.words
        return Box(
            ws[0].box.page,
            min(w.box.x0 for w in ws),
            min(w.box.top for w in ws),
            max(w.box.x1 for w in ws),
            max(w.box.bottom for w in ws),
        )

    @cached_property
    def size(self) -> float:
        """The size most of the line's characters are set in."""
        weight: dict[float, int] = {}
        for w in self.words:
            weight[w.size] = weight.get(w.size, 0) + len(w.text)
        return max(weight, key=lambda s: weight[s])

    @cached_property
    def bold(self) -> bool:
        return all(w.bold for w in self.words)

    @cached_property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)


def gutter(rows: list[list[Word]], width: float) -> tuple[float, float] | None:
    """The x-interval between two columns, or None for a one-column page."""
    words = [w for r in rows for w in r]
    if len(words) < 20:
        return None
    lo, hi = int(width * _SEARCH[0]), int(width * _SEARCH[1])
    # How many words cover each integer x in [lo, hi]: +1 where a word starts, -1 after it ends,
    # then a running sum (one pass over the words instead of one step per point of their width).
    delta = [0] * (hi - lo + 2)
    for w in words:
        a, b = max(lo, int(w.box.x0)), min(hi, int(w.box.x1))
        if a <= b:
            delta[a - lo] += 1
            delta[b - lo + 1] -= 1
    cover = list(accumulate(delta[:-1]))
    least = min(cover)  # rows running across the gutter: title, abstract, wide captions
    if least > _MAX_CROSSING * len(rows) or len(rows) - least < 6:
        return None
    # widest run of (nearly) least-covered x: full-width lines have spaces here and there
    limit = least + max(2, least // 4)
    best: tuple[int, int] | None = None
    start = None
    for i, c in enumerate([*cover, limit + 1]):
        if c <= limit and start is None:
            start = i
        elif c > limit and start is not None:
            if best is None or i - start > best[1] - best[0]:
                best = (start, i)
            start = None
    assert best is not None
    g0, g1 = lo + best[0], lo + best[1]
    sizes = sorted(w.size for w in words)
    if g1 - g0 < _MIN_GUTTER * sizes[len(sizes) // 2]:
        return None
    left = sum(w.box.x1 <= g0 + 1 for w in words)
    right = sum(w.box.x0 >= g1 - 1 for w in words)
    if min(left, right) < _MIN_SIDE * len(words):
        return None
    return float(g0), float(g1)


def _split(row: list[Word], g: tuple[float, float]) -> tuple[list[Word], list[Word]] | None:
    """Left and right parts of a row, or None when the row runs across the gutter."""
    g0, g1 = g
    left = [w for w in row if w.box.x1 <= g0 + 1]
    right = [w for w in row if w.box.x0 >= g1 - 1]
    if len(left) + len(right) < len(row):
        return None  # a word lies in the gutter
    if left and right:
        gap = right[0].box.x0 - left[-1].box.x1
        if gap < _MIN_GUTTER * min(left[-1].size, right[0].size):  # an ordinary space, not a gutter
            return None
    return left, right


def reading_order(rows: list[list[Word]], width: float, floats: list[Box] = ()) -> tuple[int, list[Line]]:
    """(number of columns, lines in reading order) of one page's body rows (top to bottom).
    `floats` are cut-out areas (tables); one that spans the gutter ends a band like a full-width
    line, and a caption row right above it is full width too."""
    g = (
        gutter(rows, width)
        if all(w.box.width >= w.box.height * 0.5 or len(w.text) < 3 for r in rows for w in r[:1])
        else None
    )
    if g is None:
        return 1, [Line(r, 0) for r in rows if r]
    wide = sorted(b.top for b in floats if b.x0 < g[0] and b.x1 > g[1])
    out: list[Line] = []
    left: list[Line] = []
    right: list[Line] = []
    for r in rows:
        top = min(w.box.top for w in r)
        while wide and wide[0] < top:  # a wide table sits between the previous row and this one
            wide.pop(0)
            out += left + right
            left, right = [], []
        parts = _split(r, g)
        if parts is not None and wide and CAPTION.match(" ".join(w.text for w in r)):
            bottom = max(w.box.bottom for w in r)
            if wide[0] - bottom < 3 * r[0].size:
                parts = None
        if parts is None:
            out += left + right
            left, right = [], []
            out.append(Line(r, 0))
            continue
        if parts[0]:
            left.append(Line(parts[0], 1))
        if parts[1]:
            right.append(Line(parts[1], 2))
    out += left + right
    return 2, out
