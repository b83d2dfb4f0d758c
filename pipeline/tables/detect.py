"""Where the tables of a page are. Four kinds, tried in this order:

- ruled: a connected grid of horizontal and vertical rules;
- booktabs: two or more horizontal rules of the same span with column-aligned text between them;
- zebra: stacked filled rectangles of the same span (striped rows, no lines);
- whitespace: no graphics at all, anchored on a "Table N" caption and accepted only while the lines
  below it keep clean column channels.

Unruled detection is deliberately conservative: a false region deletes body text from the document,
a missed one only leaves a table in the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.model import Box, Page, Word
from pipeline.tables import captions
from pipeline.tables.geometry import (
    Line,
    chunks,
    cluster,
    column_gaps,
    group_lines,
    page_rules,
    split_line,
    split_rules,
    straddles,
    text_bands,
    text_height,
)

EDGE = 0.06  # share of the page height at top and bottom where rules belong to running heads/feet
MIN_ROWS = 3  # text lines with at least two columns an unruled region needs


@dataclass
class Region:
    box: Box
    kind: str  # "ruled" | "booktabs" | "zebra" | "whitespace"


def find(page: Page) -> list[Region]:
    if not page.words:
        return []
    lines = group_lines(page.words)
    height = text_height(lines)
    hs, vs = split_rules(page_rules(page.rules, page.fills, page.width, page.height))
    out = _ruled(page, hs, vs, lines)
    out += _booktabs(page, hs, vs, height, [r.box for r in out])
    out += _zebra(page, lines, height, [r.box for r in out])
    segments = [s for ln in lines for s in split_line(ln, 1.2 * height)]
    caps = captions.find(segments, page.number, [r.box for r in out])
    out += _whitespace(page, lines, height, caps, [r.box for r in out])
    return sorted(out, key=lambda r: (r.box.top, r.box.x0))


# -- ruled grids ---------------------------------------------------------------------------------


def _ruled(page: Page, hs: list[Box], vs: list[Box], lines: list[Line]) -> list[Region]:
    # Glyph outlines of logos and formulas come out as tiny edges; table rules are longer.
    hs = [h for h in hs if h.width >= 10]
    vs = [v for v in vs if v.height >= 6]
    out = []
    for members in _components(hs, vs):
        xs = cluster([(b.x0 + b.x1) / 2 for b in members if b.width <= 2], 3.5)  # double frames count once
        ys = cluster([(b.top + b.bottom) / 2 for b in members if b.height <= 2], 3.5)
        if len(xs) < 3 or len(ys) < 2:  # a frame or a single box is not a grid
            continue
        box = members[0]
        for b in members[1:]:
            box = box.union(b)
        # A grid is closed by rules across its full width at top and bottom; flow charts and
        # diagrams (boxes joined by arrows) are not.
        top = [h for h in members if h.height <= 2 and abs(h.top - box.top) <= 3]
        bottom = [h for h in members if h.height <= 2 and abs(h.bottom - box.bottom) <= 3]
        if (
            not top
            or not bottom
            or max(h.width for h in top) < 0.9 * box.width
            or max(h.width for h in bottom) < 0.9 * box.width
        ):
            continue
        words = [w for ln in lines for w in ln.words if box.contains(w.box, margin=1)]
        if len(words) < 4 or _chart(page, box, words):
            continue
        xs = text_bands([box.x0, *xs, box.x1], words)
        ys = text_bands([box.top, *ys, box.bottom], words, vertical=False)
        # Charts and flow diagrams draw lines too; a table has text in a fair share of its cells.
        filled = {
            (
                sum(x < (w.box.x0 + w.box.x1) / 2 for x in xs),
                sum(y < (w.box.top + w.box.bottom) / 2 for y in ys),
            )
            for w in words
        }
        if len(filled) < 0.3 * (len(xs) - 1) * max(1, len(ys) - 1) or len({c for c, _ in filled}) < 2:
            continue  # text in one column only: a framed box (abstract, sidebar), not a table
        if len({r for _, r in filled}) == 1:  # a header row alone: its body follows below
            height = text_height(lines)
            below = [h for h in hs if abs(h.x1 - box.x1) <= 4 and 2 < h.top - box.bottom < 6 * height]
            if below:
                continue  # body rows set apart by rules only: a booktabs table with a boxed header
            box = _body_below(page, box, xs, lines)
            if _chart(page, box, [w for ln in lines for w in ln.words if box.contains(w.box, margin=1)]):
                continue
        out.append(Region(Box(page.number, box.x0, box.top, box.x1, box.bottom), "ruled"))
    return out


_NUMBER = re.compile(r"[-−+]?\d[\d.,]*%?")
CHART_WORDS = 40  # a chart's grid carries few words: its tick labels, a legend
CHART_STROKES = 40  # drawn segments per word above which a grid is a plot's (curves, markers)


def _chart(page: Page, box: Box, words: list[Word]) -> bool:
    """Whether a grid of rules is a chart's, not a table's: it carries few words, and either its
    graphics dominate (curves drawn as many short segments: far more strokes than words), or its
    text holds no label at all (the data labels of bars), or most of its words are evenly spaced
    numbers in a regular progression (an axis's tick labels: 2004 2005 2006, 0 25 50 75)."""
    if len(words) >= CHART_WORDS:
        return False
    strokes = sum(1 for r in page.rules if box.contains(r, margin=2))
    if strokes > CHART_STROKES * len(words):
        return True
    if all(_NUMBER.fullmatch(w.text) for w in words):
        return True
    ticks = sum(_axis_labels(ln) for ln in group_lines(words))
    return ticks * 2 > len(words)


def _axis_labels(ln: Line) -> int:
    """How many of a line's words are axis tick labels: runs of three or more numbers, evenly spaced,
    in a regular progression (several axes side by side make several runs on one line)."""
    out, run = 0, []  # run: (value, centre) of the current progression
    for w in ln.words:
        try:
            v = float(w.text.replace(",", ""))
        except ValueError:
            out, run = out + (len(run) if len(run) >= 3 else 0), []
            continue
        mid = (w.box.x0 + w.box.x1) / 2
        if len(run) >= 2:
            (v0, m0), (v1, m1) = run[-2], run[-1]
            if abs((v - v1) - (v1 - v0)) > 0.01 * abs(v1 - v0) or abs((mid - m1) - (m1 - m0)) > 0.12 * (
                m1 - m0
            ):
                out, run = out + (len(run) if len(run) >= 3 else 0), run[-1:]
        if len(run) == 1 and (v == run[0][0] or mid <= run[0][1]):
            run = []
        run.append((v, mid))
    return out + (len(run) if len(run) >= 3 else 0)


def _body_below(page: Page, box: Box, xs: list[float], lines: list[Line]) -> Box:
    """A grid of one row is a header whose body rows follow without rules (often a long table's
    last rows at the foot of a page): the lines right below it, inside its width, whose runs of
    words stay between its column boundaries, until a wider gap, a caption or a sentence."""
    height = text_height(lines)
    near = group_lines([w for w in page.words if w.box.x1 > box.x0 and w.box.x0 < box.x1])
    bottom = box.bottom
    for ln in (ln for ln in near if ln.mid > box.bottom):
        if ln.top - bottom > 1.5 * height or ln.x0 < box.x0 - 3 or ln.x1 > box.x1 + 3:
            break
        if captions.CAPTION_RE.match(ln.text) or ln.bottom > (1 - EDGE) * page.height:
            break
        runs = chunks(ln, 0.55 * height)
        if any(a < x - 1 and b > x + 1 for a, b in runs for x in xs[1:-1]):
            break
        bottom = ln.bottom + 1
    return Box(box.page, box.x0, box.top, box.x1, bottom)


def _components(hs: list[Box], vs: list[Box]) -> list[list[Box]]:
    """Connected groups of rules, then cut apart where only a frame joins them: two tables side by
    side on a two-column page often share the page-wide top and bottom rules."""
    segs = hs + vs
    parent = list(range(len(segs)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, h in enumerate(hs):
        for j, v in enumerate(vs, start=len(hs)):
            if h.overlaps(v, margin=2.0):
                parent[root(i)] = root(j)
    groups: dict[int, list[Box]] = {}
    for i, s in enumerate(segs):
        groups.setdefault(root(i), []).append(s)
    out = []
    for members in groups.values():
        gh = [b for b in members if b in hs]
        gv = [b for b in members if b not in hs]
        ycut = _y_cut(gh, gv)
        if ycut is not None:
            out += _components([h for h in gh if h.bottom < ycut], [v for v in gv if v.bottom < ycut])
            out += _components([h for h in gh if h.top > ycut], [v for v in gv if v.top > ycut])
            continue
        cut = _x_cut(gh, gv)
        if cut is None:
            out.append(members)
            continue
        left_h = [Box(h.page, h.x0, h.top, min(h.x1, cut), h.bottom) for h in gh if h.x0 < cut]
        right_h = [Box(h.page, max(h.x0, cut), h.top, h.x1, h.bottom) for h in gh if h.x1 > cut]
        out += _components(left_h, [v for v in gv if v.x1 < cut])
        out += _components(right_h, [v for v in gv if v.x0 > cut])
    return out


def _y_cut(hs: list[Box], vs: list[Box]) -> float | None:
    """A y between two stacked runs of vertical rules that no vertical rule crosses: tables one above
    the other, joined only through a long rule (a heading underline, a page-wide frame)."""
    if not vs:
        return None
    spans = sorted((v.top, v.bottom) for v in vs)
    reach = spans[0][1]
    for top, bottom in spans[1:]:
        if top > reach + 2:
            return (reach + top) / 2
        reach = max(reach, bottom)
    return None


def _x_cut(hs: list[Box], vs: list[Box]) -> float | None:
    """An x between two runs of vertical rules that at most two horizontal rules cross."""
    xs = sorted({round((v.x0 + v.x1) / 2, 1) for v in vs})
    for a, b in zip(xs, xs[1:], strict=False):
        if b - a < 8:
            continue
        mid = (a + b) / 2
        crossing = sum(1 for h in hs if h.x0 < a + 1 and h.x1 > b - 1)
        if crossing <= 2 and any(v.x0 < mid for v in vs) and any(v.x0 > mid for v in vs):
            left = [h for h in hs if h.x1 <= mid + 1]
            right = [h for h in hs if h.x0 >= mid - 1]
            if left and right:  # each side has rules of its own
                return mid
    return None


# -- booktabs ------------------------------------------------------------------------------------


def _booktabs(page: Page, hs: list[Box], vs: list[Box], height: float, taken: list[Box]) -> list[Region]:
    # The sides of shaded bands a few lines tall (a header's or a section label's background,
    # stripes) are the bands' outline, not a frame's rules; a tall shaded box (a sidebar) is.
    bands = [f for f in page.fills if f.height <= 6 * height]
    drawn = [v for v in vs if v.height >= 6 and not _outlines(v, bands)]
    free = [
        h
        for h in hs
        if h.width >= 8 * height
        and EDGE * page.height < h.top < (1 - EDGE) * page.height  # running-head and footer rules
        and not any(t.overlaps(h, margin=1) for t in taken)
        and not any(_frames(h, v) for v in drawn)  # box frames, not rules
    ]
    spans: list[list[Box]] = []
    for h in sorted(free, key=lambda b: b.top):
        for group in spans:
            g = group[0]
            if abs(g.x0 - h.x0) <= 4 and abs(g.x1 - h.x1) <= 4:
                group.append(h)
                break
        else:
            spans.append([h])
    out = []
    for group in spans:
        while len(group) > 2 and _notes(page, group[-2], group[-1], height):
            group.pop()  # a rule under the table's notes closes the notes, not the table
        if len(group) < 2:
            continue
        box = Box(page.number, group[0].x0, group[0].top, group[0].x1, group[-1].bottom)
        region = _validate(page, box, height, extend_down=True, extend_up=True)
        if region is None and _page_head(page, group[0]):  # a one-row piece between its rules
            region = _validate(page, box, height, one_row=True)
        if region and not any(region.overlaps(t) for t in taken):
            out.append(Region(region, "booktabs"))
            taken = taken + [region]
    return out


def _outlines(v: Box, fills: list[Box]) -> bool:
    """Whether vertical rule v runs along the sides of fills over its whole length (one band, or
    bands stacked edge to edge)."""
    x = (v.x0 + v.x1) / 2
    spans = sorted((f.top, f.bottom) for f in fills if min(abs(x - f.x0), abs(x - f.x1)) <= 1)
    reach = v.top
    for top, bottom in spans:
        if top - 1 <= reach < bottom:
            reach = bottom
    return reach >= v.bottom - 1


def _notes(page: Page, above: Box, below: Box, height: float) -> bool:
    """Whether the band between two rules holds only notes: every line one run of words across
    most of the rules' width (a sentence; the last line of several may be short), not cells apart."""
    words = [w for w in page.words if above.bottom < w.box.top and w.box.bottom < below.top]
    words = [w for w in words if above.x0 - 2 <= w.box.x0 and w.box.x1 <= above.x1 + 2]
    lines = group_lines(words)
    width = above.x1 - above.x0
    runs = [chunks(ln, 0.55 * height) for ln in lines]
    if not runs or any(len(r) != 1 for r in runs):
        return False
    # A paragraph's last line may be short; the lines above it fill the width.
    full = [r[0][1] - r[0][0] >= 0.5 * width for r in runs]
    return all(full) or (len(full) > 1 and all(full[:-1]))


def _frames(h: Box, v: Box) -> bool:
    """Whether vertical rule v closes horizontal rule h at one of its ends (a box frame); a vertical
    rule meeting it inside (the stub column's rule of a booktabs table) does not."""
    x = (v.x0 + v.x1) / 2
    return h.overlaps(v, margin=1) and (abs(x - h.x0) <= 3 or abs(x - h.x1) <= 3)


# -- zebra stripes ------------------------------------------------------------------------------


def _zebra(page: Page, lines: list[Line], height: float, taken: list[Box]) -> list[Region]:
    fills = [
        f
        for f in page.fills
        if f.width >= 8 * height and f.height <= 6 * height and not any(t.overlaps(f) for t in taken)
    ]
    chains: list[list[Box]] = []
    for f in sorted(fills, key=lambda b: b.top):
        for chain in chains:
            last = chain[-1]
            same = abs(last.x0 - f.x0) <= 4 and abs(last.x1 - f.x1) <= 4
            if same and f.top - last.bottom <= 1.5 * max(last.height, f.height):
                chain.append(f)
                break
        else:
            chains.append([f])
    out = []
    for chain in chains:
        if len(chain) < 2:
            continue
        box = chain[0]
        for f in chain[1:]:
            box = box.union(f)
        region = _validate(page, box, height, extend_down=True, extend_up=True)
        if region and not any(region.overlaps(t) for t in taken):
            out.append(Region(region, "zebra"))
            taken = taken + [region]
    return out


# -- whitespace, caption-anchored ---------------------------------------------------------------


def _whitespace(
    page: Page, lines: list[Line], height: float, caps: list[captions.Caption], taken: list[Box]
) -> list[Region]:
    out = []
    for cap in caps:
        if any(captions.attach([cap], t, height) for t in taken):
            continue
        x0, x1 = _band(page, cap.box)
        near = group_lines([w for w in page.words if w.box.x1 > x0 and w.box.x0 < x1])
        below = [ln for ln in near if ln.top >= cap.box.bottom - 0.5]
        if not below or below[0].top - cap.box.bottom > 3 * height:
            continue
        seed = Box(page.number, x0, below[0].top, x1, below[0].bottom)
        region = _validate(page, seed, height, extend_down=True, band=(x0, x1))
        if region and not any(region.overlaps(t) for t in taken):
            out.append(Region(region, "whitespace"))
            taken = taken + [region]
    return out


def _band(page: Page, cap: Box) -> tuple[float, float]:
    """The horizontal band a caption's table may use: its page column, or the full text width."""
    words = page.words
    left = min(w.box.x0 for w in words)
    right = max(w.box.x1 for w in words)
    mid = page.width / 2
    if page.columns < 2:
        return left, right
    if cap.x1 < mid + 5 and cap.x1 - cap.x0 < 0.55 * (right - left):
        return left, mid - 2
    if cap.x0 > mid - 5:
        return mid + 2, right
    return left, right


# -- shared validation --------------------------------------------------------------------------


def _validate(
    page: Page,
    seed: Box,
    height: float,
    extend_down: bool = False,
    extend_up: bool = False,
    band: tuple[float, float] | None = None,
    one_row: bool = False,
) -> Box | None:
    """Grow `seed` by adjacent lines that keep the column channels, and accept the result only
    when it has at least two columns and MIN_ROWS lines that use two or more of them (with
    `one_row`, a single line of three or more columns, two of them numbers, will do: the piece of a
    table continued at the head of a page may hold one row)."""
    x0, x1 = band or (seed.x0, seed.x1)
    # Lines are rebuilt from the words over this band only, so that the other column of a
    # two-column page does not join them.
    near = group_lines([w for w in page.words if w.box.x1 > x0 and w.box.x0 < x1])
    pool = [ln for ln in near if ln.x0 >= x0 - 3 and ln.x1 <= x1 + 3]
    core = [ln for ln in pool if seed.top - 1 <= ln.mid <= seed.bottom + 1]
    if band is None and any(seed.top <= ln.mid <= seed.bottom for ln in near if ln not in pool):
        return None  # text running across the graphics: body text, not a table
    if not core:
        return None
    gaps = [] if band is not None else column_gaps(core, x0, x1, height, allowed=len(core) // 8)
    rows = list(core)

    def fits(ln: Line, current: list[Line]) -> list[tuple[float, float]] | None:
        trial = current + [ln]
        g = column_gaps(trial, x0, x1, height, allowed=len(trial) // 8)
        if not g or (gaps and len(g) < len(gaps) and len(trial) > 3) or captions.CAPTION_RE.match(ln.text):
            return None
        if len(trial) > 2 and straddles(ln, g, height):
            return None
        return g

    pitch = 2.2 * height
    if extend_down:
        for ln in (ln for ln in pool if ln.mid > seed.bottom + 1):
            if ln.top - rows[-1].bottom > pitch:
                break
            g = fits(ln, rows)
            if g is None:
                if len(rows) < 2 and band is not None:  # a header line alone has no channels yet
                    rows.append(ln)
                    continue
                break
            rows.append(ln)
            gaps = g
    if extend_up:
        for ln in reversed([ln for ln in pool if ln.mid < seed.top - 1]):
            if rows[0].top - ln.bottom > pitch:
                break
            g = fits(ln, rows)
            if g is None:
                break
            rows.insert(0, ln)
            gaps = g
    gaps = column_gaps(rows, x0, x1, height, allowed=len(rows) // 8)
    if not gaps or (
        sum(1 for ln in rows if _columns_used(ln, gaps) >= 2) < MIN_ROWS
        and not (one_row and any(_numeric_row(ln, gaps) for ln in rows))
    ):
        return None
    if _prose(rows, x1 - x0, height):
        return None
    box = Box(page.number, min(ln.x0 for ln in rows), rows[0].top, max(ln.x1 for ln in rows), rows[-1].bottom)
    if band is None:
        box = box.union(seed)
    return Box(page.number, box.x0 - 1, box.top - 1, box.x1 + 1, box.bottom + 1)


def _prose(rows: list[Line], width: float, height: float) -> bool:
    """Running text (e.g. the two columns of a page between two unrelated rules): many lines whose
    runs are long sentences filling a large share of the width, or whose every run is a stretch of
    a sentence (line after line of several mostly lower-case words). Table cells wrap much shorter."""
    long = 0
    for ln in rows:
        for a, b in chunks(ln, 0.55 * height):
            n = sum(1 for w in ln.words if a <= w.box.x0 and w.box.x1 <= b)
            if b - a >= 0.4 * width and n >= 7:
                long += 1
                break
    if long >= 4 and long > 0.4 * len(rows):
        return True
    # Body text set in two columns has a channel between its columns like a table, but every run of
    # words on its lines is a stretch of a sentence: several words, mostly lower-case.
    worded = 0
    for ln in rows:
        runs = [
            [w for w in ln.words if a <= w.box.x0 and w.box.x1 <= b] for a, b in chunks(ln, 0.55 * height)
        ]
        if runs and all(len(r) >= 5 and sum(w.text[:1].islower() for w in r) >= 0.6 * len(r) for r in runs):
            worded += 1
    return worded >= 4 and worded > 0.6 * len(rows)


def _page_head(page: Page, rule: Box) -> bool:
    """Whether `rule` is the first content of its page: no word above it under the running head."""
    return not any(
        w.box.bottom < rule.top
        and w.box.top > 0.09 * page.height
        and w.box.x1 > rule.x0
        and w.box.x0 < rule.x1
        for w in page.words
    )


def _numeric_row(line: Line, gaps: list[tuple[float, float]]) -> bool:
    """A line in three or more columns, two or more of them opening with a number."""
    numeric = {
        sum(cx > g[1] for g in gaps)
        for w in line.words
        if w.text[:1].isdigit()
        for cx in [(w.box.x0 + w.box.x1) / 2]
    }
    return _columns_used(line, gaps) >= 3 and len(numeric) >= 2


def _columns_used(line: Line, gaps: list[tuple[float, float]]) -> int:
    cols = set()
    for w in line.words:
        cx = (w.box.x0 + w.box.x1) / 2
        cols.add(sum(cx > g[1] for g in gaps))
    return len(cols)
