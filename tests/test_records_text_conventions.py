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
    assert not any(s.design == "pooled" for s in studies)
