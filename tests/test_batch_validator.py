"""When the run's GX validator starts and what a run does when it cannot serve: `trialex run` starts the
fork server before the main process imports pandas or the writers, only when every document goes to a
local worker that validates through it, and forks the validator from the main process once its
imports are done (pandas loaded; its GX imports take the core the main process leaves while the
server ends its preload, never waiting for it); a validator that cannot import GX leaves the
workers to validate themselves (same findings) and the Data Docs reported as not built."""

from __future__ import annotations

import csv
import functools
import json
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.batch import UsageError
from pipeline.batch.docs import head_start
from pipeline.batch.task import PipelineTask

from .pdfgen import PdfSpec, paragraph
from .test_batch import FakeTask

ROOT = Path(__file__).resolve().parents[1]

_EARLY = """
import json, os, signal, sys, time
from pathlib import Path
from multiprocessing import forkserver
from pipeline.batch.docs import head_start
if __name__ == "__main__":
    child = head_start(Path(sys.argv[1]), {"use_cache": False})
    loaded = sorted(m for m in ("pandas", "pyarrow", "spacy", "great_expectations") if m in sys.modules)
    server = forkserver._forkserver._forkserver_pid
    waiting = child.proc is None  # the run starts it, once the main process has its imports
    import pandas  # as the runner has
    os.kill(server, signal.SIGSTOP)  # a server still busy with its preload: the validator need not wait
    child.start()
    with open(f"/proc/{child.proc.pid}/stat") as f:
        ppid = int(f.read().rsplit(")", 1)[1].split()[1])
    state = {"loaded": loaded, "waiting": waiting, "alive": child.proc.is_alive(),
             "address": child.address, "server": server is not None, "forked": ppid == os.getpid()}
    deadline = time.monotonic() + 300
    while not child.settled() and time.monotonic() < deadline:
        time.sleep(0.2)
    state["serving"] = child.settled() and child.proc.is_alive()
    os.kill(server, signal.SIGCONT)
    with open(f"/proc/{child.proc.pid}/comm") as f:
        state["name"] = f.read().strip()
    child.conn.close()  # as when the main process goes: the child sees EOF and ends
    child.proc.join(60)
    state["ended"] = child.proc.exitcode == 0
    child.close()
    print(json.dumps(state))
"""


def test_the_fork_server_starts_before_the_main_process_imports_pandas_the_validator_without_waiting_for_it(
    tmp_path,
):
    script = tmp_path / "early.py"
    script.write_text(_EARLY)
    res = subprocess.run(
        [sys.executable, str(script), str(tmp_path / "out")],
        capture_output=True, text=True, timeout=600, cwd=ROOT,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr[-3000:]
    state = json.loads(res.stdout.strip().splitlines()[-1])
    assert state["loaded"] == [], state  # the server was started by a main process holding none of them
    assert state["server"] and state["waiting"], state
    assert state["alive"] and state["address"] and state["forked"], state  # the main process's child
    assert state["serving"], state  # it loaded GX and serves, on its own
    assert state["name"] == "trialex-gx", state  # told apart from the workers (same command line)
    assert state["ended"], state  # it holds no copy of the main process's end of their pipe


@pytest.mark.parametrize(
    "options",
    [
        {"executor": "dask"},  # a Dask worker validates itself
        {"task": functools.partial(FakeTask, log="")},  # a task that does not validate
        {"task": PipelineTask, "cached": True},  # documents may be cached: the run decides later
    ],
)
def test_nothing_is_started_ahead_when_the_run_may_not_need_the_validator(tmp_path, options):
    if options.pop("cached", False):
        entry = tmp_path / "out" / ".cache" / "ab" / "ab12.json"
        entry.parent.mkdir(parents=True)
        entry.write_text("{}")
    assert head_start(tmp_path / "out", options) is None


def test_a_run_that_is_a_usage_error_starts_nothing(tmp_path):
    with pytest.raises(UsageError, match="--jobs"):
        head_start(tmp_path / "out", {"jobs": -1})


_NO_GX = """
import sys
from pathlib import Path
from pipeline.batch.docs import head_start
from pipeline.batch.runner import run
if __name__ == "__main__":
    out = Path(sys.argv[2])
    sys.path.insert(0, sys.argv[3])  # a child started now finds a GX that cannot load ...
    child = head_start(out, {"use_cache": False}).start()
    sys.path.pop(0)  # ... the workers (forked later, with the path of that time) the real one
    sys.exit(run([sys.argv[1]], out, jobs=1, fail_on="never", use_cache=False, child=child).exit_code)
"""


def test_a_validator_that_cannot_import_gx_leaves_the_workers_to_find_the_expectation_failures(tmp_path):
    from pipeline.process import Pipeline

    inp = tmp_path / "in"
    inp.mkdir()
    pdf = PdfSpec()
    paragraph(
        pdf,
        72,
        100,
        [
            "In the phase 2 MERLIN-5 study (NCT0338), 71 patients received dorvatamab. The overall",
            "response rate was 124% and the complete response rate 19% at 9 months.",
        ],
    )  # an ORR above 100% and a malformed registry id: both break expectations of the GX suites
    pdf.save(inp / "merlin-5.pdf")
    fake = tmp_path / "fake"
    (fake / "great_expectations").mkdir(parents=True)
    (fake / "great_expectations" / "__init__.py").write_text("raise ImportError('no GX here (test)')\n")
    script = tmp_path / "nogx.py"
    script.write_text(_NO_GX)
    out = tmp_path / "out"
    res = subprocess.run(
        [sys.executable, str(script), str(inp), str(out), str(fake)],
        capture_output=True, text=True, timeout=900, cwd=ROOT,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr[-3000:]
    report = json.loads((out / "report.json").read_text())
    (doc,) = report["documents"]
    assert doc["status"] == "ok", doc
    # the Data Docs (the child's other job) are said to be missing, with the reason
    assert report["run"]["data_docs"].startswith("failed: ImportError"), report["run"]["data_docs"]
    assert "Data Docs not built" in res.stderr
    # the reports, written while the docs were being built, say so too (written again once known)
    assert "Data Docs not built: ImportError" in (out / "report.md").read_text(encoding="utf-8")
    assert "Data Docs not built" in (out / "report.html").read_text(encoding="utf-8")
    with open(out / "findings.csv", newline="", encoding="utf-8") as f:
        found = sorted((r["finding_id"], r["check"], r["message"]) for r in csv.DictReader(f))
    alone = Pipeline().process(inp / "merlin-5.pdf", doc_id="merlin-5")  # GX suites in this process
    assert {"value_out_of_range", "malformed_id"} <= {f.check for f in alone.findings}
    assert found == sorted((f.finding_id, f.check, f.message) for f in alone.findings)
