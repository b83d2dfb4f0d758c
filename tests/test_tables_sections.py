"""Clinical table layouts on generated PDFs (invented trial, drugs and numbers): results under shaded
section bands (a data cut each), and a subgroup table whose column groups ("No. of patients",
"Median OS") each hold one column per arm, with long section labels and notes."""

from __future__ import annotations

import pytest

from tests.tablepdf import rows_of
from tests.test_tables_layouts import Sheet, single

L, R = 70.0, 530.0


def band(s: Sheet, top: float, height: float) -> None:
    """A shaded band across the table with its outline drawn (sides included)."""
    s.fill(L, top, R - L, height)
    s.line(L, top, R, top)
    s.line(L, top + height, R, top + height)
    s.line(L, top, L, top + height)
    s.line(R, top, R, top + height)


def section_sheet(path):
    s = Sheet(path)
    s.paragraph(60, 3)
    s.text(72, 108, "Table 2. End points at the two data cuts.")
    band(s, 114, 16)
    xs = [72, 300, 400]
    for x, t in zip(xs, ["End point", "Valbotamab (N = 173)", "Placebo (N = 170)"], strict=True):
        s.text(x, 125, t, bold=True)
    y = 130.0
    rows = {}
    for k, (cut, follow) in enumerate([("Interim", "8.2"), ("Final", "25.1")]):
        band(s, y, 14)
        s.text(
            72, y + 10, f"{cut} analysis (data cutoff, 15 May 2031; median follow-up, {follow} mo)", bold=True
        )
        y += 14 + 10
        body = [
            ["Median overall survival — mo", f"{20 + k}.4", f"{11 + k}.9"],
            ["Objective response — %", f"{40 + k}.5", f"{22 + k}.1"],
            ["Complete response — %", f"{5 + k}.2", f"{2 + k}.3"],
        ]
        for row in body:
            for x, t in zip(xs, row, strict=True):
                s.text(x, y, t)
            y += 11
        rows[cut] = body
        y += 4
    s.line(L, y, R, y)
    s.paragraph(y + 30, 4)
    return s, rows


def test_section_bands_keep_every_row_and_label(tmp_path):
    s, rows = section_sheet(tmp_path / "bands.pdf")
    t = single(s.read())
    grid = t.grid()
    assert grid[0] == ["End point", "Valbotamab (N = 173)", "Placebo (N = 170)"]
    first = "Interim analysis (data cutoff, 15 May 2031; median follow-up, 8.2 mo)"
    final = "Final analysis (data cutoff, 15 May 2031; median follow-up, 25.1 mo)"
    assert grid[1] == [first, "", ""]  # a section label is one cell spanning the row
    assert grid[2:5] == rows["Interim"]
    assert grid[5] == [final, "", ""]
    assert grid[6:9] == rows["Final"]
    label = next(c for c in t.cells if c.row == 5 and c.col == 0)
    assert label.colspan == 3


XS = [72, 170, 225, 290, 345, 455]
HEAD_Y = 128.0


def subgroup_sheet(path):
    s = Sheet(path)
    s.paragraph(60, 3)
    s.text(72, 96, "Table 5. Overall survival by subgroup.")
    s.line(L, 102, R, 102)
    s.text(168, HEAD_Y - 12, "No. of patients")  # group headers centred over two columns each
    s.text(285, HEAD_Y - 12, "Median OS (mo)")
    s.text(405, HEAD_Y - 12, "Hazard ratio for death (95% CI)")
    s.text(72, HEAD_Y, "Subgroup")
    for x, t in zip(XS[1:5], ["Valbo + Dex", "Dex alone", "Valbo + Dex", "Dex alone"], strict=True):
        s.text(x - 4, HEAD_Y, t)
    s.line(L, HEAD_Y + 4, R, HEAD_Y + 4)
    y = HEAD_Y + 16
    body = []
    sections = [
        ("Prior lines of therapy at enrolment", [("One or two", "61", "58", "19.5", "11.2", "0.59 (0.41-0.86)"),
                                                ("Three or more", "52", "55", "14.1", "9.3", "0.71 (0.48-1.04)")]),
        ("Renal function at baseline (eGFR)", [("Normal", "70", "66", "18.0", "10.4", "0.62 (0.44-0.88)"),
                                              ("Impaired", "43", "47", "15.2", "9.9", "0.69 (0.45-1.06)")]),
    ]  # fmt: skip
    for label, rows in sections:
        s.text(72, y, label)
        y += 11
        for row in rows:
            s.text(80, y, row[0])
            for x, t in zip(XS[1:], row[1:], strict=True):
                s.text(x, y, t)
            body.append(list(row))
            y += 11
    y += 2
    s.line(L, y, R, y)
    s.text(72, y + 10, "Median overall survival is given in months; hazard ratios are from unstratified Cox")
    s.text(72, y + 21, "models; squares are proportional to the number of patients.")
    s.line(L, y + 26, R, y + 26)
    s.paragraph(y + 50, 4)
    return s, body


def test_group_headers_over_arm_columns_and_long_section_labels(tmp_path):
    s, body = subgroup_sheet(tmp_path / "subgroups.pdf")
    doc = s.read()
    t = single(doc)
    grid = t.grid()
    assert grid[0] == [
        "Subgroup",
        "No. of patients Valbo + Dex",
        "No. of patients Dex alone",
        "Median OS (mo) Valbo + Dex",
        "Median OS (mo) Dex alone",
        "Hazard ratio for death (95% CI)",
    ]
    assert [r for r in grid if r[1]][1:5] == [[r[0], *r[1:]] for r in body]  # label and count apart
    assert grid[1][0] == "Prior lines of therapy at enrolment"
    assert not any("Cox" in x for r in grid for x in r)  # the notes under the table are no rows
    assert "unstratified Cox" in doc.text


@pytest.fixture(scope="module")
def builder():
    from pipeline.rules import load
    from tests.records_helpers import AnnotatedBuilder

    return AnnotatedBuilder(load())


def test_arm_columns_under_a_group_header_take_their_arm(tmp_path, builder):
    from tests.tablepdf import read

    s, _ = subgroup_sheet(tmp_path / "arms.pdf")
    s.c.save()
    _, _, outcomes = read(builder, s.path)
    got = {(arm, metric, value) for _, arm, sub, metric, _, value, _, _ in rows_of(outcomes) if sub}
    assert ("", "N", 61) in got and ("control", "N", 58) in got
    assert ("", "OS_MEDIAN", 19.5) in got and ("control", "OS_MEDIAN", 9.9) in got
    assert ("", "N", 58) not in got and ("control", "OS_MEDIAN", 19.5) not in got


def test_rows_under_a_data_cut_label_take_its_analysis(tmp_path, builder):
    from tests.tablepdf import read

    s, _ = section_sheet(tmp_path / "cuts.pdf")
    s.c.save()
    _, _, outcomes = read(builder, s.path)
    got = {(o.metric, o.value, o.analysis) for o in outcomes if o.metric in ("ORR", "OS_MEDIAN")}
    assert got == {
        ("ORR", 40.5, "interim analysis"),
        ("ORR", 22.1, "interim analysis"),
        ("ORR", 41.5, "final analysis"),
        ("ORR", 23.1, "final analysis"),
        ("OS_MEDIAN", 20.4, "interim analysis"),
        ("OS_MEDIAN", 11.9, "interim analysis"),
        ("OS_MEDIAN", 21.4, "final analysis"),
        ("OS_MEDIAN", 12.9, "final analysis"),
    }
