"""Arms of randomised comparisons in sentences: which value is the comparator's, each arm's n, the
total randomised, subgroup splits by arm. Invented trials, products and numbers throughout."""

from __future__ import annotations

import pytest

from tests.records_helpers import AnnotatedBuilder
from tests.test_records_text import records


@pytest.fixture(scope="module")
def builder(rules):
    return AnnotatedBuilder(rules)


def rows(got):
    """(metric, value, arm, has subgroup, timepoint) of every outcome."""
    return {(m, v, arm, bool(sg), tp) for _, m, v, arm, sg, tp, _ in got}


def test_values_with_each_arm_named_after_them(builder):
    text = (
        "In KESTREL-4, median PFS was 11.3 months with valbotamab and 5.7 months with docetaxel "
        "(hazard ratio 0.61 (95% CI 0.48–0.77)), and the ORR was 48.2% in the valbotamab group and "
        "in 21.9% of those in the docetaxel group."
    )
    _, _, got = records(builder, ("paragraph", text))
    assert rows(got) == {
        ("PFS_MEDIAN", 11.3, "", False, None),
        ("PFS_MEDIAN", 5.7, "control", False, None),
        ("ORR", 48.2, "", False, None),
        ("ORR", 21.9, "control", False, None),
    }


def test_respectively_and_versus_pairs_are_arms(builder):
    text = (
        "In the ORIOLE-7 trial, the median OS was 19.4 and 14.2 months, respectively; the 12-month PFS "
        "rate was 44.1% versus 23.8%, and complete responses occurred in 7.7% and 2.2% of the patients."
    )
    _, _, got = records(builder, ("paragraph", text))
    assert rows(got) == {
        ("OS_MEDIAN", 19.4, "", False, None),
        ("OS_MEDIAN", 14.2, "control", False, None),
        ("PFS_RATE", 44.1, "", False, 12.0),
        ("PFS_RATE", 23.8, "control", False, 12.0),
        ("CR", 7.7, "", False, None),
        ("CR", 2.2, "control", False, None),
    }


def test_comparator_named_first_is_still_the_control(builder):
    text = "In PETREL-2, the ORR was 18.4% with placebo and 39.6% with valbotamab."
    _, _, got = records(builder, ("paragraph", text))
    assert rows(got) == {("ORR", 18.4, "control", False, None), ("ORR", 39.6, "", False, None)}


def test_three_values_of_one_metric_are_no_arms(builder):
    text = "In PETREL-3, the ORR was 61.2%, 44.8% and 30.5% in the three dose groups."
    _, _, got = records(builder, ("paragraph", text))
    got = rows(got)
    assert (("ORR", 61.2, "", False, None)) in got and all(arm == "" for _, _, arm, _, _ in got)


def test_arm_counts_and_total_randomised(builder):
    _, _, got = records(
        builder,
        (
            "paragraph",
            "In HARRIER-1, a total of 734 patients were randomised to valbotamab (n = 368) or "
            "docetaxel alone (n = 366).",
        ),
        (
            "paragraph",
            "In HARRIER-2, of 455 patients screened, 311 were randomised to valbotamab and 157 to placebo.",
        ),
        (
            "paragraph",
            "In HARRIER-3, 902 were randomly assigned, 452 to the valbotamab group and 450 to the docetaxel group.",
        ),
    )
    assert rows(got) == {
        ("N", 734.0, "", True, None),
        ("N", 368.0, "", False, None),
        ("N", 366.0, "control", False, None),
        ("N", 311.0, "", False, None),
        ("N", 157.0, "control", False, None),
        ("N", 902.0, "", True, None),
        ("N", 452.0, "", False, None),
        ("N", 450.0, "control", False, None),
    }


def test_subgroup_split_by_arm_makes_a_subgroup_of_the_sentence(builder):
    text = (
        "In HARRIER-4, the benefit extended to the 187 patients with liver metastases (126 valbotamab, "
        "61 placebo), in whom median PFS was 8.3 versus 4.6 months."
    )
    _, _, got = records(builder, ("paragraph", text))
    assert rows(got) == {
        ("N", 187.0, "", True, None),
        ("N", 126.0, "", True, None),
        ("N", 61.0, "control", True, None),
        ("PFS_MEDIAN", 8.3, "", True, None),
        ("PFS_MEDIAN", 4.6, "control", True, None),
    }
    labels = {sg for _, m, _, _, sg, _, _ in got if m == "PFS_MEDIAN"}
    assert labels == {"liver metastases"}
