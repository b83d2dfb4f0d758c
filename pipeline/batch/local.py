"""Local executor: a small pool of worker processes, each building its task once.

Not `concurrent.futures.ProcessPoolExecutor`: a worker that segfaults breaks that whole pool, and a
running task cannot be stopped at a timeout. Here each worker has its own pipe; the parent waits on
pipes and process sentinels, kills a worker whose document runs past the timeout (or reports its
death) and starts a fresh one, so one bad PDF costs one row in the report, never the batch.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from pathlib import Path

from pipeline.batch import log_imports
from pipeline.batch.discover import Job
from pipeline.batch.procs import CTX, context, die_with_parent, no_named_semaphores, stop
from pipeline.batch.task import TaskConfig, TaskFactory, job_failed, run_job
from pipeline.outputs import DocRecord
from pipeline.outputs.crops import MAX_CROPS
from pipeline.outputs.parts import Staged, stage

GRACE = 5.0  # seconds a worker gives the parent to enforce the timeout before it ends itself
SETTLE_ALLOWANCE = 600.0  # more seconds of a worker's own backstop while the GX validator may be starting


PIECE = 20_000  # rows per message of a record's long lists (a long paper's mentions and outcomes)
_LONG = ("mentions", "outcomes")


def light(conn: Connection, rec: DocRecord) -> DocRecord:
    """Send the long lists of `rec` ahead in pieces ("rows" messages) and return a copy without
    them, to send next: no message pickles the whole of a long paper's record at once (the worker's
    largest allocation after the document). `rec` itself is left whole."""
    long = {name: rows for name in _LONG if len(rows := getattr(rec, name)) > PIECE}
    for name, rows in long.items():
        for i in range(0, len(rows), PIECE):
            conn.send(("rows", (name, rows[i : i + PIECE])))
    return replace(rec, **{name: [] for name in long}) if long else rec


def stage_record(root: str, rec: DocRecord, budget: int) -> Staged | None:
    """`outputs.parts.stage` in a worker; None when it fails, so that the parent writes the
    document's outputs itself (a view must never cost the run its document)."""
    try:
        return stage(root, rec, budget)
    except Exception:  # noqa: BLE001
        return None


def _worker_main(
    conn: Connection, factory: TaskFactory, config: TaskConfig, timeout: float, stage_to: str | None = None
) -> None:
    die_with_parent()
    no_named_semaphores()
    sys.path[:] = [p for p in sys.path if p not in ("", ".")]  # never import from the working folder
    # Ctrl-C goes to the whole process group; the parent decides what stops, so workers ignore it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # A job past its timeout plus a grace ends the worker itself (SIGALRM's default action), even if
    # the parent is gone or stuck: the parent normally kills it first and reports the timeout.
    signal.signal(signal.SIGALRM, signal.SIG_DFL)
    try:
        task = factory(config)
    except BaseException as e:  # noqa: BLE001 - reported to the parent, which fails the jobs
        conn.send(("init_failed", f"{type(e).__name__}: {e}"))
        return
    conn.send(("ready", None))
    while True:
        try:
            msg = conn.recv()
        except EOFError:
            msg = None
        if msg is None:
            log_imports("worker")
            return
        job, budget = msg
        signal.setitimer(signal.ITIMER_REAL, timeout + GRACE)
        # Stage changes go up the same pipe as the result: a few small messages per document.
        rec = run_job(task, job, lambda stage, pages, d=job.doc_id: conn.send(("stage", (d, stage, pages))))
        staged = None
        if stage_to:  # its outputs are written here; the parent only moves them (`Parts.adopt`)
            # The record goes first: should writing fail or time out (it has a timeout of its own),
            # the parent still has the document and writes its outputs itself.
            conn.send(("result", light(conn, rec)))
            signal.setitimer(signal.ITIMER_REAL, timeout + GRACE)
            staged = stage_record(stage_to, rec, budget)
            rec = None
        signal.setitimer(signal.ITIMER_REAL, 0)
        conn.send(("done", (light(conn, rec) if rec else None, staged)))


@dataclass
class _Slot:
    proc: BaseProcess
    conn: Connection
    ready: bool = False
    job: Job | None = None
    deadline: float = 0.0
    result: DocRecord | None = None  # the job's record, while the worker writes its outputs
    rows: dict[str, list] = field(default_factory=dict)  # its long lists, received ahead in pieces

    def whole(self, rec: DocRecord) -> DocRecord:
        """`rec` with the lists that came ahead in pieces."""
        for name, rows in self.rows.items():
            setattr(rec, name, rows)
        self.rows = {}
        return rec


def _death_reason(code: int | None) -> str:
    if code is not None and code < 0:
        with contextlib.suppress(ValueError):
            return f"worker process killed by {signal.Signals(-code).name}"
    return f"worker process exited with code {code}"


class LocalExecutor:
    def __init__(
        self,
        factory: TaskFactory,
        config: TaskConfig,
        jobs: int,
        timeout: float,
        on_stage: Callable[[str, str, int], None] | None = None,
        stage_to: Path | None = None,
        budget: Callable[[], int] | None = None,
        settled: Callable[[], bool] | None = None,
    ) -> None:
        """`on_stage(doc_id, stage, pages)` hears each stage a worker starts (for the progress display).
        With `stage_to` (the run's staging folder), each worker writes its documents' outputs there,
        drawing at most `budget()` crops (the run's budget left when the job is sent); `staged` then
        holds what it wrote, by doc_id, for the consumer to take. `settled()`: whether the run's GX
        validator is up (or gone); until then a document's time does not count against its timeout
        (its check may be waiting for the validator's imports)."""
        self.factory, self.config = factory, config
        self.stage_to, self.budget = (str(stage_to) if stage_to else None), budget
        self.staged: dict[str, Staged] = {}
        self.on_stage = on_stage
        self.settled = settled
        self.jobs, self.timeout = max(1, jobs), timeout
        self._slots: list[_Slot] = []
        self._pending: deque[Job] = deque()
        self._init_failures = 0
        self._init_error = "worker failed to start"

    def run(self, jobs: list[Job]) -> Iterator[DocRecord]:
        """Yield one record per job, in completion order. Closing the iterator (or an exception such
        as KeyboardInterrupt in the consumer) kills the workers."""
        self._pending = deque(jobs)
        context()
        self._slots = [self._start() for _ in range(min(self.jobs, len(jobs)))]
        self._init_failures = 0
        graceful = False
        try:
            while self._pending or any(s.job for s in self._slots):
                if not self._slots:  # no worker could start (e.g. broken rules): fail what is left
                    while self._pending:
                        job = self._pending.popleft()
                        yield job_failed(job, "worker_init", self._init_error)
                    break
                yield from self._step()
                for slot in self._slots:
                    if slot.ready and not slot.job and self._pending:
                        slot.job = self._pending.popleft()
                        slot.deadline = time.monotonic() + self.timeout
                        slot.conn.send((slot.job, self.budget() if self.budget else MAX_CROPS))
            graceful = True
        finally:
            for slot in self._slots:
                self._stop(slot, graceful)
            self._slots = []

    def _step(self) -> Iterator[DocRecord]:
        """Wait for one event (a message, a worker death, a deadline) and handle every ready slot."""
        if self.settled is not None:
            if self.settled():
                self.settled = None  # up (or gone for good): deadlines run from here on
            else:
                self._hold()
        deadlines = [s.deadline for s in self._slots if s.job]
        timeout = max(0.0, min(deadlines) - time.monotonic()) if deadlines else None
        if self.settled is not None:
            timeout = min(timeout, 0.5) if timeout is not None else 0.5  # look again soon
        ready = set(wait([s.conn for s in self._slots] + [s.proc.sentinel for s in self._slots], timeout))
        for slot in list(self._slots):
            msg = None
            if slot.conn in ready:
                with contextlib.suppress(EOFError, OSError):
                    msg = slot.conn.recv()
            if msg and msg[0] == "ready":
                slot.ready = True
            elif msg and msg[0] == "stage":
                if self.on_stage and slot.job:
                    self.on_stage(*msg[1])
            elif msg and msg[0] == "rows":
                name, part = msg[1]
                slot.rows.setdefault(name, []).extend(part)
            elif msg and msg[0] == "result":
                slot.result, slot.deadline = slot.whole(msg[1]), time.monotonic() + self.timeout
            elif msg and msg[0] == "done":
                rec, staged = msg[1]
                rec = slot.whole(rec) if rec else slot.result
                slot.job, slot.result = None, None
                if staged is not None:
                    self.staged[rec.doc_id] = staged
                yield rec
            elif msg and msg[0] == "init_failed":
                self._replace(slot, msg[1])
            elif (slot.conn in ready or slot.proc.sentinel in ready) and not slot.proc.is_alive():
                slot.proc.join()
                reason = _death_reason(slot.proc.exitcode)
                job, result = slot.job, slot.result
                self._replace(slot, None if job else reason + " while starting")
                if result is not None:  # it died writing: the parent writes the document's outputs
                    yield result
                elif job and slot.proc.exitcode == -signal.SIGALRM:  # the worker's own timeout
                    yield job_failed(job, "timeout", f"took longer than {self.timeout:g} s")
                elif job:
                    yield job_failed(job, "crashed", f"{reason} on this document")
            elif slot.job and time.monotonic() >= slot.deadline:
                job, result = slot.job, slot.result
                self._replace(slot, None)
                yield result or job_failed(job, "timeout", f"took longer than {self.timeout:g} s")

    def _hold(self) -> None:
        """Push the deadlines of running documents on while the validator is not settled."""
        now = time.monotonic()
        for s in self._slots:
            if s.job:
                s.deadline = max(s.deadline, now + self.timeout)

    def _replace(self, slot: _Slot, init_error: str | None) -> None:
        """Stop a worker and start a fresh one, unless workers keep failing to start."""
        self._stop(slot, graceful=False)
        if init_error:
            self._init_failures += 1
            self._init_error = init_error
        i = self._slots.index(slot)
        if self._init_failures > self.jobs:  # a worker that cannot start will not start on retry
            del self._slots[i]
        else:
            self._slots[i] = self._start()

    def _start(self) -> _Slot:
        parent, child = CTX.Pipe()
        # the worker's own backstop allows for a wait on the validator's start as the parent does
        backstop = self.timeout + (SETTLE_ALLOWANCE if self.settled else 0.0)
        args = (child, self.factory, self.config, backstop, self.stage_to)
        proc = CTX.Process(target=_worker_main, args=args, daemon=True)
        proc.start()
        child.close()
        return _Slot(proc, parent)

    @staticmethod
    def _stop(slot: _Slot, graceful: bool) -> None:
        stop(slot.proc, slot.conn, graceful)
