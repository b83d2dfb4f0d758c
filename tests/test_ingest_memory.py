"""Ingest keeps one object per distinct word text, font and coordinate (long documents stay small)
without changing any value."""

from __future__ import annotations

import math

import pytest

import pipeline.tables
from pipeline import ingest
from pipeline.ingest.words import Pool
from tests.pdfgen import PdfSpec, paragraph

LINES = ["the cells and the patients and the cells", "and the patients of the cells and the"]


@pytest.fixture
def no_tables(monkeypatch):
    monkeypatch.setattr(pipeline.tables, "regions", lambda page: [])


def test_pool_shares_equal_floats_and_strings():
    pool = Pool()
    a, b = float("10.25"), float("10.25")
    assert a is not b
    assert pool.num(a) is a and pool.num(b) is a
    s1, s2 = "".join(["ce", "lls"]), "".join(["cel", "ls"])
    assert s1 is not s2
    assert pool.text(s2) is s2 and pool.text(s1) is s2


def test_pool_keeps_values_that_only_compare_equal():
    pool = Pool()
    assert pool.num(0.0) == 0.0
    neg = pool.num(-0.0)  # equal to 0.0 but printed "-0.0": must not become the pooled 0.0
    assert math.copysign(1, neg) == -1
    assert type(pool.num(72)) is int  # an int coordinate stays an int even after 72.0 was pooled
    pool.num(5.0)
    assert type(pool.num(5)) is int
    assert math.isnan(pool.num(float("nan")))


def test_repeated_words_share_text_font_and_line_coordinates(tmp_path, no_tables):
    spec = PdfSpec()
    paragraph(spec, 72, 100, LINES, size=10, gap=0.25)
    spec.new_page()
    paragraph(spec, 72, 100, LINES, size=10, gap=0.25)
    doc = ingest.read(spec.save(tmp_path / "repeat.pdf"))
    words = [w for p in doc.pages for w in p.words]
    assert [w.text for w in doc.pages[0].words] == " ".join(LINES).split()
    the = [w for w in words if w.text == "the"]
    assert len(the) == 12
    assert all(w.text is the[0].text for w in the)  # one string for every "the" on both pages
    assert all(w.font is words[0].font for w in words)
    assert all(w.size is words[0].size for w in words)
    first_line = [w for w in doc.pages[0].words if w.box.top == doc.pages[0].words[0].box.top]
    assert len(first_line) == len(LINES[0].split())
    assert all(w.box.top is first_line[0].box.top for w in first_line)
    # the same line on the second page: same values, same objects
    p2 = doc.pages[1].words[0]
    assert p2.box.top == first_line[0].box.top and p2.box.top is first_line[0].box.top
    # body spans point at the words' own boxes rather than copies
    block = doc.blocks[0]
    assert [s.box for s in block.spans][:3] == [w.box for w in doc.pages[0].words[:3]]
    assert all(s.box is w.box for s, w in zip(block.spans, doc.pages[0].words, strict=False))
