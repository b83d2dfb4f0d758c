"""Table captions: "Table 2. Clinical studies …" lines, the lines that continue them, and which
table region a caption belongs to (the nearest one above or below that overlaps it horizontally)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.model import Box
from pipeline.tables.geometry import Line

# "Table 2.", "TABLE II:", "Table S1 –", "Table 3 (continued)"; text tools sometimes drop the space.
CAPTION_RE = re.compile(r"^\s*(?:Table|TABLE|Tab\.)\s*([A-Z]?\d+[A-Za-z]?|[IVXL]+)\b\s*[.:|\u2013\u2014-]?")
CONTINUED_RE = re.compile(r"\(?\s*(?:cont(?:inued|\.|'d)?)\s*\)?", re.IGNORECASE)


@dataclass
class Caption:
    number: str
    text: str
    box: Box
    continued: bool = False

    @property
    def table_id(self) -> str:
        return f"Table {self.number}"


def find(lines: list[Line], page: int, regions: list[Box] = ()) -> list[Caption]:
    """Caption blocks on a page: a line opening with "Table N" plus the lines right below it that
    continue the sentence (same left edge or indented, tight line spacing, not inside a table)."""
    out: list[Caption] = []
    for i, line in enumerate(lines):
        m = CAPTION_RE.match(line.text)
        if not m or any(_in(line, r) for r in regions):
            continue
        text, box = line.text, _box(line, page)
        prev = line
        following = [
            ln for ln in lines[i + 1 :] if ln.top >= line.bottom - 1 and ln.x0 < box.x1 and ln.x1 > box.x0
        ]
        for nxt in following[:3]:
            gap = nxt.top - prev.bottom
            if gap > 0.6 * prev.height or any(_in(nxt, r) for r in regions) or CAPTION_RE.match(nxt.text):
                break
            if nxt.x0 < box.x0 - 2 or nxt.x1 > box.x1 + 0.5 * (box.x1 - box.x0) + 20:
                break
            if text.rstrip().endswith(".") and len(text) > 60 and nxt.x0 > box.x0 + 20:
                break
            text += " " + nxt.text
            box = box.union(_box(nxt, page))
            prev = nxt
        rest = text[m.end() :]
        out.append(Caption(m.group(1), text.strip(), box, bool(CONTINUED_RE.match(rest.strip()))))
    return out


def attach(caption_list: list[Caption], region: Box, height: float) -> Caption | None:
    """The caption right above the region (preferred) or right below it, within a few lines."""
    best: tuple[float, Caption] | None = None
    for c in caption_list:
        if c.box.x1 < region.x0 or c.box.x0 > region.x1:
            continue
        above = region.top - c.box.bottom
        below = c.box.top - region.bottom
        if -1 <= above <= 3 * height:
            score = above
        elif -1 <= below <= 2 * height:
            score = below + 3 * height  # captions sit above tables far more often than below
        else:
            continue
        if best is None or score < best[0]:
            best = (score, c)
    return best[1] if best else None


def _in(line: Line, region: Box) -> bool:
    return region.top <= line.mid <= region.bottom and region.x0 <= (line.x0 + line.x1) / 2 <= region.x1


def _box(line: Line, page: int) -> Box:
    return Box(page, line.x0, line.top, line.x1, line.bottom)
