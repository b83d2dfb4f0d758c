"""Local executor: a small pool of worker processes, each building its task once.

Not `concurrent.futures.ProcessPoolExecutor`: a worker that segfaults breaks that whole pool, and a
running task cannot be stopped at a timeout. Here each worker has its own pipe; the parent waits on
pipes and process sentinels, kills a worker whose document runs past the timeout (or reports its
death) and starts a fresh one, so one bad PDF costs one row in the report, never the batch.

A worker holds at most two documents: when a document's quality checks have sent its rows to the
run's GX validator (a task with `start`, see `pipeline.batch.task.Started`), the worker says it waits
("waiting") and asks for another job; it runs that one up to its own request, then finishes the
first (verdict, outputs, record), and so on. No worker sits idle while the validator imports GX or
validates; the last document simply waits. The parent tracks which of a worker's documents is
running: only that one's time counts against the timeout, and when the worker dies it is the one
that failed; the other, which was only waiting, is run again by a fresh worker.
"""

from __future__ import annotations

import contextlib
import functools
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
from pipeline.batch.procs import CTX, context, die_with_parent, no_named_semaphores, prebuilds, stop
from pipeline.batch.task import Started, TaskConfig, TaskFactory, job_failed, start_job
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
    held: Callable[[], None] | None = None  # finishes the document waiting for its verdict
    while True:
        try:
            msg = conn.recv()
        except EOFError:
            msg = None
        if msg is None:
            log_imports("worker")
            return
        job, budget = msg  # budget: the crops the job's document may show
        if job is None:  # the parent has no other job: the held document waits for its verdict
            if held is not None:
                held()
                held = None
            continue
        signal.setitimer(signal.ITIMER_REAL, timeout + GRACE)
        # Stage changes go up the same pipe as the result: a few small messages per document.
        started = start_job(
            task, job, lambda stage, pages, d=job.doc_id: conn.send(("stage", (d, stage, pages)))
        )
        if held is not None:  # the older document first (its verdict had this one's time to come)
            conn.send(("waiting", (job.doc_id, False)))
            held()
            held = None
        if started.waiting:  # its verdict is still to come: a next job meanwhile, if there is one
            signal.setitimer(signal.ITIMER_REAL, 0)
            conn.send(("waiting", (job.doc_id, True)))
            held = functools.partial(_finish, conn, job, started, timeout, stage_to, budget)
        else:
            _finish(conn, job, started, timeout, stage_to, budget)


def _finish(
    conn: Connection, job: Job, started: Started, timeout: float, stage_to: str | None, budget: int
) -> None:
    """A started document's record (its verdict waited for), outputs staged, sent to the parent."""
    signal.setitimer(signal.ITIMER_REAL, timeout + GRACE)
    rec: DocRecord | None = started.finish()
    staged = None
    if stage_to and rec is not None:  # its outputs are written here; the parent only moves them
        # The record goes first: should writing fail or time out (it has a timeout of its own),
        # the parent still has the document and writes its outputs itself.
        conn.send(("result", light(conn, rec)))
        signal.setitimer(signal.ITIMER_REAL, timeout + GRACE)
        staged = stage_record(stage_to, rec, budget)
        rec = None
    signal.setitimer(signal.ITIMER_REAL, 0)
    conn.send(("done", (light(conn, rec) if rec else None, staged)))


@dataclass
class _Held:
    """A job a worker holds: running (its deadline counts) or waiting for its verdict while the
    worker runs another (`left`: the time it had left)."""

    job: Job
    deadline: float
    waiting: bool = False
    left: float = 0.0
    result: DocRecord | None = None  # its record, while the worker writes its outputs


@dataclass
class _Slot:
    proc: BaseProcess
    conn: Connection
    ready: bool = False
    held: list[_Held] = field(default_factory=list)  # at most two
    asks: bool = False  # its one job waits for a verdict: the worker asks for another (or None)
    rows: dict[str, list] = field(default_factory=dict)  # long lists of a record, received ahead in pieces

    def whole(self, rec: DocRecord) -> DocRecord:
        """`rec` with the lists that came ahead in pieces."""
        for name, rows in self.rows.items():
            setattr(rec, name, rows)
        self.rows = {}
        return rec

    @property
    def running(self) -> _Held | None:
        """The job the worker is on (a single job counts as running even while it waits)."""
        return next((h for h in self.held if not h.waiting), self.held[0] if len(self.held) == 1 else None)

    def wait_on(self, doc_id: str) -> None:
        """`doc_id` waits for its verdict; the worker goes on with its other job, if any."""
        now = time.monotonic()
        for h in self.held:
            if h.job.doc_id == doc_id and not h.waiting:
                h.waiting, h.left = True, max(0.0, h.deadline - now)
            elif h.job.doc_id != doc_id and h.waiting:
                h.waiting, h.deadline = False, now + h.left

    def go_on(self) -> None:
        """The worker takes up the job that waited (its time counts again)."""
        for h in self.held:
            if h.waiting:
                h.waiting, h.deadline = False, time.monotonic() + h.left

    def finished(self, h: _Held) -> None:
        self.held.remove(h)
        self.go_on()


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
        budget: Callable[[Job], int] | None = None,
        settled: Callable[[], bool] | None = None,
    ) -> None:
        """`on_stage(doc_id, stage, pages)` hears each stage a worker starts (for the progress display).
        With `stage_to` (the run's staging folder), each worker writes its documents' outputs there,
        drawing at most `budget(job)` crops for a job (its share of the run's); `staged` then
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
        context(prebuilds(self.factory), self.config.rules_dir)
        self._slots = [self._start() for _ in range(min(self.jobs, len(jobs)))]
        self._init_failures = 0
        graceful = False
        try:
            while self._pending or any(s.held for s in self._slots):
                if not self._slots:  # no worker could start (e.g. broken rules): fail what is left
                    while self._pending:
                        job = self._pending.popleft()
                        yield job_failed(job, "worker_init", self._init_error)
                    break
                yield from self._step()
                for slot in self._slots:
                    if slot.asks:  # its job waits for a verdict: the next job, or None (none queued)
                        slot.asks = False
                        self._give(slot, self._pending.popleft() if self._pending else None)
                    elif slot.ready and not slot.held and self._pending:
                        self._give(slot, self._pending.popleft())
            graceful = True
        finally:
            for slot in self._slots:
                self._stop(slot, graceful)
            self._slots = []

    def _give(self, slot: _Slot, job: Job | None) -> None:
        """Send `job` to the worker with its share of the run's crops (None: go on with the job it
        holds)."""
        if job is not None:
            slot.held.append(_Held(job, time.monotonic() + self.timeout))
        else:
            slot.go_on()
        try:
            crops = self.budget(job) if self.budget and job is not None else MAX_CROPS
            slot.conn.send((job, crops))
        except OSError:  # the worker has gone: its death is handled with the next events
            if job is not None:
                slot.held.pop()
                self._pending.appendleft(job)

    def _step(self) -> Iterator[DocRecord]:
        """Wait for one event (a message, a worker death, a deadline) and handle every ready slot."""
        if self.settled is not None:
            if self.settled():
                self.settled = None  # up (or gone for good): deadlines run from here on
            else:
                self._hold()
        deadlines = [h.deadline for s in self._slots if (h := s.running)]
        timeout = max(0.0, min(deadlines) - time.monotonic()) if deadlines else None
        if self.settled is not None:
            timeout = min(timeout, 0.5) if timeout is not None else 0.5  # look again soon
        ready = set(wait([s.conn for s in self._slots] + [s.proc.sentinel for s in self._slots], timeout))
        for slot in list(self._slots):
            msg = None
            if slot.conn in ready:
                with contextlib.suppress(EOFError, OSError):
                    msg = slot.conn.recv()
            running = slot.running
            if msg and msg[0] == "ready":
                slot.ready = True
            elif msg and msg[0] == "stage":
                if self.on_stage and slot.held:
                    self.on_stage(*msg[1])
            elif msg and msg[0] == "waiting":
                doc_id, slot.asks = msg[1]
                slot.wait_on(doc_id)
            elif msg and msg[0] == "rows":
                name, part = msg[1]
                slot.rows.setdefault(name, []).extend(part)
            elif msg and msg[0] == "result" and running:
                running.result, running.deadline = slot.whole(msg[1]), time.monotonic() + self.timeout
            elif msg and msg[0] == "done" and running:
                rec, staged = msg[1]
                rec = slot.whole(rec) if rec else running.result
                slot.finished(running)
                if staged is not None:
                    self.staged[rec.doc_id] = staged
                yield rec
            elif msg and msg[0] == "init_failed":
                self._replace(slot, msg[1])
            elif (slot.conn in ready or slot.proc.sentinel in ready) and not slot.proc.is_alive():
                slot.proc.join()
                code, reason = slot.proc.exitcode, _death_reason(slot.proc.exitcode)
                self._replace(slot, None if slot.held else reason + " while starting")
                if running is None:
                    continue
                self._again(slot, running)
                if running.result is not None:  # it died writing: the parent writes the document's outputs
                    yield running.result
                elif code == -signal.SIGALRM:  # the worker's own timeout
                    yield job_failed(running.job, "timeout", f"took longer than {self.timeout:g} s")
                else:
                    yield job_failed(running.job, "crashed", f"{reason} on this document")
            elif running and time.monotonic() >= running.deadline:
                self._replace(slot, None)
                self._again(slot, running)
                yield running.result or job_failed(
                    running.job, "timeout", f"took longer than {self.timeout:g} s"
                )

    def _again(self, slot: _Slot, running: _Held) -> None:
        """The jobs a worker that was stopped held besides `running` (they only waited for their
        verdicts) are run again, first."""
        for h in slot.held:
            if h is not running:
                self._pending.appendleft(h.job)

    def _hold(self) -> None:
        """Push the deadlines of running documents on while the validator is not settled."""
        now = time.monotonic()
        for s in self._slots:
            if h := s.running:
                h.deadline = max(h.deadline, now + self.timeout)

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
