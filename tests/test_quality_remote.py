"""The run's GX validator (the Data Docs child, `pipeline.quality.remote`): a worker's Checker that
sends its rows there finds exactly what a Checker with its own suites finds, falls back to its own
suites when the validator is gone, and a worker process never imports Great Expectations."""

from __future__ import annotations

import json
import sys

import pytest

from pipeline.batch.docs import DataDocs
from pipeline.batch.task import PipelineTask
from pipeline.model import Document, Outcome, Study
from pipeline.quality import Checker

from .pdfgen import PdfSpec, paragraph


def _rows() -> tuple[list[Study], list[Outcome]]:
    """Rows breaking expectations of rules/expectations.yml (invented trials and values)."""
    studies = [
        Study("d", "s1", trial="WREN-3", nct_id="NCT4471", n=0, sources="table"),
        Study("d", "s2", trial="PLOVER-8", nct_id="NCT04471122", n=57, sources="table"),
    ]
    outcomes = [
        Outcome("d", "s1", "ORR", 131.0, "%", "table", page=2),
        Outcome("d", "s1", "PFS_MEDIAN", 940.0, "months", "text", page=5),
        Outcome("d", "s2", "ORR", 61.0, "%", "table", page=2, n=57),
        Outcome("d", "s2", "QQQ", 3.0, "leagues", "text", page=0),
    ]
    return studies, outcomes


def _key(findings) -> list[str]:
    return [json.dumps(f.__dict__, sort_keys=True, default=str) for f in findings]


@pytest.fixture
def validator(tmp_path, rules):
    docs = DataDocs(tmp_path, rules, None, "test")
    docs.start()
    assert docs.address
    yield docs
    docs.close()


def test_findings_through_the_validator_are_those_of_local_suites(validator, rules):
    studies, outcomes = _rows()
    local = Checker(rules).check(Document("d", "d.pdf"), studies, outcomes)
    remote_checker = Checker(rules, validator=validator.address)
    remote = remote_checker.check(Document("d", "d.pdf"), studies, outcomes)
    assert {f.check for f in local} >= {"value_out_of_range", "malformed_id", "expectation"}
    assert _key(remote) == _key(local)
    assert type(remote_checker.suites).__name__ == "Remote"
    again = remote_checker.check(Document("d", "d.pdf"), studies, outcomes)  # one connection, reused
    assert _key(again) == _key(local)


def _other_rows() -> tuple[list[Study], list[Outcome]]:
    studies = [Study("e", "s1", trial="TERN-11", nct_id="NCT55", n=212, sources="text")]
    outcomes = [
        Outcome("e", "s1", "CR", 107.0, "%", "text", page=3),
        Outcome("e", "s1", "ORR", 44.0, "%", "table", page=4, n=212),
    ]
    return studies, outcomes


def test_verdicts_sent_ahead_are_read_in_order_each_with_its_own_rows(validator, rules):
    from pipeline.quality.expectations import frame

    first_rows, second_rows = _rows(), _other_rows()
    local = [
        Checker(rules).check(Document(d, f"{d}.pdf"), *r) for d, r in (("d", first_rows), ("e", second_rows))
    ]
    checker = Checker(rules, validator=validator.address)
    first = checker.start(Document("d", "d.pdf"), *first_rows)
    second = checker.start(Document("e", "e.pdf"), *second_rows)  # sent before the first verdict is read
    assert first.waiting and second.waiting
    checker.suites.submit("outcomes", frame(first_rows[1], Outcome))  # a verdict nobody reads
    third = checker.start(Document("e", "e.pdf"), *second_rows)
    assert _key(first.finish()) == _key(local[0]) and not first.waiting
    assert _key(second.finish()) == _key(local[1])
    assert _key(third.finish()) == _key(local[1])  # the unread reply in between did not shift it
    assert {f.check for f in local[1]} >= {"value_out_of_range", "malformed_id"}


def test_a_validator_that_is_gone_means_the_worker_validates_itself(tmp_path, rules):
    studies, outcomes = _rows()
    local = Checker(rules).check(Document("d", "d.pdf"), studies, outcomes)
    docs = DataDocs(tmp_path, rules, None, "test")
    docs.start()
    address = docs.address
    docs.close()  # the child ends and its socket goes
    checker = Checker(rules, validator=address)
    found = checker.check(Document("d", "d.pdf"), studies, outcomes)
    assert {f.check for f in found} >= {"value_out_of_range", "malformed_id", "expectation"}
    assert _key(found) == _key(local)


def test_validator_connections_need_the_runs_key(validator):
    from multiprocessing import AuthenticationError
    from multiprocessing.connection import Client

    with pytest.raises((AuthenticationError, OSError, EOFError)):
        Client(validator.address, family="AF_UNIX", authkey=b"not this run's key").send(("studies", None))


class ProbeTask(PipelineTask):
    """The pipeline's task, noting in each record whether its worker had imported GX."""

    def record(self, job, result):
        rec = super().record(job, result)
        rec.row["gx_in_worker"] = "great_expectations" in sys.modules
        return rec


def test_a_run_validates_in_one_child_and_no_worker_imports_gx(tmp_path):
    from pipeline.batch import run
    from pipeline.process import Pipeline

    inp = tmp_path / "in"
    inp.mkdir()
    pdf = PdfSpec()
    text = [
        "In the phase 2 HERON-9 study (NCT0447), 64 patients received tarvelimab. The overall response",
        "rate was 131% and the complete response rate 12% at 12 months.",
    ]  # an ORR above 100% and a malformed registry id: both break expectations of the GX suites
    paragraph(pdf, 72, 100, text)
    pdf.save(inp / "heron-1.pdf")
    rep = run([str(inp)], tmp_path / "out", jobs=1, progress=False, data_docs=False, task=ProbeTask)
    (rec,) = rep.records
    assert rec.ok and rec.row["gx_in_worker"] is False
    # the parent keeps a summary only: the document's findings as the worker sent them are its cache entry
    (entry,) = [json.loads(p.read_text()) for p in (tmp_path / "out" / ".cache").rglob("*.json")]
    found = entry["record"]["findings"]
    alone = Pipeline().process(inp / "heron-1.pdf", doc_id="heron-1")  # suites in this process
    assert {"value_out_of_range", "malformed_id"} <= {f["check"] for f in found}
    fields = ("finding_id", "check", "severity", "message", "values", "pages")
    assert sorted(tuple(f[k] for k in fields) for f in found) == sorted(
        tuple(getattr(f, k) for k in fields) for f in alone.findings
    )
