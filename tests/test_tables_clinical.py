"""Clinical table failure kinds on generated PDFs (invented trials, drugs and numbers): a caption
wrapped over two lines above an unruled arm table, a first page piece holding fewer columns than its
continuation, a "(continued)" caption over a repeated header, and a one-row page piece whose first
cell wraps."""

from __future__ import annotations

from tests.test_tables_layouts import PITCH, Sheet, single

ARMS = [
    ["KESTREL-4", "Valbotamab 10 mg/kg", "173", "41.6", "9.2"],
    ["", "Investigator's choice", "171", "18.7", "4.4"],
    ["WREN-2", "Valbotamab 3 mg/kg", "88", "35.2", "7.9"],
    ["", "Placebo", "90", "6.7", "3.1"],
]
XS5 = [72, 150, 290, 350, 430]


def test_arm_rows_stay_apart_under_a_caption_wrapped_over_two_lines(tmp_path):
    # A randomised-trials table: its caption's second line must not be read as the header, and the
    # single-spaced arm rows must not merge into one row.
    s = Sheet(tmp_path / "wrapcap.pdf")
    s.paragraph(60, 3)
    s.text(72, 110, "Table 2. Randomised trials of valbotamab against a comparator in relapsed disease, with")
    s.text(72, 110 + PITCH, "objective response and progression-free survival by arm.")
    y = 110 + 2 * PITCH + 6
    s.line(70, y, 540, y)
    y += 11
    for x, cell in zip(XS5, ["Trial", "Arm", "n", "ORR, %", "Median PFS, mo"], strict=True):
        s.text(x, y, cell)
    s.line(70, y + 4, 540, y + 4)
    y += 4 + PITCH
    for row in ARMS:
        for x, cell in zip(XS5, row, strict=True):
            if cell:
                s.text(x, y, cell)
        y += PITCH
    s.line(70, y - 6, 540, y - 6)
    s.paragraph(y + 20, 4)
    t = single(s.read())
    assert t.caption.startswith("Table 2. Randomised trials") and t.caption.endswith("survival by arm.")
    assert t.header() == ["Trial", "Arm", "n", "ORR, %", "Median PFS, mo"]
    assert t.grid()[t.header_rows :] == ARMS


XS7 = [72, 170, 230, 290, 350, 420, 480]


def put7(s: Sheet, y: float, cells: list[str]) -> None:
    for x, cell in zip(XS7, cells, strict=False):
        if cell:
            s.text(x, y, cell)


def test_first_piece_with_four_of_seven_columns_joins_its_continuation_once(tmp_path):
    # The first page piece has text in four of the table's seven columns only; the next page's
    # piece under a "(continued)" caption has all seven and repeats the header.
    head = ["Event", "Arm A", "Arm B", "Total", "Onset, d", "Grade 3+", "Resolved"]
    s = Sheet(tmp_path / "fourofseven.pdf")
    s.paragraph(60, 50)
    s.text(72, 650, "Table 3. Treatment-emergent events by arm.")
    s.line(70, 656, 540, 656)
    put7(s, 667, head[:4])
    s.line(70, 671, 540, 671)
    first = [[f"Event {chr(65 + i)}", f"{12 + i}", f"{30 + i}", f"{42 + 2 * i}"] for i in range(8)]
    y = 682.0
    for row in first:
        put7(s, y, row)
        y += PITCH
    s.new_page()
    s.text(72, 60, "Table 3 (continued)")
    s.line(70, 66, 540, 66)
    put7(s, 77, head)
    s.line(70, 81, 540, 81)
    rest = [
        [f"Event {chr(80 + i)}", f"{5 + i}", f"{7 + i}", f"{12 + 2 * i}", f"{14 + i}", f"{i + 1}", "yes" if i % 2 else "no"]
        for i in range(4)
    ]  # fmt: skip
    y = 92.0
    for row in rest:
        put7(s, y, row)
        y += PITCH
    s.line(70, y - 6, 540, y - 6)
    s.paragraph(y + 20, 4)
    doc = s.read()
    t = single(doc)
    assert t.pages == [1, 2] and t.n_cols == 7 and t.caption == "Table 3. Treatment-emergent events by arm."
    body = t.grid()[t.header_rows :]
    assert body == [r + ["", "", ""] for r in first] + rest
    assert not any("continued" in x for row in t.grid() for x in row)


def put4(s: Sheet, y: float, rows: list[list[str]]) -> float:
    """Four-column rows from `y` down, a rule under the first (the header); the y after them."""
    for r, row in enumerate(rows):
        for x, cell in zip([72, 200, 330, 450], row, strict=True):
            s.text(x, y, cell)
        if r == 0:
            s.line(70, y + 4, 540, y + 4)
            y += 4
        y += PITCH
    return y


def test_continued_caption_and_repeated_header_are_no_data_rows(tmp_path):
    head = ["Trial", "Patients", "ORR (%)", "CR (%)"]
    body = [[f"PLOVER-{i}", str(30 + i), f"{40 + i}.5", f"{10 + i}.0"] for i in range(1, 19)]
    s = Sheet(tmp_path / "contcap.pdf")
    s.paragraph(60, 40)
    s.text(72, 560, "Table 4. Response by trial.")
    s.line(70, 566, 540, 566)
    y = 577.0
    y = put4(s, y, [head] + body[:14])
    s.text(72, y + 4, "Continued on next page")
    s.new_page()
    s.text(72, 60, "Table 4 (continued). Response by trial.")
    s.line(70, 66, 540, 66)
    y = 77.0
    y = put4(s, y, [head] + body[14:])
    s.line(70, y - 6, 540, y - 6)
    s.paragraph(y + 20, 4)
    t = single(s.read())
    assert t.pages == [1, 2] and t.caption == "Table 4. Response by trial."
    assert t.header() == head and t.grid()[t.header_rows :] == body


def test_one_row_piece_keeps_its_wrapped_first_cell_whole(tmp_path):
    # The continuation on the next page holds one data row whose event name wraps onto a second line.
    head = ["Event", "Arm A", "Arm B", "Total"]
    body = [
        [f"Event {chr(65 + i)}", f"{3 + i} ({i}.4)", f"{5 + i} ({i}.8)", f"{8 + 2 * i}"] for i in range(16)
    ]
    s = Sheet(tmp_path / "onerow.pdf")
    s.paragraph(60, 40)
    s.text(72, 560, "Table 5. Events of special interest.")
    s.line(70, 566, 540, 566)
    y = 577.0
    y = put4(s, y, [head] + body)
    s.new_page()
    s.line(70, 56, 540, 56)
    for x, cell in zip([72, 200, 330, 450], ["Immune-mediated", "4 (2.3)", "1 (0.6)", "5"], strict=True):
        s.text(x, 67, cell)
    s.text(72, 67 + PITCH, "peripheral neuropathy")
    s.line(70, 67 + PITCH + 5, 540, 67 + PITCH + 5)
    s.text(72, 67 + PITCH + 16, "Values are n (%) of treated patients.")
    s.paragraph(67 + PITCH + 40, 4)
    t = single(s.read())
    assert t.pages == [1, 2] and t.n_rows == 18
    assert t.grid()[-1] == ["Immune-mediated peripheral neuropathy", "4 (2.3)", "1 (0.6)", "5"]
    assert t.grid()[-2] == body[-1]
