"""Which study a sentence without a trial name is about (heading, paragraph topic, previous sentence,
the title's trial), flow-diagram boxes, subgroup scope across a sentence and the next one, and the
confidence each resolution carries. Invented trials, products and numbers throughout."""

from __future__ import annotations

import pytest

from pipeline.records.discourse import CONFIDENCE
from tests.records_helpers import AnnotatedBuilder
from tests.test_records_text import records

TITLE = (
    "title",
    "Valbotamab plus Docetaxel versus Docetaxel Alone in Advanced Gastric Cancer (KESTREL-4): "
    "a Randomised Phase 3 Trial",
)


@pytest.fixture(scope="module")
def builder(rules):
    return AnnotatedBuilder(rules)


def test_trial_report_values_go_to_the_title_trial(builder):
    _, outcomes, got = records(
        builder,
        TITLE,
        ("heading", "Results"),
        (
            "paragraph",
            "A total of 734 patients were randomised to valbotamab (n = 368) or docetaxel alone (n = 366).",
        ),
        (
            "paragraph",
            "We calculated that 650 patients would provide 90% power. Median OS was 17.2 and 11.9 months, respectively.",
        ),
    )
    assert {(sid, m, v, arm, bool(sg)) for sid, m, v, arm, sg, _, _ in got} == {
        ("kestrel-4", "N", 734.0, "", True),
        ("kestrel-4", "N", 368.0, "", False),
        ("kestrel-4", "N", 366.0, "control", False),
        ("kestrel-4", "OS_MEDIAN", 17.2, "", False),
        ("kestrel-4", "OS_MEDIAN", 11.9, "control", False),
    }  # no N of 650: a planned sample size is no study population
    conf = {o.value: o.confidence for o in outcomes}
    assert conf[734.0] == CONFIDENCE["document"] < CONFIDENCE["named"]
    assert conf[17.2] == CONFIDENCE["carried"]  # the previous sentence's study


def test_flow_diagram_boxes(builder):
    _, outcomes, got = records(
        builder,
        TITLE,
        ("caption", "Figure 1. Enrolment and randomisation."),
        ("paragraph", "981 Patients were assessed for eligibility"),
        ("heading", "Randomised (n=734)"),
        ("heading", "Assigned to valbotamab plus docetaxel (n=368)"),
        ("paragraph", "Received assigned treatment (n=365)"),
        ("paragraph", "Discontinued treatment (n=287)"),
        ("heading", "Included in safety analysis (n=365)"),
        ("heading", "Assigned to docetaxel alone (n=366)"),
        ("paragraph", "Withdrew consent (n=17)"),
        ("paragraph", "Included in efficacy analysis (ITT) (n=366)"),
        ("paragraph", "Included in safety analysis (n=359)"),
    )
    assert {(sid, m, v, arm, sg) for sid, m, v, arm, sg, _, _ in got} == {
        ("kestrel-4", "N", 734.0, "", "all randomised"),
        ("kestrel-4", "N", 368.0, "", ""),
        ("kestrel-4", "N", 365.0, "", "safety population"),
        ("kestrel-4", "N", 366.0, "control", ""),
        ("kestrel-4", "N", 359.0, "control", "safety population"),
    }
    assert all(o.bbox and o.page and o.snippet for o in outcomes)


def test_heading_trial_then_paragraph_topic_then_previous_sentence(builder):
    _, outcomes, got = records(
        builder,
        ("heading", "3.1 Valbotamab: KESTREL-4"),
        ("paragraph", "The median PFS was 9.1 months."),
        ("heading", "3.2 Later trials: ORIOLE-7 and PETREL-2"),
        ("paragraph", "PETREL-2 was a phase 2 study of valbotamab. The ORR was 44.2%."),
        ("paragraph", "ORIOLE-7 enrolled older patients. The CR rate was 12.5%."),
    )
    assert {(sid, m, v) for sid, m, v, *_ in got} >= {
        ("kestrel-4", "PFS_MEDIAN", 9.1),
        ("petrel-2", "ORR", 44.2),
        ("oriole-7", "CR", 12.5),
    }
    how = {o.value: o.confidence for o in outcomes}
    assert how[9.1] == CONFIDENCE["heading"]
    assert how[44.2] in (CONFIDENCE["topic"], CONFIDENCE["carried"])


def test_subgroup_opening_relative_and_anaphora(builder):
    _, _, got = records(
        builder,
        (
            "paragraph",
            "In KESTREL-4, the median OS was 17.2 months. Among patients with a tumour score of 50% or "
            "more, the median OS was 24.6 months with valbotamab and 12.3 months with docetaxel. In this "
            "subgroup, the ORR was 61.4% and 30.2%. The ORR was 21.7% among those with a score below 1%, "
            "in whom the median OS was 13.8 and 12.1 months, respectively.",
        ),
    )
    subgrouped = {(m, v, arm) for _, m, v, arm, sg, _, _ in got if sg}
    assert subgrouped == {
        ("OS_MEDIAN", 24.6, ""),
        ("OS_MEDIAN", 12.3, "control"),
        ("ORR", 61.4, ""),
        ("ORR", 30.2, "control"),
        ("OS_MEDIAN", 13.8, ""),
        ("OS_MEDIAN", 12.1, "control"),
    }
    assert ("kestrel-4", "OS_MEDIAN", 17.2, "", "", None, "") in got
