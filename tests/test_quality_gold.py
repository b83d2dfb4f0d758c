"""Recall of the checks against the ide-cel gold findings (shared/gold/seed-findings.csv), with the
gold studies/outcomes as input (made-up pages) and NER-style name-variant mentions."""

from __future__ import annotations

import pytest

from tests.quality_gold import gold_doc, gold_findings, gold_outcomes, gold_studies, score

FAMILIES = {
    "text_table_mismatch",
    "n_mismatch",
    "logic",
    "grim",
    "malformed_id",
    "duplicate_id",
    "registry_mismatch",
    "name_variant",
    "unit_mismatch",
    "value_out_of_range",
}


@pytest.fixture(scope="module")
def gold_run(rules, tuned_gold):
    from pipeline.quality import Checker

    findings = Checker(rules).check(gold_doc(), gold_studies(tuned_gold), gold_outcomes(tuned_gold))
    return findings, gold_findings(tuned_gold)


def test_recall_on_gold_records(gold_run):
    findings, gold = gold_run
    s = score(gold, findings, FAMILIES)
    assert s["recall"] >= 0.9, [g["finding_key"] for g in s["missed"]]
    assert s["traps"] == []  # is_error=no rows are not flagged


def test_known_examples_with_both_values_and_pages(gold_run):
    findings, _ = gold_run
    cr = [
        f
        for f in findings
        if f.check == "text_table_mismatch" and f.study_id == "karmma-2/2a" and f.metric == "CR"
    ]
    assert len(cr) == 1 and cr[0].severity == "error"
    assert cr[0].values == "text:46 | table:82.8" and cr[0].pages == "4 | 3"
    n = [f for f in findings if f.check == "n_mismatch" and f.study_id == "karmma-1"]
    assert len(n) == 1 and n[0].values == "text:140 | table:128" and n[0].pages == "4 | 3"


def test_severities_follow_gold(gold_run):
    findings, gold = gold_run
    from tests.quality_gold import matches

    wrong, errors, hit = [], 0, 0
    for g in gold:
        if g["is_error"] == "yes" and g["check"] in FAMILIES:
            errors += 1
            hits = [f for f in findings if matches(g, f)]
            hit += bool(hits)
            if hits and g["severity"] not in {f.severity for f in hits}:
                wrong.append((g["finding_key"], g["severity"], [f.severity for f in hits]))
    assert wrong == []
    assert errors and hit >= errors / 2  # the severities compared are those of most gold errors


def test_few_false_alarms(gold_run):
    findings, gold = gold_run
    extra = score(gold, findings)["extra"]
    assert len(findings) > len(extra)  # the same run finds the gold's errors
    # outside the gold's ide-cel scope only: the hand-copied CARTITUDE-4 row contradicts the registry
    assert {f.study_id for f in extra} <= {"cartitude-4"}, [f.message for f in extra]


def test_finding_ids_stable_across_runs(rules, tuned_gold, gold_run):
    from pipeline.quality import Checker

    outs = gold_outcomes(tuned_gold)
    for o in outs:  # a corrected value keeps the finding's id
        if o.study_id == "karmma-2/2a" and o.metric == "CR" and o.source == "table":
            o.value = 81.1
    again = Checker(rules).check(gold_doc(), gold_studies(tuned_gold), outs)
    first = {
        f.finding_id
        for f in gold_run[0]
        if f.check == "text_table_mismatch" and f.metric == "CR" and f.study_id == "karmma-2/2a"
    }
    second = {
        f.finding_id
        for f in again
        if f.check == "text_table_mismatch" and f.metric == "CR" and f.study_id == "karmma-2/2a"
    }
    assert first and first == second


def test_dev_paper_known_examples(dev_result, tuned_gold):
    """The real pipeline on the development paper: both known examples with both values and pages,
    and recall of the checks that need no NER name variants."""
    by_id = {f.study_id: f for f in dev_result.findings}
    cr = [
        f
        for f in dev_result.findings
        if f.check == "text_table_mismatch" and f.metric == "CR" and f.cohort == "2a"
    ]
    assert (
        len(cr) == 1
        and cr[0].values == "text:46 | table:82.8"
        and all(p.strip() for p in cr[0].pages.split("|"))
    )
    n = [f for f in dev_result.findings if f.check == "n_mismatch" and f.trial == "KarMMa-1"]
    assert (
        len(n) == 1
        and n[0].values == "text:140 | table:128"
        and all(p.strip() for p in n[0].pages.split("|"))
    )
    gs = gold_studies(tuned_gold)
    keyed = {(g.trial.lower(), g.cohort.lower()): g.study_id for g in gs if g.trial}
    by_n = {(g.product, g.n_table or g.n_text): g.study_id for g in gs if not g.trial}
    rec = {s.study_id: s for s in dev_result.studies}

    def study_of(sid: str) -> str:
        s = rec.get(sid)
        if s is None:
            return sid
        if s.trial:
            return keyed.get((s.trial.lower(), s.cohort.lower()), sid)
        return by_n.get((s.product, s.n_table or s.n_text or s.n), sid)

    s = score(gold_findings(tuned_gold), dev_result.findings, FAMILIES - {"name_variant"}, study_of=study_of)
    # target 0.9; records (stage 3) is still changing what it attributes, so the floor is lower here
    assert s["recall"] >= 0.8, [g["finding_key"] for g in s["missed"]]
    assert by_id  # findings carry study ids


def test_misc_rows_on_gold_records(gold_run):
    """The gold's `misc` rows the records carry: the refs of the high-risk row (table 13, text 14)
    and the KarMMa-1 dose list with the CRB-401 level. (The design/phase row needs the table row's
    label, which the gold records do not carry: see test_dev_paper_misc_rows.)"""
    findings, gold = gold_run
    s = score(gold, findings, {"misc"})
    found = {g["finding_key"] for g in s["found"]}
    assert found == {"ide-cel/hr-74:refs:misc", "karmma-1:DOSE:misc"}
    assert {f.severity for f in findings if f.check in ("refs_mismatch", "design_phase")} == {"warning"}


def test_dev_paper_misc_rows(dev_result):
    design = [f for f in dev_result.findings if f.check == "design_phase"]
    assert len(design) == 1 and "Retrospective analysis" in design[0].values
    assert "74" in design[0].study_id and design[0].severity == "warning"
    dose = [f for f in dev_result.findings if f.check == "registry_mismatch" and f.metric == "DOSE"]
    assert [(f.trial, f.values) for f in dose] == [
        ("KarMMa-1", "table:50, 150, 450x10^6 | registry:150, 300, 450x10^6")
    ]
