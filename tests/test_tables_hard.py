"""Hard table layouts behind the ICDAR 2013 failure kinds, on generated PDFs (invented names and
numbers): rows merged when rules are sparse, columns merged when column rules stop after the header,
tables missed when a rule meets a stub column, neighbouring grids merged, spanning header cells."""

from __future__ import annotations

import json

from tests.test_tables_layouts import PITCH, Sheet, single

ROWS = [
    ["Norland", "12.5", "3.1", "840"],
    ["Ostmark", "0", "97.2", "1,204"],
    ["Vesterby", "44.0", "0.8", "77"],
    ["Kaldera", "5.6", "61.3", "2,915"],
    ["Brisgau", "100.0", "0", "36"],
]
XS = [72, 190, 300, 410, 520]  # column rules; text sits 4 pt right of each


def captioned(path, caption: str) -> Sheet:
    """A sheet with a paragraph and the table's caption; the table starts at y = 118."""
    s = Sheet(path)
    s.paragraph(60, 3)
    s.text(72, 110, caption)
    return s


def put(s: Sheet, y: float, cells: list[str]) -> None:
    for x, cell in zip(XS, cells, strict=False):
        s.text(x + 4, y, cell)


def frame(s: Sheet, top: float, bottom: float, xs: list[float] = XS) -> None:
    for x in (xs[0], xs[-1]):
        s.line(x, top, x, bottom)


def test_column_rules_only_in_header_keep_body_cells_apart(tmp_path):
    # Kind 2 (columns merged): rules under every row, column rules drawn in the header band alone.
    s = captioned(tmp_path / "headrules.pdf", "Table 1. Cases by region.")
    top, y = 118.0, 118.0
    ys = [y]
    for row in [["Region", "Local (%)", "Travel (%)", "Total (n)"]] + ROWS:
        put(s, y + 11, row)
        y += 15
        ys.append(y)
    for yy in ys:
        s.line(XS[0], yy, XS[-1], yy)
    frame(s, top, y)
    for x in XS[1:-1]:
        s.line(x, ys[0], x, ys[1])  # column rules in the header only
    s.paragraph(y + 25, 3)
    t = single(s.read())
    assert (t.n_rows, t.n_cols) == (6, 4)
    assert t.grid()[1:] == ROWS


def test_rows_without_rules_inside_a_ruled_frame_are_rows(tmp_path):
    # Kind 1 (rows merged): full grid of column rules, but rules only above and below the body.
    s = captioned(tmp_path / "sparse.pdf", "Table 2. Funds by region.")
    top = 118.0
    put(s, top + 11, ["Region", "Fund A", "Fund B", "Total"])
    y = top + 15
    rules = [top, y]
    for row in ROWS:
        put(s, y + 11, row)
        y += PITCH + 1
    y += 4
    rules.append(y)
    put(s, y + 11, ["All", "167.1", "162.4", "5,072"])
    y += 15
    rules.append(y)
    for yy in rules:
        s.line(XS[0], yy, XS[-1], yy)
    for x in XS:
        s.line(x, top, x, y)
    s.paragraph(y + 25, 3)
    t = single(s.read())
    assert t.n_rows == 7 and t.grid()[1:6] == ROWS
    assert t.grid()[6] == ["All", "167.1", "162.4", "5,072"]


def test_booktabs_table_with_a_stub_column_rule_is_found(tmp_path):
    # Kind 3 (table missed): a vertical rule after the stub column met the horizontal rules inside.
    s = captioned(tmp_path / "stub.pdf", "Table 3. Answers given.")
    top = 118.0
    s.line(70, top, 540, top)
    put(s, top + 11, ["Answer", "Freq.", "Percent", "Cum."])
    mid = top + 15
    s.line(70, mid, 540, mid)
    y = mid
    for row in ROWS:
        put(s, y + 11, row)
        y += PITCH + 1
    bottom = y + 4
    s.line(70, bottom, 540, bottom)
    s.line(180, top, 180, bottom)
    s.paragraph(bottom + 25, 3)
    t = single(s.read())
    assert (t.n_rows, t.n_cols) == (6, 4)
    assert t.header() == ["Answer", "Freq.", "Percent", "Cum."] and t.grid()[3] == ROWS[2]


def grid_table(s: Sheet, top: float, xs: list[float], rows: list[list[str]]) -> float:
    y = top
    ys = [y]
    for row in rows:
        for x, cell in zip(xs, row, strict=False):
            s.text(x + 4, y + 11, cell)
        y += 15
        ys.append(y)
    for yy in ys:
        s.line(xs[0], yy, xs[-1], yy)
    for x in xs:
        s.line(x, top, x, y)
    return y


def test_stacked_grids_with_nearly_aligned_rules_stay_two_tables(tmp_path):
    # Kind 5 (neighbouring tables merged): the column rules of the second grid sit 0.6 pt off the
    # first's; the two must not be joined into one long rule.
    s = Sheet(tmp_path / "stacked.pdf")
    head = ["Region", "Air", "Water", "Land"]
    end = grid_table(s, 100, XS, [head] + ROWS[:3])
    s.text(250, end + 20, "Other substances")
    grid_table(s, end + 30, [x + 0.6 for x in XS], [head] + ROWS[3:])
    doc = s.read()
    assert [(t.n_rows, t.n_cols) for t in doc.tables] == [(4, 4), (3, 4)]
    assert doc.tables[1].grid()[1] == ROWS[3]


def test_spanning_header_cell_keeps_its_span(tmp_path):
    # Kind 4 (spanning header cut into columns): a group header over two columns.
    s = Sheet(tmp_path / "span.pdf")
    top = 100.0
    xs = XS
    s.text(xs[2] + 20, top + 11, "Release threshold")  # centred over the three columns
    for x, cell in zip(xs, ["", "Air", "Water", "Land"], strict=False):
        s.text(x + 4, top + 26, cell)
    y = top + 30
    for row in ROWS:
        for x, cell in zip(xs, row, strict=False):
            s.text(x + 4, y + 11, cell)
        y += 15
    for yy in [top, top + 15, top + 30] + [top + 30 + 15 * (i + 1) for i in range(len(ROWS))]:
        x0 = xs[1] if yy == top + 15 else xs[0]
        s.line(x0, yy, xs[-1], yy)
    for x in (xs[0], xs[1], xs[-1]):
        s.line(x, top, x, y)
    for x in xs[2:-1]:
        s.line(x, top + 15, x, y)  # the group header's cell has no inner rules
    s.paragraph(y + 25, 3)
    s.c.save()
    from pipeline import tables

    out = json.loads(tables.show(s.path, "json"))
    assert len(out) == 1
    cells = {(c["row"], c["col"]): c for c in out[0]["cells"]}
    assert cells[(0, 1)]["text"] == "Release threshold" and cells[(0, 1)]["colspan"] == 3
    assert (0, 2) not in cells and (0, 3) not in cells  # covered positions are not repeated
    assert [cells[(1, c)]["text"] for c in (1, 2, 3)] == ["Air", "Water", "Land"]
    assert out[0]["header"][1:] == [
        "Release threshold Air",
        "Release threshold Water",
        "Release threshold Land",
    ]


def test_single_spaced_rows_with_section_gaps_stay_apart(tmp_path):
    # Kind 1 (rows merged) without rules: single-spaced rows, wider gaps only before section labels,
    # a two-line header and a first-column label wrapped onto a second line ("[12]").
    s = captioned(tmp_path / "single.pdf", "Table 4. Response by cohort.")
    xs = [72, 200, 290, 380, 470]
    y = 128.0
    for x, cell in zip(xs, ["Study", "Design", "n", "Median", "ORR, %"], strict=False):
        s.text(x, y, cell)
    y += PITCH
    s.text(xs[3], y, "age, y")
    rows = [
        ("Cohort A", None),
        ("Halvorsen 2019", ["Single arm", "41", "57", "62.5"]),
        ("Okafor 2021", ["Randomised", "118", "61", "48.0"]),
        ("Cohort B", None),
        ("Lindqvist 2020", ["Single arm,", "23", "66", "30.4"]),
        ("[12]", ["dose escalation", "", "", ""]),
        ("Marchetti 2022", ["Registry", "305", "70", "27.9"]),
    ]
    for label, cells in rows:
        y += PITCH + (6 if cells is None else 0)
        s.text(xs[0], y, label)
        for x, cell in zip(xs[1:], cells or [], strict=False):
            s.text(x, y, cell)
    s.paragraph(y + 30, 4)
    t = single(s.read())
    assert t.header() == ["Study", "Design", "n", "Median age, y", "ORR, %"]
    assert t.grid()[t.header_rows :] == [
        ["Cohort A", "", "", "", ""],
        ["Halvorsen 2019", "Single arm", "41", "57", "62.5"],
        ["Okafor 2021", "Randomised", "118", "61", "48.0"],
        ["Cohort B", "", "", "", ""],
        ["Lindqvist 2020 [12]", "Single arm, dose escalation", "23", "66", "30.4"],
        ["Marchetti 2022", "Registry", "305", "70", "27.9"],
    ]


def test_continuation_with_fewer_columns_and_a_continued_footer(tmp_path):
    # Kind 5 on clinical layouts: the first piece ends with a "Continued on next page" row, the
    # second piece has no text in its last column (so only three columns) and no caption.
    from tests.test_tables_layouts import ruled_rows

    s = Sheet(tmp_path / "cont.pdf")
    s.paragraph(60, 30)
    s.text(72, 460, "Table 7. Adverse events by arm.")
    head = ["Event", "Arm A", "Arm B", "Notes"]
    body = [
        [f"Event {chr(65 + i)}", f"{10 + i} ({i}.5)", f"{20 + i} ({i}.1)", "low" if i % 2 else "high"]
        for i in range(14)
    ]
    end = ruled_rows(s, 468, [head] + body + [["Continued on next page", "", "", ""]])
    assert end < 800
    s.new_page()
    tail = [[f"Event {chr(80 + i)}", f"{40 + i} (9.{i})", f"{50 + i} (8.{i})", ""] for i in range(3)]
    ruled_rows(s, 60, tail)
    s.paragraph(140, 4)
    t = single(s.read())
    assert t.pages == [1, 2] and (t.n_rows, t.n_cols) == (18, 4)
    grid = t.grid()
    assert not any("Continued" in x for row in grid for x in row)
    assert grid[14] == body[13] and grid[15:] == tail


def test_shaded_header_and_notes_between_the_last_rules(tmp_path):
    # Kind 1 and kind 5 on clinical layouts: a header on a shaded band (one fill, not stripes),
    # single-spaced rows, and the table's notes closed by a last rule of the same width.
    s = captioned(tmp_path / "notes.pdf", "Table 8. Events by arm.")
    top = 118.0
    s.line(70, top, 540, top)
    s.fill(70, top, 470, 16)
    put(s, top + 11, ["Event", "Arm A", "Arm B", "Total"])
    y = top + 16
    s.line(70, y, 540, y)
    y += 2
    for row in ROWS:
        put(s, y + 9, row)
        y += PITCH
    y += 3
    s.line(70, y, 540, y)
    s.text(72, y + 10, "Values are percentages of treated patients unless stated otherwise in the row label.")
    s.line(70, y + 14, 540, y + 14)
    s.paragraph(y + 40, 4)
    doc = s.read()
    t = single(doc)
    assert t.grid() == [["Event", "Arm A", "Arm B", "Total"]] + ROWS
    assert "treated patients unless stated" in doc.text


def test_dot_leaders_between_label_and_values_keep_rows_apart(tmp_path):
    # Kind 1 (rows merged) with dot leaders: single-spaced rows, each label run into its values by
    # a row of dots, under a caption and between two rules.
    s = captioned(tmp_path / "leaders.pdf", "Table 7. Staff by region.")
    s.line(70, 116, 540, 116)
    s.text(76, 127, "Region")
    s.text(330, 127, "2031")
    s.text(430, 127, "2032")
    s.line(70, 131, 540, 131)
    rows = [["Norland", "1,204", "1,311"], ["Ostmark", "877", "902"], ["Vesterby", "2,315", "2,240"],
            ["Kaldera", "66", "71"]]  # fmt: skip
    y = 143.0
    for label, a, b in rows:
        s.text(76, y, label + " " + "." * (60 - 2 * len(label)))
        s.text(330, y, a)
        s.text(430, y, b)
        y += PITCH
    s.line(70, y - 6, 540, y - 6)
    s.paragraph(y + 30, 4)
    t = single(s.read())
    body = t.grid()[t.header_rows :]
    assert [r[0].rstrip(" .") for r in body] == [r[0] for r in rows]
    assert [r[1:] for r in body] == [r[1:] for r in rows]


def test_side_by_side_tables_sharing_frame_rules_stay_two(tmp_path):
    # Kind 3 (side-by-side blocks): two ruled tables next to each other; the page-wide top and bottom
    # rules join their grids.
    s = captioned(tmp_path / "side.pdf", "Tables 8 and 9. Sites (left) and visits (right).")
    s.line(70, 118, 540, 118)
    s.line(70, 118 + 18 * 4, 540, 118 + 18 * 4)
    halves = [([70, 150, 230, 300], [["Site", "Beds", "Staff"], ["Arnfeld", "40", "12"], ["Brisk", "25", "9"],
                                      ["Corve", "61", "20"]]),
              ([310, 390, 470, 540], [["Visit", "Week", "Tests"], ["Screen", "0", "6"], ["Dose 1", "1", "4"],
                                      ["Close", "24", "5"]])]  # fmt: skip
    for xs, rows in halves:
        for x in xs:
            s.line(x, 118, x, 118 + 18 * 4)
        for r, row in enumerate(rows):
            if r:
                s.line(xs[0], 118 + 18 * r, xs[-1], 118 + 18 * r)
            for x, t in zip(xs, row, strict=False):
                s.text(x + 4, 118 + 18 * r + 12, t)
    s.paragraph(118 + 18 * 4 + 30, 4)
    doc = s.read()
    got = sorted((t.grid()[0], len(t.grid())) for t in doc.tables)
    assert got == [(["Site", "Beds", "Staff"], 4), (["Visit", "Week", "Tests"], 4)]
