"""Charts and tables on generated PDFs (invented subgroups and numbers): a forest plot drawn in a
column of a subgroup table, with its axis and tick labels under the rows, is no part of the table's
rows; a row of evenly spaced numbers with no axis above it stays a row."""

from __future__ import annotations

from reportlab.pdfbase.pdfmetrics import stringWidth

from tests.test_tables_layouts import SIZE, Sheet, single

L, R = 70.0, 530.0
XS = [72, 200, 260, 430]
PLOT = (320.0, 410.0)  # the plot column's x range
ROWS = [
    ["Overall", "212", "208", "0.71 (0.55-0.90)"],
    ["Younger than 60 yr", "118", "115", "0.66 (0.47-0.93)"],
    ["60 yr or older", "94", "93", "0.78 (0.54-1.12)"],
    ["Prior surgery", "77", "80", "0.69 (0.46-1.04)"],
    ["No prior surgery", "135", "128", "0.73 (0.53-1.00)"],
]


def forest_sheet(path, axis: bool = True):
    s = Sheet(path)
    s.paragraph(60, 3)
    s.text(72, 96, "Table 2. Progression-free survival by subgroup.")
    s.line(L, 102, R, 102)
    for x, t in zip(XS, ["Subgroup", "Valbo (N)", "Placebo (N)", "Hazard ratio (95% CI)"], strict=True):
        s.text(x, 114, t)
    s.line(L, 118, R, 118)
    y = 130.0
    for k, row in enumerate(ROWS):
        for x, t in zip(XS, row, strict=True):
            s.text(x, y, t)
        mid = PLOT[0] + 20 + 9 * k
        s.line(mid - 14, y - 3, mid + 14, y - 3)  # the confidence interval's whisker
        s.fill(mid - 2, y - 5, 4, 4)  # the point estimate
        y += 12
    if axis:
        s.line(PLOT[0], y - 4, PLOT[1], y - 4)
    ticks = ["0.25", "0.5", "1.0", "2.0"]
    for k, t in enumerate(ticks):
        x = PLOT[0] + k * (PLOT[1] - PLOT[0]) / 3
        if axis:
            s.line(x, y - 4, x, y - 2)
        s.text(x - stringWidth(t, "Helvetica", SIZE) / 2, y + 6, t)
    s.text(PLOT[0] - 10, y + 17, "Favours valbo")
    s.text(PLOT[0] + 60, y + 17, "Favours placebo")
    s.line(L, y + 22, R, y + 22)
    s.paragraph(y + 50, 4)
    return s


def test_a_forest_plots_axis_under_the_rows_is_no_row(tmp_path):
    t = single(forest_sheet(tmp_path / "forest.pdf").read())
    grid = t.grid()
    assert grid[0] == ["Subgroup", "Valbo (N)", "Placebo (N)", "Hazard ratio (95% CI)"]
    assert grid[1:] == ROWS
    assert not any("0.25" in x or "Favours" in x for row in grid for x in row)


def test_evenly_spaced_numbers_with_no_axis_above_stay_a_row(tmp_path):
    t = single(forest_sheet(tmp_path / "plain.pdf", axis=False).read())
    assert any("0.25" in x for row in t.grid() for x in row)
