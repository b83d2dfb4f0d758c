"""Hostile input for batch runs: symlink loops, non-UTF-8 names, unreadable files, FIFOs, failed
batches and their exit code, workers that outlive their parent, a working folder that shadows a
standard module, and a batch of generated broken files through the real pipeline."""

from __future__ import annotations

import functools
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from pipeline.batch import run
from pipeline.batch.discover import discover, make_jobs
from pipeline.cli import app
from pipeline.quality.gate import check_command

from .conftest import ROOT
from .test_batch import FakeTask, _pdfs

NON_UTF8 = os.fsdecode(b"caf\xe9-\xff")  # a Latin-1 name on a UTF-8 system, plus a byte no codec maps


def _run(inp: list[str] | Path, out: Path, **kw):
    paths = [str(inp)] if isinstance(inp, Path) else inp
    task = functools.partial(FakeTask, log="")
    kw.setdefault("code", "test")
    return run(paths, out, task=task, progress=False, jobs=kw.pop("jobs", 1), data_docs=False, **kw)


def _loops(folder: Path) -> Path:
    _pdfs(folder, "a")
    (folder / "sub").mkdir()
    os.symlink("..", folder / "sub" / "up")  # folder loop
    os.symlink(".", folder / "here")
    os.symlink("self.pdf", folder / "self.pdf")  # a file symlink to itself
    os.symlink("ping.pdf", folder / "pong.pdf")
    os.symlink("pong.pdf", folder / "ping.pdf")
    os.symlink("nowhere.txt", folder / "notes.txt")  # dangling, not a PDF: reported as skipped
    return folder


def test_symlink_loops_are_never_followed_and_become_rows(tmp_path):
    inp = _loops(tmp_path / "in")
    found = discover([str(inp)])
    assert sorted(p.name for p in found.files) == ["a.pdf", "ping.pdf", "pong.pdf", "self.pdf"]
    reasons = dict(found.skipped)
    assert "symlink loop" in reasons[str(inp / "here")] and "symlink loop" in reasons[str(inp / "sub" / "up")]
    assert reasons[str(inp / "notes.txt")] == "dangling symlink"
    rep = _run(inp, tmp_path / "out")
    rows = {r.doc_id: r.row for r in rep.records}
    assert rows["a"]["status"] == "ok"
    for name in ("self", "ping", "pong"):
        assert (rows[name]["error"], rows[name]["error_detail"]) == ("unreadable", "symlink loop")
    assert rep.exit_code == 3
    skipped = json.loads((tmp_path / "out" / "report.json").read_text())["run"]["skipped"]
    assert {s["path"] for s in skipped} == {
        str(inp / "here"),
        str(inp / "sub" / "up"),
        str(inp / "notes.txt"),
    }


@pytest.mark.parametrize("use_cache", [True, False])
def test_non_utf8_file_name_runs_and_is_shown_escaped(tmp_path, use_cache):
    inp = _pdfs(tmp_path / "in", "plain")
    (inp / f"{NON_UTF8}.pdf").write_bytes(b"%PDF-1.4 latin-1 name")
    rep = _run(inp, tmp_path / "out", use_cache=use_cache)
    shown = "caf\\xe9-\\xff"
    assert sorted(r.doc_id for r in rep.records) == [shown, "plain"]
    assert all(r.ok for r in rep.records) and rep.exit_code == 0
    assert pd.read_csv(tmp_path / "out" / "studies.csv")["doc_id"].tolist() == [shown, "plain"]
    doc = json.loads((tmp_path / "out" / "docs" / shown / "report.json").read_text(encoding="utf-8"))
    assert doc["path"] == str(inp / f"{shown}.pdf")
    if use_cache:  # the second run finds it in the cache
        assert [r.row["cached"] for r in _run(inp, tmp_path / "out").records] == [True, True]


def test_unreadable_files_become_failed_rows_and_the_rest_runs(tmp_path, monkeypatch):
    inp = _pdfs(tmp_path / "in", "a", "locked", "z")
    os.mkfifo(inp / "pipe.pdf")  # opening it for reading would block forever
    os.symlink("gone.pdf", inp / "dangling.pdf")
    real_open = os.open

    def deny(path, flags, *a, **kw):  # root reads any file: a permission error is simulated
        if Path(path).name == "locked.pdf":
            raise PermissionError(13, "Permission denied")
        return real_open(path, flags, *a, **kw)

    monkeypatch.setattr("pipeline.batch.discover.os.open", deny)
    rep = _run(inp, tmp_path / "out")
    rows = {r.doc_id: r.row for r in rep.records}
    assert sorted(rows) == ["a", "dangling", "locked", "pipe", "z"]
    assert rows["a"]["status"] == rows["z"]["status"] == "ok"
    assert rows["locked"]["error_detail"] == "Permission denied"
    assert rows["dangling"]["error_detail"] == "dangling symlink"
    assert "not a regular file" in rows["pipe"]["error_detail"]
    assert {rows[k]["error"] for k in ("locked", "dangling", "pipe")} == {"unreadable"}
    md = (tmp_path / "out" / "report.md").read_text()
    assert "| locked | failed |" in md and "unreadable: Permission denied" in md


def test_fifo_named_on_the_command_line_is_a_row_not_a_hang(tmp_path):
    os.mkfifo(tmp_path / "named.pdf")
    jobs = make_jobs(discover([str(tmp_path / "named.pdf")]).files)
    assert [(j.doc_id, j.error) for j in jobs] == [("named", "unreadable")]


def test_failed_documents_give_exit_code_3_in_run_and_check(tmp_path):
    inp = _pdfs(tmp_path / "in", "boom-1", "boom-2")  # every document fails
    rep = _run(inp, tmp_path / "out", fail_on="never")
    assert rep.exit_code == 3 and rep.summary["run"]["exit_code"] == 3
    assert _run(inp, tmp_path / "out2", allow_failed=True).exit_code == 0
    assert check_command(tmp_path / "out") == 3
    assert check_command(tmp_path / "out", allow_failed=True) == 0
    res = CliRunner().invoke(app, ["check", str(tmp_path / "out")])
    assert res.exit_code == 3 and "2 of 2 documents failed" in res.output
    ok = _pdfs(tmp_path / "good", "fine")
    assert _run(ok, tmp_path / "out3", fail_on="never").exit_code == 0
    assert check_command(tmp_path / "out3") == 0


def test_empty_path_is_a_usage_error(tmp_path):
    res = CliRunner().invoke(app, ["run", "", "-o", str(tmp_path / "out")])
    assert res.exit_code == 2 and "empty path" in res.output


def test_report_md_escapes_document_ids(tmp_path):
    inp = _pdfs(tmp_path / "in", "x<!--hide", "bad-after")
    _run(inp, tmp_path / "out")
    md = (tmp_path / "out" / "report.md").read_text()
    assert "<!--" not in md and "x&lt;!--hide" in md
    assert "`bad-after`" in md  # the finding after it is still there, not swallowed by a comment


_ORPHAN = """
import functools, os, sys, time
from pathlib import Path
from pipeline.batch import run
from tests.test_batch import FakeTask
run([sys.argv[1]], sys.argv[2], jobs=2, progress=False, timeout=float(sys.argv[3]),
    task=functools.partial(FakeTask, log=sys.argv[4]), code="test", data_docs=False)
"""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def _pids_of(log: Path) -> list[int]:
    return [int(x.split(":")[1]) for x in log.read_text().split() if x.startswith("pid:")]


class PidTask(FakeTask):
    def __init__(self, config, log: str = "", delay: float = 0.0) -> None:
        super().__init__(config, log, delay)
        self._note(f"pid:{os.getpid()}")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parent-death signal is Linux only")
def test_workers_die_with_a_killed_main_process(tmp_path):
    inp = _pdfs(tmp_path / "in", "slow-1", "slow-2")
    log = tmp_path / "log"
    script = _ORPHAN.replace("FakeTask, log", "PidTask, log").replace(
        "from tests.test_batch import FakeTask", "from tests.test_batch_hostile import PidTask"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    args = [sys.executable, "-c", script, str(inp), str(tmp_path / "out"), "40", str(log)]
    proc = subprocess.Popen(args, cwd=tmp_path, env=env, start_new_session=True)
    deadline = time.monotonic() + 60
    while (not log.exists() or len(_pids_of(log)) < 2 or "slow" not in log.read_text()) and (
        time.monotonic() < deadline
    ):
        time.sleep(0.05)
    workers = _pids_of(log)
    assert len(workers) == 2 and all(_alive(p) for p in workers)
    proc.kill()  # SIGKILL: no cleanup runs in the main process
    proc.wait(timeout=10)
    deadline = time.monotonic() + 15
    while any(_alive(p) for p in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    alive = [p for p in workers if _alive(p)]
    for p in alive:
        os.kill(p, signal.SIGKILL)
    assert not alive, "workers outlived the main process (they sleep 60 s, the timeout is 40 s)"


_SHADOW = """
import functools, sys
from pipeline.batch import run
from tests.test_batch import FakeTask
if __name__ == "__main__":
    rep = run([sys.argv[1]], sys.argv[2], jobs=1, progress=False, task=functools.partial(FakeTask, log=""),
              code="test", data_docs=False)
    sys.exit(rep.exit_code)
"""


def test_workers_do_not_import_from_the_working_folder(tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    marker = tmp_path / "imported"
    (work / "glob.py").write_text(f"open({str(marker)!r}, 'w').close()\nraise ImportError('shadowed')\n")
    script = tmp_path / "bin" / "go.py"
    script.parent.mkdir()
    script.write_text(_SHADOW)
    inp = _pdfs(tmp_path / "in", "a", "b")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    res = subprocess.run(
        [sys.executable, str(script), str(inp), str(tmp_path / "out")],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 0, res.stderr
    assert not marker.exists(), "a glob.py in the working folder was imported by the batch"
    statuses = [d["status"] for d in json.loads((tmp_path / "out" / "report.json").read_text())["documents"]]
    assert statuses == ["ok", "ok"]


def _rules(tmp_path: Path, file: str, old: str, new: str) -> Path:
    import shutil

    root = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", root)
    text = (root / file).read_text()
    assert old in text
    (root / file).write_text(text.replace(old, new, 1))
    return root


@pytest.mark.parametrize(
    "file,old,new,where",
    [
        (
            "checks.yml",
            "    severity: warning",
            "    severity: warn",
            "rules/checks.yml: checks.n_mismatch.severity",
        ),
        ("checks.yml", "\n  grim:\n", "\n  grim: error\n  grim_old:\n", "rules/checks.yml: checks.grim"),
        ("checks.yml", "truncation_severity: info", "truncation_severity: low", "truncation_severity: 'low'"),
        ("metrics.yml", "metrics:\n", "metrics:\n  - ORR\nold_metrics:\n", "rules/metrics.yml: metrics"),
        (
            "records.yml",
            "author_cue: '^(?P<author>",
            "author_cue: '^((?P<author>",
            "rules/records.yml: author_cue",
        ),
        ("review.yml", "low_confidence: 0.7", "low_confidence: 7", "rules/review.yml: low_confidence"),
    ],
)
def test_rules_typos_are_a_usage_error_naming_file_key_and_reason(tmp_path, file, old, new, where):
    rules = _rules(tmp_path, file, old, new)
    _pdfs(tmp_path / "in", "a")
    args = ["run", str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--rules", str(rules)]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 2, res.output
    assert where in res.output
    assert not (tmp_path / "out" / "docs").exists()  # stopped before any document


def test_a_task_that_cannot_start_fails_every_document_and_exit_3(tmp_path):
    inp = _pdfs(tmp_path / "in", "a", "b")
    broken = functools.partial(FakeTask, nope=1)  # the factory raises TypeError in every worker
    rep = run([str(inp)], tmp_path / "out", task=broken, progress=False, jobs=1, data_docs=False)
    assert [r.row["error"] for r in rep.records] == ["worker_init", "worker_init"] and rep.exit_code == 3
