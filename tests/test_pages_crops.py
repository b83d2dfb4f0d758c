"""A crop is the band of a whole-page render with the value's characters outlined: cut, tinted and
encoded more cheaply (`pages.render.page_image` in RGBX, shared with pdfium; only the tinted part of
the band blended; the page's characters read with argument-free pdfium calls), but byte for byte
the JPEG of the plain route: the page rendered whole in RGB, the band cut, an overlay the size of the
band blended, the outlines drawn. Values at the top, the bottom and the edges of a page, drawn
over shapes, and on a rotated page. Names and numbers are invented."""

from __future__ import annotations

import io
import math
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from pipeline.outputs.crops import BAND, SCALE, _Drawer
from pipeline.pages import locate, render
from tests.pdfgen import PdfSpec

REAL_PDFS = Path(__file__).resolve().parent.parent.parent / "shared" / "real-pdfs"

# value -> (x, baseline y) in points from the top-left; A4 is 595 x 842
PLACES = {
    "KESTREL-4": (72, 12),  # its band runs past the top of the page
    "173": (0.5, 300),  # at the left edge: its outline runs past the crop
    "61.3%": (566, 420),  # at the right edge
    "0.72": (300, 838),  # its band runs past the bottom of the page
    "14.2": (300, 560),  # on a grey box crossed by a rule
}


@pytest.fixture(scope="module")
def paper(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pdf = PdfSpec()
    pdf.rect(250, 530, 420, 600, fill=True)
    pdf.line(40, 556, 560, 557, width=0.7)  # a rule a little off the pixel grid
    pdf.text(72, 40, "valbotamab in relapsed disease: a report of the trial", size=14, font="Helvetica-Bold")
    for value, (x, y) in PLACES.items():
        pdf.text(x, y, value, size=10)
    pdf.words(72, 600, "Median PFS 14.2 months (n=58) and 61.3% at week 24", size=9, gap=0.3)
    pdf.new_page()  # a page turned on its side (/Rotate 90)
    pdf.text(72, 200, "Table 2. KESTREL-4 arms", size=11)
    pdf.text(72, 230, "n=173  ORR 61.3%  HR 0.72", size=10)
    path = pdf.save(tmp_path_factory.mktemp("crops") / "paper.pdf")
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(path))
    doc[1].set_rotation(90)
    doc.save(str(path.with_name("turned.pdf")))
    doc.close()
    return path.with_name("turned.pdf")


def _plain_jpeg(path: Path, page: int, e: dict) -> bytes:
    """The crop by the plain route: the whole page rendered in RGB (three bytes a pixel), the band
    cut from it, a band-sized overlay with the boxes filled blended over it, the outlines drawn."""
    with render.pdfium_document(str(path)) as pdf, render.load_page(pdf, page) as pg:
        ix = locate.PageIndex(locate.read_chars(pg))
        whole = pg.render(scale=SCALE, rev_byteorder=True).to_pil()
    assert whole.mode == "RGB"
    box = tuple(float(v) for v in e["bbox"].split(",")) if e.get("bbox") else None
    loc = locate.locate_on(ix, page, e["value"], box, e.get("snippet", ""), BAND)  # type: ignore[arg-type]
    s, (x0, top, x1, bottom) = SCALE, loc.region
    cut = (int(x0 * s), int(top * s), min(whole.width, round(x1 * s)), min(whole.height, round(bottom * s)))
    img = whole.crop(cut)
    ox, oy = cut[:2]

    def px(b: tuple[float, ...], pad: float) -> list[float]:
        return [b[0] * s - pad - ox, b[1] * s - pad - oy, b[2] * s + pad - ox, b[3] * s + pad - oy]

    overlay = img.copy()
    pen = ImageDraw.Draw(overlay)
    tint = [loc.context] if loc.context and loc.exact else []
    for b in [*tint, *loc.boxes]:
        pen.rectangle(px(b, 3), fill=(255, 221, 0))
    img = Image.blend(img, overlay, 0.35)
    pen = ImageDraw.Draw(img)
    for b in loc.boxes:
        pen.rectangle(px(b, 4), outline=(220, 20, 60), width=3)
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=80)
    return buf.getvalue()


def _crops(path: Path, page: int, items: list[dict]) -> list[bytes | None]:
    with _Drawer(str(path)) as drawer:
        return [drawer.jpeg(page, e) for e in items]


def test_each_crop_is_byte_for_byte_the_plain_routes_at_the_top_the_bottom_and_the_edges(paper: Path) -> None:
    items = [{"value": v} for v in PLACES]  # found anywhere on the page
    with render.pdfium_page(str(paper), 1) as pg:  # and within their run's box
        ix = locate.PageIndex(locate.read_chars(pg))
    for v in PLACES:
        (b,) = locate.locate_on(ix, 1, v, None).boxes
        items.append({"value": v, "bbox": ",".join(str(c) for c in (b[0] - 2, b[1] - 1, b[2] + 2, b[3] + 1))})
    items.append({"value": "14.2", "snippet": "Median PFS 14.2 months"})  # the second 14.2 on the page
    got = _crops(paper, 1, items)
    assert all(g and g[:2] == b"\xff\xd8" for g in got)
    for e, g in zip(items, got, strict=True):
        assert g == _plain_jpeg(paper, 1, e), e
    widths = {Image.open(io.BytesIO(g)).size for g in got if g}
    assert {w for w, _ in widths} == {round(595 * SCALE)}  # bands across the whole page
    top, bottom = (Image.open(io.BytesIO(got[i])).size[1] for i in (0, 3))
    middle = Image.open(io.BytesIO(got[2])).size[1]
    assert max(top, bottom) < 2 * BAND * SCALE < middle  # cut short by the page's edge


def _same_as_plain(path: Path, page: int, items: list[dict]) -> int:
    """Each crop equals the plain route's JPEG, or is None where the plain route cannot cut one;
    returns how many were drawn."""
    got = _crops(path, page, items)
    for e, g in zip(items, got, strict=True):
        try:
            want: bytes | None = _plain_jpeg(path, page, e)
        except ValueError:  # a band outside the image (the characters of a turned page, see below)
            want = None
        assert g == want, e
    return sum(g is not None for g in got)


def test_a_crop_on_a_rotated_page_is_the_plain_routes(paper: Path) -> None:
    # On a page with /Rotate the image is turned but pdfium's character boxes are not (as on main:
    # where such a band falls outside the image there is no crop); the route is the same either way.
    items = [{"value": v} for v in ("KESTREL-4", "173", "61.3%", "0.72")]
    assert _same_as_plain(paper, 2, items) >= 3
    with render.pdfium_page(str(paper), 2) as pg:
        assert render.page_image(pg, SCALE).size == (
            math.ceil(842 * SCALE),
            math.ceil(595 * SCALE),
        )  # on its side


@pytest.mark.skipif(not (REAL_PDFS / "rotated-table.pdf").is_file(), reason="shared real PDFs absent")
def test_a_crop_on_a_real_rotated_page_is_the_plain_routes() -> None:
    path = REAL_PDFS / "rotated-table.pdf"
    with render.pdfium_document(str(path)) as pdf:
        turned = [i + 1 for i in range(len(pdf)) if pdf[i].get_rotation()]
    assert turned
    with render.pdfium_page(str(path), turned[0]) as pg:
        chars = locate.read_chars(pg).chars
    numbers = list(dict.fromkeys(c.text for c in chars if c.text.isdigit()))[:6]
    assert numbers and _same_as_plain(path, turned[0], [{"value": v} for v in numbers]) >= 1


def test_the_argument_free_pdfium_calls_read_the_characters_pypdfium2s_prototypes_read(
    paper: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def pages() -> list[locate.PageChars]:
        with render.pdfium_document(str(paper)) as pdf:
            out = []
            for n in (1, 2):
                with render.load_page(pdf, n) as pg:
                    out.append(locate.read_chars(pg))
            return out

    fast = pages()
    import sys

    locate._text_calls.cache_clear()
    try:
        with monkeypatch.context() as m:
            m.setitem(sys.modules, "pypdfium2_raw.bindings", None)  # the import fails: prototyped calls
            assert all(getattr(c, "argtypes", None) for c in locate._text_calls())
            declared = pages()
    finally:
        locate._text_calls.cache_clear()
    assert not any(getattr(c, "argtypes", None) for c in locate._text_calls())
    assert len(fast[0].chars) > 100 and fast == declared
    text = "".join(c.text for c in fast[1].chars)
    assert "Table2.KESTREL-4" in text and "ORR61.3%" in text
