"""Ingest on small generated PDFs: words, superscripts, columns, running lines, hyphens, blocks."""

from __future__ import annotations

import json

import pdfplumber
import pytest
from typer.testing import CliRunner

import pipeline.tables
from pipeline import ingest
from pipeline.cli import app
from pipeline.ingest.hyphens import keep_hyphen
from pipeline.ingest.words import expand_refs
from pipeline.model import Box
from tests.pdfgen import PdfSpec, paragraph, unicode_font

LOREM = [
    "alpha beta gamma delta epsilon zeta eta theta iota kappa",
    "lambda mu nu xi omicron pi rho sigma tau upsilon phi chi",
    "psi omega one two three four five six seven eight nine ten",
]


@pytest.fixture
def no_tables(monkeypatch):
    monkeypatch.setattr(pipeline.tables, "regions", lambda page: [])


def test_words_from_gaps_without_space_characters(tmp_path, no_tables):
    spec = PdfSpec()
    # a tight justified line: 0.16 em between words, no space characters (like pdfTeX)
    spec.words(72, 100, "The ORR was 75.8% with 64.5% of patients", size=10, gap=0.16)
    path = spec.save(tmp_path / "tight.pdf")
    with pdfplumber.open(path) as pdf:  # the fixed default tolerance glues these words
        assert any(len(w["text"]) > 10 for w in pdf.pages[0].extract_words())
    doc = ingest.read(path)
    assert doc.text == "The ORR was 75.8% with 64.5% of patients"
    assert [w.text for w in doc.pages[0].words][:4] == ["The", "ORR", "was", "75.8%"]


def test_superscript_citations_and_exponents(tmp_path, no_tables):
    spec = PdfSpec()
    y = 100
    x = spec.text(72, y, "progressive disease.")
    x = spec.text(x, y - 4, "5-6", size=7)
    x = spec.text(x + 2.5, y, "Ide-Cel")
    x = spec.text(x, y - 4, "17-18", size=7)
    x = spec.text(x + 2.5, y, "dose 450x10")
    x = spec.text(x, y - 4, "6", size=7)
    x = spec.text(x + 2.5, y, "cells at 10")
    x = spec.text(x, y - 4, "-5", size=7)
    x = spec.text(x, y, ".")
    x = spec.text(x, y - 4, "20", size=7)
    x = spec.text(x + 2.5, y, "CD8")
    spec.text(x, y - 4, "+", size=7)
    doc = ingest.read(spec.save(tmp_path / "sup.pdf"))
    assert doc.text == "progressive disease. Ide-Cel dose 450x10^6 cells at 10^-5. CD8+"
    by_text = {w.text: w.refs for w in doc.pages[0].words}
    assert by_text["disease."] == ("5", "6")
    assert by_text["Ide-Cel"] == ("17", "18")
    assert by_text["10^-5."] == ("20",)
    assert by_text["450x10^6"] == ()
    assert doc.blocks[0].refs == ["5", "6", "17", "18", "20"]


def test_expand_refs_ranges_and_lists():
    assert expand_refs("5-6") == ["5", "6"]
    assert expand_refs("1,3-5") == ["1", "3", "4", "5"]
    assert expand_refs("12,") == ["12"]
    assert expand_refs("2-90") == ["2", "90"]  # implausibly wide: keep the printed ends


def test_greek_and_ligatures(tmp_path, no_tables):
    font = unicode_font()
    if font is None:
        pytest.skip("DejaVu fonts not installed")
    spec = PdfSpec()
    spec.text(72, 100, "CD3ζ and γ-secretase were ﬁrst ﬂagged", font=font)
    doc = ingest.read(spec.save(tmp_path / "greek.pdf"))
    assert doc.text == "CD3ζ and γ-secretase were first flagged"


def _two_columns(spec: PdfSpec, top: float) -> float:
    left = [f"left {i} " + LOREM[i % 3] for i in range(5)] + ["left 5 ends here."]
    right = [f"right {i} " + LOREM[i % 3] for i in range(5)] + ["right 5 ends here."]
    paragraph(spec, 50, top, left, size=10, gap=0.25)
    return paragraph(spec, 325, top, right, size=10, gap=0.25)


def test_two_columns_with_full_width_title_and_table(tmp_path, monkeypatch):
    spec = PdfSpec()
    spec.text(120, 70, "A Full Width Title Over Both Columns", size=18, font="Times-Bold")
    paragraph(spec, 50, 100, ["Abstract text runs across the whole page width " + LOREM[0] + " end"], size=9)
    y = _two_columns(spec, 140)
    spec.text(50, y + 10, "Table 1. Outcomes of the made-up trials.", size=9)
    table = Box(1, 50, y + 16, 545, y + 80)
    spec.rect(table.x0, table.top, table.x1, table.bottom)
    spec.text(60, y + 40, "CELLWORD 42%", size=9)
    spec.text(330, y + 40, "OTHERCELL 17%", size=9)
    _two_columns(spec, y + 110)
    monkeypatch.setattr(pipeline.tables, "regions", lambda page: [table] if page.number == 1 else [])
    doc = ingest.read(spec.save(tmp_path / "cols.pdf"))
    assert doc.pages[0].columns == 2
    kinds = [b.kind for b in doc.blocks]
    assert kinds[0] == "title" and "caption" in kinds
    text = doc.text
    order = [
        "A Full Width Title",
        "Abstract text",
        "left 0",
        "left 5",
        "right 0",
        "right 5",
        "Table 1.",
        "left 0",
    ]
    pos = -1
    for marker in order:
        nxt = text.find(marker, pos + 1)
        assert nxt > pos, marker
        pos = nxt
    # every line of a column stays together, left before right, below the table too
    lower = text[text.index("Table 1.") :]
    assert lower.index("left 5") < lower.index("right 0")
    assert "CELLWORD" not in text and "OTHERCELL" not in text  # cut out with the table region
    assert "CELLWORD" in [w.text for w in doc.pages[0].words]
    caption = next(b for b in doc.blocks if b.kind == "caption")
    assert caption.text == "Table 1. Outcomes of the made-up trials."
    columns = {b.text.split()[0] + b.text.split()[1]: b.column for b in doc.blocks if b.kind == "paragraph"}
    assert columns["left0"] == 1 and columns["right0"] == 2


def test_running_headers_footers_are_dropped(tmp_path, no_tables):
    spec = PdfSpec()
    for n in range(1, 4):
        if n > 1:
            spec.new_page()
        spec.text(50, 30, "Journal of Made-up Results 2024; 5: e12", size=7, font="Helvetica")
        spec.text(480, 30, f"Page {n} of 3", size=7, font="Helvetica")
        paragraph(spec, 50, 100, [f"Body of page {n} mentions the Journal of Made-up Results once.", *LOREM])
        spec.text(260, 810, "www.example.org", size=7, font="Helvetica")
    doc = ingest.read(spec.save(tmp_path / "running.pdf"))
    assert "www.example.org" not in doc.text and "Page 2 of 3" not in doc.text
    assert "2024; 5: e12" not in doc.text
    assert doc.text.count("mentions the Journal of Made-up Results once") == 3
    dropped = [(b.kind, b.text, b.box.page) for b in doc.dropped]
    assert ("header", "Page 2 of 3", 2) in dropped
    assert ("footer", "www.example.org", 3) in dropped
    assert sum(k == "header" for k, _, _ in dropped) == 6
    assert all(b.start == -1 for b in doc.dropped)


def test_line_end_hyphens(tmp_path, no_tables):
    spec = PdfSpec()
    lines = [
        "The high-risk group had a re-",
        "sponse to CAR-",
        "T cells with 4-",
        "1BB and anti-",
        "BCMA agents; the high-",
        "risk patients were treat-",
        "ed as planned.",
    ]
    paragraph(spec, 72, 100, lines, width=130)
    doc = ingest.read(spec.save(tmp_path / "hyph.pdf"))
    assert doc.text == (
        "The high-risk group had a response to CAR-T cells with 4-1BB and anti-BCMA agents; "
        "the high-risk patients were treated as planned."
    )
    # the joined word keeps one span per printed part, on its own line
    i = doc.text.index("response")
    boxes = doc.locate(i, i + len("response"))
    assert len(boxes) == 2 and boxes[0].top < boxes[1].top


def test_keep_hyphen_rule():
    vocab = {"lenalidomide", "refractory", "long-term", "long", "term"}
    assert not keep_hyphen("re-", "sponse", vocab)
    assert not keep_hyphen("hematologi-", "cal", vocab)
    assert keep_hyphen("lenalidomide-", "refractory", vocab)
    assert keep_hyphen("long-", "term", vocab)
    assert keep_hyphen("MRD-", "negativity", vocab)
    assert keep_hyphen("KarMMa-", "3", vocab)
    assert keep_hyphen("Ide-", "Cel", vocab)


def test_run_in_bold_heading_and_paragraphs(tmp_path, no_tables):
    spec = PdfSpec()
    x = spec.text(72, 100, "STUDY-7.", font="Times-Bold")
    spec.text(x + 2.5, 100, "The STUDY phase II trial enrolled 40 patients")
    spec.text(72, 112.5, "response rate was 50% at the end of the period.")
    x = spec.text(72, 140, "Other drug (OD) in myeloma.", font="Times-Bold")
    spec.text(x + 2.5, 140, "Two series of studies were run")
    spec.text(72, 152.5, "setting and both were positive in the study.")
    spec.text(86, 165, "An indented line starts a new paragraph here as it should be")
    spec.text(72, 177.5, "goes on.")
    doc = ingest.read(spec.save(tmp_path / "runin.pdf"))
    got = [(b.kind, b.text) for b in doc.blocks]
    assert got == [
        ("heading", "STUDY-7."),
        (
            "paragraph",
            "The STUDY phase II trial enrolled 40 patients response rate was 50% at the end of the period.",
        ),
        ("heading", "Other drug (OD) in myeloma."),
        ("paragraph", "Two series of studies were run setting and both were positive in the study."),
        ("paragraph", "An indented line starts a new paragraph here as it should be goes on."),
    ]
    assert doc.blocks[0].bold and not doc.blocks[1].bold


def test_paragraph_continues_across_pages_past_a_caption(tmp_path, no_tables):
    spec = PdfSpec()
    paragraph(spec, 72, 100, [LOREM[0], "the sentence goes on to the next"], width=300, justify_last=True)
    spec.new_page()
    spec.text(72, 80, "Figure 2. A caption at the top of the page.", size=9)
    paragraph(spec, 72, 120, ["page where it ends in the middle", "of a line."], width=300)
    doc = ingest.read(spec.save(tmp_path / "cont.pdf"))
    kinds = [b.kind for b in doc.blocks]
    assert kinds == ["paragraph", "caption"]
    assert "the next page where it ends" in doc.blocks[0].text
    assert doc.blocks[0].spans[-1].box.page == 2


def test_cli_ingest_json_and_text(tmp_path, no_tables):
    spec = PdfSpec()
    paragraph(spec, 72, 100, ["Hello trial world.", "Second line."])
    path = spec.save(tmp_path / "cli.pdf")
    runner = CliRunner()
    res = runner.invoke(app, ["ingest", str(path), "--format", "json"])
    assert res.exit_code == 0
    data = json.loads(res.output)
    assert data["blocks"][0]["text"] == "Hello trial world. Second line."
    assert data["blocks"][0]["page"] == 1 and data["pages"][0]["columns"] == 1
    res = runner.invoke(app, ["ingest", str(path)])
    assert res.output.strip() == "Hello trial world. Second line."
