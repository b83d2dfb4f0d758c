"""Cell parsing from its contract, branch by branch: the value grammar of one cell (read_cell), a cell
read as a run of metric-value segments (parse_cell), and what a header label makes of a cell
(tablecells). Invented values; the expected readings are written out by hand."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.ner.values import mass_doses, parse_number, read_cell
from pipeline.records.cells import parse_cell
from pipeline.records.grid import Slot
from pipeline.records.tablecells import (
    Meaning,
    cell_readings,
    count_readings,
    dose_readings,
    grade3_events,
    label_meaning,
)
from tests.records_helpers import AnnotatedBuilder


@pytest.fixture(scope="module")
def builder(rules):
    return AnnotatedBuilder(rules)


def readings(builder, text, groups=None, arms=None):
    ms = builder.cell_mentions(text)
    return [
        (r.metric, r.value, r.unit, r.qualifier, r.arm, r.subgroup, r.timepoint)
        for r in parse_cell(text, ms, builder.cues, groups or {}, arms)
    ]


def shape(cv):
    return None if cv is None else (cv.kind, cv.values, cv.unit, cv.qualifier)


# --- read_cell: one branch per form ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", None),
        ("   ", None),
        ("—", None),
        ("--", None),
        ("NA", None),
        ("n/a", None),
        ("not evaluable", None),
        ("pending", None),
        ("NR", ("nr", [None], "", "NR")),
        ("Not yet reached", ("nr", [None], "", "NR")),
        ("not reached (14.2–NE)", ("nr", [None], "", "NR")),
        ("23/71 (32.4%)", ("percent", [32.4], "%", "")),
        ("23/71 (32.4)", ("percent", [32.4], "%", "")),
        ("23 / 71", ("count", [23.0], "patients", "")),
        ("64.3", ("one", [64.3], "", "")),
        ("64.3%", ("one", [64.3], "%", "")),
        ("11.9 months", ("one", [11.9], "months", "")),
        ("11.9 mo", ("one", [11.9], "months", "")),
        ("11.9m", ("one", [11.9], "months", "")),
        ("≥ 7.2", ("one", [7.2], "", ">=")),
        ("≤7.2", ("one", [7.2], "", "<=")),
        ("~40", ("one", [40.0], "", "~")),
        ("1,250", ("one", [1250.0], "", "")),
        ("58·6", ("one", [58.6], "", "")),
        ("27ᵇ", ("one", [27.0], "", "")),
        ("19.8 [15.1–24.0]", ("one", [19.8], "", "")),
        ("3–27", ("range", [3.0, 27.0], "", "")),
        ("12 to 48%", ("range", [12.0, 48.0], "%", "")),
        ("2/6/20/60", ("list", [2.0, 6.0, 20.0, 60.0], "", "")),
        ("118 vs 59", ("pair", [118.0, 59.0], "", "")),
        ("118 versus 59", ("pair", [118.0, 59.0], "", "")),
        ("ORR 52%", None),
    ],
)
def test_read_cell_forms(text, expected):
    assert shape(read_cell(text)) == expected


def test_read_cell_keeps_count_and_denominator():
    cv = read_cell("23/71 (32.4%)")
    assert (cv.count, cv.denominator) == (23, 71)
    cv = read_cell("23/71")
    assert (cv.count, cv.denominator) == (23, 71)


def _printed(x: float, decimals: int, thousands: bool) -> str:
    text = f"{x:,.{decimals}f}" if thousands else f"{x:.{decimals}f}"
    return text


@settings(max_examples=150, deadline=None)
@given(
    whole=st.integers(0, 99999), frac=st.integers(0, 99), decimals=st.integers(0, 2), thousands=st.booleans()
)
def test_number_format_parse_round_trip(whole, frac, decimals, thousands):
    x = whole + (frac / 100 if decimals else 0)
    text = _printed(x, decimals, thousands)
    assert parse_number(text) == pytest.approx(float(text.replace(",", "")))
    cv = read_cell(text + "%")
    assert cv.kind == "one" and cv.unit == "%" and cv.values == [pytest.approx(float(text.replace(",", "")))]


@settings(max_examples=150, deadline=None)
@given(n=st.integers(1, 999), k=st.integers(0, 999), tenths=st.integers(0, 1000))
def test_k_of_n_cell_round_trip(n, k, tenths):
    pct = f"{tenths / 10:.1f}"
    cv = read_cell(f"{k}/{n} ({pct}%)")
    assert (cv.kind, cv.count, cv.denominator, cv.values, cv.unit) == ("percent", k, n, [float(pct)], "%")
    cv = read_cell(f"{k}/{n}")
    assert (cv.kind, cv.count, cv.denominator, cv.values) == ("count", k, n, [float(k)])


@settings(max_examples=100, deadline=None)
@given(a=st.integers(0, 500), b=st.integers(0, 500), qual=st.sampled_from(["", "≥", "≤", "<", ">", "~"]))
def test_range_pair_and_qualified_round_trips(a, b, qual):
    assert shape(read_cell(f"{a}–{b}")) == ("range", [float(a), float(b)], "", "")
    assert shape(read_cell(f"{a} vs {b}")) == ("pair", [float(a), float(b)], "", "")
    want = {"": "", "≥": ">=", "≤": "<=", "<": "<", ">": ">", "~": "~"}[qual]
    assert shape(read_cell(f"{qual}{a}")) == ("one", [float(a)], "", want)


def test_mass_doses_units_and_ranges():
    assert mass_doses("48 mcg/d (6 µg/day in week 1)") == [(48.0, "µg/day", ""), (6.0, "µg/day", "")]
    assert mass_doses("2–9 mg/kg") == [(2.0, "mg/kg", ">="), (9.0, "mg/kg", "<=")]
    assert mass_doses("0.3 mg / m2") == [(0.3, "mg/m2", "")]
    assert mass_doses("45 patients") == []


# --- parse_cell: the segments of a cell -------------------------------------------------------------
def test_segments_in_order(builder):
    assert readings(builder, "ORR: 67.1%\nmPFS: 10.3m\nmOS: not reached") == [
        ("ORR", 67.1, "%", "", "", "", None),
        ("PFS_MEDIAN", 10.3, "months", "", "", "", None),
        ("OS_MEDIAN", None, "months", "NR", "", "", None),
    ]


@pytest.mark.parametrize(
    "text",
    ["ORR: 71%, CR", "ORR: 64%, CR:", "ORR 58.0%, VGPR", "PFS: 12.1m, OS", "ORR: 71%, CR, PR", "ORR: 71, CR"],
)
def test_trailing_metric_without_value_after_one_value(builder, text):
    """A metric printed after a segment with a single value takes nothing (and never crashes):
    only a segment of two or more values lends its last one ("ORR: 85.2, with 70.4% CR")."""
    got = readings(builder, text)
    assert len(got) == 1 and got[0][0] in ("ORR", "PFS_MEDIAN") and got[0][1] in (71.0, 64.0, 58.0, 12.1)


def test_metric_after_two_values_takes_the_last(builder):
    assert readings(builder, "ORR: 77.4, with 52.6% CR") == [
        ("ORR", 77.4, "%", "", "", "", None),
        ("CR", 52.6, "%", "", "", "", None),
    ]


def test_timepoint_header_holds_for_rates_until_the_next(builder):
    got = readings(builder, "At 18 months PFS: 51.5% OS: 66.0% mPFS: 21.4m")
    assert got == [
        ("PFS_RATE", 51.5, "%", "", "", "", 18.0),
        ("OS_RATE", 66.0, "%", "", "", "", 18.0),
        ("PFS_MEDIAN", 21.4, "months", "", "", "", None),
    ]


def test_timepoint_right_after_a_metric_and_right_before_it(builder):
    assert readings(builder, "OS (9m): 81%") == [("OS_RATE", 81.0, "%", "", "", "", 9.0)]
    assert readings(builder, "15-month PFS 44%") == [("PFS_RATE", 44.0, "%", "", "", "", 15.0)]


def test_a_bracketed_timepoint_two_characters_after_its_metric_is_the_metrics(builder):
    """ "PFS (7-mo): 58%": the timepoint token starts two characters after the metric ends."""
    assert readings(builder, "PFS (7-mo): 58%") == [("PFS_RATE", 58.0, "%", "", "", "", 7.0)]
    assert readings(builder, "PFS (7-mo)") == []  # a metric and its timepoint, no value: nothing read


def test_versus_sides(builder):
    assert readings(builder, "Velocel vs Control PFS: 13.5 vs 5.2m") == [
        ("PFS_MEDIAN", 13.5, "months", "", "", "", None),
        ("PFS_MEDIAN", 5.2, "months", "", "control", "", None),
    ]
    assert readings(builder, "Control vs Velocel PFS: 5.2 vs 13.5m") == [
        ("PFS_MEDIAN", 5.2, "months", "", "control", "", None),
        ("PFS_MEDIAN", 13.5, "months", "", "", "", None),
    ]


def test_label_before_a_value_names_a_subgroup_or_an_arm(builder):
    got = readings(builder, "PFS: HR (61%) SR (79%)", groups={"hr": "high-risk"})
    assert [(g[1], g[5]) for g in got] == [(61.0, "high-risk"), (79.0, "standard-risk")]
    got = readings(builder, "ORR(QT): 58.5%", arms={"qt": "quad therapy"})
    assert [(g[0], g[1], g[4]) for g in got] == [("ORR", 58.5, "quad therapy")]


def test_mean_is_not_the_median_code(builder):
    assert readings(builder, "mean follow-up 6.9 months") == []


# --- tablecells: what a label makes of a cell -------------------------------------------------------
def test_label_meanings(builder):
    cues = builder.cues
    m = label_meaning("Median PFS, mo (95% CI)", cues)
    assert (m.role, m.metrics, m.unit) == ("metric", ["PFS_MEDIAN"], "months")
    m = label_meaning("18-mo OS (%)", cues)
    assert (m.role, m.metrics, m.unit, m.timepoint) == ("metric", ["OS_RATE"], "%", 18.0)
    m = label_meaning("Patients, n", cues)
    assert (m.role, m.metrics) == ("patients", [])
    m = label_meaning("Grade ≥3 events", cues)
    assert (m.role, m.grade3) == ("adverse", True)
    m = label_meaning("Dose (mg)", cues)
    assert (m.role, m.unit) == ("dose", "mg")
    m = label_meaning("Grade ≥3 CRS / ICANS", cues)
    assert m.grade3 and m.metrics == ["CRS_G3", "NT_G3"]
    assert label_meaning("", cues) == Meaning()


def slot(builder, text):
    return Slot(text, builder.cell_mentions(text))


def test_slash_cell_under_two_metrics(builder):
    label = label_meaning("Grade ≥3 CRS / ICANS", builder.cues)
    got = cell_readings(slot(builder, "6% / 2%"), label, Meaning(), builder.cues)
    assert [(r.metric, r.value, r.unit) for r in got] == [("CRS_G3", 6.0, "%"), ("NT_G3", 2.0, "%")]


def test_value_cell_takes_the_column_metric_and_unit(builder):
    col = label_meaning("ORR, %", builder.cues)
    got = cell_readings(slot(builder, "44.8"), col, Meaning(), builder.cues)
    assert [(r.metric, r.value, r.unit) for r in got] == [("ORR", 44.8, "%")]
    got = cell_readings(slot(builder, "19/42 (45.2%)"), col, Meaning(), builder.cues)
    assert [(r.metric, r.value, r.unit) for r in got] == [("ORR", 45.2, "%")]
    assert cell_readings(slot(builder, "3–27"), col, Meaning(), builder.cues) == []
    assert cell_readings(slot(builder, "44.8"), Meaning(), Meaning(), builder.cues) == []


def test_dose_cells(builder):
    label = Meaning("dose", unit="mg")
    got = dose_readings(slot(builder, "40–160"), label)
    assert [(r.value, r.unit, r.qualifier) for r in got] == [(40.0, "mg", ">="), (160.0, "mg", "<=")]
    got = dose_readings(slot(builder, "5/15/45"), label)
    assert [r.value for r in got] == [5.0, 15.0, 45.0]
    got = dose_readings(slot(builder, "800 µg/kg"), Meaning("dose"))
    assert [(r.value, r.unit) for r in got] == [(800.0, "µg/kg")]
    assert dose_readings(slot(builder, "40"), Meaning("dose")) == []  # no unit anywhere
    assert dose_readings(slot(builder, "NR"), label) == []


def test_count_cells(builder):
    assert count_readings(Slot("118 vs 59", [])) == [(118, ""), (59, "control")]
    assert count_readings(Slot("64", [])) == [(64, "")]
    assert count_readings(Slot("23/71", [])) == [(23, "")]
    assert count_readings(Slot("64%", [])) == []
    assert count_readings(Slot("6.5", [])) == []
    assert count_readings(Slot("0", [])) == []


def test_slash_cell_of_two_medians_in_months(builder):
    label = label_meaning("Median PFS / OS (months)", builder.cues)
    assert label.metrics == ["PFS_MEDIAN", "OS_MEDIAN"]
    got = cell_readings(slot(builder, "8.1 / 14.2"), label, Meaning(), builder.cues)
    assert [(r.metric, r.value, r.unit) for r in got] == [
        ("PFS_MEDIAN", 8.1, "months"),
        ("OS_MEDIAN", 14.2, "months"),
    ]


def test_slash_cell_part_that_cannot_be_its_metric_is_left_out(builder):
    label = label_meaning("Median PFS / OS (months)", builder.cues)
    got = cell_readings(slot(builder, "9.3 / 40%"), label, Meaning(), builder.cues)
    assert [(r.metric, r.value) for r in got] == [("PFS_MEDIAN", 9.3)]  # a percentage is no median


def test_subgroup_label_in_a_cell_naming_its_metric(builder):
    col = label_meaning("Outcomes", builder.cues)
    got = cell_readings(slot(builder, "PFS: HR (61%) SR (79%)"), col, Meaning(), builder.cues)
    assert ("PFS_RATE", 79.0, "standard-risk") in [(r.metric, r.value, r.subgroup) for r in got]


def test_mass_doses_read_greek_mu_as_the_micro_sign():
    assert mass_doses("12 μg/kg") == mass_doses("12 µg/kg") == mass_doses("12 mcg/kg")
    ((value, unit, _),) = mass_doses("12 μg/kg")
    assert (value, unit) == (12.0, "µg/kg")


def test_dose_list_readings_keep_the_cells_text(builder):
    got = dose_readings(slot(builder, "5 / 15 / 45"), Meaning("dose", unit="mg"))
    assert [(r.value, r.snippet) for r in got] == [
        (5.0, "5 / 15 / 45"),
        (15.0, "5 / 15 / 45"),
        (45.0, "5 / 15 / 45"),
    ]


def test_a_metric_after_a_versus_pair_takes_none_of_its_values(builder):
    got = readings(builder, "ORR: 52% vs 31%, CR")
    assert [(g[0], g[1]) for g in got] == [("ORR", 52.0), ("ORR", 31.0)]


def test_a_value_in_parentheses_is_not_taken_by_the_next_metric(builder):
    got = readings(builder, "ORR 61% 58% (55%) CR")
    assert "CR" not in [g[0] for g in got] and [g[1] for g in got] == [61.0, 58.0, 55.0]


def test_grade3_events_in_order_with_the_cells_text(builder):
    got = grade3_events("CRS  9%  NT 17%", builder.cues, [])
    assert [(r.metric, r.value, r.unit, r.snippet) for r in got] == [
        ("CRS_G3", 9.0, "%", "CRS 9% NT 17%"),
        ("NT_G3", 17.0, "%", "CRS 9% NT 17%"),
    ]
    assert grade3_events("CRS 9% NT", builder.cues, []) == []  # names and values must pair up


def test_only_n_mentions_are_counts_of_a_cell():
    from pipeline.model import Mention

    value = Mention("VALUE", "64%", "64%", 0, 3, "table", attrs={"value": 64, "unit": "%"})
    assert count_readings(Slot("64%", [value])) == []
    n = Mention("N", "n = 64", "64", 0, 6, "table", attrs={"value": 64})
    assert count_readings(Slot("n = 64", [n])) == [(64, "")]


def test_each_reading_keeps_its_segment_as_snippet(builder):
    ms = builder.cell_mentions("ORR: 70.2%; mOS: not reached")
    got = parse_cell("ORR: 70.2%; mOS: not reached", ms, builder.cues, {})
    assert [r.snippet for r in got] == ["ORR: 70.2%", "mOS: not reached"]


def test_a_label_ending_in_n_is_a_patients_column(builder):
    assert label_meaning("Evaluable, n", builder.cues).role == "patients"
    assert label_meaning("Responders, N", builder.cues).role == "patients"


@pytest.mark.parametrize("label", ["Centres, no.", "Gribble sites, no.", "Total no."])
def test_a_label_ending_in_no_is_a_count_column_without_a_column_word(builder, label):
    """'…, no.' holds none of the column words (rules/records.yml `columns`, where "n" is one):
    the trailing count abbreviation alone makes it a count (patients) column."""
    cues = builder.cues
    assert label_meaning(label, cues).role == "patients"
    # the same label without the trailing "no." names no role: the abbreviation is what decides
    assert label_meaning(label.removesuffix("no.").rstrip(", "), cues).role == ""


def test_events_under_a_safety_column_are_read_as_their_grade_3_metrics(builder):
    """A column whose role is adverse events ("Safety", "Toxicity") reads event names and their
    rates in order, as the grade >=3 events the schema records; under a column of no role the same
    cell reads nothing."""
    text = "CRS 9% NT 17%"
    for label in ("Safety", "Toxicity"):
        col = label_meaning(label, builder.cues)
        assert col.role == "adverse" and not col.grade3
        got = cell_readings(slot(builder, text), col, Meaning(), builder.cues)
        assert [(r.metric, r.value) for r in got] == [("CRS_G3", 9.0), ("NT_G3", 17.0)]
    assert cell_readings(slot(builder, text), Meaning(), Meaning(), builder.cues) == []
