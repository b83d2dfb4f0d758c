"""Lines in reading order -> typed blocks (title, heading, paragraph, caption, footnote) with text.

Paragraph breaks come from geometry relative to the font size: a vertical gap, a first-line indent,
a short last line, a change of size, or a bold run-in heading. A paragraph that reaches the end of a
column or page without ending its sentence continues in the next column/page, and captions or
footnotes met on the way are emitted after it ("floats"), so sentences stay whole in the text.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field

from pipeline.ingest.cleanup import box_of
from pipeline.ingest.frontmatter import is_front
from pipeline.ingest.hyphens import keep_hyphen
from pipeline.ingest.layout import CAPTION as _CAPTION
from pipeline.ingest.layout import Line
from pipeline.model import Block, Box, Document, Span, Word

_GAP = 0.7  # em between lines that separates blocks
_INDENT = 0.8  # em of first-line indent that starts a paragraph
_SHORT = 2.0  # em short of the column's right edge: a paragraph's last line
_TITLE = 1.3  # times the body size
_HEADING = 1.15
_SMALL = 0.9  # footnotes are set smaller than the body...
_FOOT_ZONE = 0.75  # ... below this share of the page height
_HEADING_WORDS = 25
_SENTENCE_END = re.compile(r"[.!?:]['\"”’)]*$")


@dataclass
class _Draft:
    kind: str
    lines: list[Line] = field(default_factory=list)

    @property
    def words(self) -> list[Word]:
        return [w for ln in self.lines for w in ln.words]


@dataclass
class Geometry:
    """Per page and column: the left and right text edges, for indents and short lines."""

    edges: dict[tuple[int, int], tuple[float, float]]
    body_size: float
    heights: dict[int, float]
    frames: dict[int, list[Box]] = field(default_factory=dict)  # per page: rectangles boxing text

    @classmethod
    def of(
        cls, lines: list[Line], heights: dict[int, float], frames: dict[int, list[Box]] | None = None
    ) -> Geometry:
        xs: dict[tuple[int, int], list[tuple[float, float]]] = {}
        weight: dict[float, int] = {}
        for ln in lines:
            b = ln.box
            xs.setdefault((b.page, ln.column), []).append((b.x0, b.x1))
            for w in ln.words:
                weight[w.size] = weight.get(w.size, 0) + len(w.text)
        edges = {}
        for key, v in xs.items():
            left = _mode([round(a) for a, _ in v])
            edges[key] = (float(left), max(b for _, b in v))
        body = max(weight, key=lambda s: weight[s]) if weight else 10.0
        return cls(edges, body, heights, frames or {})

    def framed(self, ln: Line) -> bool:
        """Whether `ln` lies in a drawn box (a text box set apart from the running text)."""
        return any(f.contains(ln.box, margin=1.0) for f in self.frames.get(ln.box.page, ()))

    def indented(self, ln: Line) -> bool:
        left, _ = self.edges[(ln.box.page, ln.column)]
        return ln.box.x0 - left > _INDENT * ln.size

    def short(self, ln: Line, nxt: Line | None = None) -> bool:
        """Whether `ln` ends a paragraph by its length: the room left at its end would have held
        the first word of `nxt` (so ragged-right text is read right too), or 2 em without `nxt`."""
        _, right = self.edges[(ln.box.page, ln.column)]
        room = right - ln.box.x1
        if nxt is None:
            return room > _SHORT * ln.size
        return room > nxt.words[0].box.width + 0.5 * ln.size


def _mode(values: list[int]) -> int:
    count: dict[int, int] = {}
    for v in values:
        count[v] = count.get(v, 0) + 1
    return max(count, key=lambda v: (count[v], -v))


def _starts_bold(ln: Line, body_bold: bool) -> bool:
    return not body_bold and ln.words[0].bold


def _same_size(a: float, b: float) -> bool:
    return abs(a - b) <= 0.1 * max(a, b)


def _kind(ln: Line, geo: Geometry, first_page: int) -> str:
    if _CAPTION.match(ln.text):
        return "caption"
    b = ln.box
    if b.page == first_page and ln.size >= _TITLE * geo.body_size and b.top < 0.4 * geo.heights[b.page]:
        return "title"
    if ln.size <= _SMALL * geo.body_size and b.top > _FOOT_ZONE * geo.heights[b.page]:
        return "footnote"  # small print at the foot of the page, bold or not
    if ln.size >= _HEADING * geo.body_size or ln.bold:
        return "heading"
    return "paragraph"


def _breaks(prev: Line, ln: Line, draft: _Draft, kind: str, geo: Geometry, body_bold: bool) -> bool:
    """Whether `ln` starts a new block after `prev` (the last line of `draft`)."""
    if kind != draft.kind and not (draft.kind == "caption" and kind == "paragraph"):
        return True
    if kind == "caption" and draft.lines:
        return True  # each caption line matching the pattern starts a caption
    if not _same_size(prev.size, ln.size):
        return True
    if prev.box.page != ln.box.page or prev.column != ln.column:
        return not _continues(prev, ln, geo, body_bold)
    if ln.box.top - prev.box.bottom > _GAP * ln.size or ln.box.top < prev.box.top:
        return True
    if _starts_bold(ln, body_bold) and not prev.words[-1].bold:
        return True
    if kind != "paragraph":  # titles and headings are often centred: indents mean nothing
        return False
    return (geo.indented(ln) and not geo.indented(prev)) or geo.short(prev, ln)


def _continues(prev: Line, ln: Line, geo: Geometry, body_bold: bool) -> bool:
    """A paragraph carried over a column or page break (or past a float)."""
    if geo.indented(ln) or geo.short(prev, ln) or _starts_bold(ln, body_bold):
        return False
    if not _same_size(prev.size, ln.size):
        return False
    first = ln.words[0].text
    return not _SENTENCE_END.search(prev.words[-1].text) or first[:1].islower()


def _open(d: _Draft, geo: Geometry) -> bool:
    """A paragraph whose last line neither ends short nor ends a sentence goes on somewhere."""
    last = d.lines[-1]
    return d.kind == "paragraph" and not geo.short(last) and not _SENTENCE_END.search(last.words[-1].text)


def _bold_heading_goes_on(cur: _Draft, ln: Line, kind: str, body_bold: bool) -> bool:
    prev = cur.lines[-1]
    return (
        cur.kind == "heading"
        and kind == "paragraph"
        and all(ln.bold for ln in cur.lines)
        and _starts_bold(ln, body_bold)
        and _same_size(prev.size, ln.size)
        and prev.box.page == ln.box.page
        and prev.column == ln.column
        and 0 <= ln.box.top - prev.box.bottom <= _GAP * ln.size
    )


def drafts(lines: list[Line], geo: Geometry, body_bold: bool) -> list[_Draft]:
    """Group lines into block drafts in reading order, floats moved after the paragraph they cut."""
    out: list[_Draft] = []
    held: list[_Draft] = []  # floats met while a paragraph was open
    first_page = lines[0].box.page if lines else 1
    cur: _Draft | None = None
    for ln in lines:
        kind = _kind(ln, geo, first_page)
        floating = (
            kind in ("caption", "footnote")
            or (cur is not None and geo.framed(ln) and not geo.framed(cur.lines[-1]))  # a text box
            or (bool(held) and kind == "paragraph" and ln.size <= _SMALL * geo.body_size)  # a table's note
        )
        if cur is not None and floating and _open(cur, geo):
            if (
                held
                and held[-1].kind == kind
                and not _breaks(held[-1].lines[-1], ln, held[-1], kind, geo, body_bold)
            ):
                held[-1].lines.append(ln)
            else:
                held.append(_Draft(kind, [ln]))
            continue
        if cur is not None and held:
            if kind == "paragraph" and _continues(cur.lines[-1], ln, geo, body_bold):
                cur.lines.append(ln)
                continue
            out += held
            held = []
            cur = None
        if cur is not None and _bold_heading_goes_on(cur, ln, kind, body_bold):
            cur.kind = "paragraph"  # a bold heading running into its paragraph; split later
            cur.lines.append(ln)
        elif cur is None or _breaks(cur.lines[-1], ln, cur, kind, geo, body_bold):
            cur = _Draft(kind, [ln])
            out.append(cur)
        else:
            cur.lines.append(ln)
    return out + held


def _split_run_in(d: _Draft, body_bold: bool) -> list[_Draft]:
    """A paragraph opening with a bold run ("Results. We found…") -> heading + paragraph."""
    if body_bold or d.kind not in ("paragraph", "heading"):
        return [d]
    words = d.words
    n = 0
    while n < len(words) and words[n].bold:
        n += 1
    if n == 0 or n == len(words):
        return [d]
    if not (_SENTENCE_END.search(words[n - 1].text) or _ends_line(d, n)):
        return [_Draft("paragraph", d.lines)]
    head, rest = _Draft("heading"), _Draft("paragraph")
    taken = 0
    for ln in d.lines:
        k = max(0, min(len(ln.words), n - taken))
        if k:
            head.lines.append(Line(ln.words[:k], ln.column))
        if k < len(ln.words):
            rest.lines.append(Line(ln.words[k:], ln.column))
        taken += len(ln.words)
    return [head, rest]


def _ends_line(d: _Draft, n: int) -> bool:
    count = 0
    for ln in d.lines:
        count += len(ln.words)
        if count == n:
            return True
    return False


def text_of(
    lines: list[Line], vocab: set[str], names: Collection[str] = frozenset()
) -> tuple[str, list[Span]]:
    """Block text (lines joined, line-end hyphens resolved) and one span per word."""
    words: list[tuple[Word, bool]] = [
        (w, i == len(ln.words) - 1) for ln in lines for i, w in enumerate(ln.words)
    ]
    text, spans = "", []
    glue = ""
    for i, (w, line_end) in enumerate(words):
        t = w.text
        nxt = words[i + 1][0] if i + 1 < len(words) else None
        joined = False
        if line_end and nxt is not None and len(t) > 1 and t.endswith("-") and not w.refs:
            joined = True
            if not keep_hyphen(t, nxt.text, vocab, names):
                t = t[:-1]
        text += glue
        spans.append(Span(len(text), len(text) + len(t), w.box))
        text += t
        glue = "" if joined else " "
    return text, spans


def build(
    doc: Document, lines: list[Line], geo: Geometry, vocab: set[str], names: Collection[str] = frozenset()
) -> None:
    """Add the body blocks of `lines` (all pages, reading order) to `doc`; `names` as `keep_hyphen`."""
    n_bold = sum(len(w.text) for ln in lines for w in ln.words if w.bold)
    n_all = sum(len(w.text) for ln in lines for w in ln.words) or 1
    body_bold = n_bold > 0.5 * n_all
    first_page = lines[0].box.page if lines else 1
    for d in drafts(lines, geo, body_bold):
        for part in _split_run_in(d, body_bold):
            if not part.lines:
                continue
            kind = part.kind
            if kind == "heading" and len(part.words) > _HEADING_WORDS:
                kind = "paragraph"
            text, spans = text_of(part.lines, vocab, names)
            ws = part.words
            first = [w for w in ws if w.box.page == ws[0].box.page]
            weight: dict[float, int] = {}
            for w in ws:
                weight[w.size] = weight.get(w.size, 0) + len(w.text)
            front = kind != "title" and is_front(text, part.lines[0].box.page, first_page)
            block = Block(
                "front" if front else kind,
                text,
                box_of(first),
                refs=[r for w in ws for r in w.refs],
                font_size=max(weight, key=lambda s: weight[s]),
                bold=all(w.bold for w in ws),
                column=part.lines[0].column,
            )
            if front:  # kept aside with its place, out of the body
                block.start = block.end = -1
                doc.dropped.append(block)
            else:
                doc.add_block(block, spans)
