"""Great Expectations in one process of a run instead of in every worker. GX costs seconds to import:
the run's Data Docs process imports it while the workers start ingesting, builds the suites of
rules/expectations.yml once, and validates each document's studies/outcomes rows for the workers
(`Served`), keeping each one's results for the Data Docs. A worker's Checker holds a `Remote` in
place of its own `Suites`: same suites, same frames, so the same failures. When the validator cannot
be reached the worker builds its own suites. A worker need not wait for a verdict: `Remote.submit`
sends the rows and returns a call that gives their failures later (the worker runs its next document
meanwhile); the validator reads a connection's requests as they come and answers them in order.
"""

from __future__ import annotations

import contextlib
import functools
import queue
import threading
import time
from collections.abc import Callable
from multiprocessing import current_process
from multiprocessing.connection import Client, Connection, Listener
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from pipeline.quality.expectations import Failure, Suites, Verdict

CONNECT_WAIT = 30.0  # seconds a worker retries while the validator's socket is not yet there


def listener() -> Listener:
    """A socket only processes of this run (which share its authkey) can talk to."""
    return Listener(family="AF_UNIX", authkey=bytes(current_process().authkey))


class Served:
    """The validator's side: requests wait until `ready(suites)` (or `failed(error)`), then are
    answered one at a time (GX is not shared between threads: `lock`). Each document's verdict is
    kept (`verdicts`: by suite and doc_id) for the run's Data Docs."""

    def __init__(self, sock: Listener) -> None:
        self.sock = sock
        self._ready = threading.Event()
        self.lock = threading.Lock()
        self.verdicts: dict[str, dict[str, Verdict]] = {}
        self._suites: Suites | None = None
        self._error: BaseException | None = None
        threading.Thread(target=self._accept, daemon=True).start()

    def ready(self, suites: Suites) -> None:
        self._suites = suites
        self._ready.set()

    def failed(self, error: BaseException) -> None:
        self._error = error
        self._ready.set()

    def _accept(self) -> None:
        while True:
            try:
                conn = self.sock.accept()
            except OSError:  # closed: the run is over
                return
            except Exception:  # noqa: BLE001, S112 - a stranger failing the authkey challenge
                continue
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: Connection) -> None:
        # Requests are read as they come (a worker sends its next document's rows before it reads
        # the verdict on the last one, so it must never block on a validator busy sending a reply).
        requests: queue.SimpleQueue[tuple[str, pd.DataFrame] | None] = queue.SimpleQueue()
        threading.Thread(target=_read, args=(conn, requests), daemon=True).start()
        with conn:
            while (request := requests.get()) is not None:
                name, df = request
                self._ready.wait()
                reply: tuple[str, Any] = ("unavailable", repr(self._error))  # the worker validates
                with self.lock:
                    try:
                        if self._suites is not None:
                            reply = ("ok", self._kept(name, df, self._suites.verdict(name, df)).failures)
                    except Exception as e:  # noqa: BLE001 - raised again in the worker
                        reply = ("error", e)
                try:
                    conn.send(reply)
                except OSError:
                    return

    def _kept(self, name: str, df: pd.DataFrame, verdict: Verdict) -> Verdict:
        docs = df["doc_id"].unique() if "doc_id" in df and verdict.rows else ()
        if len(docs) == 1:  # one document's rows (a retried document's latest)
            self.verdicts.setdefault(name, {})[str(docs[0])] = verdict
        return verdict

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()


def _read(conn: Connection, requests: queue.SimpleQueue) -> None:
    """A connection's requests into `requests`, None once the worker has gone."""
    while True:
        try:
            requests.put(conn.recv())
        except (EOFError, OSError):
            requests.put(None)
            return


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
            while self._read < ticket:  # replies to verdicts never asked for (a check that failed) go
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
