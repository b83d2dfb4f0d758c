"""Reading mechanisms of issue 15's last cases and the one-pass glyph reader, on generated PDFs with
invented words: two lines printed over each other at one baseline, a raised note letter glued to
the note's first word, a trial name with inner capitals split at a line end, and the glyphs read
from pdfplumber's layout objects exactly as pdfplumber's own `page.chars` gives them."""

from __future__ import annotations

import pdfplumber
import pytest
from reportlab.pdfgen import canvas

import pipeline.tables
from pipeline import ingest
from pipeline.ingest import objects
from pipeline.ingest.hyphens import keep_hyphen
from tests.pdfgen import PdfSpec, paragraph

BODY = [
    "The Quorvel cohort enrolled ninety adults who walked",
    "after each meal for six weeks while the resting arm",
    "kept their usual habits throughout the whole period.",
]


@pytest.fixture
def no_tables(monkeypatch):
    monkeypatch.setattr(pipeline.tables, "regions", lambda page: [])


def _words(doc) -> list[str]:
    return [w.text for p in doc.pages for w in p.words]


def test_lines_printed_over_each_other_stay_apart(tmp_path, no_tables):
    spec = PdfSpec()
    paragraph(spec, 72, 100, BODY, size=10)
    # a running footer and, 1.5 pt higher, a stamped licence line in another font over it
    spec.text(72, 800, "417 Brackwater Gazette of Invented Zoology", size=7, font="Times-Roman")
    spec.text(74, 798.5, "Quellity Stamp Vornaxe Lindrel", size=6, font="Helvetica")
    doc = ingest.read(spec.save(tmp_path / "overprint.pdf"))
    words = _words(doc)
    for w in ("Brackwater", "Gazette", "Invented", "Zoology", "Quellity", "Vornaxe", "Lindrel"):
        assert w in words, (w, words)
    assert "Brackwater Gazette of Invented Zoology" in doc.text
    assert "Quellity Stamp Vornaxe Lindrel" in doc.text


def test_an_accent_over_its_letter_is_no_second_line(tmp_path, no_tables):
    """Glyphs of another font over a few letters (accents, markers) do not split a line."""
    path = tmp_path / "accent.pdf"
    c = canvas.Canvas(str(path), pagesize=(595, 842))
    c.setFont("Times-Roman", 10)
    c.drawString(72, 742, "Rolvena met Quastrel near the harbour of Ostelby")
    c.setFont("Helvetica", 10)
    c.drawString(73, 745, "\u00b4")  # an acute accent over the R, in another font
    c.showPage()
    c.save()
    doc = ingest.read(path)
    assert "met Quastrel near the harbour of Ostelby" in doc.text
    assert len(doc.blocks) == 1


def test_raised_note_letter_is_its_own_word(tmp_path, no_tables):
    spec = PdfSpec()
    paragraph(spec, 72, 100, BODY, size=10)
    x = spec.text(72, 160, "Note:", size=9)
    x = spec.text(x + 2.5, 156.5, "a", size=6)
    x = spec.text(x, 160, "Adjusted for the Quorvel index;", size=9)
    x = spec.text(x + 2.5, 156.5, "b", size=6)
    spec.text(x, 160, "weighted by site.", size=9)
    doc = ingest.read(spec.save(tmp_path / "notes.pdf"))
    words = _words(doc)
    assert "Adjusted" in words and "weighted" in words
    assert "aAdjusted" not in words and "bweighted" not in words
    assert "Note: a Adjusted for the Quorvel index; b weighted by site." in doc.text


def test_raised_letters_after_a_word_stay_with_it(tmp_path, no_tables):
    """An ordinal or a unit's raised letters follow their word: only a marker before a word splits."""
    spec = PdfSpec()
    x = spec.text(72, 100, "the 21", size=10)
    x = spec.text(x, 96.5, "st", size=6)
    spec.text(x + 2.5, 100, "visit of the Quorvel arm ended early.", size=10)
    doc = ingest.read(spec.save(tmp_path / "ordinal.pdf"))
    assert "21st" in _words(doc)


NAME_LINES = ["The response of the open-label QuoRRa-", "tion trial lasted for nine months in all."]


@pytest.mark.parametrize(
    ("names", "expected"),
    [(frozenset(), "QuoRRa-tion trial"), (frozenset({"quorration"}), "QuoRRation trial")],
)
def test_known_names_decide_line_end_hyphens(tmp_path, no_tables, names, expected):
    spec = PdfSpec()
    paragraph(spec, 72, 100, NAME_LINES, size=10, width=300)
    doc = ingest.read(spec.save(tmp_path / "name.pdf"), names=names)
    assert expected in doc.text


def test_names_come_after_the_papers_own_spelling():
    # the paper prints the hyphenated form elsewhere: that wins over a joined name
    assert keep_hyphen("Velx-", "Tor", {"velx-tor"}, names=frozenset({"velxtor"}))
    # a name known only joined: joined, though inner capitals alone would keep the hyphen
    assert not keep_hyphen("VelXa-", "tor", set(), names=frozenset({"velxator"}))
    assert keep_hyphen("VelXa-", "tor", set())
    # a name known only hyphenated keeps its hyphen, though English evidence would join
    assert keep_hyphen("nor-", "mal", set(), names=frozenset({"nor-mal"}))
    assert not keep_hyphen("nor-", "mal", set())


def test_glyphs_edges_and_rects_as_pdfplumber_gives_them(tmp_path):
    spec = PdfSpec()
    paragraph(spec, 72, 100, BODY, size=10)
    spec.text(300, 300, "Tiny", size=5, font="Helvetica-Bold")
    spec.line(72, 320, 400, 320)
    spec.rect(72, 330, 400, 380)
    spec.rect(80, 340, 200, 360, fill=True)
    spec.new_page()
    paragraph(spec, 90, 200, BODY[:1], size=12, font="Courier")
    path = spec.save(tmp_path / "objects.pdf")
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            got = objects.read(page)
            assert got.chars, "no glyphs read"
            ref = page.chars
            assert [{k: c[k] for k in got.chars[0]} for c in ref] == got.chars
            assert got.rects == page.rects
            assert got.edges == page.edges
