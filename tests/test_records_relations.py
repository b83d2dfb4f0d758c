"""Stage 3 from text, the harder relations: timepoints that do not touch their metric, several cohorts
in one sentence, table trial names printed in another case. Made-up trials and products throughout."""

from __future__ import annotations

import pytest

from pipeline.model import Mention
from pipeline.records.drafts import StudyDraft
from pipeline.records.from_text import read_text
from tests.records_helpers import AnnotatedBuilder
from tests.test_records_text import doc_of, records


@pytest.fixture(scope="module")
def builder(rules):
    return AnnotatedBuilder(rules)


def rows(got):
    """(study, metric, value, timepoint) of every outcome."""
    return {(sid, metric, value, tp) for sid, metric, value, _, _, tp, _ in got}


def test_clause_initial_timepoint_holds_for_the_rates_of_its_clause(builder):
    text = "In the ALPHA-2 trial, at 12 months, the OS rate was 49%, the ORR was 80% and the median PFS was 14 months."
    _, _, got = records(builder, ("paragraph", text))
    assert rows(got) == {
        ("alpha-2", "OS_RATE", 49.0, 12.0),
        ("alpha-2", "ORR", 80.0, None),  # not a rate metric: no free timepoint
        ("alpha-2", "PFS_MEDIAN", 14.0, None),  # medians never get one
    }


def test_follow_up_duration_is_no_rate_timepoint(builder):
    _, _, got = records(
        builder,
        (
            "paragraph",
            "In BETA-1, after a median follow-up of 24 months, the 2-year PFS was 42% and the median OS was 30 months.",
        ),
        ("paragraph", "In GAMMA-3, at 36 months of follow-up, the PFS rate was 40%."),
        ("paragraph", "In DELTA-4, with a 18-month follow-up, the OS rate was 70%."),
    )
    assert rows(got) == {
        ("beta-1", "FOLLOWUP_MEDIAN", 24.0, None),
        ("beta-1", "PFS_RATE", 42.0, 24.0),  # "2-year" in months
        ("beta-1", "OS_MEDIAN", 30.0, None),
        ("gamma-3", "PFS_RATE", 40.0, None),
        ("delta-4", "OS_RATE", 70.0, None),
    }


def test_timepoint_after_a_list_of_rates_and_after_values(builder):
    _, _, got = records(
        builder,
        ("paragraph", "In the EPSILON-1 trial, PFS and OS at 18 months were 45% and 60%, respectively."),
        ("paragraph", "In ZETA-5, the OS rate was 49% at 12 months and 40% at 24 months."),
    )
    assert rows(got) == {
        ("epsilon-1", "PFS_RATE", 45.0, 18.0),
        ("epsilon-1", "OS_RATE", 60.0, 18.0),
        ("zeta-5", "OS_RATE", 49.0, 12.0),
        ("zeta-5", "OS_RATE", 40.0, 24.0),
    }


def test_list_of_timepoints_pairs_with_list_of_values(builder):
    _, _, got = records(
        builder, ("paragraph", "In ETANA-2, the 12- and 24-month PFS rates were 60% and 48%.")
    )
    assert rows(got) == {("etana-2", "PFS_RATE", 60.0, 12.0), ("etana-2", "PFS_RATE", 48.0, 24.0)}


def test_several_cohorts_in_one_sentence(builder):
    text = (
        "THETA-2 is a phase II trial of xyz-cel with two cohorts. The ORR was 85% in cohort A and 73.7% in "
        "cohort B. In cohorts A and B, the CR rates were 60% and 50%, respectively. The median PFS was "
        "12.1 months in cohort 1 and not reached in cohort 2."
    )
    _, outcomes, _ = records(builder, ("paragraph", text))
    got = {(o.study_id, o.cohort, o.metric, o.value, o.qualifier) for o in outcomes}
    assert got == {
        ("theta-2/a", "A", "ORR", 85.0, ""),
        ("theta-2/b", "B", "ORR", 73.7, ""),
        ("theta-2/a", "A", "CR", 60.0, ""),
        ("theta-2/b", "B", "CR", 50.0, ""),
        ("theta-2/1", "1", "PFS_MEDIAN", 12.1, ""),
        ("theta-2/2", "2", "PFS_MEDIAN", None, "NR"),
    }


def test_cohorts_that_do_not_line_up_stay_with_the_study(builder):
    text = "In IOTA-1, cohorts A and B enrolled 40 patients; the ORR was 70%."
    _, outcomes, _ = records(builder, ("paragraph", text))
    assert [(o.study_id, o.metric, o.value) for o in outcomes if o.metric != "N"] == [("iota-1", "ORR", 70.0)]


def test_table_trial_names_match_text_in_any_case(builder):
    doc = doc_of(
        ("paragraph", "In the Omicron NHL-2 study, the ORR was 71%."),
        ("paragraph", "The Horizon trial reported an ORR of 64%."),
        ("paragraph", "On the horizon, the ORR was 50%."),
    )
    builder.annotator.annotate(doc)
    table = [
        StudyDraft("table", trial="OMICRON NHL-2", product="xyz-cel", n=100),
        StudyDraft("table", trial="HORIZON", product="abc-cel", n=30),
    ]
    drafts = read_text(doc, builder.cues, table)
    got = {(d.trial, o.metric, o.value) for d in drafts if d.design_word != "document" for o in d.outcomes}
    # another case of the table's name (NER alone sees only "NHL-2"); a word printed as a plain word
    # ("Horizon", "horizon") is no name
    assert got == {("OMICRON NHL-2", "ORR", 71.0)}


def test_subset_of_patients_is_a_subgroup_of_the_trial(builder):
    text = (
        "KAPPA-1 is a phase II trial of xyz-cel that enrolled 60 patients; the ORR was 80%. Seven patients "
        "with prior allo-HSCT had an ORR of 71%. Among 12 patients with extramedullary disease, the ORR was "
        "58%. Fifty patients with a median age of 61 years were evaluable and the ORR was 75%."
    )
    studies, outcomes, _ = records(builder, ("paragraph", text))
    assert [s.study_id for s in studies] == ["kappa-1"] and studies[0].n == 60
    got = {(o.metric, o.value, o.subgroup, o.n) for o in outcomes}
    assert {
        ("N", 60.0, "", 60),
        ("ORR", 80.0, "", 60),
        ("N", 7.0, "prior allo-HSCT", 7),
        ("ORR", 71.0, "prior allo-HSCT", 60),
        ("N", 12.0, "extramedullary", 12),  # the label rules/records.yml gives the printed trait
        ("ORR", 58.0, "extramedullary", 60),
    } <= got
    assert ("ORR", 75.0, "", 60) in got  # a median trait describes the study, no subset


def test_value_with_a_unit_the_metric_cannot_take_is_left_for_the_right_value(builder):
    _, _, got = records(
        builder,
        ("paragraph", "In ALPHA-2, 20 patients with a median age of 61 years had an ORR of 75%."),
        ("paragraph", "In BETA-3, the CR rate in patients with a median age of 58 years was 40%."),
    )
    # "61 years" printed right before "ORR" is no response rate, so "75%" pairs with it
    assert rows(got) == {
        ("alpha-2", "N", 20.0, None),
        ("alpha-2", "ORR", 75.0, None),
        ("beta-3", "CR", 40.0, None),
    }


def test_one_at_covering_several_numbers_gives_a_timepoint_each(builder):
    _, _, got = records(
        builder,
        ("paragraph", "In ALPHA-2, PFS at 12 and 24 months was 60% and 48%."),
        ("paragraph", "In BETA-3, the OS rates at 6, 12 and 18 months were 90%, 81% and 70%, respectively."),
        ("paragraph", "In GAMMA-1, OS at 1 and 2 years was 80% and 66%."),
    )
    assert rows(got) == {
        ("alpha-2", "PFS_RATE", 60.0, 12.0),
        ("alpha-2", "PFS_RATE", 48.0, 24.0),
        ("beta-3", "OS_RATE", 90.0, 6.0),
        ("beta-3", "OS_RATE", 81.0, 12.0),
        ("beta-3", "OS_RATE", 70.0, 18.0),
        ("gamma-1", "OS_RATE", 80.0, 12.0),
        ("gamma-1", "OS_RATE", 66.0, 24.0),
    }


def test_timepoint_list_read_around_a_timepoint_mention(builder):
    """When NER marks only "24 months" as a TIMEPOINT and leaves "12" bare, records read the "12"
    from the sentence text before it."""
    text = "In DELTA-2, PFS at 12 and 24 months was 55% and 41%."
    doc = doc_of(("paragraph", text))
    builder.annotator.annotate(doc)
    at, bare = text.index("24 months"), text.index("12 and")
    doc.mentions = [m for m in doc.mentions if not (m.label == "VALUE" and m.start in (at, bare))]
    doc.mentions.append(Mention("TIMEPOINT", "24 months", "24", at, at + 9, attrs={"months": 24.0}))
    _, outcomes = builder.builder.build(doc)
    got = {(o.metric, o.value, o.timepoint_months) for o in outcomes}
    assert got == {("PFS_RATE", 55.0, 12.0), ("PFS_RATE", 41.0, 24.0)}


def test_coordinated_lists_repeated_per_cohort(builder):
    text = "In ALPHA-2, ORR and CR were 85% and 60% in cohort A and 70% and 50% in cohort B."
    _, outcomes, _ = records(builder, ("paragraph", text))
    got = {(o.study_id, o.cohort, o.metric, o.value) for o in outcomes}
    assert got == {
        ("alpha-2/a", "A", "ORR", 85.0),
        ("alpha-2/a", "A", "CR", 60.0),
        ("alpha-2/b", "B", "ORR", 70.0),
        ("alpha-2/b", "B", "CR", 50.0),
    }


def test_subset_paragraph_after_a_trial_paragraph_is_its_subgroup(builder):
    trial = "LAMBDA-2 is a phase II trial of xyz-cel that enrolled 60 patients; the ORR was 80%."
    _, outcomes, _ = records(
        builder,
        ("paragraph", trial),
        ("paragraph", "Among the 12 patients with extramedullary disease, the ORR was 58%."),
    )
    got = {(o.study_id, o.metric, o.value, o.subgroup) for o in outcomes}
    assert got == {
        ("lambda-2", "N", 60.0, ""),
        ("lambda-2", "ORR", 80.0, ""),
        ("lambda-2", "N", 12.0, "extramedullary"),
        ("lambda-2", "ORR", 58.0, "extramedullary"),
    }
    # as many patients as the trial or more: not its subset, so nothing is filed under the trial
    _, outcomes, _ = records(
        builder,
        ("paragraph", trial),
        ("paragraph", "Among the 90 patients with extramedullary disease, the ORR was 58%."),
    )
    assert {(o.metric, o.value) for o in outcomes} == {("N", 60.0), ("ORR", 80.0)}
