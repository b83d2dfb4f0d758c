"""The one document model that flows through every stage.

A `Document` holds the body text once (`Document.text`); blocks, mentions and values point into it
by character offsets, and every stretch of text can be mapped back to page boxes (`Document.locate`).
Tables keep their cells with boxes. Records (`Study`, `Outcome`) and `Finding`s carry the columns of
the output contract (shared/schema.md) plus provenance.
"""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

BLOCK_KINDS = ("title", "heading", "paragraph", "caption", "footnote", "table", "header", "footer", "front")


@dataclass(frozen=True, slots=True)
class Box:
    """A rectangle on one page, in PDF points, origin top-left (pdfplumber's `top`/`bottom`)."""

    page: int  # 1-based
    x0: float
    top: float
    x1: float
    bottom: float

    def union(self, other: Box) -> Box:
        return Box(
            self.page,
            min(self.x0, other.x0),
            min(self.top, other.top),
            max(self.x1, other.x1),
            max(self.bottom, other.bottom),
        )

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        return self.bottom - self.top

    def overlaps(self, other: Box, margin: float = 0.0) -> bool:
        return (
            self.page == other.page
            and self.x0 < other.x1 + margin
            and other.x0 < self.x1 + margin
            and self.top < other.bottom + margin
            and other.top < self.bottom + margin
        )

    def contains(self, other: Box, margin: float = 1.0) -> bool:
        return (
            self.page == other.page
            and other.x0 >= self.x0 - margin
            and other.x1 <= self.x1 + margin
            and other.top >= self.top - margin
            and other.bottom <= self.bottom + margin
        )

    def __str__(self) -> str:  # the schema's `bbox` column
        return f"{self.x0:.1f},{self.top:.1f},{self.x1:.1f},{self.bottom:.1f}"


def _span_end(s: Span) -> int:
    return s.end


def _block_end(b: Block) -> int:
    return b.end


def enclosing(boxes: Iterable[Box]) -> Box | None:
    """The union of the boxes on the first page among them (values rarely straddle pages)."""
    it = iter(boxes)
    first = next(it, None)
    if first is None:
        return None
    same = [first, *(b for b in it if b.page == first.page)]
    if len(same) == 1:
        return first
    # one pass per side, the same values as folding `union` (min and max keep the first of equals)
    return Box(
        first.page,
        min([b.x0 for b in same]),
        min([b.top for b in same]),
        max([b.x1 for b in same]),
        max([b.bottom for b in same]),
    )


@dataclass(slots=True)
class Word:
    """One word of a page after clean-up: superscript citations split off into `refs`,
    exponents written as `^` (450x10^6), ligatures expanded."""

    text: str
    box: Box
    size: float = 0.0
    font: str = ""
    bold: bool = False
    refs: tuple[str, ...] = ()


@dataclass(slots=True)
class Span:
    """A stretch [start, end) of `Document.text` and the box it occupies."""

    start: int
    end: int
    box: Box


@dataclass(slots=True)
class Page:
    number: int  # 1-based
    width: float
    height: float
    columns: int = 1  # 1 or 2, as detected
    words: list[Word] = field(default_factory=list)  # every word of the page, body and tables
    rules: list[Box] = field(default_factory=list)  # thin lines (drawn lines and rect edges)
    fills: list[Box] = field(default_factory=list)  # filled rectangles (zebra stripes, shading)
    table_regions: list[Box] = field(default_factory=list)  # cut out of the body text
    table_kinds: list[str] | None = None  # detector kind per region (tables.regions); None: not run
    frames: list[Box] = field(default_factory=list)  # drawn rectangles that may box text (text boxes)


@dataclass(slots=True)
class Block:
    kind: str  # one of BLOCK_KINDS
    text: str
    box: Box
    start: int = 0  # offsets of `text` in Document.text (headers/footers: -1)
    end: int = 0
    spans: list[Span] = field(default_factory=list)
    refs: list[str] = field(default_factory=list)  # citation numbers split off the text
    font_size: float = 0.0
    bold: bool = False
    column: int = 0  # 0 full width, 1 left, 2 right


@dataclass(slots=True)
class Cell:
    """One grid position. A spanning cell sits at its top-left position with `rowspan`/`colspan`;
    a position it covers under a group header holds a copy with `spanned_from` set to the origin, so
    that `Table.grid()` names every column below the header (renderers that keep spans skip copies)."""

    row: int
    col: int
    text: str
    box: Box | None = None
    refs: list[str] = field(default_factory=list)
    rowspan: int = 1
    colspan: int = 1
    spanned_from: tuple[int, int] | None = None


@dataclass
class Table:
    table_id: str  # "Table 1" from the caption, else "Table p3.1"
    caption: str
    n_rows: int
    n_cols: int
    cells: list[Cell] = field(default_factory=list)
    header_rows: int = 1
    pages: list[int] = field(default_factory=list)
    boxes: list[Box] = field(default_factory=list)  # one region per page it spans
    caption_box: Box | None = None
    ruled: bool = True

    def cell(self, row: int, col: int) -> Cell | None:
        for c in self.cells:
            if c.row == row and c.col == col:
                return c
        return None

    def grid(self) -> list[list[str]]:
        out = [["" for _ in range(self.n_cols)] for _ in range(self.n_rows)]
        for c in self.cells:
            out[c.row][c.col] = c.text
        return out

    def header(self) -> list[str]:
        """Column names: the header rows joined per column."""
        rows = self.grid()[: self.header_rows]
        return [" ".join(r[i] for r in rows if r[i]).strip() for i in range(self.n_cols)]

    def frame(self):  # -> pandas.DataFrame; pandas imported lazily to keep the model light
        import pandas as pd

        body = self.grid()[self.header_rows :]
        cols = self.header() or [str(i) for i in range(self.n_cols)]
        return pd.DataFrame(body, columns=_unique(cols))


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for i, n in enumerate(names):
        n = n or f"col{i}"
        seen[n] = seen.get(n, 0) + 1
        out.append(n if seen[n] == 1 else f"{n}.{seen[n] - 1}")
    return out


@dataclass(slots=True)
class Mention:
    """An entity found by NER, in the body text or in a table cell."""

    label: str  # PRODUCT, TARGET, TRIAL, REGISTRY_ID, METRIC, VALUE, N, DOSE, PHASE, COHORT, TIMEPOINT, ARM
    text: str  # as printed
    canonical: str  # normalised form (kb id), equal to text when nothing was changed
    start: int  # offsets in Document.text (source "text") or in the cell text (source "table")
    end: int
    source: str = "text"  # "text" | "table"
    page: int = 0
    box: Box | None = None
    sentence: str = ""
    table_id: str = ""
    row: int = -1
    col: int = -1
    score: float = 100.0  # fuzzy score when the canonical form came from a near match
    attrs: dict[str, Any] = field(default_factory=dict)  # e.g. value, unit, qualifier, malformed

    @property
    def normalised(self) -> bool:
        """True when the printed form was changed to reach the canonical one (a name variant)."""
        return bool(self.attrs.get("variant"))


@dataclass
class Document:
    doc_id: str
    path: str
    sha256: str = ""
    pages: list[Page] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)  # body, in reading order
    dropped: list[Block] = field(default_factory=list)  # running headers/footers, front matter
    tables: list[Table] = field(default_factory=list)
    mentions: list[Mention] = field(default_factory=list)
    sentences: list[tuple[int, int]] = field(default_factory=list)  # [start, end) in text, set by NER
    meta: dict[str, Any] = field(default_factory=dict)
    text: str = ""
    # partial loss found while reading (damaged or near-empty pages, unmapped glyphs): one entry each,
    # {"page": n (0: the whole document), "code": short reason, "detail": sentence}
    warnings: list[dict[str, Any]] = field(default_factory=list)

    SEP = "\n\n"

    def add_block(self, block: Block, spans: list[Span] | None = None) -> Block:
        """Append a body block to the text; `spans` are offsets relative to the block's text, in text
        order (`locate` searches them by bisection)."""
        # the text held in a local alone while it grows: `+=` then extends it in place (on the
        # attribute, each block copied the whole text so far: the square of a long paper)
        text, self.text = self.text, ""
        if text:
            text += self.SEP
        block.start = len(text)
        text += block.text
        block.end = len(text)
        self.text = text
        block.spans = [Span(s.start + block.start, s.end + block.start, s.box) for s in (spans or [])]
        self.blocks.append(block)
        return block

    def block_at(self, offset: int) -> Block | None:
        lo, hi = 0, len(self.blocks) - 1
        while lo <= hi:  # blocks are in text order
            mid = (lo + hi) // 2
            b = self.blocks[mid]
            if offset < b.start:
                hi = mid - 1
            elif offset >= b.end + len(self.SEP):
                lo = mid + 1
            else:
                return b
        return None

    def locate(self, start: int, end: int) -> list[Box]:
        """Boxes covering text[start:end]: one per page and line run, in order."""
        out: list[Box] = []
        # blocks are in text order: start at the first one ending after `start` (NER locates every
        # mention, so a scan over all blocks per call grows with the square of the document)
        blocks = self.blocks
        for i in range(bisect.bisect_right(blocks, start, key=_block_end), len(blocks)):
            b = blocks[i]
            if b.start >= end:
                break
            spans = b.spans  # in text order: skip those ending before `start`, stop at `end`
            for j in range(bisect.bisect_right(spans, start, key=_span_end), len(spans)):
                s = spans[j]
                if s.start >= end:
                    break
                last = out[-1] if out else None
                if last and last.page == s.box.page and abs(last.top - s.box.top) < 2:
                    out[-1] = last.union(s.box)
                else:
                    out.append(s.box)
            if not b.spans and b.box:
                out.append(b.box)
        return out

    def page_of(self, start: int) -> int:
        b = self.block_at(start)
        return b.box.page if b else 0

    def shed(self) -> None:
        """Drop the pages, blocks, sentences and text (the bulk of a long paper) once every stage has
        read them; mentions, tables, meta and warnings stay. A worker calls it before flattening its
        result into a record, so that the record's rows reuse their memory."""
        self.pages, self.blocks, self.dropped, self.sentences, self.text = [], [], [], [], ""


@dataclass(slots=True)
class Study:
    doc_id: str
    study_id: str
    trial: str = ""
    cohort: str = ""
    product: str = ""
    target: str = ""
    nct_id: str = ""
    phase: str = ""
    n: int | None = None
    design: str = ""
    population: str = ""
    refs: str = ""
    sources: str = ""
    pages: str = ""
    # added columns
    n_table: int | None = None
    n_text: int | None = None
    phase_text: str = ""


@dataclass(slots=True)
class Outcome:
    doc_id: str
    study_id: str
    metric: str
    value: float | None
    unit: str
    source: str  # "table" | "text"
    trial: str = ""
    cohort: str = ""
    product: str = ""
    nct_id: str = ""
    n: int | None = None
    arm: str = ""
    subgroup: str = ""
    timepoint_months: float | None = None
    qualifier: str = ""
    table_id: str = ""
    page: int = 0
    bbox: str = ""
    snippet: str = ""
    confidence: float = 1.0
    analysis: str = ""  # the data cut the text names ("primary analysis", "final analysis"), else ""


SEVERITIES = ("error", "warning", "info")


def outcome_id(o: Outcome) -> str:
    """Stable across re-runs: what the outcome is about and its value, not its page geometry (the
    review app keys its outcome items the same way)."""
    t = "" if o.timepoint_months is None else f"{o.timepoint_months:g}"
    v = "" if o.value is None else f"{o.value:g}"
    parts = (o.doc_id, o.study_id, o.metric, o.arm, o.subgroup, t, o.source, o.table_id, v, o.qualifier)
    return "o-" + hashlib.sha1("|".join(parts).encode()).hexdigest()[:12]


@dataclass(frozen=True)
class Evidence:
    """One item of a finding's evidence: what is printed (or known) and where. `label` says what the
    value is ("text", "table ORR", "n", "registry"); `outcome_id` links it to its outcomes.csv row."""

    label: str
    value: str
    source: str = ""  # "text" | "table" | "registry" | "rules" | ""
    page: int = 0
    snippet: str = ""
    bbox: str = ""  # "x0,top,x1,bottom" on `page`
    outcome_id: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {f: getattr(self, f) for f in self.__dataclass_fields__}


@dataclass
class Finding:
    finding_id: str
    doc_id: str
    check: str
    severity: str
    message: str
    study_id: str = ""
    trial: str = ""
    cohort: str = ""
    metric: str = ""
    values: str = ""  # "text:40 | table:62.5"
    sources: str = ""  # "text | table"
    pages: str = ""  # "4 | 3"
    status: str = "open"
    # added columns
    snippets: str = ""  # " | "-joined, same order as values
    bboxes: str = ""  # "p3:x0,top,x1,bottom | p4:…"
    product: str = ""
    # the structure the packed columns above are flattened from (review app and report read this)
    evidence: list[Evidence] = field(default_factory=list)
    outcome_ids: str = ""  # ";"-joined outcome_id of the outcomes the evidence cites

    def pack(self) -> Finding:
        """Fill the packed columns (values, sources, pages, snippets, bboxes, outcome_ids) from
        `evidence`: the output contract's flat form of the structure."""
        ev = self.evidence
        self.values = " | ".join(f"{e.label}:{e.value}" if e.label else e.value for e in ev)
        self.sources = " | ".join(e.source for e in ev)
        self.pages = " | ".join(str(e.page) if e.page else "" for e in ev)
        self.snippets = " | ".join(e.snippet.replace("|", "/") for e in ev)
        self.bboxes = " | ".join(f"p{e.page}:{e.bbox}" if e.bbox else "" for e in ev)
        self.outcome_ids = ";".join(dict.fromkeys(e.outcome_id for e in ev if e.outcome_id))
        return self


@dataclass
class Result:
    """What one document yields after all stages, or why it failed."""

    doc_id: str
    path: str
    doc: Document | None = None
    studies: list[Study] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    pages: int = 0
    error: str = ""  # empty when the document went through; else a short reason code
    error_detail: str = ""
