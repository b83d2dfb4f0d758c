"""The Dask executor on a LocalCluster (in-process workers on 127.0.0.1): same records as the local
pool, the task built once per worker, timeouts and exceptions as report rows."""

from __future__ import annotations

import functools
import json

import pytest

from pipeline.batch import run

from .test_batch import FakeTask, _calls, _pdfs

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def client():
    # In-process workers talk over the inproc transport; the HTTP server Dask always starts stays on
    # the loopback interface, on a free port.
    cluster = distributed.LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, dashboard_address="127.0.0.1:0"
    )
    with distributed.Client(cluster) as c:
        yield c
    cluster.close()


def test_dask_executor_runs_every_document_with_one_task_per_worker_thread(tmp_path, client):
    stems = ["a", "b", "bad-c", "d", "e", "boom", "slow"]
    inp, log = _pdfs(tmp_path / "in", *stems), tmp_path / "log"
    task = functools.partial(FakeTask, log=str(log))
    rep = run([str(inp)], tmp_path / "out", executor="dask", client=client, task=task, timeout=2,
              progress=False, data_docs=False, code="test")  # fmt: skip
    rows = {r.doc_id: r.row for r in rep.records}
    assert sorted(rows) == sorted(stems)
    assert rows["slow"]["error"] == "timeout" and rows["boom"]["error"] == "internal"
    assert all(rows[s]["status"] == "ok" for s in ("a", "b", "bad-c", "d", "e"))
    assert rep.exit_code == 3  # boom and slow failed (bad-c's error finding alone would give 1)
    inits = log.read_text().split().count("init")
    assert 1 <= inits <= 2  # built once per worker thread, not once per document
    assert sorted(_calls(log)) == sorted(stems)
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["run"]["executor"] == "dask" and report["totals"]["failed"] == 2
    # The cache is shared with the local executor: a rerun on the local pool processes nothing new.
    again = run(
        [str(inp)],
        tmp_path / "out",
        jobs=1,
        task=task,
        timeout=2,
        progress=False,
        data_docs=False,
        code="test",
    )
    assert sorted(_calls(log)) == sorted(stems + ["boom", "slow"])  # only the transient failures again
    assert again.summary["totals"]["cached"] == 5


def test_dask_executor_runs_the_real_pipeline_on_bad_files(tmp_path, client):
    inp = tmp_path / "in"
    inp.mkdir()
    (inp / "zero.pdf").write_bytes(b"")
    (inp / "junk.pdf").write_bytes(b"not a pdf at all")
    rep = run([str(inp)], tmp_path / "out", executor="dask", client=client, progress=False, data_docs=False)
    assert [(r.doc_id, r.row["status"]) for r in rep.records] == [("junk", "failed"), ("zero", "failed")]
    assert all(r.row["error"] and r.row["error_detail"] for r in rep.records)
