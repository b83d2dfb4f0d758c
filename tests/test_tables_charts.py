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


def chart_sheet(path, cols: int, rows: int, w: float, h: float) -> Sheet:
    """A sheet with a paragraph, then a chart's frame at (100, 120)."""
    s = Sheet(path)
    s.paragraph(60, 3)
    chart_frame(s, 100, 120, cols, rows, w, h)
    return s


DOSES = [["Cohort", "Dose", "Patients"], ["A", "10 mg", "12"], ["B", "20 mg", "14"], ["C", "40 mg", "9"]]


def dose_table(s: Sheet, y: float) -> None:
    """A small ruled table (caption at `y`): three columns of few words."""
    s.text(100, y, "Table 1. Doses by cohort.")
    chart_frame(s, 100, y + 8, 3, 4, 90, 16)
    for r, row in enumerate(DOSES):
        for c, t in enumerate(row):
            s.text(104 + 90 * c, y + 20 + 16 * r, t)


def no_tables(s: Sheet, caption: str, y: float) -> bool:
    """The chart's caption, a paragraph below it and a small ruled table under that: whether the
    page then holds that table alone (the chart made none, and tables are read on this page)."""
    s.text(100, y, caption)
    s.paragraph(y + 30, 4)
    dose_table(s, y + 110)
    return [t.grid() for t in s.read().tables] == [DOSES]


def chart_frame(s: Sheet, x0: float, y0: float, cols: int, rows: int, w: float, h: float) -> None:
    """A plot's frame with its grid lines: a closed grid of rules, as a ruled table draws."""
    for k in range(cols + 1):
        s.line(x0 + k * w, y0, x0 + k * w, y0 + rows * h)
    for k in range(rows + 1):
        s.line(x0, y0 + k * h, x0 + cols * w, y0 + k * h)


def test_a_line_charts_grid_is_no_table(tmp_path):
    s = chart_sheet(tmp_path / "line.pdf", 4, 3, 80, 40)
    x, y = 100.0, 230.0
    for k in range(300):  # a curve drawn as many short segments
        nx, ny = x + 320 / 300, 230 - 90 * (k / 300) ** 0.5
        s.line(x, y, nx, ny)
        x, y = nx, ny
    for cx, cy, t in [
        (110, 135, "Valbo arm"),
        (190, 175, "Placebo arm"),
        (270, 215, "median"),
        (350, 135, "cut-off 24"),
    ]:
        s.text(cx, cy, t)
    assert no_tables(s, "Figure 2. Progression-free survival in the two arms over time.", 290)


def test_a_bar_charts_data_labels_are_no_table(tmp_path):
    s = chart_sheet(tmp_path / "bars.pdf", 4, 3, 80, 40)
    for k, (h, t) in enumerate([(70, "31.5"), (95, "42.0"), (50, "22.8"), (110, "47.3")]):
        s.fill(120 + 80 * k, 240 - h, 40, h)
        s.text(128 + 80 * k, 236 - h, t)
        s.text(128 + 80 * k, 232, f"{12 + k}.{k}")
    assert no_tables(s, "Figure 3. Response rate by dose level.", 290)


def test_a_charts_axis_labels_under_its_legend_grid_are_no_table(tmp_path):
    s = chart_sheet(tmp_path / "axis.pdf", 6, 1, 55, 30)  # a one-row grid: the legend's boxes
    for k, t in enumerate(["Young adults", "Older adults", "Children"]):
        s.text(110 + 110 * k, 138, t)
    for k in range(3):  # three small axes under it, each labelled 2031 2032 2033 2034
        for j, year in enumerate(["2031", "2032", "2033", "2034"]):
            s.text(102 + 110 * k + 27 * j, 160, year)
    assert no_tables(s, "Figure 4. Enrolment by age group and year.", 200)


def test_a_small_ruled_table_with_few_words_is_still_a_table(tmp_path):
    s = Sheet(tmp_path / "small.pdf")
    s.paragraph(60, 3)
    dose_table(s, 112)
    s.paragraph(210, 4)
    assert single(s.read()).grid() == DOSES


TEXT = (
    "Patients were enrolled at nine invented sites between March and October. Each received the "
    "study drug every three weeks until progression. The primary end point was the response rate, "
    "assessed by an independent panel. Secondary end points included survival, duration of response "
    "and safety. Adverse events were graded with the usual criteria. Doses were reduced once for "
    "toxicity in most cases, and treatment was stopped after a second reduction. Quality of life was "
    "measured at baseline and every second cycle."
)


def column_text(s: Sheet, x: float, y: float, width: int, lines: int) -> None:
    """Running text set ragged right in a column of about `width` characters a line."""
    words = iter(TEXT.split() * 3)
    for k in range(lines):
        line = ""
        for w in words:
            line = f"{line} {w}".strip()
            if len(line) > width:
                break
        s.text(x, y + 11 * k, line)


def test_two_column_body_text_between_rules_is_no_table(tmp_path):
    s = Sheet(tmp_path / "columns.pdf")
    s.line(50, 90, 545, 90)
    column_text(s, 52, 104, 42, 12)
    column_text(s, 305, 104, 42, 12)
    s.line(50, 240, 545, 240)
    s.text(72, 292, "Table 2. Outcomes by cohort.")
    y = 300.0
    s.line(70, y, 540, y)
    put = [["Cohort", "Patients", "ORR (%)", "CRS (%)"], ["WREN-A", "41", "63.4", "4.9"],
           ["WREN-B", "58", "70.7", "3.4"], ["WREN-C", "23", "56.5", "8.7"]]  # fmt: skip
    for r, row in enumerate(put):
        for x, t in zip([75, 200, 330, 450], row, strict=True):
            s.text(x, y + 12 + 12 * r, t)
        if r == 0:
            s.line(70, y + 16, 540, y + 16)
    s.line(70, y + 54, 540, y + 54)
    doc = s.read()
    t = single(doc)
    assert t.caption == "Table 2. Outcomes by cohort." and t.grid() == put
    assert "independent panel" in doc.text
