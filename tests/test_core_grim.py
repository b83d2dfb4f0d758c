"""GRIM from its contract: a percentage printed with d decimals is attainable for n patients when some
whole k in 0..n gives it rounded half up (or, at worst, truncated). Expected verdicts come from exact
rational arithmetic here, never from the code under test."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.model import Document, Outcome
from pipeline.quality.grim import GrimCheck, attainable, ratio


def half_up(x: Fraction, d: int) -> Fraction:
    """x rounded half up to d decimals, exactly."""
    q = 10**d
    return Fraction(math.floor(x * q + Fraction(1, 2)), q)


def cut(x: Fraction, d: int) -> Fraction:
    q = 10**d
    return Fraction(math.floor(x * q), q)


def brute(pct: Fraction, d: int, n: int) -> str:
    shares = [Fraction(100 * k, n) for k in range(n + 1)]
    if any(half_up(s, d) == pct for s in shares):
        return "same"
    if any(cut(s, d) == pct for s in shares):
        return "truncated"
    return "different"


def printed(x: Fraction, d: int) -> float:
    return float(round(x, d)) if d else float(int(x))


# --- round half up, not Python's banker's round() -------------------------------------------------
@pytest.mark.parametrize(
    ("k", "n", "pct"),
    [(1, 8, 13.0), (3, 8, 38.0), (1, 40, 3.0), (5, 8, 63.0), (1, 16, 6.3), (1, 200, 1.0)],
)
def test_exact_halves_round_up(k, n, pct):
    # 1/8 = 12.5% prints as 13 (round() would give 12); 1/40 = 2.5% as 3 (round(): 2)
    assert Fraction(100 * k, n) * 10 ** len(str(pct).split(".")[1].rstrip("0")) % 1 == Fraction(1, 2)
    assert attainable(pct, n) == "same"
    assert ratio(k, n, pct) == "same"


@pytest.mark.parametrize(("k", "n", "pct"), [(1, 8, 12.0), (1, 40, 2.0), (5, 8, 62.0)])
def test_an_exact_half_printed_down_is_only_truncated(k, n, pct):
    assert ratio(k, n, pct) == "truncated"
    assert attainable(pct, n) == "truncated"


# --- boundaries of k and n -----------------------------------------------------------------------
def test_k_equal_to_n_is_one_hundred_percent():
    assert ratio(23, 23, 100.0) == "same"
    assert ratio(7, 7, 100.0) == "same"
    assert attainable(100.0, 23) == "same"


def test_k_above_n_is_never_attainable():
    assert ratio(24, 23, 104.3) == "different"
    assert ratio(8, 7, 114.3) == "different"
    assert attainable(104.3, 23) == "different"


def test_zero_patients_and_zero_percent():
    assert ratio(0, 19, 0.0) == "same"
    assert ratio(0, 0, 0.0) == "different"
    assert ratio(3, 0, 30.0) == "different"
    assert attainable(0.0, 19) == "same"


def test_unattainable_and_truncated_values():
    # 19 patients: 1/19 = 5.263..., 2/19 = 10.526...
    assert attainable(5.3, 19) == "same"
    assert attainable(5.2, 19) == "truncated"
    assert attainable(5.4, 19) == "different"
    assert attainable(10.5, 19) == "same"
    assert attainable(10.6, 19) == "different"  # 10.526 rounds and cuts to 10.5
    assert attainable(10.0, 19) == "truncated"  # 10.526 prints as 11; only cut off does it give 10
    assert attainable(12.0, 19) == "different"  # 10.5, 15.8: no k near 12


def test_large_n_uses_the_nearest_counts():
    # 1000 patients: every 0.1% is some k; 0.05% steps are not printed at 1 decimal
    assert attainable(41.7, 1000) == "same"
    assert attainable(41.75, 1000) == "different"
    assert attainable(41.75, 2000) == "same"


@settings(max_examples=300, deadline=None)
@given(n=st.integers(1, 240), k=st.integers(0, 240), d=st.integers(0, 2))
def test_attainable_matches_brute_force_for_printed_shares(n, k, d):
    k = min(k, n)
    pct = half_up(Fraction(100 * k, n), d)
    assert attainable(printed(pct, d), n) == "same"
    assert ratio(k, n, printed(pct, d)) == "same"


@settings(max_examples=300, deadline=None)
@given(n=st.integers(1, 150), whole=st.integers(0, 100), tenth=st.integers(0, 9), d=st.integers(0, 1))
def test_attainable_matches_brute_force_for_any_value(n, whole, tenth, d):
    pct = Fraction(whole * 10 + tenth, 10) if d else Fraction(whole)
    if d and tenth == 0:
        return  # "46.0" would be read back as printed with 0 decimals
    assert attainable(printed(pct, d), n) == brute(pct, d, n)


@settings(max_examples=200, deadline=None)
@given(n=st.integers(1, 150), k=st.integers(0, 300), whole=st.integers(0, 100), tenth=st.integers(1, 9))
def test_ratio_matches_brute_force(n, k, whole, tenth):
    pct = Fraction(whole * 10 + tenth, 10)
    if k > n:
        expected = "different"
    else:
        share = Fraction(100 * k, n)
        expected = (
            "same" if half_up(share, 1) == pct else "truncated" if cut(share, 1) == pct else "different"
        )
    assert ratio(k, n, float(pct)) == expected


# --- the check: its minimum n -----------------------------------------------------------------
@pytest.fixture(scope="module")
def grim(conf, sev):
    return GrimCheck({**conf["grim"], "min_n": 3}, sev)


def test_text_pairs_at_the_minimum_n_are_checked(grim):
    doc = Document("d", "d.pdf", text="A response in 1 of 3 patients (50%) was seen.")
    fs = grim.text(doc)
    assert len(fs) == 1 and fs[0].check == "grim" and "1 of 3" in fs[0].values


def test_text_pairs_below_the_minimum_n_are_not_checked(grim):
    doc = Document("d", "d.pdf", text="A response in 1 of 2 patients (40%) was seen.")
    assert grim.text(doc) == []


def test_outcomes_at_and_below_the_minimum_n(grim):
    at_min = [Outcome("d", "s", "ORR", 50.0, "%", "table", n=3)]
    below = [Outcome("d", "s", "ORR", 40.0, "%", "table", n=2)]
    assert [f.metric for f in grim.outcomes("d", [], at_min)] == ["ORR"]
    assert grim.outcomes("d", [], below) == []


def test_default_minimum_n_is_two(sev):
    check = GrimCheck({"metrics": ["ORR"]}, sev)
    assert check.min_n == 2
    one = [Outcome("d", "s", "ORR", 40.0, "%", "table", n=1)]
    two = [Outcome("d", "s", "ORR", 40.0, "%", "table", n=2)]
    assert check.outcomes("d", [], one) == []
    assert len(check.outcomes("d", [], two)) == 1


def test_attainable_outcome_gives_no_finding_and_truncated_is_info(grim):
    fine = [Outcome("d", "s", "ORR", 38.0, "%", "table", n=8)]  # 3/8 = 37.5 -> 38
    cut_only = [Outcome("d", "s", "ORR", 37.0, "%", "table", n=8)]
    assert grim.outcomes("d", [], fine) == []
    fs = grim.outcomes("d", [], cut_only)
    assert len(fs) == 1 and fs[0].severity == "info"


def test_a_metric_severity_overrides_the_check_severity(conf, sev):
    check = GrimCheck({**conf["grim"], "metrics": ["ORR", "CR"], "metric_severity": {"CR": "info"}}, sev)
    outs = [
        Outcome("d", "s", "ORR", 41.0, "%", "table", n=7),
        Outcome("d", "t", "CR", 41.0, "%", "table", n=7),
    ]
    by = {f.metric: f.severity for f in check.outcomes("d", [], outs)}  # no whole k/7 prints as 41%
    assert by == {"ORR": sev.get("grim"), "CR": "info"} and sev.get("grim") != "info"


def test_a_share_with_n_but_no_k_names_the_n_in_its_evidence(grim):
    doc = Document("d", "d.pdf", text="Responses were seen in 41% of the plover cohort (n = 7) overall.")
    (f,) = grim.text(doc)
    assert ("n", "7") in [(e.label, e.value) for e in f.evidence]
    assert "no whole k/7 gives 41%" in f.message


class _Cells:
    """Stub attribution: the trial of a cell is named in the cell's own text."""

    def of_cell(self, table_id, row, col, cell, start=0):
        from pipeline.quality.subjects import Subject

        return Subject("KESTREL-4" if "Kestrel" in cell else "", "valbotamab", f"{table_id} row {row}")


def test_table_cell_pairs_are_checked_with_their_cell_place_and_trial(grim):
    from pipeline.model import Box, Cell, Table

    cells = [Cell(1, 1, "Kestrel arm 2/3 (50%)", Box(4, 100.0, 200.0, 180.0, 210.0)), Cell(2, 1, "2/3 (67%)")]
    t = Table("Table 2", "Table 2. Plover responses.", 3, 2, cells, 1, [3, 4], [Box(4, 50, 150, 400, 300)])
    doc = Document("d", "d.pdf", text="")
    doc.tables = [t]
    fs = grim.cells(doc, _Cells())
    (f,) = fs  # 2/3 prints as 67%: only the first cell is wrong
    assert (f.trial, f.product) == ("KESTREL-4", "valbotamab")
    (ev, _k) = f.evidence
    assert (ev.source, ev.page, ev.bbox) == ("table", 4, str(cells[0].box))
    assert "Table 2 (p4)" in f.message and f.message.startswith("KESTREL-4: ")


def test_text_pair_evidence_is_text_and_a_truncated_share_takes_the_truncation_severity(grim, sev):
    doc = Document("d", "d.pdf", text="Responses in 2 of 3 patients (66%) of the plover arm.")
    (f,) = grim.text(doc)
    assert f.evidence[0].source == "text" and (f.evidence[1].label, f.evidence[1].value) == ("2/3", "66.7%")
    assert not f.message.startswith(":")
    assert f.severity == sev.get("grim", "truncation_severity") != sev.get("grim")


def test_an_outcome_finding_takes_the_checks_severity_and_cites_its_printed_value(conf):
    from pipeline.quality.findings import Severities

    check = GrimCheck(
        {**conf["grim"], "metrics": ["ORR"], "metric_severity": {}},
        Severities({"grim": {"severity": "warning"}}),
    )
    o = Outcome("d", "s", "ORR", 41.0, "%", "table", n=7, page=3, snippet="ORR 41%", bbox="1,2,3,4")
    (f,) = check.outcomes("d", [], [o])
    assert f.severity == "warning"
    assert (f.evidence[0].snippet, f.evidence[0].bbox, f.evidence[0].page) == ("ORR 41%", "1,2,3,4", 3)


def test_a_randomised_studys_overall_share_is_left_to_its_arms_by_default(sev):
    arm = Outcome("d", "s", "ORR", 40.0, "%", "table", n=5, arm="Drug A")  # arms: a randomised study
    overall = Outcome("d", "s", "ORR", 41.0, "%", "table", n=7)  # 41% of 7 patients is no count
    assert GrimCheck({"metrics": ["ORR"]}, sev).outcomes("d", [], [arm, overall]) == []
    told = GrimCheck({"metrics": ["ORR"], "skip_randomised": False}, sev)
    (f,) = told.outcomes("d", [], [arm, overall])
    assert (f.check, f.metric, f.study_id) == ("grim", "ORR", "s")
