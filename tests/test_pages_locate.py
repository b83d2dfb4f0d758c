"""The report's crops read a page once for its characters and its image (`pages.locate.read_chars`,
`pages.render.page_image` on one loaded page): the values' boxes are those the characters have in
pdfplumber and those the review app finds (`Locator`), and the image is pdfium's page in RGB(X).
Names and numbers are invented."""

from __future__ import annotations

from pathlib import Path

import pdfplumber
import pytest

from pipeline.pages import locate, render
from tests.pdfgen import PdfSpec

VALUES = {1: ["KESTREL-4", "173", "61.3%", "0.72"], 2: ["14.2", "n=58"]}


@pytest.fixture(scope="module")
def paper(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pdf = PdfSpec()
    pdf.text(72, 100, "KESTREL-4 enrolled 173 patients on valbotamab.", size=11)
    pdf.words(72, 140, "Objective response 61.3% (95% CI 52-70) at week 24", size=9, gap=0.3)
    pdf.text(320, 220, "HR 0.72", size=8, font="Helvetica-Bold")
    pdf.new_page()
    pdf.text(300, 500, "Median PFS 14.2 months (n=58)", size=10, font="Helvetica")
    return pdf.save(tmp_path_factory.mktemp("pages") / "paper.pdf")


def _plumber_box(page, value: str) -> tuple[float, float, float, float]:
    """The union box of `value`'s characters as pdfplumber reads them (first occurrence)."""
    chars = [c for c in page.chars if c["text"].strip()]
    at = "".join(c["text"] for c in chars).index(value)
    cs = chars[at : at + len(value)]
    return (
        min(c["x0"] for c in cs),
        min(c["top"] for c in cs),
        max(c["x1"] for c in cs),
        max(c["bottom"] for c in cs),
    )


def _read_once(path: Path) -> dict[int, locate.PageIndex]:
    with render.pdfium_document(str(path)) as pdf:
        out = {}
        for page in VALUES:
            with render.load_page(pdf, page) as pg:
                out[page] = locate.PageIndex(locate.read_chars(pg))
        return out


def test_a_values_box_is_where_pdfplumber_has_its_characters(paper: Path) -> None:
    pages = _read_once(paper)
    with pdfplumber.open(paper) as pl:
        for page, values in VALUES.items():
            for value in values:
                got = locate.locate_on(pages[page], page, value, None)
                assert got.exact and len(got.boxes) == 1, value
                want = _plumber_box(pl.pages[page - 1], value)
                assert got.boxes[0] == pytest.approx(want, abs=0.5), value


def test_the_crop_path_and_the_review_apps_locator_give_the_same_boxes(paper: Path) -> None:
    pages, app = _read_once(paper), locate.Locator()
    for page, values in VALUES.items():
        for value in values:
            mine = locate.locate_on(pages[page], page, value, None, band=40.0)
            assert mine == app.locate(str(paper), page, value, None, band=40.0)
            line = (0.0, mine.boxes[0][1] - 1, pages[page].pc.width, mine.boxes[0][3] + 1)  # the run's box
            assert locate.locate_on(pages[page], page, value, line) == app.locate(
                str(paper), page, value, line
            )
    assert locate.locate_on(pages[1], 1, "14.2", None).exact is False  # on the other page only


def test_a_page_image_is_pdfiums_render_in_rgb_with_a_fourth_unused_byte(tmp_path: Path) -> None:
    from reportlab.pdfgen import canvas

    path = tmp_path / "colours.pdf"
    c = canvas.Canvas(str(path), pagesize=(200, 100))
    c.setFillColorRGB(0.9, 0.1, 0.3)  # a colour whose channels differ: BGR read as RGB would show
    c.rect(20, 20, 60, 60, stroke=0, fill=1)
    c.showPage()
    c.save()
    with render.pdfium_page(str(path), 1) as pg:
        img = render.page_image(pg, 1.5)
        default = pg.render(scale=1.5).to_pil().convert("RGB")  # pdfium's own order (BGR), converted
    assert img.mode == "RGBX" and img.size == default.size
    rgb = img.convert("RGB")
    assert rgb.tobytes() == default.tobytes()
    r, g, b = rgb.getpixel((75, 75))  # inside the rectangle (x 20-80, y 20-80 points from the bottom)
    assert r > 200 and g < 60 and 50 < b < 110
    assert rgb.getpixel((250, 75)) == (255, 255, 255)  # white paper beside it


def test_a_crop_of_a_page_out_of_range_or_of_a_missing_file_is_none_and_the_others_are_drawn(
    paper: Path, tmp_path: Path
) -> None:
    from pipeline.outputs.crops import _Drawer

    e = {"value": "173", "snippet": "enrolled 173 patients"}
    with _Drawer(str(paper)) as drawer:
        assert drawer.jpeg(3, e) is None  # the document has two pages
        assert (drawer.jpeg(1, e) or b"")[:2] == b"\xff\xd8"  # a JPEG
        assert drawer.jpeg(3, e) is None
    with _Drawer(str(tmp_path / "gone.pdf")) as drawer:
        assert drawer.jpeg(1, e) is None
