"""Batch runner: discovery and doc_ids, failure isolation (timeouts, crashes, bad PDFs), the cache
and its invalidation, interrupted runs, exit codes and the CLI."""

from __future__ import annotations

import functools
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from pipeline.batch import Job, TaskConfig, UsageError, code_version, exit_code, run
from pipeline.batch.discover import find_pdfs, make_jobs
from pipeline.outputs import DocRecord

from .conftest import REAL_PDFS, ROOT


class FakeTask:
    """A deterministic stand-in for the pipeline; what it does depends on the file's stem."""

    def __init__(self, config: TaskConfig, log: str = "", delay: float = 0.0) -> None:
        self.log, self.delay = log, delay
        self._note("init")

    def _note(self, line: str) -> None:
        if self.log:
            with open(self.log, "a") as f:
                f.write(line + "\n")

    def __call__(self, job: Job) -> DocRecord:
        stem = Path(job.path).stem
        self._note(job.doc_id)
        if stem.startswith("slow"):
            time.sleep(60)
        if stem.startswith("segv"):
            os.kill(os.getpid(), signal.SIGSEGV)
        if stem.startswith("oom"):
            raise MemoryError
        if stem.startswith("boom"):
            raise KeyError("no such column")
        time.sleep(self.delay)
        sev = "error" if stem.startswith("bad") else "warning" if stem.startswith("warn") else ""
        findings = (
            [{"finding_id": f"f-{job.doc_id}", "doc_id": job.doc_id, "check": "c", "severity": sev}]
            if sev
            else []
        )
        return DocRecord(
            row={"doc_id": job.doc_id, "path": job.path, "sha256": job.sha256, "pages": 2, "status": "ok",
                 "error": "", "error_detail": "", "timings": {"ingest": 0.1}, "counts": {"findings": len(findings)}},
            studies=[{"doc_id": job.doc_id, "study_id": "s1", "n": 10}],
            outcomes=[{"doc_id": job.doc_id, "study_id": "s1", "metric": "ORR", "value": 50.0, "unit": "%"}],
            findings=findings,
        )  # fmt: skip


def _pdfs(folder: Path, *stems: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for s in stems:
        (folder / f"{s}.pdf").write_bytes(b"%PDF-1.4 fake " + s.encode())
    return folder


def _calls(log: Path) -> list[str]:
    return [x for x in log.read_text().split() if x != "init"] if log.exists() else []


def _run(inp: Path, out: Path, log: Path | None = None, **kw) -> object:
    task = functools.partial(FakeTask, log=str(log or ""), delay=kw.pop("delay", 0.0))
    kw.setdefault("code", "test")  # other stages' sources change while tests run; pin the code version
    return run([str(inp)], out, task=task, progress=False, jobs=kw.pop("jobs", 1), data_docs=False, **kw)


# --- discovery -------------------------------------------------------------------------------------


def test_find_pdfs_takes_files_folders_and_globs_and_skips_output(tmp_path):
    _pdfs(tmp_path / "in", "a", "b")
    _pdfs(tmp_path / "in" / "sub", "c")
    _pdfs(tmp_path / "in" / ".hidden", "h")
    _pdfs(tmp_path / "in" / "out", "o")
    (tmp_path / "in" / "notes.txt").write_text("x")
    found = find_pdfs([str(tmp_path / "in")], exclude=tmp_path / "in" / "out")
    assert [p.name for p in found] == ["a.pdf", "b.pdf", "c.pdf"]
    found = find_pdfs([str(tmp_path / "in" / "*.pdf"), str(tmp_path / "in" / "a.pdf")])
    assert [p.name for p in found] == ["a.pdf", "b.pdf"]


def test_find_pdfs_usage_errors(tmp_path):
    with pytest.raises(UsageError, match="no such file or folder"):
        find_pdfs([str(tmp_path / "nope")])
    (tmp_path / "empty").mkdir()
    with pytest.raises(UsageError, match="no PDFs found"):
        find_pdfs([str(tmp_path / "empty")])


def test_doc_ids_are_stems_with_a_content_hash_on_clashes(tmp_path):
    _pdfs(tmp_path / "x", "review", "other")
    (tmp_path / "y").mkdir()
    (tmp_path / "y" / "review.pdf").write_bytes(b"%PDF-1.4 another paper")
    shutil.copy(tmp_path / "x" / "review.pdf", tmp_path / "review.pdf")  # identical content, same stem
    jobs = make_jobs(find_pdfs([str(tmp_path / "x"), str(tmp_path / "y"), str(tmp_path / "review.pdf")]))
    ids = [j.doc_id for j in jobs]
    sha_x, sha_y = jobs[1].sha256, jobs[2].sha256
    assert ids == ["other", f"review-{sha_x[:8]}", f"review-{sha_y[:8]}", f"review-{sha_x[:8]}-2"]
    assert make_jobs(find_pdfs([str(tmp_path / "x")]))[1].doc_id == "review"  # stable without a clash


# --- failure isolation -----------------------------------------------------------------------------


def test_timeouts_crashes_and_exceptions_become_rows_and_the_batch_finishes(tmp_path):
    inp = _pdfs(tmp_path / "in", "a", "slow", "segv", "oom", "boom", "z")
    rep = _run(inp, tmp_path / "out", jobs=2, timeout=1.5)
    rows = {r.doc_id: r.row for r in rep.records}
    assert [r.doc_id for r in rep.records] == ["a", "boom", "oom", "segv", "slow", "z"]
    assert rows["a"]["status"] == rows["z"]["status"] == "ok"
    assert (rows["slow"]["error"], rows["slow"]["error_detail"]) == ("timeout", "took longer than 1.5 s")
    assert rows["segv"]["error"] == "crashed" and "SIGSEGV" in rows["segv"]["error_detail"]
    assert rows["oom"]["error"] == "out_of_memory"
    assert rows["boom"]["error"] == "internal" and "KeyError" in rows["boom"]["error_detail"]
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["totals"]["failed"] == 4 and report["totals"]["ok"] == 2
    assert pd.read_csv(tmp_path / "out" / "studies.csv")["doc_id"].tolist() == ["a", "z"]


def test_worker_that_cannot_start_fails_documents_with_reason(tmp_path):
    inp = _pdfs(tmp_path / "in", "a", "b")
    rep = run(
        [str(inp)], tmp_path / "out", task=functools.partial(FakeTask, delay="x"), progress=False, jobs=1
    )
    assert {r.row["error"] for r in rep.records} == {"ok"} - {"ok"} | {"internal"}  # delay="x" fails per call
    broken = functools.partial(FakeTask, nope=1)  # the factory itself raises TypeError
    rep = run([str(inp)], tmp_path / "out2", task=broken, progress=False, jobs=1)
    assert [r.row["error"] for r in rep.records] == ["worker_init", "worker_init"]
    assert "TypeError" in rep.records[0].row["error_detail"]


@pytest.mark.skipif(not REAL_PDFS.is_dir(), reason="shared real PDFs not present")
def test_bad_real_pdfs_become_report_rows_with_reasons(tmp_path):
    inp = tmp_path / "in"
    inp.mkdir()
    for name in ("encrypted-password", "truncated-real", "scanned-no-text-layer"):
        shutil.copy(REAL_PDFS / f"{name}.pdf", inp)
    (inp / "zero-bytes.pdf").write_bytes(b"")
    (inp / "random-bytes.pdf").write_bytes(os.urandom(4096))
    (inp / "cut-copy.pdf").write_bytes((REAL_PDFS / "rotated-table.pdf").read_bytes()[:40000])
    rep = run([str(inp)], tmp_path / "out", jobs=2, progress=False, data_docs=False)
    rows = {r.doc_id: r.row for r in rep.records}
    assert len(rows) == 6
    for bad in ("encrypted-password", "truncated-real", "zero-bytes", "random-bytes", "cut-copy"):
        assert rows[bad]["status"] == "failed", bad
        assert rows[bad]["error"] and rows[bad]["error_detail"], bad
    assert (
        "scanned-no-text-layer" in rows
    )  # failed (no text layer) or ok with nothing found: a row either way
    md = (tmp_path / "out" / "report.md").read_text()
    assert f"| zero-bytes | failed | 0 | 0 | 0 | 0 | 0.0 | {rows['zero-bytes']['error']}: " in md


# --- cache -----------------------------------------------------------------------------------------


def test_cache_hits_and_invalidation_by_rules_and_code(tmp_path):
    inp = _pdfs(tmp_path / "in", "a", "b")
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    log, out = tmp_path / "log", tmp_path / "out"
    _run(inp, out, log, rules_dir=rules, code="v1")
    assert sorted(_calls(log)) == ["a", "b"]
    rep = _run(inp, out, log, rules_dir=rules, code="v1")
    assert sorted(_calls(log)) == ["a", "b"]  # nothing processed again
    assert all(r.row["cached"] for r in rep.records)
    assert rep.summary["totals"]["cached"] == 2 and rep.summary["totals"]["studies"] == 2
    (inp / "b.pdf").write_bytes(b"%PDF-1.4 changed")
    _run(inp, out, log, rules_dir=rules, code="v1")
    assert _calls(log)[2:] == ["b"]  # only the changed file
    with open(rules / "products.yml", "a") as f:
        f.write("\n# a curator's edit\n")
    _run(inp, out, log, rules_dir=rules, code="v1")
    assert sorted(_calls(log)[3:]) == ["a", "b"]
    _run(inp, out, log, rules_dir=rules, code="v2")
    assert sorted(_calls(log)[5:]) == ["a", "b"]
    _run(inp, out, log, rules_dir=rules, code="v2", use_cache=False)
    assert len(_calls(log)) == 9


def test_transient_failures_are_not_cached(tmp_path):
    inp = _pdfs(tmp_path / "in", "a", "boom")
    log, out = tmp_path / "log", tmp_path / "out"
    _run(inp, out, log)
    _run(inp, out, log)
    assert _calls(log) == ["a", "boom", "boom"]


def test_code_version_changes_with_result_shaping_sources_only(tmp_path):
    pkg = tmp_path / "pkg"
    for sub in ("records", "outputs", "batch", "review"):
        (pkg / sub).mkdir(parents=True)
    (pkg / "records" / "build.py").write_text("x = 1\n")
    (pkg / "outputs" / "record.py").write_text("y = 1\n")
    (pkg / "outputs" / "report.py").write_text("z = 1\n")
    (pkg / "batch" / "task.py").write_text("t = 1\n")
    v1 = code_version(pkg)
    (pkg / "records" / "__pycache__").mkdir()
    (pkg / "records" / "__pycache__" / "build.cpython-311.pyc").write_bytes(b"\0")
    (pkg / "outputs" / "report.py").write_text("z = 2\n")  # a report layout change keeps the cache
    (pkg / "review" / "app.py").write_text("a = 2\n")
    assert code_version(pkg) == v1
    versions = {v1}
    for path in ("records/build.py", "outputs/record.py", "batch/task.py", "model.py"):
        (pkg / path).write_text("changed = True\n")
        versions.add(code_version(pkg))
    assert len(versions) == 5  # each result-shaping change gave a new version


# --- interrupted runs ------------------------------------------------------------------------------

_SCRIPT = """
import functools, sys
from pipeline.batch import run
from tests.test_batch import FakeTask
try:
    run([sys.argv[1]], sys.argv[2], jobs=1, progress=False,
        task=functools.partial(FakeTask, log=sys.argv[3], delay=0.25), code="test", data_docs=False)
except KeyboardInterrupt:
    sys.exit(130)
"""


def test_interrupted_run_leaves_whole_outputs_and_rerun_continues(tmp_path):
    stems = [f"p{i:02d}" for i in range(12)]
    inp, out, log = _pdfs(tmp_path / "in", *stems), tmp_path / "out", tmp_path / "log"
    args = [sys.executable, "-c", _SCRIPT, str(inp), str(out), str(log)]
    proc = subprocess.Popen(args, cwd=ROOT, start_new_session=True)
    deadline = time.monotonic() + 60
    while len(list(out.glob("docs/*/report.json"))) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C sends: the whole process group
    assert proc.wait(timeout=30) == 130
    finished = sorted(p.parent.name for p in out.glob("docs/*/report.json"))
    assert 3 <= len(finished) < len(stems)
    assert not (out / "report.json").exists()  # merged outputs are only written by a completed run
    for name in finished:
        folder = out / "docs" / name
        assert pd.read_csv(folder / "studies.csv")["doc_id"].tolist() == [name]
        assert json.loads((folder / "report.json").read_text())["status"] == "ok"
    before = len(_calls(log))
    rep = _run(inp, out, log, delay=0.25)  # the same task (its arguments are part of the cache key)
    again = _calls(log)[before:]
    assert not set(again) & set(finished) and set(again) | set(finished) == set(stems)
    assert pd.read_csv(out / "studies.csv")["doc_id"].tolist() == stems
    assert rep.summary["totals"]["cached"] == len(finished)
    assert not [p for p in out.rglob("*") if ".tmp-" in p.name]


# --- exit codes and CLI ----------------------------------------------------------------------------


def test_exit_code_rule():
    df = pd.DataFrame({"severity": ["warning", "info"]})
    assert exit_code(df, "error") == 0
    assert exit_code(df, "warning") == 1
    assert exit_code(pd.DataFrame({"severity": ["error"]}), "error") == 1
    assert exit_code(pd.DataFrame({"severity": ["error"]}), "never") == 0
    assert exit_code(pd.DataFrame({"severity": pd.Series([], dtype=str)}), "warning") == 0


def test_run_exit_code_follows_findings(tmp_path):
    inp = _pdfs(tmp_path / "in", "bad-one", "ok")
    assert _run(inp, tmp_path / "out").exit_code == 1
    assert _run(inp, tmp_path / "out", fail_on="never").exit_code == 0
    assert json.loads((tmp_path / "out" / "report.json").read_text())["run"]["exit_code"] == 0


def test_cli_usage_errors_exit_2(tmp_path):
    from pipeline.cli import app

    cli = CliRunner()
    res = cli.invoke(app, ["run", str(tmp_path / "missing"), "-o", str(tmp_path / "out")])
    assert res.exit_code == 2 and "no such file or folder" in res.output
    (tmp_path / "empty").mkdir()
    res = cli.invoke(app, ["run", str(tmp_path / "empty"), "-o", str(tmp_path / "out")])
    assert res.exit_code == 2 and "no PDFs found" in res.output
    _pdfs(tmp_path / "in", "a")
    res = cli.invoke(app, ["run", str(tmp_path / "in"), "--fail-on", "sometimes"])
    assert res.exit_code == 2 and "--fail-on" in res.output
    res = cli.invoke(app, ["run", str(tmp_path / "in"), "--executor", "spark"])
    assert res.exit_code == 2 and "--executor" in res.output
    res = cli.invoke(app, ["run", str(tmp_path / "in"), "--rules", str(tmp_path / "norules")])
    assert res.exit_code == 2 and "rules folder not found" in res.output


def test_cli_run_writes_every_output(tmp_path):
    from pipeline.cli import app

    inp = tmp_path / "in"
    inp.mkdir()
    (inp / "zero.pdf").write_bytes(b"")
    _one_sentence_pdf(inp / "ok.pdf")
    res = CliRunner().invoke(app, ["run", str(inp), "-o", str(tmp_path / "out"), "-j", "1"])
    assert res.exit_code == 3, res.output  # zero.pdf failed
    args = ["run", str(inp), "-o", str(tmp_path / "out"), "-j", "1", "--allow-failed"]
    assert CliRunner().invoke(app, args).exit_code == 0
    names = {p.name for p in (tmp_path / "out").iterdir()}
    expected = {"studies", "outcomes", "findings"}
    assert {f"{n}.csv" for n in expected} | {f"{n}.parquet" for n in expected} <= names
    assert {"mentions.jsonl", "report.md", "report.json", "junit.xml", "docs"} <= names
    assert json.loads((tmp_path / "out" / "docs" / "zero" / "report.json").read_text())["status"] == "failed"
    # junit.xml: the clean document gets a passing case for every check family of rules/checks.yml
    from pipeline.rules import load

    suite = ET.parse(tmp_path / "out" / "junit.xml").getroot().find("testsuite[@name='ok']")
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    assert set(load()["checks"]["checks"]) <= set(cases)
    assert all(c.find("failure") is None for c in cases.values())


def _one_sentence_pdf(path: Path) -> None:
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path))
    c.setFont("Helvetica", 10)
    c.drawString(72, 720, "This short note reports no trial results at all.")
    c.save()


def test_data_docs_read_the_merged_tables_in_their_child_never_in_the_parent(tmp_path, monkeypatch):
    import pipeline.batch.runner as runner
    import pipeline.outputs as outputs

    def parent_reads(*_a, **_k):
        raise AssertionError("the parent read the merged tables")

    monkeypatch.setattr(runner, "read_frames", parent_reads)
    monkeypatch.setattr(outputs, "read_frames", parent_reads)
    monkeypatch.setattr(runner.BatchReport, "frames", property(parent_reads))
    inp = _pdfs(tmp_path / "in", "alder", "bad-birch", "cedar")
    task = functools.partial(FakeTask, log="")
    rep = run([str(inp)], tmp_path / "out", task=task, progress=False, jobs=1, code="test", data_docs=True)
    built = rep.summary["run"]["data_docs"]
    assert built == str((tmp_path / "out" / "data_docs" / "index.html").resolve()), built
    # the child validated the whole batch: each suite saw the three documents' rows
    runs = json.loads((tmp_path / "out" / "data_docs" / "validations.json").read_text())
    for suite in ("studies", "outcomes"):
        assert {r["result"].get("element_count") for r in runs[suite]["results"]} == {3}, suite
