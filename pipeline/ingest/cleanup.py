"""Running headers/footers, and the document's vocabulary.

Running headers and footers are found by position (the first or last rows of a page, in its top or
bottom margin) and by repetition: the same text, digits ignored, on several pages. Page numbers
("3", "Pag. 3 / 10", "Page 3 of 10") in the margins go whatever their count.

The document's vocabulary (`vocabulary`) is one piece of evidence for line-end hyphens (`hyphens`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from pipeline.model import Block, Box, Word

_MARGIN = 0.1  # share of the page height at the top and bottom searched for page numbers
_REPEAT_MARGIN = 0.13  # ... and for running lines repeated across pages
_EDGE_ROWS = 3  # first/last rows of a page considered
_REPEAT = 0.3  # share of pages a running line must appear on (at least 2)
_SEGMENT_GAP = 2.0  # em; a margin row splits into separate running items at wider gaps
_PAGE_NUMBER = re.compile(
    r"^(?:(?:page|pag|p|seite|pág)\.?\s*)?[ivxlc\d]+(?:\s*(?:/|of|de|von)\s*\d+)?$", re.I
)
_URL = re.compile(r"^(?:https?://|www\.)\S+$", re.I)
_PUNCT = "\"'“”‘’()[]{}.,;:!?*"


def _segments(row: list[Word]) -> list[list[Word]]:
    segs: list[list[Word]] = [[row[0]]]
    for w in row[1:]:
        if w.box.x0 - segs[-1][-1].box.x1 > _SEGMENT_GAP * max(w.size, 1.0):
            segs.append([])
        segs[-1].append(w)
    return segs


def _signature(words: list[Word], exact: bool = False) -> str:
    text = "".join(w.text for w in words).lower()
    return "=" + text if exact else re.sub(r"\d+", "#", text)


def running_lines(pages: list[tuple[list[list[Word]], float]]) -> list[Block]:
    """Header/footer blocks (kind header or footer) of pages given as (rows, page height).
    The caller drops their words from the body."""
    found: list[tuple[str, list[Word], str, bool]] = []  # (kind, words, signature, in the margin)
    for rows, height in pages:
        for i, row in enumerate(rows):
            top = i < _EDGE_ROWS and row[0].box.bottom <= height * _REPEAT_MARGIN
            bottom = i >= len(rows) - _EDGE_ROWS and min(w.box.top for w in row) >= height * (
                1 - _REPEAT_MARGIN
            )
            if not (top or bottom):
                continue
            edge = height * _MARGIN
            near = row[0].box.bottom <= edge if top else min(w.box.top for w in row) >= height - edge
            kind = "header" if top else "footer"
            # beyond the page-number margin only the very same text counts as repeated
            found += [(kind, seg, _signature(seg, exact=not near), near) for seg in _segments(row)]
    pages_with: dict[str, set[int]] = {}
    for _, seg, sig, _near in found:
        pages_with.setdefault(sig, set()).add(seg[0].box.page)
    need = max(2, _REPEAT * len(pages))
    out = []
    for kind, seg, sig, near in found:
        text = " ".join(w.text for w in seg)
        alone = near and (_PAGE_NUMBER.match(text) or (_URL.match(text) and len(pages) > 1))
        if len(pages_with[sig]) >= (need if near else max(3, need)) or alone:
            box = seg[0].box
            for w in seg[1:]:
                box = box.union(w.box)
            out.append(Block(kind, text, box, start=-1, end=-1, font_size=seg[0].size))
    return out


def vocabulary(words: Iterable[Word]) -> set[str]:
    """Lowercase words of the body as printed, punctuation stripped (line-end fragments left out)."""
    out = set()
    for w in words:
        t = w.text.strip(_PUNCT).lower()
        if t and not t.endswith("-"):
            out.add(t)
            out.update(p for p in t.split("-") if p)
    return out


def box_of(words: list[Word]) -> Box:
    """The union of the words' boxes (the first word's page)."""
    if len(words) == 1:
        return words[0].box
    return Box(
        words[0].box.page,
        min([w.box.x0 for w in words]),
        min([w.box.top for w in words]),
        max([w.box.x1 for w in words]),
        max([w.box.bottom for w in words]),
    )
