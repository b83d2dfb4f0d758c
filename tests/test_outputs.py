"""Output writers: schema column order, atomic writes, report.md/json and junit.xml content."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest

from pipeline.outputs import (
    DocRecord,
    atomic_target,
    atomic_write,
    failed,
    sweep_temp,
    write_batch,
    write_doc,
)

STUDY_SCHEMA = (
    "doc_id study_id trial cohort product target nct_id phase n design population refs sources pages"
)
OUTCOME_SCHEMA = (
    "doc_id study_id trial cohort product nct_id n arm subgroup metric timepoint_months value qualifier unit "
    "source table_id page bbox snippet confidence"
)
FINDING_SCHEMA = (
    "finding_id doc_id check severity study_id trial cohort metric values sources pages message status"
)


def _ok(doc_id: str, findings: list[dict] | None = None) -> DocRecord:
    findings = findings or []
    return DocRecord(
        row={"doc_id": doc_id, "path": f"/in/{doc_id}.pdf", "sha256": "ab" * 32, "pages": 10, "status": "ok",
             "error": "", "error_detail": "", "timings": {"ingest": 1.5, "ner": 0.5, "total": 2.0},
             "counts": {"studies": 1, "outcomes": 2, "findings": len(findings)}, "cached": False},
        studies=[{"doc_id": doc_id, "study_id": "karmma", "trial": "KarMMa", "n": 128, "n_table": 128}],
        outcomes=[
            {"doc_id": doc_id, "study_id": "karmma", "metric": "ORR", "value": 73.0, "unit": "%", "source": "text",
             "n": None, "page": 4, "snippet": "ORR of 73%"},
            {"doc_id": doc_id, "study_id": "karmma", "metric": "PFS_MEDIAN", "value": None, "qualifier": "NR",
             "unit": "months", "source": "table", "n": 37, "page": 3},
        ],
        findings=findings,
        mentions=[{"doc_id": doc_id, "label": "TRIAL", "text": "KarMMa", "canonical": "KarMMa", "attrs": {"generic": False}}],
    )  # fmt: skip


CR_GT_ORR = {"finding_id": "f1", "doc_id": "a", "check": "cr_le_orr", "severity": "error", "study_id": "karmma",
             "metric": "CR", "values": "text:46 | table:82.8", "sources": "text | table", "pages": "4 | 3",
             "message": "CR above ORR", "status": "open", "snippets": "CR of 46% | 82.8",
             "evidence": [{"label": "text", "value": "46", "source": "text", "page": 4, "snippet": "CR of 46%",
                           "bbox": "", "outcome_id": "o-1"},
                          {"label": "table", "value": "82.8", "source": "table", "page": 3, "snippet": "82.8",
                           "bbox": "1.0,2.0,3.0,4.0", "outcome_id": "o-2"}]}  # fmt: skip
UNKNOWN = {"finding_id": "f2", "doc_id": "a", "check": "unknown_product", "severity": "warning",
           "message": "unknown product Foo-cel", "status": "open"}  # fmt: skip


@pytest.fixture
def batch_out(tmp_path: Path) -> tuple[Path, dict]:
    records = [
        _ok("a", [CR_GT_ORR, UNKNOWN]),
        failed("b", "/in/b.pdf", "cd" * 32, "encrypted", "needs a password"),
    ]
    summary, _ = write_batch(tmp_path, records, {"elapsed": 3.0, "fail_on": "error", "exit_code": 1})
    return tmp_path, summary


def test_tables_put_schema_columns_first_in_schema_order_then_added(batch_out):
    out, _ = batch_out
    for name, schema in (
        ("studies", STUDY_SCHEMA),
        ("outcomes", OUTCOME_SCHEMA),
        ("findings", FINDING_SCHEMA),
    ):
        header = (out / f"{name}.csv").read_text().splitlines()[0].split(",")
        assert header[: len(schema.split())] == schema.split(), name
    studies = (out / "studies.csv").read_text().splitlines()[0].split(",")
    assert studies[14:17] == ["n_table", "n_text", "phase_text"]
    assert "snippets" in (out / "findings.csv").read_text().splitlines()[0].split(",")[13:]


def test_findings_csv_carries_evidence_as_json_and_outcomes_an_id(batch_out):
    out, _ = batch_out
    rows = pd.read_csv(out / "findings.csv", dtype=str, keep_default_na=False)
    ev = json.loads(rows.loc[rows.finding_id == "f1", "evidence"].iloc[0])
    assert [(e["value"], e["page"], e["outcome_id"]) for e in ev] == [("46", 4, "o-1"), ("82.8", 3, "o-2")]
    assert (
        "outcome_ids" in rows.columns and "outcome_id" in (out / "outcomes.csv").read_text().splitlines()[0]
    )


def test_empty_numbers_stay_empty_and_parquet_matches_csv(batch_out):
    out, _ = batch_out
    df = pd.read_csv(out / "outcomes.csv", dtype=str, keep_default_na=False)
    assert df["n"].tolist() == ["", "37"]
    assert df["value"].tolist() == ["73.0", ""]
    assert df["qualifier"].tolist() == ["", "NR"]
    pq = pd.read_parquet(out / "outcomes.parquet")
    assert pq["n"].tolist()[1] == 37 and pd.isna(pq["n"].tolist()[0])
    # the CSV's columns in its order, then the structured twins (page and bbox as numbers)
    assert list(pq.columns) == [*df.columns, "box"]
    assert pq["box"].tolist()[0] is None and pq["qualifier"].isna().tolist() == [True, False]
    assert json.loads((out / "mentions.jsonl").read_text())["canonical"] == "KarMMa"


def test_report_json_lists_documents_totals_and_severities(batch_out):
    out, _ = batch_out
    rep = json.loads((out / "report.json").read_text())
    assert sorted(d["doc_id"] for d in rep["documents"]) == ["a", "b"]
    b = next(d for d in rep["documents"] if d["doc_id"] == "b")
    assert (b["status"], b["error"], b["error_detail"]) == ("failed", "encrypted", "needs a password")
    for key in ("doc_id", "path", "sha256", "pages", "status", "error", "error_detail", "timings", "counts"):
        assert key in b
    assert rep["totals"]["documents"] == 2 and rep["totals"]["failed"] == 1 and rep["totals"]["pages"] == 10
    assert rep["findings_by_severity"] == {"error": 1, "warning": 1, "info": 0}
    assert rep["timings"]["ingest"] == 1.5 and list(rep["timings"])[:2] == ["ingest", "ner"]


def test_report_md_shows_failures_and_each_finding_with_snippets(batch_out):
    out, _ = batch_out
    md = (out / "report.md").read_text()
    assert "| b | failed |" in md and "encrypted: needs a password" in md
    study = md[md.index("KarMMa (`karmma`)") :]
    assert "**error** **cr_le_orr** CR: CR above ORR" in study
    assert '"CR of 46%"' in study and "text:46 (text, p. 4)" in study
    assert "table:82.8 (table, p. 3)" in study
    assert "unknown product Foo-cel" in md[md.index("(document-wide)") :]


def test_junit_fails_error_findings_and_errors_failed_documents(batch_out):
    out, _ = batch_out
    root = ET.parse(out / "junit.xml").getroot()
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("4", "1", "1")
    a = root.find("testsuite[@name='a']")
    assert a.find("testcase[@name='cr_le_orr']/failure").get("type") == "error"
    warn = a.find("testcase[@name='unknown_product']")
    assert warn.find("failure") is None and "Foo-cel" in warn.find("system-out").text
    assert root.find("testsuite[@name='b']/testcase[@name='process']/error").get("type") == "encrypted"


def test_junit_fail_on_warning_fails_warning_checks(tmp_path):
    write_batch(tmp_path, [_ok("a", [UNKNOWN])], {}, fail_on="warning")
    root = ET.parse(tmp_path / "junit.xml").getroot()
    assert root.find("testsuite/testcase[@name='unknown_product']/failure").get("type") == "warning"


def test_per_document_outputs(tmp_path):
    folder = write_doc(tmp_path, _ok("a", [CR_GT_ORR]))
    assert folder == tmp_path / "docs" / "a"
    assert pd.read_csv(folder / "outcomes.csv")["metric"].tolist() == ["ORR", "PFS_MEDIAN"]
    assert json.loads((folder / "report.json").read_text())["doc_id"] == "a"
    assert write_doc(tmp_path, failed("..", "/x/...pdf", "", "corrupt", "x")).name == "_.."


def test_atomic_write_keeps_old_file_when_writing_fails(tmp_path):
    target = tmp_path / "studies.csv"
    atomic_write(target, "old\n")
    with pytest.raises(RuntimeError), atomic_target(target) as tmp:
        tmp.write_text("half a fi")
        raise RuntimeError("killed")
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["studies.csv"]


def test_sweep_temp_removes_leftovers_only(tmp_path):
    (tmp_path / "docs" / "a").mkdir(parents=True)
    (tmp_path / "docs" / "a" / ".studies.csv.tmp-123-abcd").write_text("half")
    (tmp_path / "studies.csv").write_text("whole")
    assert sweep_temp(tmp_path) == 1
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == ["studies.csv"]


def test_report_md_says_when_a_papers_numbers_fell_under_the_document_level_study():
    from pipeline.outputs.report import render_md

    plain = _ok("has-study")
    paper = _ok("no-study")
    paper.studies = [
        {"doc_id": "no-study", "study_id": "document", "design": "the paper itself: no study recognised"}
    ]
    for o in paper.outcomes:
        o["study_id"] = "document"
    report = {"totals": {k: 0 for k in ("documents", "ok", "failed", "cached", "pages", "studies", "outcomes")},
              "run": {}, "findings_by_severity": {"error": 0, "warning": 0, "info": 0}, "documents": [],
              "timings": {}}  # fmt: skip
    md = render_md(report, [plain, paper])
    section = md[md.index("## Numbers under the document-level study") :]
    section = section[: section.index("\n## ", 3)]  # up to the next section
    assert "| `no-study` | 2 |" in section and "has-study" not in section
    assert "## Numbers under the document-level study" not in render_md(report, [plain])
