"""Pages set sideways (a landscape table on a portrait page, /Rotate 90): most glyphs are not
upright. Their boxes are turned into the frame the page is read in, so that rows, columns and
tables see an upright page whose text runs left to right.
"""

from __future__ import annotations

_SIDEWAYS = 0.5  # share of glyphs not upright that makes a page sideways


def turn(chars: list[dict]) -> int:
    """0 for an upright page; 90 when its text runs down the unrotated page, 270 when it runs up."""
    sideways = [c for c in chars if not c.get("upright", True)]
    if len(sideways) <= _SIDEWAYS * len(chars):
        return 0
    down = sum(c["matrix"][1] < 0 for c in sideways)
    return 90 if down * 2 >= len(sideways) else 270


def box(x0: float, top: float, x1: float, bottom: float, k: int, width: float, height: float) -> tuple:
    """(x0, top, x1, bottom) of a box of the unrotated `width` x `height` page in the turned frame."""
    if k == 90:
        return top, width - x1, bottom, width - x0
    if k == 270:
        return height - bottom, x0, height - top, x1
    return x0, top, x1, bottom


def upright(chars: list[dict], k: int, width: float, height: float) -> list[dict]:
    """The page's glyphs running along the turned frame, as upright glyphs of that frame; glyphs
    set across it are left out (as upright pages leave out their vertical text)."""
    out = []
    want = k == 90
    for c in chars:
        if c.get("upright", True) or (c["matrix"][1] < 0) != want:
            continue
        x0, top, x1, bottom = box(c["x0"], c["top"], c["x1"], c["bottom"], k, width, height)
        # pdfplumber sizes a turned glyph by its width; an upright glyph's size is its box's height
        out.append(
            {**c, "x0": x0, "top": top, "x1": x1, "bottom": bottom, "upright": True, "size": bottom - top}
        )
    return out
