"""Rows of words -> lines in reading order, with the page's columns and side blocks found from
whitespace.

Each row is cut into fragments at gaps wider than an em (a row of the page may hold a line of each
column). A region of the page (first the whole page) has a gutter when an x-interval at least
`_MIN_GUTTER` em wide is crossed by few fragments while real text lies on both sides. Fragments that
cross it (title, abstract, wide captions, tables set across the page) are full width and cut the
region into bands; inside a band the left side is read before the right one, and each side is a
region again. A stretch where lines crossing the gutter alternate with short bands is a section
with columns of its own (a table's two columns above the text's two columns with another gutter):
it is read as a region by itself. So a sidebar beside two columns, three columns, full-width
elements between column sections and column sections with different gutters are all read as a
reader would. Fragments of one row that end up in the same region form one line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from itertools import accumulate
from statistics import median

from pipeline.model import Box, Word, enclosing

_MIN_GUTTER = 0.8  # em; narrowest gutter accepted (wider than any space between words)
_FRAGMENT_GAP = 1.0  # em; a row splits into fragments at wider gaps
_MIN_SIDE_CHARS = 0.04  # each side of a gutter holds at least this share of the region's characters
_MIN_FRAGMENT_CHARS = 6  # ... in fragments of this many characters on average (not a column of numbers)
CAPTION = re.compile(
    r"^(?:Supplementary\s+)?(?:Table|TABLE|Fig\.?|Figure|FIGURE)\s*[A-Z]?\d+[A-Za-z]?(?:\s*[.:|]|\s+[A-Z][a-z])"
)
_BAND_ROWS = 3  # fragments on each side of a gutter in one band at least ...
_PAIRED = 0.25  # ... in bands holding this share of the region's fragments
_MAX_CROSSING = 0.8  # share of rows that may run across a gutter


@dataclass
class Line:
    """Words of one line of one column. Its words are fixed once made (a changed line is a new
    `Line`), so box, size and text are computed once: paragraph building asks for them often."""

    words: list[Word]
    column: int  # 0 full width, 1 left, 2 right

    @cached_property
    def box(self) -> Box:
        box = enclosing(w.box for w in self.words)  # a line's words are on one page
        assert box is not None
        return box

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


@dataclass
class _Frag:
    """Words of one row standing together (no gap wider than an em); `words` empty for a float."""

    row: int
    words: list[Word]
    x0: float
    x1: float
    top: float
    bottom: float

    @classmethod
    def of(cls, row: int, words: list[Word]) -> _Frag:
        b = enclosing(w.box for w in words)
        assert b is not None
        return cls(row, words, b.x0, b.x1, b.top, b.bottom)

    @cached_property
    def chars(self) -> int:
        return sum(len(w.text) for w in self.words)


def fragments(rows: list[list[Word]]) -> list[_Frag]:
    """Each row cut at gaps wider than an em."""
    out = []
    for i, r in enumerate(rows):
        ws = sorted(r, key=lambda w: w.box.x0)
        cur = [ws[0]]
        for w in ws[1:]:
            if w.box.x0 - cur[-1].box.x1 > _FRAGMENT_GAP * max(w.size, cur[-1].size, 1.0):
                out.append(_Frag.of(i, cur))
                cur = []
            cur.append(w)
        out.append(_Frag.of(i, cur))
    return out


def gutter(frags: list[_Frag]) -> tuple[float, float] | None:
    """The x-interval of the best gutter of a region (fewest fragments crossing it, then widest),
    or None when the region is one column."""
    text = [f for f in frags if f.words]
    if len(text) < 4:
        return None
    lo, hi = int(min(f.x0 for f in text)), int(max(f.x1 for f in text)) + 1
    # How many fragments cover each integer x in [lo, hi]: +1 where one starts, -1 after it ends,
    # then a running sum (one pass over the fragments instead of one step per point of width).
    delta = [0] * (hi - lo + 2)
    for f in text:
        delta[int(f.x0) - lo] += 1
        delta[min(hi, int(f.x1)) - lo + 1] -= 1
    cover = list(accumulate(delta[:-1]))
    n_rows = len({f.row for f in text})
    em = median(w.size for f in text for w in f.words) or 10.0
    total = sum(f.chars for f in text)
    limit = int(_MAX_CROSSING * n_rows)
    best: tuple[int, float, float, float] | None = None
    for level in sorted(set(cover[1:-1])):
        if level > limit:
            break
        for g0, g1 in _runs(cover, level, lo):
            if g1 - g0 < _MIN_GUTTER * em:
                continue
            left = [f for f in text if f.x1 <= g0 + 1]
            right = [f for f in text if f.x0 >= g1 - 1]
            crossing = len(text) - len(left) - len(right)
            if not (_side(left, total) and _side(right, total)) or crossing > limit:
                continue
            if not _side_by_side(text, g0, g1):
                continue
            key = (crossing, -(g1 - g0), float(g0), float(g1))
            if best is None or key < best:
                best = key
        if best is not None:
            break
    return (best[2], best[3]) if best else None


def _runs(cover: list[int], level: int, lo: int) -> list[tuple[int, int]]:
    """x-intervals (inside the region, not at its edges) covered by at most `level` fragments."""
    out, start = [], None
    for i, c in enumerate([*cover, level + 1]):
        if c <= level and start is None:
            start = i
        elif c > level and start is not None:
            if start > 0 and i < len(cover):
                out.append((lo + start, lo + i))
            start = None
    return out


def _side_by_side(frags: list[_Frag], g0: float, g1: float) -> bool:
    """Whether the bands between fragments crossing [g0, g1] hold text on both sides (at least
    `_BAND_ROWS` fragments each) for a fair share of the region: columns, not a left block above a
    right one, nor a few lines whose justified spaces happen to line up."""
    left = right = paired = 0

    def close() -> int:
        return left + right if min(left, right) >= _BAND_ROWS else 0

    for f in sorted(frags, key=lambda f: f.top):
        if f.x1 <= g0 + 1:
            left += 1
        elif f.x0 >= g1 - 1:
            right += 1
        else:
            paired += close()
            left = right = 0
    paired += close()
    return paired >= _PAIRED * len(frags)


def _side(frags: list[_Frag], total: int) -> bool:
    chars = sum(f.chars for f in frags)
    return len(frags) >= 2 and chars >= _MIN_SIDE_CHARS * total and chars >= _MIN_FRAGMENT_CHARS * len(frags)


@dataclass
class _Layout:
    lines: list[Line]
    columns: int


def _leaf(frags: list[_Frag], column: int) -> _Layout:
    by_row: dict[int, list[Word]] = {}
    for f in sorted(frags, key=lambda f: (f.row, f.x0)):
        if f.words:
            by_row.setdefault(f.row, []).extend(f.words)
    rows = sorted(by_row.values(), key=lambda ws: min(w.box.top for w in ws))
    return _Layout([Line(ws, column) for ws in rows if ws], 1)


def _region(frags: list[_Frag], column: int, depth: int = 0) -> _Layout:
    g = gutter(frags) if depth < 6 else None
    if g is None:
        return _leaf(frags, column)
    g0, g1 = g
    em = median(w.size for f in frags for w in f.words) or 10.0
    wide = [f for f in frags if not f.words and f.x0 < g0 and f.x1 > g1]

    def crosses(f: _Frag) -> bool:
        if not (f.x1 <= g0 + 1 or f.x0 >= g1 - 1):
            return True
        # a caption right above a float set across the gutter belongs to it: full width too
        return (
            bool(f.words)
            and any(0 <= w.top - f.bottom < 3 * em for w in wide)
            and bool(CAPTION.match(" ".join(w.text for w in f.words)))
        )

    # the region in top-to-bottom order: fragments crossing the gutter, and bands between them
    seq: list[_Frag | list[_Frag]] = []
    for f in sorted(frags, key=lambda f: (f.top, f.x0)):
        if crosses(f):
            seq.append(f)
        elif seq and isinstance(seq[-1], list):
            seq[-1].append(f)
        else:
            seq.append([f])

    out = _Layout([], 1)

    def band(fs: list[_Frag]) -> None:
        left = [f for f in fs if f.x1 <= g0 + 1]
        right = [f for f in fs if f.x0 >= g1 - 1]
        a = _region(left, column or 1, depth + 1) if left else _Layout([], 0)
        b = _region(right, (column or 1) + max(a.columns, 1), depth + 1) if right else _Layout([], 0)
        out.lines.extend(a.lines + b.lines)
        out.columns = max(out.columns, a.columns + b.columns)

    sections: dict[int, tuple[int, list[_Frag]]] = {}
    for i, j in _sections(seq, g0, g1):
        part = _flat(seq[i:j])
        if i > 0 and isinstance(seq[i - 1], list) and isinstance(seq[i], _Frag):
            # a line in the section's first row may have sorted before its first crossing line
            first = seq[i]
            moved = [f for f in seq[i - 1] if f.top < first.bottom and f.bottom > first.top]
            seq[i - 1] = [f for f in seq[i - 1] if f not in moved]
            part += moved
        sections[i] = (j, part)
    i = 0
    while i < len(seq):
        if i in sections:  # a section with columns of its own
            i, part = sections[i]
            sec = _region(part, column, depth + 1)
            out.lines.extend(sec.lines)
            out.columns = max(out.columns, sec.columns)
            continue
        item = seq[i]
        if isinstance(item, list):
            band(item)
        elif item.words:
            out.lines.append(Line(item.words, column))
        i += 1
    return out


def _sections(seq: list[_Frag | list[_Frag]], g0: float, g1: float) -> list[tuple[int, int]]:
    """Stretches `seq[i:j]` where lines crossing the gutter alternate with short bands (fewer than
    `_BAND_ROWS` fragments on a side) at least `_BAND_ROWS` times and which have a gutter of their
    own elsewhere: the region's gutter is not theirs (a table's columns above, the text's below)."""
    out = []
    i = 0
    while i < len(seq):
        j = _section_end(seq, i, g0, g1)
        part = _flat(seq[i:j])
        if j > i + 1 and (sub := gutter(part)) is not None and (sub[1] <= g0 or sub[0] >= g1):
            out.append((i, j))
        i = j
    return out


def _flat(items: list[_Frag | list[_Frag]]) -> list[_Frag]:
    return [f for item in items for f in (item if isinstance(item, list) else [item])]


def _section_end(seq: list[_Frag | list[_Frag]], i: int, g0: float, g1: float) -> int:
    """The end of the stretch from `seq[i]` of crossing lines and short bands, or `i + 1` when it
    has fewer than `_BAND_ROWS` crossing lines each followed by a band."""
    j, alternations = i, 0
    while j < len(seq):
        item = seq[j]
        if isinstance(item, list):
            left = sum(1 for f in item if f.x1 <= g0 + 1)
            if min(left, len(item) - left) >= _BAND_ROWS:
                break
        elif not item.words:
            break  # a float ends the stretch
        elif j + 1 < len(seq) and isinstance(seq[j + 1], list):
            alternations += 1
        j += 1
    return j if alternations >= _BAND_ROWS else i + 1


def reading_order(rows: list[list[Word]], width: float, floats: list[Box] = ()) -> tuple[int, list[Line]]:
    """(number of columns, lines in reading order) of one page's body rows (top to bottom).
    `floats` are cut-out areas (tables); one that spans a gutter ends a band like a full-width
    line, and a caption row right above it is full width too."""
    rows = [r for r in rows if r]
    if not all(w.box.width >= w.box.height * 0.5 or len(w.text) < 3 for r in rows for w in r[:1]):
        return 1, [Line(r, 0) for r in rows]  # text set vertically: one line per row
    frags = fragments(rows)
    frags += [_Frag(-1, [], b.x0, b.x1, b.top, b.bottom) for b in floats]
    layout = _region(frags, 0)
    return layout.columns, layout.lines
