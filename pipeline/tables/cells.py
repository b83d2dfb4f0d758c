"""The grid a table region is read into, and the text of one cell from its words (wrapped lines
joined)."""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.model import Box, Cell, Word
from pipeline.tables.geometry import group_lines

MIN_CELL_ROWS = 3  # rows with cells apart needed to draw columns from them alone


@dataclass
class Grid:
    cells: list[Cell] = field(default_factory=list)
    n_rows: int = 0
    n_cols: int = 0
    header_rows: int = 1


def cell_of(row: int, col: int, words: list[Word], box: Box) -> Cell:
    lines = group_lines(words)
    text = ""
    for ln in lines:
        part = " ".join(w.text for w in ln.words)
        text = join_lines(text, part)
    refs: list[str] = []
    for ln in lines:
        for w in ln.words:
            refs.extend(r for r in w.refs if r not in refs)
    return Cell(row, col, text.strip(), box, refs)


def join_lines(text: str, part: str) -> str:
    """Join a wrapped line: "randomi-" + "zed" drops the hyphen (a word broken by the typesetter);
    "BCMA-" + "CAR-T" keeps it (a compound broken at its own hyphen)."""
    if not text:
        return part
    if text.endswith("-") and len(text) > 1 and part:
        if text[-2].islower() and part[0].islower():
            return text[:-1] + part
        return text + part
    return text + " " + part
