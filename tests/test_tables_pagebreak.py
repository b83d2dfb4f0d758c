"""A long table broken over a page, on generated PDFs (invented trials and numbers): its header grid
at the foot of one page with a body row under it that has no rules; on the next page a running-head
band that bleeds off the sheet and touches the repeated header's top rule, and body rows set apart by
rules only, with a trial cell top-aligned over its two arm rows and an arm label wrapped."""

from __future__ import annotations

from tests.test_tables_layouts import Sheet, single

XS = [72, 170, 250, 300, 360, 450, 530]  # cell edges of the header grid
HEAD = ["Trial (registry)", "Arm", "n", "CR (%)", "Median PFS, mo", "HR for PFS"]


def header_grid(s: Sheet, top: float, bottom: float) -> None:
    """A header drawn as a row of shaded boxes, one per cell (their sides are the column rules)."""
    for x0, x1 in zip(XS, XS[1:], strict=False):
        s.fill(x0, top, x1 - x0, bottom - top)
        s.line(x0, top, x0, bottom)
    s.line(XS[-1], top, XS[-1], bottom)
    s.line(XS[0], top, XS[-1], top)
    s.line(XS[0], bottom, XS[-1], bottom)
    for x, label in zip(XS, HEAD, strict=False):
        s.text(x + 3, top + 12, label)


def put(s: Sheet, y: float, cells: list[str]) -> None:
    for x, cell in zip(XS, cells, strict=False):
        if cell:
            s.text(x + 3, y, cell)


def test_header_at_page_foot_and_running_band_on_the_next_page(tmp_path):
    s = Sheet(tmp_path / "broken.pdf")
    s.paragraph(60, 54)
    s.text(72, 706, "Table 4. Randomised trials of the new agents (one row per arm).")
    header_grid(s, 712, 730)
    # The first body row under the header at the foot of the page: no rule under it.
    put(s, 742, ["KESTREL-4", "Valbo-Dex", "173", "41.2", "8.4 (6.1-10.2)", "0.61 (0.44-0.83)"])
    put(s, 752.3, ["(NCT09876543)"])
    s.text(72, 810, "Page foot of the journal 3")
    s.new_page()
    # A running head on a coloured band that starts at the very top of the sheet, whose bottom
    # edge meets the repeated header's top rule.
    s.fill(72, 0, 150, 57.5)
    s.fill(460, 0, 70, 57.5)
    s.text(80, 40, "JOURNAL OF INVENTED MEDICINE")
    header_grid(s, 58, 76)
    y = 88.0
    put(s, y, ["", "Cyclo-", "86", "19.8", "4.1 (3.0-5.5)", "Reference"])
    put(s, y + 10.3, ["", "Dex"])
    s.line(XS[0], y + 16, XS[-1], y + 16)
    y += 28
    put(s, y, ["HERON-2", "Torvi-R", "121", "55.0", "12.9 (9.9-15.1)", "0.48 (0.35-0.66)"])
    put(s, y + 10.3, ["(NCT01928374)"])
    put(s, y + 16.5, ["", "R alone", "119", "30.3", "6.2 (5.0-7.7)", "Reference"])
    s.line(XS[0], y + 23, XS[-1], y + 23)
    s.paragraph(y + 45, 5)
    doc = s.read()
    t = single(doc)
    assert t.pages == [1, 2]
    assert t.grid() == [
        HEAD,
        ["KESTREL-4 (NCT09876543)", "Valbo-Dex", "173", "41.2", "8.4 (6.1-10.2)", "0.61 (0.44-0.83)"],
        ["", "Cyclo-Dex", "86", "19.8", "4.1 (3.0-5.5)", "Reference"],
        ["HERON-2 (NCT01928374)", "Torvi-R", "121", "55.0", "12.9 (9.9-15.1)", "0.48 (0.35-0.66)"],
        ["", "R alone", "119", "30.3", "6.2 (5.0-7.7)", "Reference"],
    ]
    assert "INVENTED MEDICINE" not in " ".join(c.text for c in t.cells)


def test_cells_centred_against_two_line_neighbours_stay_one_row(tmp_path):
    # Rows one line apart; a two-line cell has its one-line neighbours centred half a line down,
    # so its lines overlap theirs: that half-line is the wrap pitch, not a row break.
    s = Sheet(tmp_path / "centred.pdf")
    s.paragraph(60, 3)
    s.text(72, 110, "Table 2. Studies across the columns.")
    s.line(70, 116, 530, 116)
    xs = [72, 190, 300, 410]
    for x, label in zip(xs, ["", "ORCA-7", "PIKE-3", "Lundqvist"], strict=False):
        s.text(x, 128, label)
    s.line(70, 133, 530, 133)
    rows = [
        ("Agent", [["Valbotamab"], ["Torvi-", "mab"], ["Zelnotug"]]),
        ("Design", [["Phase II"], ["Phase III"], ["Retro-", "spective"]]),
        ("Patients, n", [["173"], ["212"], ["58"]]),
        ("ORR, %", [["41.2"], ["27.5"], ["55.0"]]),
    ]
    y = 145.0
    for label, cells in rows:
        depth = max(len(c) for c in cells)
        mid = y + (depth - 1) * 5.5
        s.text(xs[0], mid, label)
        for x, cell in zip(xs[1:], cells, strict=False):
            start = mid - (len(cell) - 1) * 5.5
            for i, part in enumerate(cell):
                s.text(x, start + i * 11, part)
        y += depth * 11
    s.line(70, y - 6, 530, y - 6)
    s.paragraph(y + 20, 4)
    t = single(s.read())
    assert t.grid()[1:] == [
        ["Agent", "Valbotamab", "Torvimab", "Zelnotug"],
        ["Design", "Phase II", "Phase III", "Retrospective"],
        ["Patients, n", "173", "212", "58"],
        ["ORR, %", "41.2", "27.5", "55.0"],
    ]
