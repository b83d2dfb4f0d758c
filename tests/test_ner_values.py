"""Numbers for the records stage: VALUE, N, DOSE, TIMEPOINT on the strings reviews print."""

from __future__ import annotations

import pytest

from pipeline.ner import Annotator, parse_number, parse_scientific


@pytest.fixture(scope="module")
def ann(rules):
    return Annotator(rules)


def found(ann, text, label):
    return [(text[h.start : h.end], h.canonical, h.attrs) for h in ann.find(text) if h.label == label]


def values(ann, text):
    return [
        (h.attrs["value"], h.attrs["unit"], h.attrs["qualifier"])
        for h in ann.find(text)
        if h.label == "VALUE"
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ORR: 75.8%", [(75.8, "%", "")]),
        ("mPFS: 8.8m", [(8.8, "months", "")]),
        ("mOS: not reached", [(None, "", "NR")]),
        ("mOS: NR", [(None, "", "NR")]),
        ("At 36 months PFS: 47.5% OS: 62.9%", [(47.5, "%", ""), (62.9, "%", "")]),
        ("Ide-Cel vs Control PFS: 13.3 vs 4.4m", [(13.3, "months", ""), (4.4, "months", "")]),
        ("At 6 months: PFS: HR (64%) SR (81%)", [(64.0, "%", ""), (81.0, "%", "")]),
        ("≥grade 3 CRS 6.5%", [(6.5, "%", "")]),
        ("ORR: 87.1, with 77.4% CR", [(87.1, "", ""), (77.4, "%", "")]),
        ("OS (12m): 73%", [(73.0, "%", "")]),
        (
            "the mPFS and mOS were 8.8 and 34.2 months, respectively",
            [(8.8, "months", ""), (34.2, "months", "")],
        ),
        ("an ORR of 83% (46% of CR)", [(83.0, "%", ""), (46.0, "%", "")]),
        ("ORR: 71 vs 42%", [(71.0, "%", ""), (42.0, "%", "")]),
        ("mPFS: HR(10.9m) SR(19.5m)", [(10.9, "months", ""), (19.5, "months", "")]),
        ("a median follow-up of 2 years", [(24.0, "months", "")]),
        ("HR 0.49 (95% CI, 0.38-0.65); ORR 52%", [(52.0, "%", "")]),
        ("response in >90% of patients", [(90.0, "%", ">")]),
    ],
)
def test_values(ann, text, expected):
    assert values(ann, text) == expected


def test_inherited_unit_is_marked(ann):
    hits = [h for h in ann.find("PFS: 13.3 vs 4.4m") if h.label == "VALUE"]
    assert [h.attrs.get("inherited_unit", False) for h in hits] == [True, False]


@pytest.mark.parametrize(
    ("text", "n", "span"),
    [
        ("n=62", 62, "n=62"),
        ("n= 159", 159, "n= 159"),
        ("The phase I CRB-401 study involved 62 R/R MM patients", 62, "involved 62"),
        ("in 43 patients with relapsed/refractory MM", 43, "43 patients"),
        ("The KarMMA-1 study enrolled a total of 140 refractory MM patients", 140, "enrolled a total of 140"),
        ("37 patients were enrolled in the cohort 2a", 37, "37 patients"),
        ("Seventy-eight patients who were enrolled", 78, "Seventy-eight patients"),
    ],
)
def test_n(ann, text, n, span):
    assert [(s, a["value"]) for s, _, a in found(ann, text, "N")] == [(span, n)]


def test_k_of_n_patients(ann):
    text = "11 of 62 patients displayed ongoing responses"
    assert [(s, a["value"], a["unit"], a["denominator"]) for s, _, a in found(ann, text, "VALUE")] == [
        ("11", 11.0, "patients", 62)
    ]
    assert [a["value"] for _, _, a in found(ann, text, "N")] == [62]


def test_percent_is_not_n(ann):
    for text in (
        "61% of patients displayed progressive disease",
        "relapsing 9 months after therapy in patients",
    ):
        assert found(ann, text, "N") == []
        assert len(found(ann, text, "VALUE")) == 1  # read, as a value


@pytest.mark.parametrize(
    ("text", "values_", "unit", "qualifier"),
    [
        ("followed by 50, 150, 450 or 800x10^6 BCMA-CAR-T cells", [5e7, 1.5e8, 4.5e8, 8e8], "cells", ""),
        ("followed by 50, 150, 450\nor 800x106 BCMA-CAR-T cells", [5e7, 1.5e8, 4.5e8, 8e8], "cells", ""),
        ("Ide-Cel (150-450x106  CAR-T cells)", [1.5e8, 4.5e8], "cells", "range"),
        ("(recommended dose 0.75x106 CAR-T cells/Kg)", [7.5e5], "cells/kg", ""),
        ("GC012F (1, 2, or 3x105 CAR-T cells/kg)", [1e5, 2e5, 3e5], "cells/kg", ""),
        ("3 at 1x10⁶/kg", [1e6], "cells/kg", ""),
        ("a dose of 4.5 × 10^8 cells", [4.5e8], "cells", ""),
    ],
)
def test_dose(ann, text, values_, unit, qualifier):
    doses = found(ann, text, "DOSE")
    assert len(doses) == 1
    attrs = doses[0][2]
    assert attrs["values"] == pytest.approx(values_)
    assert (attrs["unit"], attrs["qualifier"]) == (unit, qualifier)


def test_dose_numbers_are_not_values(ann):
    assert values(ann, "followed by 50, 150, 450 or 800x10^6 cells") == []
    assert len(found(ann, "followed by 50, 150, 450 or 800x10^6 cells", "DOSE")) == 1


@pytest.mark.parametrize(
    ("text", "span", "months"),
    [
        ("At 12 months: MRD-neg: 35%", "At 12 months", 12.0),
        ("a 12-month MRD negativity in 70% of patients", "12-month", 12.0),
        ("the 6-month PFS for the HR-MM group was 64%", "6-month", 6.0),
        ("OS (12m): 73%", "(12m)", 12.0),
        ("PFS at six months was 90%", "at six months", 6.0),
        ("the 5-year PFS and OS rates were 21% and 49%", "5-year", 60.0),
        ("At 24-months PFS: 75%", "At 24-months", 24.0),
    ],
)
def test_timepoint(ann, text, span, months):
    assert [(s, a["months"]) for s, _, a in found(ann, text, "TIMEPOINT")] == [(span, months)]


def test_timepoint_months_are_not_values(ann):
    assert values(ann, "PFS at 12 months was 75.9%") == [(75.9, "%", "")]


def test_median_follow_up_is_a_value_not_a_timepoint(ann):
    text = "At a median follow-up of 18.6 months, mPFS 13.3 vs 4.4 months"
    assert found(ann, text, "TIMEPOINT") == []
    assert values(ann, text) == [(18.6, "months", ""), (13.3, "months", ""), (4.4, "months", "")]


def test_parse_helpers():
    assert parse_number("75.8") == 75.8
    assert parse_number("2,883") == 2883.0
    assert parse_number("75·8") == 75.8
    assert parse_number("abc") is None
    assert parse_scientific("450x10^6") == 450e6
    assert parse_scientific("3x105") == 3e5
    assert parse_scientific("450") is None
