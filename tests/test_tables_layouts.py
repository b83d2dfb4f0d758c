"""Table layouts on small generated PDFs (reportlab), through the real ingest and `tables.extract`:
ruled with wrapped cells, booktabs, whitespace only, zebra stripes, a table over two pages, a
two-line header; plus cell refs from Word.refs on a hand-built page."""

from __future__ import annotations

from pathlib import Path

from reportlab.pdfgen import canvas

from pipeline import ingest, tables
from pipeline.model import Box, Document, Page, Word

W, H = 595.0, 842.0
SIZE = 9.0
PITCH = 11.0


class Sheet:
    """reportlab canvas with top-left coordinates (y = baseline from the top)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.c = canvas.Canvas(str(path), pagesize=(W, H))
        self.c.setFont("Helvetica", SIZE)

    def text(self, x: float, y: float, s: str, bold: bool = False) -> None:
        self.c.setFont("Helvetica-Bold" if bold else "Helvetica", SIZE)
        self.c.drawString(x, H - y, s)

    def line(self, x0: float, y0: float, x1: float, y1: float) -> None:
        self.c.setLineWidth(0.5)
        self.c.line(x0, H - y0, x1, H - y1)

    def fill(self, x: float, y: float, w: float, h: float) -> None:
        self.c.setFillGray(0.85)
        self.c.rect(x, H - y - h, w, h, stroke=0, fill=1)
        self.c.setFillGray(0)

    def paragraph(self, y: float, n: int) -> float:
        words = [
            "the",
            "quick",
            "brown",
            "fox",
            "jumps",
            "over",
            "the",
            "lazy",
            "dog",
            "while",
            "patients",
            "were",
            "followed",
            "up",
            "for",
            "months",
        ]
        for i in range(n):
            self.text(72, y, " ".join(words[i % 3 :] + words[: i % 3]) + " and more text here")
            y += PITCH
        return y

    def new_page(self) -> None:
        self.c.showPage()
        self.c.setFont("Helvetica", SIZE)

    def read(self) -> Document:
        self.c.save()
        doc = ingest.read(self.path)
        tables.extract(doc)
        return doc


COLS = [72, 200, 330, 450]  # left edges of four columns


def put_row(
    s: Sheet, y: float, cells: list[str | list[str]], xs: list[float] = COLS, pad: float = 3
) -> float:
    """Write one table row whose cells may wrap over several lines; returns the row's bottom y."""
    depth = 1
    for x, cell in zip(xs, cells, strict=False):
        parts = cell if isinstance(cell, list) else [cell]
        for i, part in enumerate(parts):
            s.text(x + pad, y + i * PITCH, part)
        depth = max(depth, len(parts))
    return y + (depth - 1) * PITCH


def single(doc: Document):
    assert len(doc.tables) == 1, [(t.table_id, t.n_rows, t.n_cols) for t in doc.tables]
    return doc.tables[0]


def test_ruled_table_keeps_wrapped_cells_whole(tmp_path):
    s = Sheet(tmp_path / "ruled.pdf")
    s.paragraph(60, 3)
    s.text(72, 110, "Table 1. A ruled table.")
    rows = [
        ["Trial", "Design", "Outcomes", "Safety"],
        [
            "ALPHA-1",
            ["Lymphodepletion followed", "by 50, 150 or 450x10", "CAR-T cells"],
            ["ORR: 75%", "CR: 38%"],
            "CRS 6%",
        ],
        ["BETA-2", "Single arm", ["ORR: 60%", "mPFS: 8.8m", "mOS: 19m"], "CRS 2%"],
    ]
    ys = [118]
    y = 128
    for row in rows:
        bottom = put_row(s, y, row)
        ys.append(bottom + 5)
        y = bottom + 5 + 10
    for yy in ys:
        s.line(70, yy, 560, yy)
    for x in COLS[1:] + [70, 560]:
        s.line(x, ys[0], x, ys[-1])
    s.paragraph(ys[-1] + 25, 3)
    t = single(s.read())
    assert (t.table_id, t.n_rows, t.n_cols, t.header_rows, t.ruled) == ("Table 1", 3, 4, 1, True)
    assert t.header() == ["Trial", "Design", "Outcomes", "Safety"]
    assert t.cell(1, 1).text == "Lymphodepletion followed by 50, 150 or 450x10 CAR-T cells"
    assert t.cell(2, 2).text == "ORR: 60% mPFS: 8.8m mOS: 19m"
    assert t.caption == "Table 1. A ruled table."


def booktabs_sheet(path: Path, header: list[list[str | list[str]]]) -> Sheet:
    s = Sheet(path)
    s.paragraph(60, 3)
    s.text(72, 110, "Table 3. Outcomes by trial.")
    y = 118
    s.line(70, y, 540, y)
    y += 12
    for row in header:
        y = put_row(s, y, row) + PITCH
    s.line(70, y - 7, 540, y - 7)
    y += 4
    body = [
        ["ALPHA-1", "62", "75.8", "6.5"],
        ["BETA-2", "128", "73.0", "6.0"],
        ["GAMMA-3", "37", "83.8", "2.7"],
    ]
    for row in body:
        y = put_row(s, y, row) + PITCH
    s.line(70, y - 7, 540, y - 7)
    s.paragraph(y + 20, 4)
    return s


def test_booktabs_table(tmp_path):
    s = booktabs_sheet(tmp_path / "booktabs.pdf", [["Trial", "Patients", "ORR (%)", "CRS (%)"]])
    doc = s.read()
    t = single(doc)
    assert (t.table_id, t.n_rows, t.n_cols, t.ruled) == ("Table 3", 4, 4, False)
    assert t.header() == ["Trial", "Patients", "ORR (%)", "CRS (%)"]
    assert t.grid()[2] == ["BETA-2", "128", "73.0", "6.0"]
    # The paragraphs around the table stay out of its region.
    region = doc.pages[0].table_regions[0]
    assert not any(region.contains(w.box) for w in doc.pages[0].words if w.text in ("quick", "lazy"))


def test_header_over_two_lines_is_one_header_row(tmp_path):
    header = [["Trial", "Patients", "Overall", ["Adverse", "events"]], ["", "", "response", ""]]
    s = booktabs_sheet(tmp_path / "twoline.pdf", header)
    t = single(s.read())
    assert t.header_rows == 1 and t.n_rows == 4
    assert t.header() == ["Trial", "Patients", "Overall response", "Adverse events"]
    assert list(t.frame().columns) == ["Trial", "Patients", "Overall response", "Adverse events"]


def test_whitespace_table_anchored_on_caption(tmp_path):
    s = Sheet(tmp_path / "plain.pdf")
    s.paragraph(60, 3)
    s.text(72, 110, "Table 2. Plain table without any lines.")
    y = 128
    rows = [
        ["Trial", "Patients", "ORR (%)", "CR (%)"],
        ["ALPHA-1", "62", "75.8", "38.7"],
        ["BETA-2", "128", ["73.0", "(60-80)"], "35.0"],
        ["GAMMA-3", "37", "83.8", "82.8"],
    ]
    for row in rows:
        y = put_row(s, y, row) + PITCH
    after = s.paragraph(y + 14, 5)
    doc = s.read()
    t = single(doc)
    assert (t.table_id, t.n_rows, t.n_cols) == ("Table 2", 4, 4)
    assert t.grid()[3] == ["GAMMA-3", "37", "83.8", "82.8"]
    assert t.grid()[2] == ["BETA-2", "128", "73.0 (60-80)", "35.0"]  # wrapped line joins its row
    region = doc.pages[0].table_regions[0]
    assert region.bottom < y + 14 - SIZE < after  # the paragraph after the table is body text
    assert "lazy" in doc.text and "GAMMA-3" not in doc.text


def test_zebra_stripes_make_rows(tmp_path):
    s = Sheet(tmp_path / "zebra.pdf")
    s.paragraph(60, 3)
    s.text(72, 110, "Table 4. Striped table.")
    put_row(s, 128, ["Trial", "Design", "Patients", "ORR (%)"])
    y = 142
    body = [
        ["ALPHA-1", ["Single arm", "open label"], "62", "75.8"],
        ["BETA-2", "Randomised", "128", "73.0"],
        ["GAMMA-3", ["Single arm", "dose escalation"], "37", "83.8"],
        ["DELTA-4", "Randomised", "40", "55.0"],
    ]
    for i, row in enumerate(body):
        depth = max(len(c) if isinstance(c, list) else 1 for c in row)
        h = depth * PITCH + 4
        if i % 2 == 0:
            s.fill(70, y - 2, 470, h)
        put_row(s, y + SIZE, row)
        y += h
    s.paragraph(y + 20, 3)
    t = single(s.read())
    assert (t.n_rows, t.n_cols, t.ruled) == (5, 4, False)
    assert t.header() == ["Trial", "Design", "Patients", "ORR (%)"]
    assert t.grid()[1] == ["ALPHA-1", "Single arm open label", "62", "75.8"]
    assert t.grid()[3] == ["GAMMA-3", "Single arm dose escalation", "37", "83.8"]


def ruled_rows(s: Sheet, y: float, rows: list[list[str]]) -> float:
    ys = [y]
    for row in rows:
        put_row(s, y + 12, row)
        y += 18
        ys.append(y)
    for yy in ys:
        s.line(70, yy, 560, yy)
    for x in COLS[1:] + [70, 560]:
        s.line(x, ys[0], x, ys[-1])
    return y


def test_table_split_over_two_pages_is_merged(tmp_path):
    s = Sheet(tmp_path / "split.pdf")
    s.paragraph(60, 30)
    s.text(72, 460, "Table 5. A long table.")
    head = ["Trial", "Patients", "ORR (%)", "CR (%)"]
    body = [[f"TRIAL-{i}", str(20 + i), f"{50 + i}.0", f"{20 + i}.5"] for i in range(1, 23)]
    ruled_rows(s, 468, [head] + body[:16])
    s.text(300, 820, "page 1")
    s.new_page()
    end = ruled_rows(s, 60, [head] + body[16:])
    s.paragraph(end + 20, 4)
    s.text(300, 820, "page 2")
    t = single(s.read())
    assert t.table_id == "Table 5" and t.pages == [1, 2] and len(t.boxes) == 2
    assert (t.n_rows, t.n_cols, t.header_rows) == (23, 4, 1)
    grid = t.grid()
    assert [r[0] for r in grid[1:]] == [f"TRIAL-{i}" for i in range(1, 23)]  # repeated header dropped
    assert t.cell(17, 0).box.page == 2 and t.cell(16, 0).box.page == 1


def test_continuation_without_repeated_header(tmp_path):
    s = Sheet(tmp_path / "split2.pdf")
    s.paragraph(60, 34)
    s.text(72, 500, "Table 6. Another long table.")
    body = [[f"TRIAL-{i}", str(20 + i), f"{50 + i}.0", f"{20 + i}.5"] for i in range(1, 20)]
    ruled_rows(s, 508, [["Trial", "Patients", "ORR (%)", "CR (%)"]] + body[:14])
    s.new_page()
    ruled_rows(s, 60, body[14:])
    t = single(s.read())
    assert t.pages == [1, 2] and t.n_rows == 20
    assert t.grid()[15][0] == "TRIAL-15"


def test_cell_refs_come_from_word_refs():
    page = Page(1, W, H)
    words = [
        ("Agent", 72, 100, ()),
        ("Dose", 200, 100, ()),
        ("ALPHA", 72, 120, ("5", "6")),
        ("50", 200, 120, ()),
    ]
    words += [("BETA", 72, 140, ("7",)), ("150", 200, 140, ())]
    for text, x, y, refs in words:
        page.words.append(Word(text, Box(1, x, y, x + 30, y + 9), size=9, refs=refs))
    for y in (95, 113, 133, 153):
        page.rules.append(Box(1, 70, y, 300, y))
    for x in (70, 190, 300):
        page.rules.append(Box(1, x, 95, x, 153))
    page.table_regions = tables.regions(page)
    doc = Document("synthetic", "", pages=[page])
    t = single(doc) if tables.extract(doc) else None
    assert t is not None and t.cell(1, 0).refs == ["5", "6"] and t.cell(2, 0).refs == ["7"]
    assert t.cell(1, 0).text == "ALPHA" and t.cell(1, 1).refs == []


def test_paragraph_between_rules_is_not_a_table(tmp_path):
    s = Sheet(tmp_path / "prose.pdf")
    s.line(70, 100, 540, 100)
    s.paragraph(115, 12)
    s.line(70, 260, 540, 260)
    # the same page also holds a real table below: it is found, the ruled paragraph is not
    s.text(72, 312, "Table 2. Outcomes by trial.")
    y = 320.0
    s.line(70, y, 540, y)
    y = put_row(s, y + 12, ["Trial", "Patients", "ORR (%)", "CRS (%)"]) + PITCH
    s.line(70, y - 7, 540, y - 7)
    y += 4
    for row in (
        ["PLOVER-1", "41", "63.4", "4.9"],
        ["PLOVER-2", "58", "70.7", "3.4"],
        ["PLOVER-3", "23", "56.5", "8.7"],
    ):
        y = put_row(s, y, row) + PITCH
    s.line(70, y - 7, 540, y - 7)
    doc = s.read()
    t = single(doc)
    assert t.header()[0] == "Trial" and [r[0] for r in t.grid()[1:]] == ["PLOVER-1", "PLOVER-2", "PLOVER-3"]
    assert not any("lazy" in c.text for c in t.cells)
    assert "lazy" in doc.text


def test_show_formats(tmp_path):
    s = booktabs_sheet(tmp_path / "show.pdf", [["Trial", "Patients", "ORR (%)", "CRS (%)"]])
    s.c.save()
    md = tables.show(s.path, "md")
    assert "| Trial | Patients | ORR (%) | CRS (%) |" in md and "| BETA-2 | 128 | 73.0 | 6.0 |" in md
    csv_text = tables.show(s.path, "csv")
    assert csv_text.splitlines()[0] == "table_id,row,col,header,page,bbox,text,refs"
    assert any(
        line.startswith("Table 3,2,1,0,1,") and line.endswith(",128,") for line in csv_text.splitlines()
    )
