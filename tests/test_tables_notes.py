"""Reporting conventions of result tables read into outcome records, each on a generated PDF with
invented trials, products and numbers:
- a table note defining a subgroup ("b Patients with … (n = 23).") makes the values it marks
  ("ORR 41%b") that subgroup's, and its count and dose that subgroup's rows;
- a mark on a row's count cell ("49b") whose note names an analysis set makes the whole row that set's;
- the "Overall" row above the subgroups of a subgroup table is the whole population;
- a value in a section label across the table ("Final analysis, median follow-up 31.0 mo") belongs to
  the rows under it;
- an arm header's n over several columns ("Drug (N = 281)" over "Any grade" | "Grade ≥3") is one arm's,
  and a caption naming an analysis population ("(Safety Population)") makes it that population's."""

from __future__ import annotations

import pytest

from pipeline.records.notes import mark_after
from tests.pdfgen import PdfSpec, paragraph, unicode_font
from tests.tablepdf import read, ruled_table
from tests.test_tables_layouts import Sheet


@pytest.fixture(scope="module")
def builder():
    from pipeline.rules import load
    from tests.records_helpers import AnnotatedBuilder

    return AnnotatedBuilder(load())


MARKED_VALUES = ["First-in-human study", "Torvanumab", "118", "ORR 41%b; CR 22%b", "mDoR 9.7 mob"]


def noted_pdf(path, notes: list[str], marked_row: list[str] = MARKED_VALUES):
    spec = PdfSpec()
    font = unicode_font() or "Helvetica"
    y = paragraph(spec, 60, 70, ["A generated review of invented studies.", "Its table follows."])
    spec.text(60, y + 14, "Table 1. Single-arm studies of invented agents.", 9, font)
    rows = [
        ["Study", "Agent", "n", "Efficacy", "Durability"],
        ["KESTREL-4", "Valbotamab", "173", "ORR 57%; CR 29%", "mDoR 11.3 mo"],
        marked_row,
    ]
    bottom = ruled_table(spec, y + 22, rows, font=font)
    for k, note in enumerate(notes):
        spec.text(30, bottom + 10 + 8 * k, note, 6.5, font)
    return spec.save(path)


def test_a_note_defining_a_subgroup_makes_the_marked_values_that_subgroups(tmp_path, builder):
    notes = ["a Full dose after step-up dosing. b Patients with relapse after prior vexatinib treated at",
             "doses ≥40 mg (n = 23). CR, complete response; ORR, objective response rate."]  # fmt: skip
    _, _, outcomes = read(builder, noted_pdf(tmp_path / "noted.pdf", notes))
    got = {(o.product, o.metric, o.value, bool(o.subgroup), o.n) for o in outcomes}
    assert ("torvanumab", "ORR", 41.0, True, 23) in got
    assert ("torvanumab", "CR", 22.0, True, 23) in got
    assert ("torvanumab", "DOR_MEDIAN", 9.7, True, 23) in got
    assert ("torvanumab", "N", 118.0, False, 118) in got  # the unmarked count stays the study's
    assert ("torvanumab", "N", 23.0, True, 23) in got  # the note's own count and dose
    dose = [o for o in outcomes if o.metric == "DOSE" and o.subgroup]
    assert [(o.value, o.unit, o.qualifier) for o in dose] == [(40.0, "mg", ">=")]
    # an unmarked study and a note describing no patients are left alone
    assert not any(o.subgroup for o in outcomes if o.trial == "KESTREL-4")


def test_without_a_population_note_the_marked_values_stay_the_studys(tmp_path, builder):
    notes = ["a Full dose after step-up dosing. b Assessed by the investigators at each site."]
    _, _, outcomes = read(builder, noted_pdf(tmp_path / "plain.pdf", notes))
    orr = [o for o in outcomes if o.metric == "ORR" and o.value == 41.0]
    assert len(orr) == 1 and not orr[0].subgroup and orr[0].n == 118


def test_a_note_mark_after_a_value_and_its_unit():
    assert mark_after("ORR 41%b; CR 22%b", 7) == "b"
    assert mark_after("mDoR 9.7 mob", 8) == "b"  # "9.7" ends at 8: the unit "mo", then the mark
    assert mark_after("mDoR 9.7 mo", 8) == ""
    assert mark_after("ORR 41% CR 22%", 7) == ""  # a space and a metric name: no mark
    assert mark_after("9.7 mo†", 3) == "†"


XS = [72, 190, 260, 330, 400]


def subgroup_pdf(path):
    s = Sheet(path)
    s.paragraph(60, 3)
    s.text(72, 100, "Table 3. Overall survival by subgroup (intention-to-treat population).")
    s.line(70, 106, 530, 106)
    for x, t in zip(
        XS, ["Subgroup", "Valbo (N)", "Placebo (N)", "Valbo OS (mo)", "Placebo OS (mo)"], strict=True
    ):
        s.text(x, 118, t)
    s.line(70, 122, 530, 122)
    rows = [["Overall", "281", "279", "19.6", "12.2"], ["Age <70 yr", "150", "148", "21.3", "12.8"],
            ["Age 70 yr or more", "131", "131", "17.4", "11.5"]]  # fmt: skip
    y = 134.0
    for row in rows:
        for x, t in zip(XS, row, strict=True):
            s.text(x, y, t)
        y += 11
    s.line(70, y, 530, y)
    s.paragraph(y + 30, 4)
    return s


def test_the_overall_row_of_a_subgroup_table_is_the_whole_population(tmp_path, builder):
    s = subgroup_pdf(tmp_path / "overall.pdf")
    s.c.save()
    _, _, outcomes = read(builder, s.path)
    got = {(o.arm, o.subgroup, o.metric, o.value) for o in outcomes if o.metric == "OS_MEDIAN"}
    assert ("", "", "OS_MEDIAN", 19.6) in got and ("control", "", "OS_MEDIAN", 12.2) in got
    assert ("", "Age <70 yr", "OS_MEDIAN", 21.3) in got and (
        "control",
        "Age 70 yr or more",
        "OS_MEDIAN",
        11.5,
    ) in got


def test_a_value_in_a_section_label_belongs_to_the_rows_under_it(tmp_path, builder):
    from tests.test_tables_sections import section_sheet

    s, _ = section_sheet(tmp_path / "cuts.pdf")
    s.c.save()
    _, _, outcomes = read(builder, s.path)
    fu = sorted((o.value, o.arm, o.analysis) for o in outcomes if o.metric == "FOLLOWUP_MEDIAN")
    assert fu == [(8.2, "", "interim analysis"), (25.1, "", "final analysis")]
    first = next(o.study_id for o in outcomes if o.value == 20.4)
    assert {o.study_id for o in outcomes if o.metric == "FOLLOWUP_MEDIAN"} == {first}  # the rows' study


def adverse_pdf(path, caption: str):
    s = Sheet(path)
    s.paragraph(60, 3)
    s.text(72, 100, caption)
    s.line(70, 106, 530, 106)
    s.text(230, 117, "Valbotamab (N = 281)")
    s.text(400, 117, "Placebo (N = 277)")
    s.line(210, 120, 330, 120)
    s.line(380, 120, 500, 120)
    for x, t in zip(
        [72, 215, 280, 385, 450], ["Event", "Any grade", "Grade 3-4", "Any grade", "Grade 3-4"], strict=True
    ):
        s.text(x, 130, t)
    s.line(70, 134, 530, 134)
    y = 146.0
    for row in [["Anaemia", "97 (34.5)", "21 (7.5)", "88 (31.8)", "17 (6.1)"],
                ["Nausea", "64 (22.8)", "3 (1.1)", "59 (21.3)", "2 (0.7)"],
                ["Fatigue", "58 (20.6)", "6 (2.1)", "51 (18.4)", "4 (1.4)"]]:  # fmt: skip
        for x, t in zip([72, 215, 280, 385, 450], row, strict=True):
            s.text(x, y, t)
        y += 11
    s.line(70, y, 530, y)
    s.paragraph(y + 30, 4)
    s.c.save()
    return s.path


@pytest.mark.parametrize(
    ("caption", "population"),
    [
        ("Table 4. Adverse events (Safety Population).", True),
        ("Table 4. Adverse events in all patients.", False),
    ],
)
def test_arm_headers_over_two_columns_give_one_n_per_arm(tmp_path, builder, caption, population):
    _, _, outcomes = read(builder, adverse_pdf(tmp_path / "ae.pdf", caption))
    got = sorted((o.arm, o.value, bool(o.subgroup)) for o in outcomes if o.metric == "N")
    assert got == [("", 281.0, population), ("control", 277.0, population)]


def test_a_mark_on_the_rows_count_makes_the_whole_row_that_analysis_sets(tmp_path, builder):
    notes = ["a Full dose after step-up dosing. b Primary efficacy analysis set."]
    row = ["First-in-human study", "Torvanumab", "49b", "ORR 41%; CR 22%", "mDoR 9.7 mo"]
    _, _, outcomes = read(builder, noted_pdf(tmp_path / "rowmark.pdf", notes, row))
    got = {(o.product, o.metric, o.value, o.subgroup) for o in outcomes if o.product == "torvanumab"}
    assert ("torvanumab", "ORR", 41.0, "Primary efficacy analysis set") in got
    assert ("torvanumab", "DOR_MEDIAN", 9.7, "Primary efficacy analysis set") in got
    assert ("torvanumab", "N", 49.0, "Primary efficacy analysis set") in got
    assert not any(o.subgroup for o in outcomes if o.trial == "KESTREL-4")
