"""Reading fidelity, one generated PDF per failure kind: sidebars and three columns, close lines of
two columns, fake bold, front matter, line-end hyphens, unmapped glyphs, sideways pages, damaged
content streams and thin pages. Names and numbers are invented."""

from __future__ import annotations

import re
import zlib

import pytest
from fpdf import FPDF
from pdfminer.psparser import LIT
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen import canvas

import pipeline.tables
from pipeline import ingest
from pipeline.ingest import glyphs
from pipeline.ingest.hyphens import keep_hyphen
from tests.pdfgen import PdfSpec, paragraph


@pytest.fixture
def no_tables(monkeypatch):
    monkeypatch.setattr(pipeline.tables, "regions", lambda page: [])


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def _natural(lines: list[str], size: float) -> float:
    """A justified width that stretches the spaces of these lines as a typesetter would (a little)."""
    return max(stringWidth(ln, "Times-Roman", size) for ln in lines) + 2


SIDEBAR = [
    "Quillon Institute of",
    "Imaginary Studies,",
    "Brackwater, Nowhere",
    "Department of Invented",
    "Matters, Ostelby",
    "University, Ostelby",
    "Correspondence to:",
    "P Quorvel",
    "pq@example.org",
    "Cite this as: Invented J",
    "2031;7:q101",
    "Accepted: 3 May 2031",
]
ABSTRACT = [
    "The study asked whether walking",
    "after meals lowers the morning",
    "glucose of healthy adults. Eighty",
    "volunteers walked ten minutes",
    "after each meal for six weeks.",
    "The morning glucose fell in the",
    "walking group more than in the",
    "resting group over the period.",
]
RIGHT = [
    "Walking after meals has been",
    "studied in small groups only and",
    "its effect on the morning value",
    "remained unclear in earlier work.",
]


def test_sidebar_beside_two_columns_keeps_abstract_sentences(tmp_path, no_tables):
    spec = PdfSpec()
    spec.text(130, 60, "Walking After Meals In Invented Adults", size=16, font="Times-Bold")
    paragraph(spec, 30, 100, SIDEBAR, size=7, leading=1.2)  # lines 8.4 apart
    paragraph(spec, 130, 103, ABSTRACT, size=9, leading=1.25, width=_natural(ABSTRACT, 9))  # 11.25 apart
    paragraph(spec, 300, 103, RIGHT, size=9, leading=1.25, width=_natural(RIGHT, 9))
    doc = ingest.read(spec.save(tmp_path / "sidebar.pdf"))
    text = _flat(doc.text)
    abstract = " ".join(ABSTRACT)
    assert abstract in text
    assert text.index(abstract) < text.index(" ".join(RIGHT))
    assert "Quillon Institute" not in text  # an affiliation: front matter
    assert "Cite this as" not in text and "Accepted: 3 May" not in text and "pq@example.org" not in text
    front = " ".join(b.text for b in doc.dropped if b.kind == "front")
    assert "Cite this as: Invented J 2031;7:q101" in front and "Accepted: 3 May 2031" in front
    assert doc.pages[0].columns == 3


def test_close_small_lines_beside_a_larger_column_are_not_interleaved(tmp_path, no_tables):
    spec = PdfSpec()
    side = [
        "Notes on the invented trial of",
        "lamplight reading in the evening",
        "hours among retired sailors who",
        "live in small coastal towns now.",
    ]
    paragraph(spec, 40, 300, side, size=8, leading=1.19)  # lines 9.5 apart, set smaller
    body = [f"Body line {i} of the larger column text runs on here." for i in range(6)]
    paragraph(spec, 260, 296, body, size=11, leading=1.2)
    doc = ingest.read(spec.save(tmp_path / "close.pdf"))
    text = _flat(doc.text)
    assert " ".join(side) in text
    for line in body:
        assert line in text


def test_fake_bold_glyphs_printed_twice_count_once(tmp_path, no_tables):
    spec = PdfSpec()
    for dx in (0.0, 0.35):  # the same run again, a fraction of a glyph to the right
        spec.text(72 + dx, 100, "Mean (SD) of the invented score", size=10, font="Helvetica-Bold")
    spec.text(72, 130, "Plain body text follows the heading.", size=10)
    doc = ingest.read(spec.save(tmp_path / "fakebold.pdf"))
    assert "Mean (SD) of the invented score" in doc.text
    assert "MMeeaann" not in doc.text


def test_front_matter_goes_to_the_side_list(tmp_path, no_tables):
    spec = PdfSpec()
    spec.text(72, 60, "An Invented Report On Lamplight", size=16, font="Times-Bold")
    y = paragraph(spec, 72, 90, ["Received: 2 March 2031; Accepted: 9 June 2031"], size=8)
    y = paragraph(spec, 72, y + 6, ["Correspondence: Dr Ivo Quorvel, ivo.quorvel@example.org"], size=8)
    y = paragraph(spec, 72, y + 6, ["doi: 10.9999/invented.2031.17"], size=8)
    body = [
        "Lamplight reading was common among the retired sailors we met,",
        "and most of them read for an hour after their evening meal.",
    ]
    y = paragraph(spec, 72, y + 20, body, size=10)
    paragraph(spec, 72, y + 20, ["© 2031 The Authors. Published under a Creative Commons licence."], size=8)
    doc = ingest.read(spec.save(tmp_path / "front.pdf"))
    assert " ".join(body) in _flat(doc.text)
    for gone in ("Received", "Correspondence", "example.org", "10.9999", "Creative Commons"):
        assert gone not in doc.text
    front = [b.text for b in doc.dropped if b.kind == "front"]
    assert any(t.startswith("Received: 2 March 2031") for t in front) and len(front) == 4
    assert all(b.start == -1 for b in doc.dropped)


def test_line_end_hyphens_by_evidence(tmp_path, no_tables):
    lines = [
        "Our findings need a careful inter-",
        "pretation because the whole all-",
        "treated set and the small plasmid-",
        "derived arm and this odd QRX7-",
        "specific assay and the rarer Z-",
        "ring counts gave us one equi-",
        "molar mix for the new ZelMMo-",
        "rin cohort (the ZelMMorin cohort)",
        "with one full year of the follow-",
        "up in all.",
    ]
    spec = PdfSpec()
    paragraph(spec, 72, 100, lines, size=10, width=_natural(lines, 10))
    doc = ingest.read(spec.save(tmp_path / "hyph.pdf"))
    assert doc.text == (
        "Our findings need a careful interpretation because the whole all-treated set and the small "
        "plasmid-derived arm and this odd QRX7-specific assay and the rarer Z-ring counts gave us one "
        "equimolar mix for the new ZelMMorin cohort (the ZelMMorin cohort) with one full year of the "
        "follow-up in all."
    )


def test_keep_hyphen_shapes_and_words():
    vocab: set[str] = set()
    assert not keep_hyphen("SEPA-", "RATE", vocab)  # a heading in capitals: an English word
    assert keep_hyphen("CAR-", "T", vocab)
    assert keep_hyphen("PQ4-", "positive", vocab)
    assert keep_hyphen("B-", "lineage", vocab)
    assert keep_hyphen("well-", "known", vocab)
    assert not keep_hyphen("abnor-", "malities", vocab)
    assert not keep_hyphen("Zor-", "MMa", {"zormma"})  # the paper prints it joined elsewhere
    assert keep_hyphen("dose-", "ranging", {"dose-ranging"})


def test_unmapped_glyphs_resolved_from_glyph_names():
    class PageObj:
        resources = {
            "Font": {
                "F1": {
                    "BaseFont": LIT("ABCD+InventedMath"),
                    "Encoding": {"Differences": [2, LIT("minus"), LIT("circlecopyrt"), 9, LIT("zzunknown")]},
                }
            }
        }

    chars = [
        {"text": "b", "fontname": "Times"},
        {"text": "(cid:2)", "fontname": "ABCD+InventedMath"},
        {"text": "(cid:3)", "fontname": "ABCD+InventedMath"},
        {"text": "(cid:9)", "fontname": "ABCD+InventedMath"},
        {"text": "(cid:2)", "fontname": "OtherFont"},
    ]
    missing = glyphs.resolve(chars, PageObj())
    assert [c["text"] for c in chars] == ["b", "−", "©", "\ufffd", "\ufffd"]
    assert missing == 2


def test_sideways_page_is_read_in_its_own_direction(tmp_path, no_tables):
    path = tmp_path / "sideways.pdf"
    c = canvas.Canvas(str(path), pagesize=(400, 600))
    c.setFont("Helvetica", 10)
    lines = [f"Sideways line {i} reads from left to right in order." for i in range(5)]
    for i, ln in enumerate(lines):  # text running down the page: a landscape page set sideways
        c.saveState()
        c.translate(350 - 14 * i, 560)
        c.rotate(-90)
        c.drawString(0, 0, ln)
        c.restoreState()
    c.showPage()
    c.save()
    doc = ingest.read(path)
    assert (doc.pages[0].width, doc.pages[0].height) == (600, 400)
    assert _flat(doc.text) == " ".join(lines)


def _busy(page: str, n: int) -> str:
    return " ".join(f"Sentence {page}{i} of the invented record keeps the page busy." for i in range(n))


def _fpdf_pages(texts: list[str]) -> bytes:
    pdf = FPDF()
    pdf.set_font("Helvetica", size=10)
    for t in texts:
        pdf.add_page()
        pdf.multi_cell(0, 5, t)
    return bytes(pdf.output())


def test_damaged_content_stream_is_a_warning(tmp_path, no_tables):
    data = bytearray(_fpdf_pages([_busy(p, 60) for p in "ABC"]))
    # flip bits in the middle of the second page's compressed content stream
    starts = [m.end() for m in re.finditer(rb"stream\r?\n", data)]
    pages = [s for s in starts if _inflates(data, s)]
    mid = pages[1] + 200
    for k in range(4):
        data[mid + k] ^= 0x5A
    path = tmp_path / "damaged.pdf"
    path.write_bytes(bytes(data))
    doc = ingest.read(path)
    assert (2, "damaged") in [(w["page"], w["code"]) for w in doc.warnings]
    assert {w["page"] for w in doc.warnings} == {2}
    assert "Sentence A1 of the invented record" in doc.text and "Sentence C59 " in doc.text


def test_partial_loss_reaches_report_json_and_md(tmp_path):
    """A damaged page is no silent ok: report.json lists it as a failed page, report.md says why."""
    import json

    from pipeline.batch import run

    data = bytearray(_fpdf_pages([_busy(p, 60) for p in "ABC"]))
    starts = [m.end() for m in re.finditer(rb"stream\r?\n", data)]
    mid = [s for s in starts if _inflates(data, s)][1] + 200
    for k in range(4):
        data[mid + k] ^= 0x5A
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "damaged.pdf").write_bytes(bytes(data))
    out = tmp_path / "out"
    run([str(tmp_path / "in")], out, jobs=1, fail_on="never", use_cache=False)
    row = json.loads((out / "report.json").read_text())["documents"][0]
    assert row["status"] == "ok" and row["failed_pages"] == [2]
    assert {(w["page"], w["code"]) for w in row["page_warnings"]} >= {(2, "damaged")}
    md = (out / "report.md").read_text()
    assert "ok with warnings" in md and "## Partial loss" in md and "| 2 | damaged |" in md


def _inflates(data: bytearray, start: int) -> bool:
    try:
        return len(zlib.decompressobj().decompress(bytes(data[start : start + 4000]))) > 1000
    except zlib.error:
        return False


def test_page_with_far_less_text_than_its_neighbours_is_a_warning(tmp_path, no_tables):
    path = tmp_path / "thin.pdf"
    path.write_bytes(_fpdf_pages([_busy("A", 40), _busy("B", 40), "7", _busy("D", 40), _busy("E", 40)]))
    doc = ingest.read(path)
    assert [(w["page"], w["code"]) for w in doc.warnings] == [(3, "thin_text")]


def _wrap(text: str, width: float, size: float) -> list[str]:
    """Greedy line breaking of `text` to `width` points in Times-Roman."""
    lines, cur = [], ""
    for w in text.split():
        if cur and stringWidth(f"{cur} {w}", "Times-Roman", size) > width:
            lines.append(cur)
            cur = w
        else:
            cur = f"{cur} {w}".strip()
    return [*lines, cur]


GUILD_ROWS = [
    (
        "brindle fern (Filix ostelbica) 14",
        "Nobody shall cut the brindle fern before the first frost of the year or the fine is two coins.",
    ),
    (
        "marsh quill (Calamus vorn) 3",
        "The quill of the marsh is for the guild's roofs alone and may not be sold to other towns.",
    ),
    (
        "grey lark (Alauda nimbra) 8",
        "Whoever takes the eggs of the grey lark shall pay the keeper of the meadow a silver piece.",
    ),
    (
        "reed otter (Lutra palea) 2",
        "The reed otter may be hunted only in the week after harvest and never with nets of any kind.",
    ),
    (
        "stone pine (Pinus saxea) 11",
        "Each member shall plant three stone pines for every one he fells on the common hill slopes.",
    ),
    (
        "amber moth (Phalaena sucina) 1",
        "Lamps shall be covered in the months when the amber moth flies over the low wet fields.",
    ),
    (
        "hollow oak (Quercus cava) 6",
        "A hollow oak shall stand until it falls, for the owls and bees of the village live in it.",
    ),
    (
        "silt crab (Cancer limi) 5",
        "Crabs of the silt may be taken by children only and in baskets no larger than a hand span.",
    ),
    (
        "moor hare (Lepus ericae) 9",
        "The moor hare is free to all in winter but in spring the warden alone shall decide.",
    ),
    (
        "blue willow (Salix caerula) 4",
        "Cuttings of the blue willow are planted along the fences to keep the sand from the fields.",
    ),
    (
        "ash finch (Fringilla cinis) 7",
        "No one shall sell the ash finch at the market or keep more than two of them in a cage.",
    ),
    (
        "river eel (Anguilla flumen) 10",
        "Eels are taken with traps set by the warden and shared among the houses by their lots.",
    ),
]
GUILD_LEFT = (
    "The wardens of the invented guild kept their rules in one book for two hundred years. "
    "Each rule names a plant or an animal of the commons, the season when it may be taken and "
    "the fine for those who break it. Most of the fines were paid in coins, some in grain, and "
    "the heaviest ones in days of work on the common dykes along the slow brown river. "
    "The book was read aloud each spring at the guild hall."
)
GUILD_RIGHT = (
    "Later wardens changed the rules when the marshes dried or the river moved its bed, and they "
    "wrote the reason beside each change in a careful small hand. Some rules were dropped when a "
    "species left the commons for good, while others grew stricter as the village grew larger and "
    "more hands reached for the same reeds. The last entry of the book is a rule on quiet evenings."
)


def _guild_table(spec: PdfSpec, y: float) -> float:
    spec.text(
        57, y, "Table 4 Plants and animals named in the invented guild rules", size=9, font="Times-Bold"
    )
    y += 20
    for name, rule in GUILD_ROWS:
        spec.text(57, y, name, size=8)
        paragraph(spec, 238, y, _wrap(rule, 290, 8), size=8, leading=1.15)
        y += 23
    return y


def _guild_text(spec: PdfSpec, y: float) -> float:
    size, width = 9.5, 233.0
    paragraph(spec, 57, y, _wrap(GUILD_LEFT, width - 6, size), size=size, width=width)
    return paragraph(spec, 304, y, _wrap(GUILD_RIGHT, width - 6, size), size=size, width=width)


@pytest.mark.parametrize("table_first", [True, False], ids=["table-above", "table-below"])
def test_table_columns_and_text_columns_with_other_gutters(tmp_path, no_tables, table_first):
    """A table set as text in two columns (gutter at 230 pt) above (or below) body text in two
    columns (gutter at 297 pt): the table's long right cells cross the body's gutter more often than
    the body's left lines cross the table's, yet each section is read column by column, not across."""
    spec = PdfSpec()
    if table_first:
        _guild_text(spec, _guild_table(spec, 80) + 20)
    else:
        _guild_table(spec, _guild_text(spec, 80) + 20)
    doc = ingest.read(spec.save(tmp_path / "sections.pdf"))
    text = _flat(doc.text)
    assert GUILD_LEFT in text and GUILD_RIGHT in text
    assert text.index(GUILD_LEFT) < text.index(GUILD_RIGHT)
    for name, rule in GUILD_ROWS:
        assert name in text and rule in text
        assert (text.index(rule) < text.index(GUILD_LEFT)) == table_first  # sections top to bottom
