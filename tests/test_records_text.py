"""Stage 3 from text: study resolution and metric <-> value relations inside sentences."""

from __future__ import annotations

import pytest

from pipeline.model import Block, Box, Document, Mention, Span
from tests.records_helpers import AnnotatedBuilder


@pytest.fixture(scope="module")
def builder(rules):
    return AnnotatedBuilder(rules)


def doc_of(*blocks: tuple[str, str]) -> Document:
    doc = Document("d", "d.pdf")
    for i, (kind, text) in enumerate(blocks):
        spans, pos = [], 0
        for word in text.split(" "):
            spans.append(
                Span(
                    pos,
                    pos + len(word),
                    Box(1 + i // 4, 60 + pos % 300, 100 + 20 * i, 64 + pos % 300 + len(word), 110 + 20 * i),
                )
            )
            pos += len(word) + 1
        doc.add_block(Block(kind, text, Box(1 + i // 4, 50, 90 + 20 * i, 300, 115 + 20 * i)), spans)
    return doc


def records(builder, *blocks):
    studies, outcomes = builder.build(doc_of(*blocks))
    got = {
        (o.study_id, o.metric, o.value, o.arm, o.subgroup, o.timepoint_months, o.qualifier) for o in outcomes
    }
    return studies, outcomes, got


def test_respectively_lists(builder):
    _, _, got = records(
        builder,
        ("paragraph", "In the ALPHA-2 trial, the mPFS and mOS were 8.8 and 34.2 months, respectively."),
    )
    assert got == {
        ("alpha-2", "PFS_MEDIAN", 8.8, "", "", None, ""),
        ("alpha-2", "OS_MEDIAN", 34.2, "", "", None, ""),
    }


def test_one_not_reached_serves_a_list(builder):
    _, _, got = records(builder, ("paragraph", "In BETA-1, the mDOR, mPFS, and mOS were not reached."))
    assert {(m, q) for _, m, _, _, _, _, q in got} == {
        ("DOR_MEDIAN", "NR"),
        ("PFS_MEDIAN", "NR"),
        ("OS_MEDIAN", "NR"),
    }


def test_parenthesised_and_value_before_metric(builder):
    text = "The GAMMA-1 study reported an ORR of 83% (46% of CR), with 38.7% achieving a CR and 26% of MRD negativity."
    _, _, got = records(builder, ("paragraph", text))
    assert ("gamma-1", "ORR", 83.0, "", "", None, "") in got
    assert ("gamma-1", "CR", 46.0, "", "", None, "") in got
    assert ("gamma-1", "CR", 38.7, "", "", None, "") in got
    assert ("gamma-1", "MRD_NEG", 26.0, "", "", None, "") in got


def test_arms_and_timepoints(builder):
    text = "In the DELTA-3 trial, mPFS 13.3 vs 4.4 months; ORR 71% vs 42%; the 12-month PFS was 60% and OS 80%; PFS at 24 months was 50%."
    _, _, got = records(builder, ("paragraph", text))
    assert {
        ("delta-3", "PFS_MEDIAN", 13.3, "", "", None, ""),
        ("delta-3", "PFS_MEDIAN", 4.4, "control", "", None, ""),
        ("delta-3", "ORR", 71.0, "", "", None, ""),
        ("delta-3", "ORR", 42.0, "control", "", None, ""),
        ("delta-3", "PFS_RATE", 60.0, "", "", 12.0, ""),
        ("delta-3", "OS_RATE", 80.0, "", "", 12.0, ""),
        ("delta-3", "PFS_RATE", 50.0, "", "", 24.0, ""),
    } <= got


def test_subgroups_in_sentences(builder):
    text = (
        "The EPS-1 study enrolled 40 patients: the ORR was 73% (81% at the final target dose of 450x10^6 CAR-T cells), "
        "the median DOR was 10.7 months (21.5 months for patients achieving a CR); the 6-month PFS for the HR-MM "
        "group was 64%, compared to 81% for the standard-risk group."
    )
    _, _, got = records(builder, ("paragraph", text))
    assert {
        ("eps-1", "ORR", 73.0, "", "", None, ""),
        ("eps-1", "ORR", 81.0, "", "450x10^6 dose", None, ""),
        ("eps-1", "DOR_MEDIAN", 10.7, "", "", None, ""),
        ("eps-1", "DOR_MEDIAN", 21.5, "", "CR patients", None, ""),
        ("eps-1", "PFS_RATE", 64.0, "", "high-risk", 6.0, ""),
        ("eps-1", "PFS_RATE", 81.0, "", "standard-risk", 6.0, ""),
    } <= got
    assert not any(m == "CR" for _, m, *_ in got)  # "achieving a CR" names a subgroup, not a value


def test_study_resolution_and_confidence(builder):
    studies, outcomes, got = records(
        builder,
        ("heading", "Zevorcabtagene autoleucel (Zevor-cel) in myeloma."),
        (
            "paragraph",
            "ZETA-2 is a multicohort, phase II trial: cohorts 1 and 2 enrolled adults, while cohort 3 enrolled elderly patients.",
        ),
        ("paragraph", "In cohort 2, 31 patients were enrolled with an ORR of 87%. The CR rate was 74%."),
        ("paragraph", "Smith et al. have retrospectively analyzed 74 patients; the ORR was 85%."),
        ("paragraph", "Nothing here is a study; the ORR was 12%."),
    )
    assert ("zeta-2/2", "N", 31.0, "", "", None, "") in got
    assert ("zeta-2/2", "ORR", 87.0, "", "", None, "") in got
    assert ("zeta-2/2", "CR", 74.0, "", "", None, "") in got
    assert ("zevor-cel/retro-74", "ORR", 85.0, "", "", None, "") in got
    assert not any(v == 12.0 for _, _, v, *_ in got)  # no study to tie it to: dropped, not guessed
    by_id = {s.study_id: s for s in studies}
    assert by_id["zeta-2/2"].phase_text == "II" and by_id["zeta-2/2"].n_text == 31
    conf = {(o.metric, o.value): o.confidence for o in outcomes}
    assert conf[("ORR", 87.0)] > conf[("CR", 74.0)]  # cohort cue in the sentence > carried over
    cr = next(o for o in outcomes if o.metric == "CR")
    assert cr.snippet == "The CR rate was 74%." and cr.page == 1 and cr.bbox


def test_ner_mentions_are_consumed(builder):
    """A trial name only NER knows (a vocabulary name with no number, a fuzzy variant) resolves the study."""
    doc = doc_of(("paragraph", "The Certitude trial reported an ORR of 97%."))
    hand = Mention("TRIAL", "Certitude", "CARTITUDE-1", 4, 13, attrs={"variant": True})
    studies, outcomes = builder.build(doc, extra=[hand])
    assert [(o.study_id, o.trial, o.metric, o.value) for o in outcomes] == [
        ("cartitude-1", "CARTITUDE-1", "ORR", 97.0)
    ]


def test_counts_without_percent_are_patients(builder):
    text = "Jones et al. treated 27 patients with Cilta-Cel (10 CR, 6 VGPR/PR, and 11 PD)."
    _, outcomes, _ = records(builder, ("paragraph", text))
    got = [(o.metric, o.value, o.unit) for o in outcomes if o.metric != "N"]
    assert got == [("CR", 10.0, "patients")]  # VGPR/PR is no single metric
