"""A page's glyphs, rules and rectangles, read from one pdfminer pass over its content stream.

pdfplumber's `page.chars` turns every glyph into a dictionary of some twenty resolved attributes
(colours, graphic state, marked content), and before that pdfminer makes each glyph an `LTChar`
layout object; ingest reads nine attributes of a glyph. Here the page is interpreted once by a
pdfminer device whose `render_char` writes just those nine into a small dictionary, computed with
the same arithmetic as `LTChar` and pdfplumber's `Page.process_object` (bounding box through the
text matrix, top and bottom flipped against the page height and offset by the MediaBox), in
pdfplumber's order (figures' glyphs in place), so that every value is pdfplumber's to the last digit.
Images are not built (nothing reads them). The few other objects (lines, rectangles, curves) stay
pdfminer's layout objects and go through pdfplumber's own `process_object`, their edges through its
`obj_to_edges`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from unicodedata import normalize

from pdfminer.layout import LTContainer
from pdfminer.pdffont import PDFUnicodeNotDefined
from pdfminer.pdfinterp import PDFPageInterpreter
from pdfplumber.page import PDFPageAggregatorWithMarkedContent, fix_fontname_bytes
from pdfplumber.utils import obj_to_edges
from pdfplumber.utils.exceptions import PdfminerException

Obj = dict[str, Any]
_SHAPES = ("line", "rect", "curve")  # edges in this order, as pdfplumber's `Page.edges`


@dataclass
class PageObjects:
    chars: list[Obj] = field(
        default_factory=list
    )  # text, x0, x1, top, bottom, size, fontname, upright, matrix
    rects: list[Obj] = field(default_factory=list)  # pdfplumber's rect objects
    edges: list[Obj] = field(default_factory=list)  # pdfplumber's edges (lines, rect sides, curve segments)


class _Device(PDFPageAggregatorWithMarkedContent):
    """pdfplumber's layout device, with glyphs written straight to `chars` (no `LTChar`) and no images."""

    def __init__(self, page, chars: list[Obj]) -> None:
        super().__init__(page.pdf.rsrcmgr, pageno=page.page_number, laparams=page.pdf.laparams)
        self.chars = chars
        self.height = page.height
        self.mb_x0, self.mb_top = page.mediabox[:2]
        self.norm = page.pdf.unicode_norm
        self.font, self.vertical, self.descent = None, False, 0.0
        self.glyphs: dict[Any, dict[int, tuple[str, float]]] = {}  # font -> code -> (text, width)

    def render_char(self, matrix, font, fontsize, scaling, rise, cid, ncs, graphicstate) -> float:
        # pdfminer's PDFLayoutAnalyzer.render_char and LTChar.__init__, then pdfplumber's process_object
        try:
            text = font.to_unichr(cid)
            assert isinstance(text, str), str(type(text))
        except PDFUnicodeNotDefined:
            text = self.handle_undefined_char(font, cid)
        adv = font.char_width(cid) * fontsize * scaling
        if font is not self.font:  # a font's direction and descent never change: asked once per run
            self.font, self.vertical, self.descent = font, font.is_vertical(), font.get_descent()
        if self.vertical:
            vx, vy = font.char_disp(cid)
            vx = fontsize * 0.5 if vx is None else vx * fontsize * 0.001
            vy = (1000 - vy) * fontsize * 0.001
            bx0, by0, bx1, by1 = (-vx, vy + rise + adv, -vx + fontsize, vy + rise)
        else:
            descent = self.descent * fontsize
            bx0, by0, bx1, by1 = (0, descent + rise, adv, descent + rise + fontsize)
        a, b, c, d, e, f = matrix
        # apply_matrix_rect: the four corners through the matrix, then their bounds
        l1, b1 = a * bx0 + c * by0 + e, b * bx0 + d * by0 + f
        r1, b2 = a * bx1 + c * by0 + e, b * bx1 + d * by0 + f
        r2, t1 = a * bx1 + c * by1 + e, b * bx1 + d * by1 + f
        l2, t2 = a * bx0 + c * by1 + e, b * bx0 + d * by1 + f
        x0, y0 = min(l1, l2, r1, r2), min(b1, b2, t1, t2)
        x1, y1 = max(l1, l2, r1, r2), max(b1, b2, t1, t2)
        fontname = font.fontname
        mb_x0 = self.mb_x0
        self.chars.append(
            {
                "text": text if self.norm is None else normalize(self.norm, text),
                "x0": x0 + mb_x0 if mb_x0 != 0 else x0,
                "x1": x1 + mb_x0 if mb_x0 != 0 else x1,
                "top": (self.height - y1) + self.mb_top,
                "bottom": (self.height - y0) + self.mb_top,
                "size": x1 - x0 if self.vertical else y1 - y0,
                "fontname": fix_fontname_bytes(fontname) if isinstance(fontname, bytes) else fontname,
                "upright": a * d * scaling > 0 and b * c <= 0,
                "matrix": matrix,
            }
        )
        return adv

    def _glyph(self, font, cid: int) -> tuple[str, float]:
        """(text, width in text space) of a glyph of a horizontal font, as `render_char` reads them."""
        try:
            text = font.to_unichr(cid)
            assert isinstance(text, str), str(type(text))
        except PDFUnicodeNotDefined:
            text = self.handle_undefined_char(font, cid)
        return (text if self.norm is None else normalize(self.norm, text)), font.char_width(cid)

    def render_string_horizontal(
        self,
        seq,
        matrix,
        pos,
        font,
        fontsize,
        scaling,
        charspace,
        wordspace,
        rise,
        dxscale,
        ncs,
        graphicstate,
    ):
        """pdfminer's `PDFTextDevice.render_string_horizontal` with `render_char` unrolled into its loop:
        the same values in the same order, with what is constant over the string (the text matrix, the
        font's descent, name and uprightness) worked out once, and each glyph's text and width looked up
        once per font and code (a page repeats a few dozen glyphs thousands of times)."""
        x, y = pos
        a, b, c, d, e, f = matrix
        if font is not self.font:
            self.font, self.vertical, self.descent = font, font.is_vertical(), font.get_descent()
        glyphs = self.glyphs.get(font)
        if glyphs is None:
            glyphs = self.glyphs[font] = {}
        descent = self.descent * fontsize
        by0, by1 = descent + rise, descent + rise + fontsize
        # the corners of the glyph's box (0, by0, adv, by1) through the matrix, less the translation
        s_l1, s_b1 = a * 0 + c * by0, b * 0 + d * by0
        s_l2, s_t2 = a * 0 + c * by1, b * 0 + d * by1
        c0, d0, c1, d1 = c * by0, d * by0, c * by1, d * by1
        fontname = font.fontname
        if isinstance(fontname, bytes):
            fontname = fix_fontname_bytes(fontname)
        upright = a * d * scaling > 0 and b * c <= 0
        mb_x0, mb_top, height = self.mb_x0, self.mb_top, self.height
        add = self.chars.append
        needcharspace = False
        for obj in seq:
            if isinstance(obj, (int, float)):
                x -= obj * dxscale
                needcharspace = True
            elif isinstance(obj, bytes):
                for cid in font.decode(obj):
                    if needcharspace:
                        x += charspace
                    glyph = glyphs.get(cid)
                    if glyph is None:
                        glyph = glyphs[cid] = self._glyph(font, cid)
                    adv = glyph[1] * fontsize * scaling
                    te, tf = x * a + y * c + e, x * b + y * d + f  # translate_matrix(matrix, (x, y))
                    l1, b1 = s_l1 + te, s_b1 + tf
                    r1, b2 = a * adv + c0 + te, b * adv + d0 + tf
                    r2, t1 = a * adv + c1 + te, b * adv + d1 + tf
                    l2, t2 = s_l2 + te, s_t2 + tf
                    x0, y0 = min(l1, l2, r1, r2), min(b1, b2, t1, t2)
                    x1, y1 = max(l1, l2, r1, r2), max(b1, b2, t1, t2)
                    add(
                        {
                            "text": glyph[0],
                            "x0": x0 + mb_x0 if mb_x0 != 0 else x0,
                            "x1": x1 + mb_x0 if mb_x0 != 0 else x1,
                            "top": (height - y1) + mb_top,
                            "bottom": (height - y0) + mb_top,
                            "size": y1 - y0,
                            "fontname": fontname,
                            "upright": upright,
                            "matrix": (a, b, c, d, te, tf),
                        }
                    )
                    x += adv
                    if cid == 32 and wordspace:
                        x += wordspace
                    needcharspace = True
            else:
                super().render_string_horizontal(
                    [obj], matrix, (x, y), font, fontsize, scaling, charspace, wordspace, rise, dxscale, ncs,
                    graphicstate,
                )  # fmt: skip
        return (x, y)

    def render_image(self, name, stream) -> None:
        pass


def read(page) -> PageObjects:
    """The glyphs, rectangles and edges of a pdfplumber `page` (its content interpreted once)."""
    out = PageObjects()
    device = _Device(page, out.chars)
    try:
        PDFPageInterpreter(page.pdf.rsrcmgr, device).process_page(page.page_obj)
    except Exception as e:
        raise PdfminerException(e) from e  # as pdfplumber's `page.layout`
    shapes: dict[str, list[Obj]] = {k: [] for k in _SHAPES}
    containers = page.pdf.laparams is not None  # as pdfplumber: a container is an object of its own then

    def walk(objs: list) -> None:
        for o in objs:
            if isinstance(o, LTContainer):
                if containers:
                    _shape(page, o, shapes)
                walk(o._objs)
            else:
                _shape(page, o, shapes)

    walk(device.get_result()._objs)
    out.rects = shapes["rect"]
    out.edges = [e for k in _SHAPES for o in shapes[k] for e in obj_to_edges(o)]
    return out


def _shape(page, o, shapes: dict[str, list[Obj]]) -> None:
    kind = type(o).__name__.removeprefix("LT").lower()
    if kind in shapes:
        shapes[kind].append(page.process_object(o))
