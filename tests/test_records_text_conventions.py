"""Reporting conventions of clinical prose read into outcome rows: "k of n (x%)", "MRD-negative CR",
value-before-metric with a population word, range ends, a study introduced late in its paragraph and
counts over the studies of a meta-analysis. Invented studies, products and numbers throughout."""

from __future__ import annotations

import pytest

from tests.records_helpers import AnnotatedBuilder
from tests.test_records_text import records


@pytest.fixture(scope="module")
def builder(rules):
    return AnnotatedBuilder(rules)


def _rows(got):
    return {(m, v, sg != "", t) for _, m, v, _, sg, t, _ in got}


def test_k_of_n_with_a_percentage_gives_the_percentage(builder):
    _, _, got = records(
        builder,
        (
            "paragraph",
            "Larkwood et al. treated 38 adults with valbo-cel and observed CR in 31 of 38 patients (82%).",
        ),
    )
    assert ("CR", 82.0, False, None) in _rows(got)
    assert not any(m == "CR" and v == 31.0 for _, m, v, *_ in got)  # the count is not a second CR row


def test_k_of_n_without_a_percentage_stays_a_count(builder):
    _, outcomes, _ = records(
        builder,
        ("paragraph", "Larkwood et al. treated 38 adults with valbo-cel; CR was seen in 11 of 38 patients."),
    )
    assert [(o.metric, o.value, o.unit) for o in outcomes if o.metric == "CR"] == [("CR", 11.0, "patients")]


def test_mrd_negative_cr_is_mrd_negativity_not_cr(builder):
    _, _, got = records(
        builder,
        (
            "paragraph",
            "Pemberton et al. treated 44 adults with valbo-cel and reported a CR rate of 81%, with "
            "MRD-negative CR in 62%. The 12-month OS in this cohort was 71%, and 58% of treated patients "
            "reached an MRD-negative CR.",
        ),
    )
    rows = _rows(got)
    assert {("CR", 81.0, False, None), ("MRD_NEG", 62.0, False, None), ("MRD_NEG", 58.0, False, None)} <= rows
    assert ("OS_RATE", 71.0, False, 12.0) in rows
    assert not any(m == "CR" and v in (62.0, 58.0) for m, v, *_ in rows)
    assert not any(arm for _, _, _, arm, *_ in got)  # 58% is no comparator arm of the OS rate


def test_the_end_of_a_follow_up_range_is_no_median(builder):
    _, outcomes, _ = records(
        builder,
        (
            "paragraph",
            "Quill et al. treated 47 patients with valbo-cel. After a follow-up of 3-8 months, the ORR was 94%.",
        ),
    )
    assert {(o.metric, o.value) for o in outcomes} == {("N", 47.0), ("ORR", 94.0)}


def test_a_study_introduced_after_background_sentences_of_its_paragraph(builder):
    studies, outcomes, _ = records(
        builder,
        (
            "paragraph",
            "Corvex Bio developed a CAR-T product (ZX-401) comprised of autologous cells. A phase I clinical "
            "study was carried out using ZX-401, a next-generation product. 47 patients have been treated "
            "with ZX-401, with a good safety profile. The ORR was 94%, with 51.1% of patients achieving a "
            "VGPR and 27.7% a CR.",
        ),
    )
    assert [(s.product, s.n) for s in studies] == [("ZX-401", 47)]
    assert {(o.metric, o.value) for o in outcomes} == {
        ("N", 47.0),
        ("ORR", 94.0),
        ("VGPR", 51.1),
        ("CR", 27.7),
    }
    intro = next(o for o in outcomes if o.metric == "N")
    later = next(o for o in outcomes if o.metric == "ORR")
    assert intro.confidence > later.confidence  # the introducing sentence beats the carried one


def test_a_later_count_without_a_product_in_its_paragraph_opens_no_study(builder):
    studies, outcomes, _ = records(
        builder,
        ("paragraph", "Zelvanumab was studied first in lymphoma."),
        (
            "paragraph",
            "Relapse after cell therapy is common. A recent study analyzed the outcomes of 63 patients "
            "relapsing after cell therapy. The overall response rate to salvage treatment was 38.1%.",
        ),
    )
    # a product carried from another paragraph names no study: the values stay the paper's own
    assert [(s.study_id, s.product, s.n) for s in studies] == [("document", "", None)]
    assert {o.study_id for o in outcomes} == {"document"}


def test_counts_over_the_studies_of_a_meta_analysis_are_pooled_populations(builder):
    studies, outcomes, _ = records(
        builder,
        (
            "paragraph",
            "Nine studies with 512 children and young adults were included. In total, the included studies "
            "treated 1,093 patients with CAR-T cells; a further 88 patients received chemotherapy in the "
            "control arms.",
        ),
        ("paragraph", "The pooled CR rate was 77% (95% CI 70–83) across nine studies (n = 512)."),
    )
    assert {s.design for s in studies} == {"pooled"}
    assert sorted((o.metric, o.value) for o in outcomes if o.metric == "N") == [
        ("N", 512.0),
        ("N", 512.0),
        ("N", 1093.0),
    ]  # the 88 chemotherapy patients are no pooled population
    assert all(o.subgroup for o in outcomes)


def test_studies_with_a_count_outside_a_meta_analysis_are_no_pooled_study(builder):
    studies, _, _ = records(
        builder,
        ("paragraph", "Two studies with 97 patients evaluated valbo-cel in lymphoma."),
    )
    assert [(s.n, s.product) for s in studies] == [(97, "valbo-cel")]  # the study is read ...
    assert not any(s.design == "pooled" for s in studies)  # ... as no pooled one


def test_a_paragraph_opening_on_a_known_population_goes_on_with_the_previous_trial(builder):
    studies, _, got = records(
        builder,
        (
            "paragraph",
            "In the phase 3 HERON-7 trial, 480 patients with gastric cancer were randomly assigned to "
            "valbotamab or chemotherapy. The ORR was 52% with valbotamab.",
        ),
        (
            "paragraph",
            "Across all 480 patients, median PFS was 8.8 months with valbotamab and 4.9 months with "
            "chemotherapy. The benefit extended to the 121 patients with liver metastases, in whom median "
            "PFS was 7.1 versus 3.9 months.",
        ),
        ("paragraph", "Pike et al. treated 61 patients with valbotamab and the ORR was 44%."),
    )
    assert sorted(s.study_id for s in studies) == ["heron-7", "valbotamab/pike-61"]
    assert {(sid, m, v, arm, sg) for sid, m, v, arm, sg, _, _ in got if m == "PFS_MEDIAN"} == {
        ("heron-7", "PFS_MEDIAN", 8.8, "", ""),
        ("heron-7", "PFS_MEDIAN", 4.9, "control", ""),
        ("heron-7", "PFS_MEDIAN", 7.1, "", "liver metastases"),
        ("heron-7", "PFS_MEDIAN", 3.9, "control", "liver metastases"),
    }
    assert ("heron-7", "N", 121.0, "", "liver metastases") in {(a, b, c, d, e) for a, b, c, d, e, _, _ in got}


def test_rates_named_by_a_phrase_and_paired_by_respectively(builder):
    _, _, got = records(
        builder,
        (
            "paragraph",
            "In the HERON-3 trial, 500 patients were randomly assigned, 250 to the valbotamab group and 250 "
            "to the placebo group. The estimated percentage of patients who were alive without disease "
            "progression at 12 months was 44.1% and 21.7%, respectively.",
        ),
    )
    assert {(m, v, arm, t) for _, m, v, arm, _, t, _ in got if m != "N"} == {
        ("PFS_RATE", 44.1, "", 12.0),
        ("PFS_RATE", 21.7, "control", 12.0),
    }


def test_subsets_opening_a_paragraph_stay_with_the_study_before(builder):
    studies, _, got = records(
        builder,
        ("paragraph", "In the phase II ZEPHYR-2 study, 160 patients received valbotamab. The ORR was 51%."),
        (
            "paragraph",
            "At a median follow-up of 11.2 months, the 12-month PFS was 33%; of 48 patients who had "
            "received CAR-T cells before valbotamab, 31% reached a CR.",
        ),
        ("paragraph", "Dravimab was studied in a phase I trial in 131 patients; the ORR was 37%."),
        (
            "paragraph",
            "Activity was retained after CAR-T failure: among 27 patients with DLBCL who had progressed "
            "after CAR-T therapy and were treated at doses of 40 mg or higher, the ORR was 44.4%.",
        ),
    )
    assert sorted(s.study_id for s in studies) == ["dravimab/study-131", "zephyr-2"]
    rows = {(sid, m, v, sg != "") for sid, m, v, _, sg, _, _ in got}
    assert {
        ("zephyr-2", "PFS_RATE", 33.0, False),
        ("zephyr-2", "N", 48.0, True),
        ("zephyr-2", "CR", 31.0, True),
        ("dravimab/study-131", "N", 27.0, True),
        ("dravimab/study-131", "DOSE", 40.0, True),
        ("dravimab/study-131", "ORR", 44.4, True),
    } <= rows


def test_a_design_cue_before_a_trial_name_makes_another_study(builder):
    studies, outcomes, _ = records(
        builder,
        ("paragraph", "In the phase II ZEPHYR-2 study, 160 patients received valbotamab. The ORR was 51%."),
        (
            "paragraph",
            "Real-world data help to judge trial results. A retrospective multicentre cohort included 88 "
            "patients who received valbotamab outside clinical trials, many of whom would not have met the "
            "eligibility criteria of ZEPHYR-2. The ORR was 41%.",
        ),
    )
    assert {(s.study_id, s.n) for s in studies} == {("zephyr-2", 160), ("valbotamab/retro-88", 88)}
    assert {(o.study_id, o.value) for o in outcomes if o.metric == "ORR"} == {
        ("zephyr-2", 51.0),
        ("valbotamab/retro-88", 41.0),
    }


def test_respectively_over_three_cohorts_pairs_each_list_by_position(builder):
    _, _, got = records(
        builder,
        (
            "paragraph",
            "The phase II OSPREY-5 study enrolled 190 patients. At a median follow-up of 14.2 months, the ORR "
            "was 61.4%, 33.8% and 22.5%, and the median PFS 10.3, 6.1 and 3.9 months in the KRAS-high, "
            "KRAS-low and KRAS-zero cohorts, respectively.",
        ),
    )
    assert {(sid, m, v) for sid, m, v, *_ in got if m in ("ORR", "PFS_MEDIAN")} == {
        ("osprey-5/kras-high", "ORR", 61.4),
        ("osprey-5/kras-low", "ORR", 33.8),
        ("osprey-5/kras-zero", "ORR", 22.5),
        ("osprey-5/kras-high", "PFS_MEDIAN", 10.3),
        ("osprey-5/kras-low", "PFS_MEDIAN", 6.1),
        ("osprey-5/kras-zero", "PFS_MEDIAN", 3.9),
    }


def test_of_enrolled_patients_those_treated_are_the_study(builder):
    studies, _, got = records(
        builder,
        (
            "paragraph",
            "The largest study was the registry analysis of Morland et al. Of 312 patients registered for "
            "commercial valbo-cel, 207 had received an infusion. The CR rate among the 207 infused "
            "patients was 81%.",
        ),
        (
            "paragraph",
            "KESTREL-9 was the pivotal study of valbo-cel. Of 96 patients enrolled, 71 received an infusion "
            "in the pivotal cohort. The CR rate was 74%.",
        ),
    )
    assert {(s.study_id, s.n) for s in studies} == {("valbo-cel/rwe-207", 207), ("kestrel-9", 71)}
    assert {(sid, m, v, sg) for sid, m, v, _, sg, _, _ in got} == {
        ("valbo-cel/rwe-207", "N", 207.0, ""),
        ("valbo-cel/rwe-207", "N", 312.0, "registered"),
        ("valbo-cel/rwe-207", "CR", 81.0, ""),
        ("kestrel-9", "N", 71.0, ""),
        ("kestrel-9", "N", 96.0, "enrolled"),
        ("kestrel-9", "CR", 74.0, ""),
    }


def test_values_among_patients_evaluable_for_a_test_are_that_subgroup(builder):
    _, _, got = records(
        builder,
        (
            "paragraph",
            "Norwood et al. treated 57 adults with valbo-cel and reported a CR rate of 79%. MRD-negative CR "
            "was achieved in 61% of the 44 patients evaluable for MRD. Of 12 patients evaluable for MRD "
            "status, 83% were MRD-negative.",
        ),
    )
    assert {(m, v, sg) for _, m, v, _, sg, _, _ in got} == {
        ("N", 57.0, ""),
        ("CR", 79.0, ""),
        ("N", 44.0, "MRD-evaluable"),
        ("MRD_NEG", 61.0, "MRD-evaluable"),
        ("N", 12.0, "MRD-evaluable"),
        ("MRD_NEG", 83.0, "MRD-evaluable"),
    }


def test_a_grade_given_after_the_event_makes_a_grade_3_rate(builder):
    _, _, got = records(
        builder,
        (
            "paragraph",
            "Thornbury et al. treated 33 adults with valbo-cel; 88% of the patients had CRS, and in 6% "
            "it was of grade 3. Neurotoxicity occurred in 12%, in 3% of grade ≥3.",
        ),
    )
    rows = _rows(got)
    assert ("CRS_G3", 6.0, False, None) in rows
    assert not any(m == "CRS_G3" and v == 88.0 for m, v, *_ in rows)  # any-grade CRS is no grade 3 rate


def test_a_rate_after_the_event_without_a_grade_cue_is_no_grade_3_rate(builder):
    _, _, got = records(
        builder,
        (
            "paragraph",
            "Thornbury et al. treated 33 adults with valbo-cel; 88% of the patients had CRS, and 6% died.",
        ),
    )
    assert ("N", 33.0) in {(m, v) for _, m, v, *_ in got}  # the sentence is read ...
    assert not any(m == "CRS_G3" for _, m, *_ in got)  # ... without a grade 3 rate


def test_a_rate_of_the_patients_evaluable_for_a_measure_before_its_metric(builder):
    _, _, got = records(
        builder,
        (
            "paragraph",
            "Okonkwo et al. treated 41 adults with valbo-cel. Sixty-one percent of patients evaluable for MRD "
            "status achieved an MRD-negative condition.",
        ),
    )
    assert ("MRD_NEG", 61.0, False, None) in _rows(got)
