"""Great Expectations in one process of a run instead of in every worker. GX costs seconds to import:
the run's Data Docs process imports it while the workers start ingesting, builds the suites of
rules/expectations.yml once, and validates each document's studies/outcomes rows for the workers
(`Served`), keeping each one's results for the Data Docs. A worker's Checker holds a `Remote` in
place of its own `Suites`: same suites, same frames, so the same failures. When the validator cannot
be reached the worker builds its own suites. A worker need not wait for a verdict: `Remote.submit`
sends the rows and returns a call that gives their failures later (the worker runs its next document
meanwhile); the validator reads a connection's requests as they come and answers them in order.
A GX run costs about the same for one document's rows as for several, so the validator validates
the requests queued from every worker together, and a request may wait for company, but never
while its worker waits for it (the worker says so before it blocks: `WAITING`).
"""

from __future__ import annotations

import contextlib
import functools
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing import current_process
from multiprocessing.connection import Client, Connection, Listener
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd  # noqa: TC004 - the dataclasses' annotations are strings

    from pipeline.quality.expectations import Failure, Suites, Verdict

CONNECT_WAIT = 30.0  # seconds a worker retries while the validator's socket is not yet there


def listener() -> Listener:
    """A socket only processes of this run (which share its authkey) can talk to."""
    return Listener(family="AF_UNIX", authkey=bytes(current_process().authkey))


WAITING = "waiting"  # a worker's word, with a ticket: it now blocks on that request's verdict
LINGER = 5.0  # seconds a request may wait for company at most (its worker says when it waits)


@dataclass(eq=False)
class _Request:
    name: str
    df: pd.DataFrame
    ticket: int  # its number on its connection, from 1
    since: float = field(default_factory=time.monotonic)
    reply: tuple[str, Any] | None = None
    done: threading.Event = field(default_factory=threading.Event)


@dataclass(eq=False)
class _Worker:
    """One connection: its requests still to answer, in order, and whether it waits on one."""

    conn: Connection
    answers: queue.SimpleQueue = field(default_factory=queue.SimpleQueue)
    received: int = 0  # requests read
    waits_for: int = 0  # the ticket of the request the worker blocks on (0: none yet)
    gone: bool = False


class Served:
    """The validator's side: requests wait until `ready(suites)` (or `failed(error)`), then are
    validated by one thread (GX is not shared between threads: `lock`), several at once: the
    requests queued for a suite, from any worker, go through one GX run (`Suites.verdicts`, each
    document still getting its own verdict). A request waits for company only while no worker is
    blocked on it: it is validated at once when its worker says it waits (`WAITING`), when every
    connected worker has a request of its suite queued, when one worker alone is connected (a
    1-job run waits no more than before), or after LINGER seconds. Each connection's replies go back in the order
    of its requests. Each document's verdict is kept (`verdicts`: by suite and doc_id) for the
    run's Data Docs."""

    def __init__(self, sock: Listener) -> None:
        self.sock = sock
        self._ready = threading.Event()
        self.lock = threading.Lock()
        self.verdicts: dict[str, dict[str, Verdict]] = {}
        self._suites: Suites | None = None
        self._error: BaseException | None = None
        self._due = threading.Condition()
        self._queued: list[tuple[_Worker, _Request]] = []
        self._workers: list[_Worker] = []
        threading.Thread(target=self._accept, daemon=True).start()
        threading.Thread(target=self._validate, daemon=True).start()

    def ready(self, suites: Suites) -> None:
        self._suites = suites
        self._ready.set()
        with self._due:
            self._due.notify_all()

    def failed(self, error: BaseException) -> None:
        self._error = error
        self._ready.set()
        with self._due:
            self._due.notify_all()

    def _accept(self) -> None:
        while True:
            try:
                conn = self.sock.accept()
            except OSError:  # closed: the run is over
                return
            except Exception:  # noqa: BLE001, S112 - a stranger failing the authkey challenge
                continue
            worker = _Worker(conn)
            with self._due:
                self._workers.append(worker)
            threading.Thread(target=self._read, args=(worker,), daemon=True).start()
            threading.Thread(target=self._answer, args=(worker,), daemon=True).start()

    def _read(self, worker: _Worker) -> None:
        # Requests are read as they come (a worker sends its next document's rows before it reads
        # the verdict on the last one, so it must never block on a validator busy sending a reply).
        while True:
            try:
                msg = worker.conn.recv()
            except (EOFError, OSError):
                break
            with self._due:
                if msg[0] == WAITING and isinstance(msg[1], int):  # a request holds a frame
                    worker.waits_for = max(worker.waits_for, int(msg[1]))
                else:
                    name, df = msg
                    worker.received += 1
                    request = _Request(name, df, worker.received)
                    worker.answers.put(request)
                    self._queued.append((worker, request))
                self._due.notify_all()
        with self._due:
            worker.gone = True
            self._due.notify_all()
        worker.answers.put(None)

    def _answer(self, worker: _Worker) -> None:
        with worker.conn:
            while (request := worker.answers.get()) is not None:
                request.done.wait()
                try:
                    worker.conn.send(request.reply)
                except OSError:
                    return

    def _due_now(self) -> list[tuple[_Worker, _Request]]:
        """The queued requests to validate now (`_due` held): all of them when a worker waits on
        one, when one worker alone is connected or after LINGER; else those of each suite every
        connected worker has a request of queued (a document sends one request per suite)."""
        if not self._queued or not self._ready.is_set():
            return []
        live = [w for w in self._workers if not w.gone]
        if (
            len(live) <= 1
            or any(r.ticket <= w.waits_for for w, r in self._queued)
            or time.monotonic() - self._queued[0][1].since >= LINGER
        ):
            return self._queued
        have = {(id(w), r.name) for w, r in self._queued}
        names = {n for _, n in have if all((id(w), n) in have for w in live)}
        return [(w, r) for w, r in self._queued if r.name in names]

    def _validate(self) -> None:
        while True:
            with self._due:
                while not (batch := self._due_now()):
                    self._due.wait(timeout=LINGER / 4 if self._queued else None)
                self._queued = [q for q in self._queued if q not in batch]
            with self.lock:
                self._judge([r for _, r in batch])
            for _, r in batch:  # each connection's replies still go in the order of its requests
                r.done.set()

    def _judge(self, requests: list[_Request]) -> None:
        """Each request's reply: the failures of its rows (or why there are none)."""
        if self._suites is None:
            for r in requests:
                r.reply = ("unavailable", repr(self._error))  # the worker validates
            return
        for name in dict.fromkeys(r.name for r in requests):
            mine = [r for r in requests if r.name == name]
            try:
                verdicts = self._suites.verdicts(name, [r.df for r in mine])
            except Exception:  # noqa: BLE001 - each alone, so each gets its own error
                verdicts = None
            for i, r in enumerate(mine):
                try:
                    verdict = verdicts[i] if verdicts else self._suites.verdict(name, r.df)
                    r.reply = ("ok", self._kept(name, r.df, verdict).failures)
                except Exception as e:  # noqa: BLE001 - raised again in the worker
                    r.reply = ("error", e)

    def _kept(self, name: str, df: pd.DataFrame, verdict: Verdict) -> Verdict:
        docs = df["doc_id"].unique() if "doc_id" in df and verdict.rows else ()
        if len(docs) == 1:  # one document's rows (a retried document's latest)
            self.verdicts.setdefault(name, {})[str(docs[0])] = verdict
        return verdict

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()


Pending = Callable[[], "list[Failure]"]  # the failures of rows sent to validate, when asked for


class Remote:
    """A worker's stand-in for `Suites`: `failures(name, df)` answered by the run's validator,
    or by `local()` (suites built here) when the validator is gone or never came up. `submit`
    sends the rows at once and returns their `Pending` failures, read when called."""

    def __init__(self, address: str, local: Callable[[], Suites]) -> None:
        self.address, self.local = address, local
        self._conn: Connection | None = None
        self._gone = False
        self._sent = self._read = 0  # requests sent on the connection, replies read from it

    @property
    def sent(self) -> int:
        """Requests sent so far: the ticket of the latest (tickets count from 1)."""
        return self._sent

    def answered(self, ticket: int) -> bool:
        """Whether the verdict of request `ticket` has been read (or will be made here)."""
        return self._gone or self._read >= ticket

    def _connect(self) -> Connection:
        if self._conn is None:
            deadline = time.monotonic() + CONNECT_WAIT
            while True:
                try:
                    self._conn = Client(
                        self.address, family="AF_UNIX", authkey=bytes(current_process().authkey)
                    )
                    break
                except (FileNotFoundError, ConnectionRefusedError):
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.05)
        return self._conn

    def failures(self, name: str, df: pd.DataFrame) -> list[Failure]:
        return self.submit(name, df)()

    def submit(self, name: str, df: pd.DataFrame) -> Pending:
        """Send the rows to the validator; the returned call reads its reply (replies come in the
        order of the requests: verdicts are read in the order they were submitted)."""
        if not self._gone:
            try:
                self._connect().send((name, df))
                self._sent += 1
                return functools.partial(self._verdict, self._sent, name, df)
            except (OSError, EOFError):
                self._gone = True  # validate here from now on
        return functools.partial(self._here, name, df)

    def _verdict(self, ticket: int, name: str, df: pd.DataFrame) -> list[Failure]:
        if self._gone or self._read >= ticket:  # gone meanwhile (or a verdict asked for twice)
            return self._here(name, df)
        try:
            assert self._conn is not None
            said = False
            while self._read < ticket:  # replies to verdicts never asked for (a check that failed) go
                if not said and not self._conn.poll():  # the validator may hold it for company: no longer
                    self._conn.send((WAITING, ticket))
                    said = True
                status, value = self._conn.recv()
                self._read += 1
        except (OSError, EOFError):
            status, value = "unavailable", None
        if status == "error":
            raise value
        if status == "ok":
            return value
        self._gone = True  # validate here from now on
        return self._here(name, df)

    def _here(self, name: str, df: pd.DataFrame) -> list[Failure]:
        return self.local().failures(name, df)
