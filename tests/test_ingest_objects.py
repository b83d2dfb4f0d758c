"""ingest's one-pass glyph reader gives pdfplumber's own values: each glyph's nine attributes equal
those of `page.chars`, and rectangles and edges equal `page.rects` and `page.edges`, on a page with
several fonts (a Type 1 standard font and an embedded TrueType one), sizes, raised text, horizontal
scaling, character and word spacing, kerning numbers inside a TJ array, text turned by the text matrix and text inside a form XObject."""

from __future__ import annotations

import pdfplumber
from reportlab.pdfgen import canvas

from pipeline.ingest import objects
from tests.pdfgen import unicode_font

_KEYS = ("text", "x0", "x1", "top", "bottom", "size", "fontname", "upright", "matrix")


def _draw(c: canvas.Canvas, form: str) -> None:
    c.setFont("Times-Roman", 10)
    c.drawString(72, 760, "Plain words at ten points, 1.5 and 23%")
    t = c.beginText(72, 740)
    t.setFont("Helvetica-Bold", 11.3)
    t.textOut("Raised")
    t.setRise(4)
    t.setFont("Helvetica", 6.1)
    t.textOut("12,14")
    t.setRise(0)
    t.setHorizScale(80)
    t.setCharSpace(0.7)
    t.setFont("Courier", 9)
    t.textOut(" squeezed and spaced")
    t.setHorizScale(100)
    t.setCharSpace(0)
    t.setWordSpace(2.5)  # Tw: widened spaces
    t.setFont("Times-Roman", 10)
    t.textLine(" words set wide")
    t._code.append("[(Ke) -250 (rned) 120 (pair 4) 800 (.2)] TJ")  # TJ with kerning numbers between strings
    c.drawText(t)
    if font := unicode_font():
        c.setFont(font, 8.5)
        c.drawString(72, 720, "ﬁnal αβ ≥ 0.3 −1")
    c.saveState()
    c.translate(300, 500)
    c.rotate(90)
    c.setFont("Times-Italic", 12)
    c.drawString(0, 0, "turned text up the page")
    c.restoreState()
    c.beginForm(form)
    c.setFont("Times-Roman", 7)
    c.drawString(10, 10, "inside a form")
    c.rect(5, 5, 120, 20, fill=0)
    c.endForm()
    c.saveState()
    c.translate(200, 100)
    c.scale(1.3, 0.9)
    c.doForm(form)
    c.restoreState()
    c.setFillGray(0.85)
    c.rect(72, 600, 250, 30, fill=1, stroke=0)
    c.line(72, 590, 400, 590)
    c.bezier(72, 560, 100, 580, 140, 540, 180, 560)


def test_glyphs_rects_and_edges_equal_pdfplumbers(tmp_path) -> None:
    path = tmp_path / "glyphs.pdf"
    c = canvas.Canvas(str(path), pagesize=(595, 842))
    _draw(c, "stamp")
    c.showPage()
    c.setPageSize((842, 595))  # a landscape page of another height
    _draw(c, "seal")
    c.showPage()
    c.save()
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            got = objects.read(page)
            page.close()
            want = [{k: ch[k] for k in _KEYS} for ch in page.chars]
            assert len(want) > 100
            assert got.chars == want
            assert [ch["text"] for ch in got.chars if not ch["upright"]]  # turned text read too
            assert got.rects == page.rects and got.edges == page.edges
            assert len(got.rects) == 2 and len(got.edges) > 8
