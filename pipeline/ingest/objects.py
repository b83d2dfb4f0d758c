"""A page's glyphs, rules and rectangles, read from pdfplumber's layout objects in one pass.

pdfplumber's `page.chars` turns every glyph into a dictionary of some twenty resolved attributes
(colours, graphic state, marked content); building those costs more than interpreting the page, and
ingest reads nine of them. Here each glyph of `page.layout` gives a small dictionary of just those,
computed exactly as pdfplumber computes them (`Page.process_object`: top and bottom flipped against
the page height and offset by the MediaBox), in pdfplumber's order (figures' glyphs in place). The
few other objects (lines, rectangles, curves) go through pdfplumber's own `process_object`, and their
edges through its `obj_to_edges`, so rules and fills are pdfplumber's to the last digit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pdfminer.layout import LTChar, LTContainer
from pdfplumber.page import fix_fontname_bytes
from pdfplumber.utils import obj_to_edges

Obj = dict[str, Any]
_SHAPES = ("line", "rect", "curve")  # edges in this order, as pdfplumber's `Page.edges`


@dataclass
class PageObjects:
    chars: list[Obj] = field(
        default_factory=list
    )  # text, x0, x1, top, bottom, size, fontname, upright, matrix
    rects: list[Obj] = field(default_factory=list)  # pdfplumber's rect objects
    edges: list[Obj] = field(default_factory=list)  # pdfplumber's edges (lines, rect sides, curve segments)


def read(page) -> PageObjects:
    """The glyphs, rectangles and edges of a pdfplumber `page` (laid out once, by `page.layout`)."""
    out = PageObjects()
    shapes: dict[str, list[Obj]] = {k: [] for k in _SHAPES}
    height = page.height
    mb_x0, mb_top = page.mediabox[:2]
    norm = page.pdf.unicode_norm
    containers = page.pdf.laparams is not None  # as pdfplumber: a container is an object of its own then
    chars = out.chars

    def walk(objs: list) -> None:
        for o in objs:
            if isinstance(o, LTContainer):
                if containers:
                    _shape(page, o, shapes)
                walk(o._objs)
            elif type(o) is LTChar and norm is None:
                font = o.fontname
                chars.append(
                    {
                        "text": o._text,
                        "x0": o.x0 + mb_x0 if mb_x0 != 0 else o.x0,
                        "x1": o.x1 + mb_x0 if mb_x0 != 0 else o.x1,
                        "top": (height - o.y1) + mb_top,
                        "bottom": (height - o.y0) + mb_top,
                        "size": o.size,
                        "fontname": fix_fontname_bytes(font) if isinstance(font, bytes) else font,
                        "upright": o.upright,
                        "matrix": o.matrix,
                    }
                )
            elif isinstance(o, LTChar):  # a subclass, or Unicode normalisation asked for: pdfplumber's way
                chars.append(page.process_object(o))
            else:
                _shape(page, o, shapes)

    walk(page.layout._objs)
    out.rects = shapes["rect"]
    out.edges = [e for k in _SHAPES for o in shapes[k] for e in obj_to_edges(o)]
    return out


def _shape(page, o, shapes: dict[str, list[Obj]]) -> None:
    kind = type(o).__name__.removeprefix("LT").lower()
    if kind in shapes:
        shapes[kind].append(page.process_object(o))
