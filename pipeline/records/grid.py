"""A table as the records read it: header slots per column, body rows of slots, and the group label
(a row heading such as "Adult patients" or "Interim analysis") each body row sits under.

The structure stage's cells are taken as they are, with four repairs made from the page's own words
and layout, never from what the cells say:
- a body row whose cells each hold several printed lines, aligned across columns (rows of an unruled
  table read as one), is split into one row per line band;
- a leading row with a single short cell above a full row (a caption line caught by the table) is
  dropped; rows right below the header with no number and an empty first cell extend the header, and
  a later copy of such a row (the header repeated on the next page) is dropped;
- a row holding only text in a run of leading cells is a group label for the rows below it;
- a row with no number where the table's value columns hold numbers continues the row above it
  (a study name and its citation on two printed lines).
Each slot keeps NER's mentions of its text (offsets moved into the slot's text) and its box."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field

from pipeline.model import Box, Cell, Document, Mention, Table, Word
from pipeline.ner.values import read_cell

_DIGIT = re.compile(r"\d")
_NUMERIC = re.compile(r"^\s*(?:[<>≤≥~]=?\s*)?(?:\d|NR\b|NE\b|NA\b|[–—-]+\s*$)")
_LINE_TOL = 2.5
_PHRASE_GAP = 0.35  # of the word's height: words closer than this on a header line are one phrase  # points: words whose tops differ by less share a printed line


@dataclass
class Slot:
    text: str = ""
    mentions: list[Mention] = field(default_factory=list)
    box: Box | None = None
    refs: list[str] = field(default_factory=list)
    parts: list[tuple[int, Box]] = field(default_factory=list)  # (offset in text, box) of joined pieces

    def add(self, other: Slot) -> None:
        """Append another slot's text (a continuation line), moving its mentions; each piece keeps its box."""
        if not other.text.strip():
            return
        base = len(self.text) + (1 if self.text else 0)
        if not self.parts and self.box is not None and self.text:
            self.parts.append((0, self.box))
        self.parts += [(base + k, b) for k, b in other.parts] or ([(base, other.box)] if other.box else [])
        self.text = f"{self.text} {other.text}" if self.text else other.text
        self.mentions += [_moved(m, base) for m in other.mentions]
        self.box = other.box if self.box is None else (self.box.union(other.box) if other.box else self.box)
        self.refs += other.refs

    def box_at(self, offset: int) -> Box | None:
        """The box of the piece holding text[offset] (the whole cell's when it was never joined)."""
        inside = [b for k, b in self.parts if k <= offset]
        return inside[-1] if inside else (self.parts[0][1] if self.parts else self.box)

    def copy(self) -> Slot:
        return Slot(self.text, list(self.mentions), self.box, list(self.refs), list(self.parts))


@dataclass
class Grid:
    table_id: str
    caption: str
    head: list[Slot]  # one per column: the header rows joined
    rows: list[list[Slot]]
    groups: list[str]  # per body row: the group label above it, else ""
    rebuilt: bool = False  # the body was read from the page's lines (the structure stage lost it)
    labels: list[Slot | None] = field(default_factory=list)  # per body row: its group label's cell
    notes: dict = field(
        default_factory=dict
    )  # note mark -> notes.Note of a subgroup the table's notes define

    @property
    def n_cols(self) -> int:
        return len(self.head)

    def transposed(self) -> Grid:
        """Columns as rows: the first column becomes the header, the header the first column."""
        full = [self.head, *self.rows]
        cols = [list(col) for col in zip(*full, strict=True)]
        return Grid(self.table_id, self.caption, cols[0], cols[1:], [""] * (len(cols) - 1))


def _moved(m: Mention, base: int) -> Mention:
    return Mention(m.label, m.text, m.canonical, m.start + base, m.end + base, m.source, m.page, m.box,
                   m.sentence, m.table_id, m.row, m.col, m.score, m.attrs)  # fmt: skip


def build_grid(doc: Document, table: Table, by_cell: dict[tuple[str, int, int], list[Mention]]) -> Grid:
    matrix: list[list[Slot]] = [[Slot() for _ in range(table.n_cols)] for _ in range(table.n_rows)]
    for c in table.cells:
        if 0 <= c.row < table.n_rows and 0 <= c.col < table.n_cols:
            ms = sorted(by_cell.get((table.table_id, c.row, c.col), []), key=lambda m: (m.start, -m.end))
            matrix[c.row][c.col] = Slot(c.text, ms, c.box, list(c.refs))
    hr = max(1, table.header_rows)
    while len(matrix) > hr + 1 and _stray_caption(matrix[0], matrix[1]):
        matrix = matrix[1:]
    head_rows, body = matrix[:hr], matrix[hr:]
    above = _header_above(doc, table, head_rows)
    if above is not None:  # the header the structure stage left out: its first row is data
        head_rows, body = [above], matrix
    rebuilt = not any(_filled(r) for r in body)
    if rebuilt:
        body = _lines_below(doc, head_rows)
    while body and _extends_header(body[0]):
        head_rows.append(body.pop(0))
    body = [r for r in body if not any(_same_row(r, h) for h in head_rows[1:])]
    split: list[list[Slot]] = []
    page_words = _PageWords(doc)
    for row in body:
        split += _split_lines(page_words, row, table)
    head = [Slot() for _ in range(table.n_cols)]
    for r in head_rows:
        for i, s in enumerate(r):
            head[i].add(s)
    _realign_head(page_words, head, head_rows, split)
    rows, groups, labels = _groups_and_continuations(split)
    return Grid(table.table_id, table.caption, head, rows, groups, rebuilt, labels)


def _filled(row: list[Slot]) -> list[int]:
    return [i for i, s in enumerate(row) if s.text.strip()]


def _stray_caption(row: list[Slot], nxt: list[Slot]) -> bool:
    return len(row) >= 3 and len(_filled(row)) == 1 and len(_filled(nxt)) >= len(row) - 1


def _extends_header(row: list[Slot]) -> bool:
    return bool(_filled(row)) and not row[0].text.strip() and not any(_DIGIT.search(s.text) for s in row)


def _same_row(a: list[Slot], b: list[Slot]) -> bool:
    return [" ".join(s.text.split()) for s in a] == [" ".join(s.text.split()) for s in b]


def _header_above(doc: Document, table: Table, head_rows: list[list[Slot]]) -> list[Slot] | None:
    """When the table's header row holds numbers in most cells, the line printed between the caption
    and the table, its phrases falling one into each column, is the real header."""
    first = head_rows[0] if head_rows else []
    boxes = [s.box for s in first]
    cap = table.caption_box
    if (
        not first
        or cap is None
        or any(b is None for b in boxes)
        or sum(numeric(s) for s in first) * 2 <= len(first)
    ):
        return None
    top = min(b.top for b in boxes if b)
    words = [w for w in doc.pages[boxes[0].page - 1].words  # type: ignore[union-attr]
             if w.box.page == cap.page and cap.bottom - 1 < w.box.top and w.box.bottom <= top + 1]  # fmt: skip
    if not words:
        return None
    row = [Slot() for _ in first]
    for w in sorted(words, key=lambda w: (round(w.box.top / _LINE_TOL), w.box.x0)):
        c = (w.box.x0 + w.box.x1) / 2
        k = min(range(len(boxes)), key=lambda k: max(boxes[k].x0 - c, c - boxes[k].x1, 0.0))  # type: ignore[union-attr]
        row[k].add(Slot(w.text, [], w.box))
    return row if len(_filled(row)) * 2 > len(row) and not any(numeric(s) for s in row) else None


def _lines_below(doc: Document, head_rows: list[list[Slot]]) -> list[list[Slot]]:
    """A table whose body the structure stage lost (only its header was found): the printed lines
    right below the header, each word in the column whose header spans it, while a line holds two
    or more whole values and follows the one before without a gap."""
    heads = [s.box for s in head_rows[-1]] if head_rows else []
    if not heads or any(b is None for b in heads) or not 0 < heads[0].page <= len(doc.pages):
        return []
    bottom = max(b.bottom for b in heads if b)
    x0, x1 = min(b.x0 for b in heads if b), max(b.x1 for b in heads if b)
    words = [w for w in doc.pages[heads[0].page - 1].words
             if w.box.top >= bottom - 1 and x0 - 2 <= (w.box.x0 + w.box.x1) / 2 <= x1 + 2]  # fmt: skip
    lines: list[list[Word]] = []
    for w in sorted(words, key=lambda w: (w.box.top, w.box.x0)):
        if lines and abs(lines[-1][0].box.top - w.box.top) < _LINE_TOL:
            lines[-1].append(w)
        else:
            lines.append([w])
    rows: list[list[Slot]] = []
    last = bottom
    for ws in lines:
        h = max(w.box.height for w in ws)
        if ws[0].box.top - last > 2.5 * h:
            break
        row = [Slot() for _ in heads]
        cols = []
        for w in ws:
            c = (w.box.x0 + w.box.x1) / 2
            k = min(range(len(heads)), key=lambda k: max(heads[k].x0 - c, c - heads[k].x1, 0.0))  # type: ignore[union-attr]
            row[k].add(Slot(w.text, [], w.box, list(w.refs)))
            cols.append(k)
        if sum(_value_line(s.text) for s in row) >= 2:
            rows.append(row)
        elif rows and not _runs_across(ws, cols):  # the wrapped second line of the row above
            for k, s in enumerate(row):
                rows[-1][k].add(s)
        else:
            break  # a sentence below the table (a footnote)
        last = max(w.box.bottom for w in ws)
    return rows


def _runs_across(ws: list[Word], cols: list[int]) -> bool:
    """Whether words a space apart (one phrase) fall into two columns: running text, not cells."""
    for a, b, ka, kb in zip(ws, ws[1:], cols, cols[1:], strict=False):
        if ka != kb and b.box.x0 - a.box.x1 <= _PHRASE_GAP * b.box.height:
            return True
    return False


# -- merged rows --------------------------------------------------------------------------------------
class _PageWords:
    """A document's words per page with their middles' heights sorted: the words inside a cell's box
    are found by bisection rather than by a scan of the page for every cell."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self._pages: dict[int, tuple[list[float], list[int]]] = {}

    def inside(self, b: Box) -> list[Word]:
        """The words of page `b.page` whose middle is inside `b`, in page order."""
        words = self.doc.pages[b.page - 1].words
        if b.page not in self._pages:
            mid = [(w.box.top + w.box.bottom) / 2 for w in words]
            order = sorted(range(len(words)), key=mid.__getitem__)
            self._pages[b.page] = ([mid[i] for i in order], order)
        mids, order = self._pages[b.page]
        near = sorted(order[bisect_left(mids, b.top) : bisect_right(mids, b.bottom)])
        return [w for w in map(words.__getitem__, near) if b.x0 <= (w.box.x0 + w.box.x1) / 2 <= b.x1]


def _lines(page_words: _PageWords, slot: Slot) -> list[tuple[float, list[Word]]]:
    """The printed lines of a cell (top, words), from the page's words inside the cell's box."""
    if slot.box is None or not 0 < slot.box.page <= len(page_words.doc.pages) or not slot.text.strip():
        return []
    words = page_words.inside(slot.box)
    out: list[tuple[float, list[Word]]] = []
    for w in sorted(words, key=lambda w: (w.box.top, w.box.x0)):
        if out and abs(out[-1][0] - w.box.top) < _LINE_TOL:
            out[-1][1].append(w)
        else:
            out.append((w.box.top, [w]))
    return out


def _split_lines(page_words: _PageWords, row: list[Slot], table: Table) -> list[list[Slot]]:
    """One row per line band when two or more columns hold numbers on several lines."""
    lines = [_lines(page_words, s) for s in row]
    multi = [ls for ls in lines if sum(_value_line(" ".join(w.text for w in ws)) for _, ws in ls) >= 2]
    if (
        len(multi) < 2 or not table.cells
    ):  # a wrapped cell is no merged row: numbers on two lines of two columns
        return [row]
    bands = _bands(lines, [i for i, ls in enumerate(lines) if any(ls is m for m in multi)])
    if len(bands) < 2:
        return [row]
    out = [[Slot() for _ in row] for _ in bands]
    for i, (slot, ls) in enumerate(zip(row, lines, strict=True)):
        if not ls:
            if slot.text.strip():
                out[0][i] = slot
            continue
        pos = 0
        for top, words in ls:
            b = min(range(len(bands)), key=lambda k: abs(bands[k] - top))
            part = _locate(slot, words, pos)
            if part is None:
                return [row]  # the cell text does not follow its words: keep the row whole
            start, end = part
            pos = end
            piece = Slot(slot.text[start:end], [_moved(m, -start) for m in slot.mentions
                         if start <= m.start and m.end <= end], _words_box(words))  # fmt: skip
            piece.refs = [r for w in words for r in w.refs]
            out[b][i].add(piece)
    return [r for r in out if _filled(r)]


def _bands(lines: list[list[tuple[float, list[Word]]]], value_cols: list[int]) -> list[float]:
    """Tops of the printed rows: the lines of the value columns, then any other line too far from
    them to belong to one (a label's second line, printed beside a value centred on two lines, joins it;
    a group label above the values is a band of its own)."""
    bands: list[float] = []
    for t in sorted(t for i in value_cols for t, _ in lines[i]):
        if not bands or t - bands[-1] >= _LINE_TOL:
            bands.append(t)
    for i, ls in enumerate(lines):
        for t, ws in ls:
            near = 0.7 * max(w.box.height for w in ws)
            if i not in value_cols and all(abs(t - b) > near for b in bands):
                bands.append(t)
                bands.sort()
    return bands


def _value_line(text: str) -> bool:
    """A printed line holding one whole value ("27/30 (90%)", "12.4 (9.1–NR)", a dash)."""
    return read_cell(text) is not None or bool(re.fullmatch(r"\s*(?:[–—-]+|NE|NA)\s*", text))


def _locate(slot: Slot, words: list[Word], pos: int) -> tuple[int, int] | None:
    """Where a line's words sit in the cell text, from `pos` on."""
    start = end = -1
    for w in words:
        k = slot.text.find(w.text, pos)
        if k < 0:
            return None
        start = k if start < 0 else start
        end = pos = k + len(w.text)
    return (start, end) if start >= 0 else None


def _words_box(words: list[Word]) -> Box:
    box = words[0].box
    for w in words[1:]:
        box = box.union(w.box)
    return box


def _realign_head(
    page_words: _PageWords, head: list[Slot], head_rows: list[list[Slot]], body: list[list[Slot]]
) -> None:
    """Header phrases printed over a column boundary go to the column whose body text is nearest to
    the phrase's middle ("FU (mo)" of "Median FU (mo)" overhanging the column to its left); a phrase is
    a run of words on one line with no more than a space between them. A phrase the structure stage
    put in the header of several columns (a group header over them) stays in each."""
    spans: list[tuple[float, float]] = []
    rows = [row for row in body if len(_filled(row)) > 1]  # not group labels across the row
    for i in range(len(head)):
        xs = [w.box for row in rows for _, ws in _lines(page_words, row[i]) for w in ws]
        if not xs:
            return
        spans.append((min(b.x0 for b in xs), max(b.x1 for b in xs)))
    placed: dict[int, list[Word]] = {}
    changed: set[int] = set()
    for r in head_rows:
        words = [(i, w) for i, s in enumerate(r) for _, ws in _lines(page_words, s) for w in ws]
        lines: list[list[tuple[int, Word]]] = []
        for i, w in sorted(words, key=lambda iw: (iw[1].box.top, iw[1].box.x0)):
            if lines and abs(lines[-1][0][1].box.top - w.box.top) < _LINE_TOL:
                lines[-1].append((i, w))
            else:
                lines.append([(i, w)])
        for line in lines:
            line.sort(key=lambda iw: iw[1].box.x0)
            phrases: list[list[tuple[int, Word]]] = []
            for i, w in line:
                if phrases and w.box.x0 - phrases[-1][-1][1].box.x1 <= _PHRASE_GAP * w.box.height:
                    phrases[-1].append((i, w))
                else:
                    phrases.append([(i, w)])
            for ph in phrases:
                text = " ".join(w.text for _, w in ph)
                owners = sorted({i for i, _ in ph})  # the phrase runs over these columns
                shared = [k for k in owners if text in " ".join(head[k].text.split())]
                if len(shared) > 1:  # a group header the structure stage gave every column below it
                    for k in shared:
                        placed.setdefault(k, []).extend(w for _, w in ph)
                    continue
                c = (ph[0][1].box.x0 + ph[-1][1].box.x1) / 2
                k = min(range(len(spans)), key=lambda k: max(spans[k][0] - c, c - spans[k][1], 0.0))
                placed.setdefault(k, []).extend(w for _, w in ph)
                changed |= {i for i, _ in ph if i != k} | ({k} if any(i != k for i, _ in ph) else set())
    for k in changed:
        ws = sorted(placed.get(k, []), key=lambda w: (round(w.box.top / _LINE_TOL), w.box.x0))
        head[k] = Slot(" ".join(w.text for w in ws), [], _words_box(ws) if ws else None)


# -- group labels and continuation rows ----------------------------------------------------------------
def numeric(s: Slot) -> bool:
    """A cell that starts with a number (or prints "not reported": a dash, NR, NE)."""
    return bool(_NUMERIC.match(s.text))


def _value_columns(rows: list[list[Slot]]) -> set[int]:
    """Columns where most filled cells start with a number."""
    out = set()
    for i in range(len(rows[0]) if rows else 0):
        filled = [r[i] for r in rows if r[i].text.strip()]
        if filled and sum(numeric(s) for s in filled) * 2 > len(filled):
            out.add(i)
    return out


def _groups_and_continuations(
    rows: list[list[Slot]],
) -> tuple[list[list[Slot]], list[str], list[Slot | None]]:
    values = _value_columns(rows)
    out: list[list[Slot]] = []
    groups: list[str] = []
    labels: list[Slot | None] = []
    group = ""
    label: Slot | None = None
    for row in rows:
        filled = _filled(row)
        if not filled:
            continue
        numbers = any(numeric(row[i]) for i in values)
        run = filled == list(range(len(filled)))
        if not numbers and out and _lowercase(row[filled[0]]) and filled[0] == 0:
            for i, s in enumerate(row):  # a wrapped label's next line ("KESTREL," / "chemotherapy")
                out[-1][i].add(s)
            continue
        if not numbers and run and len(filled) < len(row) and (values or not _DIGIT.search(row[0].text)):
            group = " ".join(" ".join(row[i].text for i in filled).split())
            label = row[filled[0]].copy() if len(filled) == 1 else None
            continue
        if not numbers and out and values and (not run or not row[0].text.strip() or _lowercase(row[0])):
            for i, s in enumerate(row):
                out[-1][i].add(s)
            continue
        out.append([s.copy() for s in row])
        groups.append(group)
        labels.append(label)
    return out, groups, labels


def _lowercase(s: Slot) -> bool:
    t = s.text.strip()
    return bool(t) and (t[0].islower() or t[0] in "[(")


__all__ = ["Cell", "Grid", "Slot", "build_grid"]
