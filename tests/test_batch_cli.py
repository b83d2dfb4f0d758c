"""The command line's conventions (one-line usage errors, choices in --help, --version, `review DIR`),
`--no-cache` still writing the cache, the plain progress lines (stages and ETA) and what each
process imports: a cached run never loads Great Expectations or spaCy."""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from pipeline.batch import Job, run
from pipeline.cli import app
from pipeline.outputs import DocRecord

from .conftest import ROOT
from .pdfgen import PdfSpec, paragraph
from .test_batch import FakeTask, _calls, _pdfs, _run


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["tables", "-f", "xlsx", "x.pdf"], "xlsx"),
        (["ingest", "--format", "html", "x.pdf"], "html"),
        (["run", "--fail-on", "sometimes"], "sometimes"),
        (["run", "--executor", "spark"], "spark"),
        (["check", "--fail-on", "loud"], "loud"),
        (["run", "--jobs", "two"], "--jobs"),
        (["run", "--colour"], "--colour"),
        (["frobnicate"], "frobnicate"),
    ],
)
def test_bad_options_are_one_line_errors_with_exit_2(args, named):
    res = CliRunner().invoke(app, args)
    lines = res.output.strip().splitlines()
    assert res.exit_code == 2, res.output
    assert len(lines) == 1 and lines[0].startswith("error: ") and named in lines[0], res.output
    assert "Traceback" not in res.output


def test_help_lists_the_choices_of_every_enum_like_option():
    runner = CliRunner()
    run_help = runner.invoke(app, ["run", "--help"]).output
    assert "local|dask" in run_help and "error|warning|never" in run_help
    assert "md|csv|json" in runner.invoke(app, ["tables", "--help"]).output
    assert "text|json" in runner.invoke(app, ["ingest", "--help"]).output
    assert "error|warning|never" in runner.invoke(app, ["check", "--help"]).output


def test_version_is_the_package_version():
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    res = CliRunner().invoke(app, ["--version"])
    assert res.exit_code == 0 and res.output.strip() == f"trialex {version}"


def test_review_takes_the_output_folder_as_an_argument(tmp_path):
    out = tmp_path / "out"
    _run(_pdfs(tmp_path / "in", "bad-zeta", "fine"), out)  # bad-*: one error finding
    env = {"TRIALEX_REVIEW_DB": ""}
    by_option = CliRunner().invoke(app, ["review", "--out", str(out), "list"], env=env)
    by_argument = CliRunner().invoke(app, ["review", str(out), "list"], env=env)
    assert by_option.exit_code == 0 and by_argument.exit_code == 0, by_argument.output
    assert "f-bad-zeta" in by_argument.output
    assert by_argument.stdout == by_option.stdout


def test_no_cache_reads_nothing_but_still_writes_the_cache(tmp_path):
    inp, out, log = _pdfs(tmp_path / "in", "a", "b"), tmp_path / "out", tmp_path / "log"
    _run(inp, out, log)
    rep = _run(inp, out, log, use_cache=False)
    assert sorted(_calls(log)) == ["a", "a", "b", "b"]  # --no-cache parsed both again
    assert not any(r.row.get("cached") for r in rep.records)
    (inp / "c.pdf").write_bytes(b"%PDF-1.4 fake c")
    _run(inp, out, log, use_cache=False)  # c is new: a --no-cache run is its first
    rep = _run(inp, out, log)
    assert [r.row.get("cached") for r in rep.records] == [True, True, True]
    assert len(_calls(log)) == 7  # the plain run after it processed nothing


# --- the real pipeline in a subprocess: progress lines and imports ----------------------------------


def _paper(path: Path, trial: str, n: int) -> None:
    pdf = PdfSpec()
    for page in range(2):
        if page:
            pdf.new_page()
        text = [
            f"In the phase 2 {trial} study, {n} patients received tarvelimab. The overall response",
            f"rate was {40 + page}% and the complete response rate {12 + page}% at 12 months.",
        ]
        paragraph(pdf, 72, 100, text)
    pdf.save(path)


def _blank(path: Path) -> None:
    pdf = PdfSpec()
    pdf.rect(72, 100, 300, 200, fill=True)  # a page with no text layer: ingest fails, nothing validated
    pdf.save(path)


def _cli(args: list[str], tmp_path: Path, log: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "TRIALEX_IMPORTS_LOG": str(log), "COLUMNS": "120"}
    cmd = [sys.executable, "-m", "pipeline.cli", *args]
    return subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900)


def _imports(log: Path) -> list[dict]:
    rows = [json.loads(x) for x in log.read_text().splitlines()] if log.exists() else []
    log.unlink(missing_ok=True)
    return rows


def test_progress_lines_and_imports_of_cold_partly_cached_and_cached_runs(tmp_path):
    inp, out, log = tmp_path / "in", tmp_path / "out", tmp_path / "imports.jsonl"
    inp.mkdir()
    _paper(inp / "alder-1.pdf", "KESTREL-4", 173)
    _paper(inp / "birch-2.pdf", "OSPREY-7", 88)
    cold = _cli(["run", "in", "-o", "out", "-j", "1", "--fail-on", "never"], tmp_path, log)
    assert cold.returncode == 0, cold.stderr
    stages = [ln for ln in cold.stderr.splitlines() if ln.startswith("[")]  # plain mode: not a terminal
    for doc in ("alder-1", "birch-2"):
        seen = [s.split(": ", 1)[1].split()[0] for s in stages if f"] {doc}: " in s]
        assert seen == ["ingest", "tables", "ner", "records", "quality"], cold.stderr
    assert any("ETA 0:" in s or "ETA 1:" in s for s in stages), cold.stderr  # a figure, not just "estimating"
    assert any("of ~4 pages" in s for s in stages), cold.stderr  # 2 documents of 2 pages each
    rows = _imports(log)
    workers = [r for r in rows if r["who"] == "worker"]
    # validation ran in the Data Docs child (pipeline.quality.remote): no worker imports GX
    assert workers and not any("great_expectations" in w["modules"] for w in workers)
    (parent,) = [r for r in rows if r["who"] == "parent"]  # Data Docs were built, in a child
    assert "great_expectations" not in parent["modules"] and "spacy" not in parent["modules"]
    assert "pandas" not in parent["modules"]  # the workers make the frames; the merge copies their parts
    assert (out / "data_docs" / "index.html").is_file()
    # that child (the validator) imported GX without what GX imports but never uses here (quality.lean)
    (validator,) = [r for r in rows if r["who"] == "validator"]
    assert "great_expectations" in validator["modules"] and "sqlalchemy" not in validator["modules"]

    _blank(inp / "cedar-3.pdf")  # the two others are cached: only this one reaches a worker
    partly = _cli(
        ["run", "in", "-o", "out", "-j", "1", "--fail-on", "never", "--allow-failed"], tmp_path, log
    )
    assert partly.returncode == 0, partly.stderr
    workers = [r for r in _imports(log) if r["who"] == "worker"]
    assert len(workers) == 1 and "spacy" in workers[0]["modules"]  # one worker, for the one miss
    staged = {ln.split("] ", 1)[1].split(":")[0] for ln in partly.stderr.splitlines() if ln.startswith("[")}
    assert staged == {"cedar-3"}  # cached documents never reach a worker

    cached = _cli(
        ["run", "in", "-o", "out", "-j", "1", "--fail-on", "never", "--allow-failed"], tmp_path, log
    )
    assert cached.returncode == 0, cached.stderr
    rows = _imports(log)
    assert [r["who"] for r in rows] == ["parent"]  # no worker started
    assert "great_expectations" not in rows[0]["modules"] and "spacy" not in rows[0]["modules"]
    report = json.loads((out / "report.json").read_text())
    assert report["totals"]["cached"] == 3 and Path(report["run"]["data_docs"]).is_file()


# --- CI conventions --------------------------------------------------------------------------------


class NotedTask(FakeTask):
    """FakeTask whose findings carry a message with the characters workflow commands must escape."""

    def __call__(self, job: Job) -> DocRecord:
        rec = super().__call__(job)
        for f in rec.findings:
            f.update(message="ORR 50% of n=10,\nnot 61%", study_id="s1", trial="HERON-2", cohort="B")
        return rec


def test_github_annotations_escape_and_the_step_summary_puts_errors_first(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    inp = _pdfs(tmp_path / "in", "warn-x", "bad-a,b:c", "fine", "boom-1")
    task = functools.partial(NotedTask)
    run([str(inp)], tmp_path / "out", task=task, progress=False, jobs=1, data_docs=False, code="t")
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    res = CliRunner().invoke(app, ["check", "out", "--github"], env={"GITHUB_STEP_SUMMARY": str(summary)})
    assert res.exit_code == 3  # boom-1 failed
    commands = [ln for ln in res.stdout.splitlines() if ln.startswith("::")]
    assert commands[0].startswith("::error file=in/boom-1.pdf,title=trialex%3A document failed::")
    assert (
        "::error file=in/bad-a%2Cb%3Ac.pdf,title=trialex c%3A HERON-2 B::ORR 50%25 of n=10,%0Anot 61%25"
        in commands
    )
    assert (
        "::warning file=in/warn-x.pdf,title=trialex c%3A HERON-2 B::ORR 50%25 of n=10,%0Anot 61%25"
        in commands
    )
    assert not any("fine" in c for c in commands)
    md = summary.read_text()
    assert md.startswith("earlier step\n## trialex check: FAIL")  # appended, never overwritten
    table = [ln.split("|")[1].strip() for ln in md.splitlines() if ln.startswith("| `")]
    assert table == ["`boom-1`", "`bad-a,b:c`", "`warn-x`", "`fine`"]  # failed, errors, warnings, clean
    assert "**HERON-2 B**\n- **error** `c` ORR 50% of n=10, not 61%" in md


def test_action_and_pre_commit_hook_run_trialex_check():
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    steps = " ".join(s.get("run", "") for s in action["runs"]["steps"])
    assert action["runs"]["using"] == "composite" and "trialex check" in steps and "--github" in steps
    assert "${{" not in steps  # inputs reach the shell as environment variables, never as code
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["entry"].startswith("trialex check") and hook["files"] == r"\.pdf$"


def test_check_given_pdfs_runs_them_first_and_gates(tmp_path):
    _blank(tmp_path / "scan.pdf")  # no text layer: a failed document
    res = CliRunner().invoke(app, ["check", str(tmp_path / "scan.pdf"), "-o", str(tmp_path / "o")])
    assert res.exit_code == 3 and "1 of 1 documents failed" in res.output, res.output
    assert (tmp_path / "o" / "findings.csv").is_file()
    res = CliRunner().invoke(app, ["check", str(tmp_path / "scan.pdf"), str(tmp_path / "o")])
    assert res.exit_code == 2 and res.output.startswith("error: ")


def test_review_with_a_mistyped_subcommand_is_an_error_not_a_new_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(app, ["review", "lsit"])
    assert res.exit_code == 2 and "lsit" in res.output and not (tmp_path / "lsit").exists()


def test_eta_counts_ingested_pages_and_assumes_the_mean_for_unread_documents(monkeypatch):
    from pipeline.batch import progress

    clock = [100.0]
    monkeypatch.setattr(progress.time, "monotonic", lambda: clock[0])
    eta = progress.Eta(docs=4)
    eta.begin()
    assert eta.seconds_left() is None and eta.text() == "0 pages · ETA estimating"
    clock[0] = 110.0
    eta.ingested("a", 10)
    eta.ingested("b", 30)  # 40 pages in 10 s; 2 documents unread, 20 pages each assumed
    assert eta.expected() == 80 and eta.seconds_left() == 10.0
    assert eta.text() == "40 of ~80 pages · ETA 0:10"
    eta.ingested("a", 99)  # a document's pages count once
    assert eta.processed() == 40
