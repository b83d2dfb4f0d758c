"""The run manifest: a run whose inputs, options, rules and code are unchanged and whose output files
are as the last run left them processes nothing, rewrites nothing but report.json's run info, and
exits with the code the full run would give; any change in between makes the run do its work."""

from __future__ import annotations

import functools
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

import pipeline.batch.runner as runner
from pipeline.batch import run, run_command
from pipeline.batch.manifest import DEFAULT_TASK, NAME, replay
from pipeline.batch.task import PipelineTask, task_tag
from pipeline.quality.gate import code_for, run_exit_code
from pipeline.rules import DEFAULT_DIR

from .test_batch import FakeTask, _calls, _pdfs


def _opts(log: Path, rules: Path, **kw) -> dict:
    task = functools.partial(FakeTask, log=str(log))
    return {"task": task, "code": "test", "jobs": 1, "progress": False, "data_docs": False,
            "rules_dir": rules, **kw}  # fmt: skip


def _files(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


@pytest.fixture
def batch(tmp_path):
    inp = _pdfs(tmp_path / "in", "bad-1", "fine-2", "warn-3")
    rules = tmp_path / "rules"
    shutil.copytree(DEFAULT_DIR.resolve(), rules)
    return inp, tmp_path / "out", tmp_path / "calls.log", rules


def _no_run(*a, **k):
    raise AssertionError("the run was not replayed")


def test_a_second_run_changes_nothing_and_exits_with_the_same_code(batch, monkeypatch):
    inp, out, log, rules = batch
    assert run_command([str(inp)], out, **_opts(log, rules)) == 1  # bad-1 has an error finding
    assert sorted(_calls(log)) == ["bad-1", "fine-2", "warn-3"]
    before = _files(out)
    monkeypatch.setattr(runner, "run", _no_run)
    assert run_command([str(inp)], out, **_opts(log, rules)) == 1
    assert len(_calls(log)) == 3  # no document processed again
    after = _files(out)
    changed = {k for k in before if before[k] != after.get(k)}
    assert changed <= {"report.json", NAME} and set(after) == set(before)
    report = json.loads(after["report.json"])
    assert report["run"]["outputs_reused"] is True and report["run"]["exit_code"] == 1
    assert report["totals"]["cached"] == 3  # as a run through the cache counts them
    old = json.loads(before["report.json"])
    assert report["findings_by_severity"] == old["findings_by_severity"]
    assert report["documents"][0]["doc_id"] == old["documents"][0]["doc_id"]


def test_failed_documents_still_fail_a_replayed_run(batch, monkeypatch):
    inp, out, log, rules = batch
    (inp / "gone-4.pdf").symlink_to(inp / "nowhere")  # discovery's failed row: the same on every run
    assert run_command([str(inp)], out, **_opts(log, rules, fail_on="never")) == 3
    monkeypatch.setattr(runner, "run", _no_run)
    assert run_command([str(inp)], out, **_opts(log, rules, fail_on="never")) == 3
    report = json.loads((out / "report.json").read_text())
    assert report["totals"]["cached"] == 3 and report["totals"]["failed"] == 1


def test_a_document_failed_for_a_retry_is_never_replayed(batch):
    inp, out, log, rules = batch
    _pdfs(inp, "boom-5")  # an internal error: not cached, tried again by the next run
    assert run_command([str(inp)], out, **_opts(log, rules)) == 3
    assert not (out / NAME).exists()
    assert replay([str(inp)], out, **_opts(log, rules)) is None


@pytest.mark.parametrize(
    "change",
    ["new bytes", "new file", "rules", "fail_on", "allow_failed", "no cache", "edited output", "deleted doc"],
)
def test_any_change_makes_the_run_do_its_work(batch, change):
    inp, out, log, rules = batch
    opts = _opts(log, rules)
    run_command([str(inp)], out, **opts)
    assert replay([str(inp)], out, **opts) == 1  # unchanged: replayed
    if change == "new bytes":
        (inp / "fine-2.pdf").write_bytes(b"%PDF-1.4 fake fine-2 touched")
    elif change == "new file":
        _pdfs(inp, "fine-9")
    elif change == "rules":
        with (rules / "checks.yml").open("a") as f:
            f.write("\n# a curator's comment\n")
    elif change in ("fail_on", "allow_failed", "no cache"):
        key, value = {"fail_on": ("fail_on", "warning"), "allow_failed": ("allow_failed", True)}.get(
            change, ("use_cache", False)
        )
        opts[key] = value
    elif change == "edited output":
        with (out / "findings.csv").open("a") as f:
            f.write("x\n")
    else:
        (out / "docs" / "warn-3" / "report.json").unlink()
    assert replay([str(inp)], out, **opts) is None
    before = len(_calls(log))
    run_command([str(inp)], out, **opts)
    assert len(_calls(log)) == before + (1 if change in ("new bytes", "new file") else 0) + (
        3 if change in ("rules", "no cache") else 0
    )
    opts.pop("use_cache", None)  # --no-cache still leaves outputs a plain re-run replays
    assert replay([str(inp)], out, **opts) is not None  # current again


def test_the_library_run_writes_the_manifest_the_cli_replays(batch):
    inp, out, log, rules = batch
    rep = run([str(inp)], out, **_opts(log, rules))
    assert (out / NAME).is_file()
    assert replay([str(inp)], out, **_opts(log, rules)) == rep.exit_code


def test_the_default_task_tag_is_the_cli_task():
    assert task_tag(PipelineTask) == DEFAULT_TASK


@pytest.mark.parametrize("fail_on", ["error", "warning", "never"])
@pytest.mark.parametrize("failed", [0, 2])
@pytest.mark.parametrize("allow_failed", [False, True])
def test_exit_code_from_severities_is_the_gate_of_the_findings(fail_on, failed, allow_failed):
    frames = [
        pd.DataFrame({"severity": ["info", "warning"], "status": ["open", "open"]}),
        pd.DataFrame({"severity": ["error", "info"], "status": ["rejected", "open"]}),
        pd.DataFrame({"severity": ["Error "], "status": ["open"]}),
        pd.DataFrame(),
    ]
    for f in frames:
        live = set() if f.empty else set(f[f.status == "open"].severity.str.strip().str.lower())
        want = run_exit_code(f, fail_on, failed, allow_failed)
        assert code_for(live, fail_on, failed, allow_failed) == want
