"""The run's Data Docs reuse the validator's per-document verdicts (pipeline.quality.verdicts): the
pages and the GX results they give must be those of validating the batch tables themselves."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from pipeline import quality
from pipeline.model import Outcome, Study
from pipeline.quality.docs import _conform, write
from pipeline.quality.expectations import frame
from pipeline.quality.verdicts import combined
from pipeline.rules import load

RUN_FIELDS = ("validation_id", "run_id", "validation_time")


def _docs() -> dict[str, tuple[list[Study], list[Outcome]]]:
    """Two invented papers whose rows break expectations row by row (a percent above 100, a bad
    registry id, a value missing, a unit outside the vocabulary) and one over the batch only (the
    same study id in both papers: unique within each, not in the batch)."""
    out = {}
    for doc, pct, nct in (("harrow-2", 131.0, "NCT0417"), ("quill-7", 44.5, "NCT04170033")):
        studies = [
            Study(doc, "s-merlin", trial="MERLIN-5", nct_id=nct, n=71, sources="text", pages="2"),
            Study(doc, f"s-{doc}", trial="KESTREL-4", n=173, sources="table", pages="3"),
        ]
        outcomes = [
            Outcome(doc, "s-merlin", "ORR", pct, "%", "text", n=71, page=2, snippet="ORR was ..."),
            Outcome(doc, "s-merlin", "CR", 19.0, "%", "table", page=3, timepoint_months=9.0),
            Outcome(doc, f"s-{doc}", "mPFS", None, "months", "text", page=4, snippet="median PFS"),
            Outcome(doc, f"s-{doc}", "ORR", 12.0, "furlongs", "table", page=5, n=173),
            Outcome(doc, f"s-{doc}", "mOS", None, "months", "text", page=5, qualifier="NR"),
        ]
        out[doc] = (studies, outcomes)
    return out


def _batch(docs):
    studies = frame([s for st, _ in docs.values() for s in st], Study)
    outcomes = frame([o for _, oc in docs.values() for o in oc], Outcome)
    return studies, outcomes


def _stripped(raw: dict) -> dict:
    for suite in raw.values():
        for k in RUN_FIELDS:
            suite["meta"].pop(k, None)
        suite["meta"]["batch_markers"].pop("ge_load_time", None)
    return raw


@pytest.fixture(scope="module")
def gx():
    rules = load()
    return rules, quality.suites(rules)


def _verdicts(suites, docs):
    """What the run's validator keeps: each document's rows as the worker sends them."""
    return {
        "studies": {d: suites.verdict("studies", frame(st, Study)) for d, (st, _) in docs.items()},
        "outcomes": {d: suites.verdict("outcomes", frame(oc, Outcome)) for d, (_, oc) in docs.items()},
    }


def test_docs_from_the_documents_verdicts_equal_those_from_the_batch_tables(tmp_path, gx):
    rules, suites = gx
    docs = _docs()
    studies, outcomes = _batch(docs)
    verdicts = _verdicts(suites, docs)
    for name, df, kind in (("studies", studies, Study), ("outcomes", outcomes, Outcome)):
        prepared = suites.prepare(name, _conform(df, kind))
        assert combined(suites, name, prepared, verdicts[name]) is not None  # the verdicts were used
    findings = pd.DataFrame()
    metrics = list((rules.get("metrics") or {}).get("metrics") or {})
    a = write(studies, outcomes, findings, tmp_path / "a", rules, metrics, suites, verdicts)
    b = write(studies, outcomes, findings, tmp_path / "b", rules, metrics, suites)
    assert a.read_bytes() == b.read_bytes()
    ja = json.loads((a.parent / "validations.json").read_text(encoding="utf-8"))
    jb = json.loads((b.parent / "validations.json").read_text(encoding="utf-8"))
    assert _stripped(ja) == _stripped(jb)
    # the failures are there: a row-by-row one in the second document's rows, and the batch-only one
    results = {r["expectation_config"]["meta"]["note"]: r for s in jb.values() for r in s["results"]}
    assert results["study ids unique"]["success"] is False
    assert results["percent in [0, 100]"]["result"]["unexpected_list"] == [131.0]
    assert results["unit in the vocabulary"]["result"]["unexpected_index_list"] == [3, 8]


def test_more_failing_rows_than_gx_lists_across_documents(tmp_path, gx):
    """GX lists at most 200 unexpected values (every row index): the batch's list is its first 200."""
    rules, suites = gx
    docs = {}
    for d in ("plover-1", "plover-2", "plover-3"):
        rows = [
            Outcome(d, "s1", "ORR", float(k), "furlongs" if k % 3 else "%", "text", page=1)
            for k in range(130)
        ]
        docs[d] = ([Study(d, "s1", sources="text")], rows)
    studies, outcomes = _batch(docs)
    verdicts = _verdicts(suites, docs)
    prepared = suites.prepare("outcomes", _conform(outcomes, Outcome))
    got = combined(suites, "outcomes", prepared, verdicts["outcomes"]).to_json_dict()
    want = suites.run("outcomes", prepared, prepared=True).to_json_dict()
    unit = next(
        r for r in want["results"] if r["expectation_config"]["meta"]["note"] == "unit in the vocabulary"
    )
    assert unit["result"]["unexpected_count"] == 258 and len(unit["result"]["unexpected_list"]) == 200
    assert _stripped({"o": got}) == _stripped({"o": want})


def test_a_verdict_made_from_other_values_is_not_used(gx):
    _, suites = gx
    docs = _docs()
    verdicts = _verdicts(suites, docs)
    _, outcomes = _batch(docs)
    outcomes.loc[6, "value"] = 250.0  # the batch table holds another value than the document's verdict saw
    prepared = suites.prepare("outcomes", _conform(outcomes, Outcome))
    assert combined(suites, "outcomes", prepared, verdicts["outcomes"]) is None
    del verdicts["studies"]["quill-7"]  # a document validated elsewhere (e.g. by its own worker)
    studies, _ = _batch(docs)
    assert (
        combined(suites, "studies", suites.prepare("studies", _conform(studies, Study)), verdicts["studies"])
        is None
    )


def test_a_worker_gets_every_failing_row_of_every_expectation_from_one_validation(gx):
    _, suites = gx
    studies, outcomes = _docs()["harrow-2"]
    got = suites.failures("outcomes", frame(outcomes, Outcome))
    assert {(f.note, f.row) for f in got} == {
        ("percent in [0, 100]", 0),
        ("unit in the vocabulary", 3),
        ("value present unless not reached", 2),
        ("metric in the vocabulary", 2),  # mPFS, mOS: not the vocabulary's names
        ("metric in the vocabulary", 4),
    }
