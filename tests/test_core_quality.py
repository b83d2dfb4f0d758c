"""The logic check from its contract, one relation kind at a time, with rounding boundaries: a value
is "above" another only beyond what rounding both printed values can explain (half a unit of the
last printed decimal of each)."""

from __future__ import annotations

import pytest

from pipeline.model import Outcome
from pipeline.quality.logic import LogicCheck, parse_rules


def o(metric, value, source="table", study="s", unit="%", **kw) -> Outcome:
    return Outcome("d", study, metric, value, unit, source, **kw)


def check(sev, *rules) -> LogicCheck:
    return LogicCheck({"rules": list(rules)}, sev)


PAIR = {"rule": "cr_above_orr", "lower": "CR", "upper": "ORR"}


@pytest.mark.parametrize(
    ("cr", "orr", "flagged"),
    [
        (46, 45.6, False),  # 46 may be 45.5: within rounding
        (46.2, 45.6, True),  # 46.2 - 45.6 = 0.6 > 0.05 + 0.05
        (46.7, 46, True),  # beyond 46.5 + 0.05
        (46.5, 46, False),  # 46.5 + 0.05 = 46.55 and 46 + 0.5 = 46.5: 46.5 is not above
        (47, 46, False),  # both may be 46.5
        (48, 46, True),
        (45, 46, False),
    ],
)
def test_pair_beyond_rounding(sev, cr, orr, flagged):
    fs = check(sev, PAIR).run("d", [o("CR", cr), o("ORR", orr)])
    assert bool(fs) is flagged
    if flagged:
        (f,) = fs
        assert (f.check, f.metric, f.severity) == ("logic", "CR", "error") and "cr_above_orr" not in f.message


def test_pair_only_within_one_study_arm_subgroup_and_source(sev):
    c = check(sev, PAIR)
    assert c.run("d", [o("CR", 60), o("ORR", 50, study="t")]) == []
    assert c.run("d", [o("CR", 60), o("ORR", 50, source="text")]) == []
    assert c.run("d", [o("CR", 60, arm="control"), o("ORR", 50)]) == []
    assert c.run("d", [o("CR", 60, subgroup="high-risk"), o("ORR", 50)]) == []
    assert len(c.run("d", [o("CR", 60, arm="control"), o("ORR", 50, arm="control")])) == 1


def test_pair_skips_a_metric_stated_twice_with_different_values(sev):
    assert check(sev, PAIR).run("d", [o("CR", 60), o("CR", 40), o("ORR", 50)]) == []
    assert len(check(sev, PAIR).run("d", [o("CR", 60), o("CR", 60), o("ORR", 50)])) == 1


def test_timed_pair_compares_the_same_landmark(sev):
    rule = {"rule": "pfs_os", "lower": "PFS_RATE", "upper": "OS_RATE", "timed": True}
    c = check(sev, rule)
    same = [o("PFS_RATE", 70, timepoint_months=12), o("OS_RATE", 60, timepoint_months=12)]
    other = [o("PFS_RATE", 70, timepoint_months=12), o("OS_RATE", 60, timepoint_months=24)]
    (f,) = c.run("d", same)
    assert "at 12 months" in f.message
    assert c.run("d", other) == []


def test_partition_exempts_a_category_printed_alone(sev):
    rule = {"rule": "scr_cr", "lower": "SCR", "upper": "CR",
            "unless_partition": {"categories": ["SCR", "CR", "VGPR", "PR"], "total": "ORR"}}  # fmt: skip
    c = check(sev, rule)
    parts = [o("SCR", 30), o("CR", 20), o("VGPR", 25), o("PR", 10)]
    assert c.run("d", [*parts, o("ORR", 85)]) == []  # 30+20+25+10 = 85: exclusive categories
    assert len(c.run("d", [*parts, o("ORR", 95)])) == 1  # no partition: sCR above CR
    assert len(c.run("d", parts)) == 1  # no total stated


CATS = {"rule": "cats", "kind": "categories", "categories": ["CR", "VGPR", "PR"], "total": "ORR"}


def test_categories_sum_against_the_total(sev):
    c = check(sev, CATS)
    assert c.run("d", [o("CR", 30), o("VGPR", 30), o("PR", 20), o("ORR", 80)]) == []
    assert c.run("d", [o("CR", 30), o("VGPR", 30), o("PR", 22), o("ORR", 80)]) == []  # 4 x 0.5 slack
    (f,) = c.run("d", [o("CR", 30), o("VGPR", 30), o("PR", 23), o("ORR", 80)])
    assert f.metric == "ORR" and "CR 30 + VGPR 30 + PR 23 = 83 > ORR 80" in f.message
    (f,) = c.run("d", [o("CR", 50), o("VGPR", 40), o("ORR", 80)])  # the first two alone exceed it
    assert f.metric == "VGPR"
    assert c.run("d", [o("CR", 90), o("ORR", 80)]) == []  # one category: a pair rule's business


def test_over_time_rates_never_rise(sev):
    c = check(sev, {"rule": "rise", "kind": "over_time", "metrics": ["PFS_RATE"]})
    falling = [o("PFS_RATE", 70, timepoint_months=6), o("PFS_RATE", 55, timepoint_months=12)]
    rising = [o("PFS_RATE", 55, timepoint_months=6), o("PFS_RATE", 70, timepoint_months=12)]
    assert c.run("d", falling) == []
    (f,) = c.run("d", rising)
    assert "70% at 12 months > 55% at 6 months" in f.message
    assert c.run("d", [o("OS_RATE", 55, timepoint_months=6), o("OS_RATE", 70, timepoint_months=12)]) == []


def test_median_beyond_its_follow_up(sev):
    c = check(sev, {"rule": "fu", "kind": "followup", "metrics": ["PFS_MEDIAN"], "factor": 1.5})
    fu = o("FOLLOWUP_MEDIAN", 10, unit="months")
    assert c.run("d", [fu, o("PFS_MEDIAN", 15, unit="months")]) == []  # 1.5 x 10
    (f,) = c.run("d", [fu, o("PFS_MEDIAN", 16, unit="months")])
    assert "1.5 x median follow-up 10 months" in f.message
    assert c.run("d", [o("PFS_MEDIAN", 99, unit="months")]) == []  # no follow-up stated


def test_subgroup_n_above_its_arm_n(sev):
    c = check(sev, {"rule": "nested", "kind": "nested_n", "same_source": True})
    n = o("N", 60, unit="patients")
    assert c.run("d", [n, o("N", 40, unit="patients", subgroup="high-risk")]) == []
    (f,) = c.run("d", [n, o("N", 70, unit="patients", subgroup="high-risk")])
    assert f.metric == "N" and "subgroup high-risk n 70 > its arm n 60" in f.message
    assert c.run("d", [n, o("N", 70, "text", unit="patients", subgroup="high-risk")]) == []


def test_violations_about_one_subject_merge(sev):
    c = check(sev, PAIR, {"rule": "cr_vgpr", "lower": "CR", "upper": "VGPR_PLUS"})
    (f,) = c.run("d", [o("CR", 60), o("ORR", 50), o("VGPR_PLUS", 55)])
    assert f.message.endswith(": CR 60 > ORR 50; CR 60 > VGPR_PLUS 55")


def test_rule_severity_overrides_the_check(sev):
    (f,) = check(sev, {**PAIR, "severity": "warning"}).run("d", [o("CR", 60), o("ORR", 50)])
    assert f.severity == "warning"


def test_rules_are_validated_when_loaded():
    with pytest.raises(ValueError, match="unknown kind"):
        parse_rules({"rules": [{"rule": "x", "kind": "sideways"}]})
    with pytest.raises(ValueError, match="'x': a pair needs lower and upper"):
        parse_rules({"rules": [{"rule": "x", "lower": "CR"}]})
    (r,) = parse_rules({"rules": {"named": {"lower": "CR", "upper": "ORR"}}})
    assert (r.name, r.kind) == ("named", "pair")
    (r,) = parse_rules({"rules": [{"lower": "CR", "upper": "ORR"}]})
    assert r.name == "CR_above_ORR"


def test_median_beyond_a_follow_up_factor_of_one_states_no_factor(sev):
    c = check(sev, {"rule": "fu", "kind": "followup", "metrics": ["OS_MEDIAN"]})
    fu = o("FOLLOWUP_MEDIAN", 10, unit="months")
    (f,) = c.run("d", [fu, o("OS_MEDIAN", 12, unit="months")])
    assert "OS_MEDIAN 12 months > median follow-up 10 months" in f.message and " x " not in f.message


@pytest.mark.parametrize(
    ("sub", "flagged"), [(90, False), (89, False), (88, True), (70, True), (51, True), (50, False)]
)
def test_a_subgroup_as_large_as_all_arms_together_is_the_whole_trial(sev, sub, flagged):
    """Arms of 50 and 40: a subgroup n of 90 (or one patient fewer) is the trial, not a subgroup."""
    c = check(sev, {"rule": "nested", "kind": "nested_n"})
    outs = [o("N", 50, arm="plover", unit="patients"), o("N", 40, arm="control", unit="patients"),
            o("N", sub, arm="plover", unit="patients", subgroup="high-risk")]  # fmt: skip
    fs = c.run("d", outs)
    assert bool(fs) is flagged
    if flagged:
        assert [e.label for e in fs[0].evidence] == ["table subgroup n", "table arm n"]


def test_timed_pair_without_a_landmark_names_none(sev):
    c = check(sev, {"rule": "pfs_os", "lower": "PFS_RATE", "upper": "OS_RATE", "timed": True})
    (f,) = c.run("d", [o("PFS_RATE", 70), o("OS_RATE", 60)])
    assert f.message.endswith(": PFS_RATE 70 > OS_RATE 60")


def test_without_same_source_a_subgroup_is_held_to_its_arm_from_either_source(sev):
    c = check(sev, {"rule": "nested", "kind": "nested_n"})
    n = o("N", 60, unit="patients")
    (f,) = c.run("d", [n, o("N", 70, "text", unit="patients", subgroup="high-risk")])
    assert "subgroup high-risk n 70 > its arm n 60" in f.message
    assert c.run("d", [n, o("N", 50, "text", unit="patients", subgroup="high-risk")]) == []
