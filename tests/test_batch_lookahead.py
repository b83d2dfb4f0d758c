"""A worker never sits idle waiting for the GX validator: once a document's rows are sent to it, the
worker takes its next document and runs it up to its own request before it reads the first verdict.
Holding two documents keeps every guarantee of one: a worker that dies fails the document it was
running and runs the other (which only waited) again, each document reported once; the timeout still
fires for a document stuck in its stages, and counts a document's own time only."""

from __future__ import annotations

import functools
import json
import os
import signal
import threading
import time
from multiprocessing import current_process
from multiprocessing.connection import Connection, Listener
from pathlib import Path

from pipeline.batch import Job, PipelineTask, TaskConfig, run
from pipeline.batch.discover import find_pdfs, make_jobs
from pipeline.batch.local import LocalExecutor
from pipeline.batch.task import Started
from pipeline.outputs import DocRecord
from pipeline.quality.remote import WAITING

from .pdfgen import PdfSpec, paragraph
from .test_batch import FakeTask, _calls, _pdfs

HOLD = 120.0  # seconds the fake validator holds a verdict at most (a worker that waited would hit it)


class SlowValidator:
    """A stand-in for the run's validator (same socket, same requests: two per document, studies then
    outcomes) that answers a document's rows only once the next document's rows have come, or for
    the last document at once; `early` lists the documents answered by the fail-safe instead."""

    def __init__(self, documents: int) -> None:
        self.sock = Listener(family="AF_UNIX", authkey=bytes(current_process().authkey))
        self.documents = documents
        self.arrived: list[str] = []  # the doc_id of each request, in arrival order
        self.early: list[int] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        with self.sock.accept() as conn:  # one worker
            answered = 0
            while True:
                doc = answered // 2  # the document of the oldest unanswered request
                held_since = time.monotonic()
                while len(self.arrived) < 2 * (doc + 1) + (doc + 1 < self.documents):
                    if not self._take(conn, held_since):
                        if len(self.arrived) <= answered:
                            return  # nothing to answer: the worker has gone
                        self.early.append(doc)
                        break
                conn.send(("ok", []))
                answered += 1

    def _take(self, conn: Connection, since: float) -> bool:
        """Read one request; False after HOLD seconds without one (or when the worker has gone)."""
        while time.monotonic() - since < HOLD:
            try:
                if conn.poll(0.05):
                    word, df = conn.recv()
                    if word == WAITING:  # the worker now blocks on a verdict: not a request
                        continue
                    self.arrived.append(str(df["doc_id"].iloc[0]) if len(df) else "")
                    return True
            except (EOFError, OSError):
                return False
        return False


def _paper(path: Path, trial: str, product: str, n: int, orr: int) -> None:
    pdf = PdfSpec()
    paragraph(
        pdf,
        72,
        100,
        [
            f"In the phase 2 {trial} study, {n} patients received {product}. The overall response",
            f"rate was {orr}% and the complete response rate 12% at 12 months.",
        ],
    )
    pdf.save(path)


def test_a_worker_runs_its_next_document_while_the_validator_checks_the_last_one(tmp_path):
    inp = tmp_path / "in"
    inp.mkdir()
    _paper(inp / "a-paper.pdf", "HALCYON-7", "tovimab", 88, 41)
    _paper(inp / "b-paper.pdf", "MARLIN-2", "dexolutamab", 126, 37)
    jobs = make_jobs(find_pdfs([str(inp)]))
    validator = SlowValidator(len(jobs))
    events: list[tuple[str, str]] = []
    ex = LocalExecutor(
        PipelineTask,
        TaskConfig(validator=validator.sock.address),
        jobs=1,
        timeout=300,
        on_stage=lambda doc, stage, pages: events.append((doc, stage)),
    )
    for rec in ex.run(jobs):
        assert rec.ok, rec.row
        events.append((rec.doc_id, "done"))
    validator.sock.close()
    # the second document's rows reached the validator while the first one's verdict was held ...
    assert validator.arrived == ["a-paper", "a-paper", "b-paper", "b-paper"]
    assert validator.early == []
    # ... so its stages ran before the first document was done
    assert events.index(("b-paper", "ingest")) < events.index(("a-paper", "done"))
    assert [e for e in events if e[1] == "done"] == [("a-paper", "done"), ("b-paper", "done")]


class TwoStepTask(FakeTask):
    """FakeTask as a task whose documents wait on another process: `start` does what the file's stem
    says (crash, hang, take `long` seconds), `finish` waits `wait` seconds, then makes the record."""

    def __init__(self, config: TaskConfig, log: str = "", wait: float = 0.0, long: float = 0.0) -> None:
        super().__init__(config, log)
        self.wait, self.long = wait, long

    def start(self, job: Job) -> Started:
        self._note(f"start:{job.doc_id}")
        stem = Path(job.path).stem
        if stem.startswith("segv"):
            os.kill(os.getpid(), signal.SIGSEGV)
        if stem.startswith("slow"):
            time.sleep(60)
        if stem.startswith("long"):
            time.sleep(self.long)
        return Started(functools.partial(self.finish, job), waiting=True)

    def finish(self, job: Job) -> DocRecord:
        if not Path(job.path).stem.startswith("long"):
            time.sleep(self.wait)
        return self(job)


def _two_step(inp: Path, out: Path, log: Path, **kw) -> object:
    task = functools.partial(TwoStepTask, log=str(log), wait=kw.pop("wait", 0.0), long=kw.pop("long", 0.0))
    return run([str(inp)], out, task=task, progress=False, jobs=1, data_docs=False, code="test", **kw)


def _starts(log: Path) -> list[str]:
    return [x.split(":", 1)[1] for x in _calls(log) if x.startswith("start:")]


def test_a_worker_that_dies_holding_two_documents_fails_the_one_it_ran_and_runs_the_other_again(tmp_path):
    inp = _pdfs(tmp_path / "in", "a", "segv", "z")
    log = tmp_path / "log"
    rep = _two_step(inp, tmp_path / "out", log, timeout=60)
    rows = {r.doc_id: r.row for r in rep.records}
    assert [r.doc_id for r in rep.records] == ["a", "segv", "z"]  # each document once
    assert rows["segv"]["error"] == "crashed" and "SIGSEGV" in rows["segv"]["error_detail"]
    assert rows["a"]["status"] == rows["z"]["status"] == "ok"
    # "a" waited for its verdict in the worker that crashed on "segv": a fresh worker ran it again
    assert _starts(log) == ["a", "segv", "a", "z"]
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert (report["totals"]["ok"], report["totals"]["failed"]) == (2, 1)


def test_the_timeout_fires_for_a_document_stuck_in_its_stages_while_another_waits(tmp_path):
    inp = _pdfs(tmp_path / "in", "a", "slow", "z")
    log = tmp_path / "log"
    t0 = time.monotonic()
    rep = _two_step(inp, tmp_path / "out", log, timeout=2)
    rows = {r.doc_id: r.row for r in rep.records}
    assert (rows["slow"]["error"], rows["slow"]["error_detail"]) == ("timeout", "took longer than 2 s")
    assert rows["a"]["status"] == rows["z"]["status"] == "ok"
    assert _starts(log) == ["a", "slow", "a", "z"]
    assert time.monotonic() - t0 < 50  # killed at its timeout, not after its 60 s


def test_a_document_waiting_for_its_verdict_is_not_charged_the_time_of_the_one_running(tmp_path):
    # "a" takes 1.5 s to finish and "long-b" 3 s to start: neither reaches the timeout of 4 s on its
    # own, though "a" is held for 4.5 s from its start to its record (it waits while "long-b" runs)
    inp = _pdfs(tmp_path / "in", "a", "long-b")
    log = tmp_path / "log"
    rep = _two_step(inp, tmp_path / "out", log, timeout=4, wait=1.5, long=3.0)
    rows = {r.doc_id: r.row for r in rep.records}
    assert rows["a"]["status"] == rows["long-b"]["status"] == "ok", rows
    assert _starts(log) == ["a", "long-b"]  # no document run twice


def test_a_long_document_is_finished_before_the_next_is_taken(tmp_path, monkeypatch):
    """Look-ahead is for memory a worker can spare: past HOLD_PAGES a document waits for its verdict
    instead of being held beside the next document's whole run."""
    from pipeline.batch import task as task_module

    _paper(tmp_path / "c-paper.pdf", "OSPREY-5", "lumeritinib", 143, 29)
    job = make_jobs(find_pdfs([str(tmp_path)]))[0]
    validator = SlowValidator(2)  # answers each document's rows once the next one's have come
    task = PipelineTask(TaskConfig(validator=validator.sock.address))
    short = task.start(job)
    assert short.waiting  # one page: held while the worker takes its next job
    monkeypatch.setattr(task_module, "HOLD_PAGES", 0)
    long = task.start(job)  # sends its rows, so the first verdict comes
    assert not long.waiting
    assert short.finish().ok and long.finish().ok
