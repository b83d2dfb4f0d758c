"""Populations a clause or sentence names, read into outcome subgroups (invented studies and numbers):
a clause opening on its population ("…; for patients treated at X, …"), subgroups set against each
other ("patients with X … than those without X (a vs b)"), the analysis population of a randomised
trial, zero rates ("None of the treated patients developed …") and a named trial given mid-paragraph
with its own count becoming the paragraph's topic."""

from __future__ import annotations

import pytest

from tests.records_helpers import AnnotatedBuilder
from tests.test_records_text import records


@pytest.fixture(scope="module")
def builder(rules):
    return AnnotatedBuilder(rules)


def _by_value(got) -> dict[float, tuple[str, str, str]]:
    """value -> (metric, arm, subgroup) of the sentence's rows (values are unique in each fixture)."""
    return {v: (m, arm, sg) for _, m, v, arm, sg, _, _ in got if m != "N"}


def test_a_clause_opening_on_its_population_scopes_the_values_after_it(builder):
    _, _, got = records(
        builder,
        (
            "paragraph",
            "Okafor et al. evaluated 41 patients treated with valbo-cel. For all treated patients, the ORR "
            "was 97%; for patients treated at the 20x10^6 cells, the ORR was 98%, and the CRR was 43%; 61% "
            "of these patients were MRD-negative.",
        ),
    )
    rows = _by_value(got)
    assert rows[97.0] == ("ORR", "", "")
    assert rows[98.0][0] == "ORR" and "20x10^6" in rows[98.0][2]
    assert rows[43.0][0] == "CR" and rows[43.0][2] == rows[98.0][2]
    assert rows[61.0] == ("MRD_NEG", "", rows[98.0][2])  # "these patients" go on with the subgroup


def test_with_and_without_clauses_are_two_subgroups_of_the_study(builder):
    _, _, got = records(
        builder,
        (
            "paragraph",
            "In the phase II KESTREL-4 trial, 173 patients were treated with valbotamab. For patients "
            "without prior gamma-secretase therapy, ORR was 88%, with 67% CR; for patients with prior "
            "gamma-secretase therapy, the ORR was 56%.",
        ),
    )
    rows = _by_value(got)
    assert rows[88.0][0] == "ORR" and rows[88.0][2].startswith("without")
    assert rows[67.0] == ("CR", "", rows[88.0][2])
    assert rows[56.0][0] == "ORR" and rows[56.0][2] and rows[56.0][2] != rows[88.0][2]
    assert all(arm == "" for _, arm, _ in rows.values())  # subgroups, not arms


def test_a_value_for_patients_without_a_trait_is_a_subgroup_not_an_arm(builder):
    _, _, got = records(
        builder,
        (
            "paragraph",
            "Okafor et al. treated 27 patients with valbo-cel; at 1 year, the PFS was 61% for all patients "
            "and 83% for patients without extramedullary disease.",
        ),
    )
    rows = _by_value(got)
    assert rows[61.0] == ("PFS_RATE", "", "")
    assert rows[83.0][:2] == ("PFS_RATE", "") and rows[83.0][2]


def test_subgroups_set_against_each_other_take_the_paired_values(builder):
    _, _, got = records(
        builder,
        (
            "paragraph",
            "Okafor et al. treated 27 patients with valbo-cel. The patients with extramedullary disease "
            "had shorter survival than those without extramedullary disease (PFS 8.4 months vs 23.1 "
            "months, respectively; OS 19.6 months vs 37.2 months).",
        ),
    )
    rows = _by_value(got)
    assert rows[8.4][:2] == ("PFS_MEDIAN", "") and rows[23.1][:2] == ("PFS_MEDIAN", "")
    assert rows[19.6][:2] == ("OS_MEDIAN", "") and rows[37.2][:2] == ("OS_MEDIAN", "")
    assert rows[8.4][2] == rows[19.6][2] != "" and rows[23.1][2] == rows[37.2][2] != ""
    assert rows[8.4][2] != rows[23.1][2]


def test_the_analysis_of_the_treated_patients_of_a_randomised_trial_is_a_subgroup(builder):
    _, _, got = records(
        builder,
        (
            "paragraph",
            "In the randomized KESTREL-4 trial, 173 patients were randomized to valbotamab or standard "
            "care. The ORR was 81% with valbotamab compared to 62% with standard care. The analysis of "
            "the valbotamab-treated patients of this trial showed an ORR of 96%, with 78% of complete "
            "responses.",
        ),
    )
    rows = _by_value(got)
    assert rows[81.0] == ("ORR", "", "") and rows[62.0] == ("ORR", "control", "")
    assert rows[96.0] == ("ORR", "", "as-treated")
    assert rows[78.0] == ("CR", "", "as-treated")


def test_none_of_the_treated_patients_developed_grade_3_events_is_zero(builder):
    _, _, got = records(
        builder,
        (
            "paragraph",
            "Okafor et al. treated 27 patients with valbo-cel; 6% had grade 3 neurologic events. A second "
            "study by Okafor et al. treated 33 patients with valbo-cel. None of the treated patients "
            "developed grade 3 or more CRS or neurotoxicity events.",
        ),
    )
    rows = {(sid, m, v) for sid, m, v, *_ in got}
    assert ("valbo-cel/okafor-27", "NT_G3", 6.0) in rows
    assert {("valbo-cel/okafor-33", "CRS_G3", 0.0), ("valbo-cel/okafor-33", "NT_G3", 0.0)} <= rows


def test_a_trial_named_mid_paragraph_with_its_own_count_becomes_the_topic(builder):
    _, _, got = records(
        builder,
        (
            "paragraph",
            "Okafor et al. explored valbo-cel in 27 patients, reporting a 93% ORR. Using these cells, a "
            "phase II trial (KESTREL-4) was carried out, enrolling a total of 173 patients; the ORR was "
            "84%. For patients without prior gamma-secretase therapy, ORR was 88%. 71% of treated "
            "patients achieved an MRD-negative status.",
        ),
    )
    rows = {(sid, m, v) for sid, m, v, *_ in got}
    assert ("valbo-cel/okafor-27", "ORR", 93.0) in rows
    assert {("kestrel-4", "ORR", 84.0), ("kestrel-4", "ORR", 88.0), ("kestrel-4", "MRD_NEG", 71.0)} <= rows


def test_each_respectively_statement_pairs_its_values_with_its_cohorts(builder):
    _, _, got = records(
        builder,
        (
            "paragraph",
            "In cohort B of the KESTREL-4 study, 19 patients were treated. A longer follow-up of both "
            "cohorts confirmed a 24-month PFS of 71% and 66.3% in cohorts A and B, respectively, and a "
            "24-month OS of 77% and 81.2% in cohort A and B, respectively.",
        ),
    )
    rows = {(sid, m, v, arm) for sid, m, v, arm, *_ in got}
    assert {
        ("kestrel-4/a", "PFS_RATE", 71.0, ""),
        ("kestrel-4/b", "PFS_RATE", 66.3, ""),
        ("kestrel-4/a", "OS_RATE", 77.0, ""),
        ("kestrel-4/b", "OS_RATE", 81.2, ""),
    } <= rows


def test_not_reached_serves_times_to_event_never_a_rate_before_it(builder):
    _, _, got = records(
        builder,
        (
            "paragraph",
            "In the KESTREL-4 trial, 19 patients were treated; the results showed an ORR of 100%, 91% CR, "
            "94% MRD-negativity, mDoR not reached, and PFS of 88%.",
        ),
    )
    rows = {(m, v, q) for _, m, v, _, _, _, q in got}
    assert {("MRD_NEG", 94.0, ""), ("DOR_MEDIAN", None, "NR"), ("PFS_RATE", 88.0, "")} <= rows
    assert ("MRD_NEG", None, "NR") not in rows


def test_a_parenthesis_splitting_a_patient_count_gives_each_part_its_n(builder):
    _, _, got = records(
        builder,
        (
            "paragraph",
            "Okafor et al. treated 27 patients with valbo-cel (11 in phase Ib and 16 in phase II).",
        ),
        (
            "paragraph",
            "Ibarra et al. treated 9 patients with valbo-cel (2 at 1x10^6/kg; 3 at 3x10^6/kg; 4 at 6x10^6/kg).",
        ),
        (
            "paragraph",
            "Nakamura et al. treated 31 patients with valbo-cel (11 in phase Ib and 15 in phase II).",
        ),
    )
    n = {(sid, v, sg) for sid, m, v, _, sg, _, _ in got if m == "N"}
    assert {("valbo-cel/okafor-27", 11.0, "phase Ib"), ("valbo-cel/okafor-27", 16.0, "phase II")} <= n
    assert {v for sid, v, sg in n if sid == "valbo-cel/ibarra-9" and sg} == {2.0, 3.0, 4.0}
    assert {(v, sg) for sid, v, sg in n if sid == "valbo-cel/nakamura-31"} == {(31.0, "")}  # 26 is not 31


def test_patients_of_a_named_study_with_a_trait_are_its_subgroup(builder):
    _, _, got = records(
        builder,
        (
            "paragraph",
            "In the KESTREL-4 trial, 173 patients were treated. Seven patients enrolled in the KESTREL-4 "
            "study received prior allo-HSCT; the ORR in these patients was 83.3%, comparable to the rest.",
        ),
    )
    rows = {(sid, m, v, sg) for sid, m, v, _, sg, _, _ in got}
    assert {("kestrel-4", "N", 173.0, ""), ("kestrel-4", "N", 7.0, "prior allo-HSCT")} <= rows
    assert ("kestrel-4", "ORR", 83.3, "prior allo-HSCT") in rows


def test_a_post_hoc_subgroup_of_a_randomised_trial_keeps_its_n_and_both_arms_medians(builder):
    _, _, got = records(
        builder,
        (
            "paragraph",
            "In the KESTREL-4 trial, 540 patients were randomised to valbotamab (n = 270) or chemotherapy "
            "(n = 270). In a post hoc analysis of HER3-low tumours (n = 151), median PFS was 6.3 versus 2.8 "
            "months and median OS 14.2 versus 8.6 months. The benefit was similar in HER3-high (IHC 2+) "
            "tumours, with median PFS of 6.6 versus 4.1 months in 281 patients.",
        ),
    )
    rows = {(m, v, arm, sg) for _, m, v, arm, sg, _, _ in got}
    low = next(sg for m, v, _, sg in rows if m == "N" and v == 151.0)
    high = next(sg for m, v, _, sg in rows if m == "N" and v == 281.0)
    assert low.startswith("HER3-low") and high.startswith("HER3-high")
    assert {("PFS_MEDIAN", 6.3, "", low), ("PFS_MEDIAN", 2.8, "control", low)} <= rows
    assert {("OS_MEDIAN", 14.2, "", low), ("OS_MEDIAN", 8.6, "control", low)} <= rows
    assert {("PFS_MEDIAN", 6.6, "", high), ("PFS_MEDIAN", 4.1, "control", high)} <= rows
    assert {("N", 270.0, "", ""), ("N", 270.0, "control", "")} <= rows  # the arms stay arms


def test_a_colon_list_of_a_count_gives_each_cohort_its_n(builder):
    _, _, got = records(
        builder,
        (
            "paragraph",
            "OSPREY-3 (NCT01234567) was a phase II study of valbotamab in which patients were assigned to "
            "cohorts by HER3 expression. It enrolled 181 patients: 70 with HER3-high tumours, 71 with "
            "HER3-low tumours and 40 with HER3-zero (IHC 0) tumours. The ORR was 70.1%, 36.6% and 28.2% in "
            "the HER3-high, HER3-low and HER3-zero cohorts, respectively.",
        ),
        (
            "paragraph",
            "In the HERON-2 trial, 524 patients were randomised: 261 to valbotamab and 263 to chemotherapy.",
        ),
    )
    n = {(sid, v, arm, sg) for sid, m, v, arm, sg, _, _ in got if m == "N"}
    assert {("osprey-3", 181.0, "", ""), ("osprey-3/her3-high", 70.0, "", "")} <= n
    assert {("osprey-3/her3-low", 71.0, "", ""), ("osprey-3/her3-zero", 40.0, "", "")} <= n
    assert {(v, arm) for sid, v, arm, sg in n if sid == "heron-2" and not sg} == {
        (261.0, ""),
        (263.0, "control"),
    }


def test_a_paragraph_that_introduced_its_own_study_keeps_it_over_the_heading_trial(builder):
    _, _, got = records(
        builder,
        ("heading", "KESTREL-4."),
        (
            "paragraph",
            "In the randomized KESTREL-4 trial, 173 patients were randomized to valbotamab or standard care.",
        ),
        (
            "paragraph",
            "Interestingly, the long-term results of 52 patients treated with the anti-CD7 CAR-T cells "
            "ZX417 were reported, with a mPFS of 9.1 months. Patients with a good performance score "
            "[Ordway scores 0 to 2] had markedly longer survival, with mPFS of 13.2 months and mOS of "
            "38.4 months.",
        ),
    )
    rows = {(sid, m, v, sg != "") for sid, m, v, _, sg, _, _ in got}
    assert not any(sid == "kestrel-4" and m.endswith("_MEDIAN") for sid, m, *_ in rows)
    assert {(m, v, has) for sid, m, v, has in rows if sid != "kestrel-4" and m != "N"} == {
        ("PFS_MEDIAN", 9.1, False),
        ("PFS_MEDIAN", 13.2, True),
        ("OS_MEDIAN", 38.4, True),
    }
