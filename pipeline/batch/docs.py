"""Data Docs and Great Expectations validation for a batch, off the main process and off the workers.
GX costs seconds to import: a child process (forked from the main process once its imports are done
when `trialex run` starts the fork server ahead, from the fork server after its preload when the run
starts it; neither takes the preload's cores; spawned when no worker runs) imports it, lean
(`pipeline.quality.lean`), while the workers start ingesting, validates each document's
studies/outcomes rows for the workers
(`pipeline.quality.remote`: the workers never import GX), then builds the docs from the merged tables
at the end with the suites it already has, so neither the main process, the workers nor the serial
tail pays for the import. Docs built from the same records (same content, rules and code) are not
built again. Only the standard library is imported here until the docs are built."""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import sys
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pipeline.outputs import DocRecord, Frames
    from pipeline.rules import Rules

BUILD_TIMEOUT = 600.0  # seconds the Data Docs may take once the frames are sent
ADDRESS_TIMEOUT = 30.0  # seconds the child may take to open its validator's socket
SETTLED = "settled"  # the child's word once its validator serves (or never will)


def stamp(records: list[DocRecord], rules: Rules, code: str) -> str:
    """What the docs are built from: each record is fixed by its content, the rules and the code."""
    h = hashlib.sha256(f"{rules.digest}\0{code}".encode())
    for r in records:
        h.update(f"{r.doc_id}\0{r.row.get('sha256', '')}\0{r.row.get('status', '')}\n".encode())
    return h.hexdigest()[:32]


def _child(conn: Connection, rules_dir: str | None) -> None:
    code = 0
    try:
        _serve(conn, rules_dir)
    except BaseException:  # noqa: BLE001 - said on stderr as an uncaught exception would be
        traceback.print_exc()
        code = 1
    finally:  # at once, as a forked child ends: a whole interpreter shutdown with GX loaded takes seconds
        with contextlib.suppress(Exception):
            from pipeline.batch import log_imports

            log_imports("validator")
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


def _serve(conn: Connection, rules_dir: str | None) -> None:
    """The child's work: validator for the workers, then the Data Docs when asked."""
    from pipeline.batch.procs import VALIDATOR_NAME, die_with_parent, kept, name_process, no_named_semaphores
    from pipeline.quality.remote import Served, listener

    die_with_parent()
    name_process(VALIDATOR_NAME)
    no_named_semaphores()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the main process decides what stops
    sys.path[:] = [p for p in sys.path if p not in ("", ".")]  # never import from the working folder
    served = Served(listener())  # the workers may connect at once: they wait until GX is loaded
    conn.send(served.sock.address)
    try:
        from pipeline import quality
        from pipeline.quality.lean import lean
        from pipeline.rules import load

        lean()  # GX without SQLAlchemy, scipy.stats and altair until an expectation uses them

        rules = load(rules_dir)
        with kept():
            suites = quality.suites(rules)  # imports GX: the slow part, while the workers ingest
        served.ready(suites)
        conn.send(SETTLED)
    except BaseException as e:  # noqa: BLE001 - reported when the docs are asked for
        served.failed(e)
        failure = f"failed: {type(e).__name__}: {e}"
        with contextlib.suppress(OSError):
            conn.send(SETTLED)  # the workers validate themselves
        with contextlib.suppress(EOFError, OSError):
            if conn.recv() is not None:
                conn.send(failure)
        return
    with contextlib.suppress(Exception):  # what the Data Docs need besides GX: now, not in the serial tail
        import pipeline.outputs  # noqa: F401
        import pipeline.quality.docs

        pipeline.quality.docs.template()
    try:
        msg = conn.recv()
    except (EOFError, OSError):  # the main process went (or dropped its end): nothing to build
        return
    finally:
        served.close()
    if msg is None:
        return
    f, out = msg
    try:
        if f is None:  # the run's merged tables, read here: the parent never holds them all
            from pipeline.outputs import read_frames

            f = read_frames(Path(out))
        with served.lock:  # the documents' verdicts, made for the workers, are reused
            built = quality.data_docs(
                f.studies,
                f.outcomes,
                f.findings,
                Path(out),
                rules=rules,
                suites=suites,
                verdicts=served.verdicts,
            )
        conn.send(str(built))
    except Exception as e:  # noqa: BLE001 - Data Docs are a view; their failure must not lose the run
        conn.send(f"failed: {type(e).__name__}: {e}")


class Child:
    """The Data Docs process (`_child`): `start()` starts it, forked from the run's fork server when
    `forked` (the server runs for the workers: the child has its pandas and starts once the
    preload is done, off the cores the preload needs; `start` waits for that), forked from this
    process when `here` (at once, with the pandas this process has imported by then), else spawned
    (at once); `address` is its validator's socket (waited for on first use),
    `settled()` says whether the validator serves, `ask(msg)` sends the Data Docs request and waits
    for the answer."""

    def __init__(self, rules_dir: Path | None, forked: bool = False, here: bool = False) -> None:
        self.rules_dir = str(rules_dir.resolve()) if rules_dir else None
        self.forked, self.here = forked, here
        self.proc: BaseProcess | None = None
        self.conn: Connection | None = None
        self._address: str | None = None
        self._asked = False  # whether the address was waited for
        self.settled_ = False

    def start(self) -> Child:
        if self.proc is None:
            from multiprocessing import util

            from pipeline.batch.procs import SPAWN, fork, fork_here, spawn

            self.conn, child = SPAWN.Pipe()
            if self.here:  # a child forked from here lets go of this end: it sees EOF once this process has
                util.register_after_fork(self.conn, Connection.close)
            how = fork_here if self.here else fork if self.forked else spawn
            self.proc = how(_child, (child, self.rules_dir))
            child.close()
        return self

    @property
    def address(self) -> str | None:
        """Where the workers send rows to validate; None when the child did not open it in time
        (the workers then validate locally)."""
        if not self._asked and self.conn is not None:
            self._asked = True
            with contextlib.suppress(EOFError, OSError):
                if self.conn.poll(ADDRESS_TIMEOUT):  # sent first thing
                    self._address = str(self.conn.recv())
        return self._address

    def settled(self) -> bool:
        """Whether the validator serves (or has failed, or was never started): never blocks."""
        if not self.settled_ and self.conn is not None:
            if not self._asked and not self.conn.poll(0):
                return self.proc is not None and not self.proc.is_alive()
            self.address  # noqa: B018 - the address comes first on the pipe
            with contextlib.suppress(EOFError, OSError):
                if self.conn.poll(0):
                    self.conn.recv()  # SETTLED, the only message before the docs are asked for
                    self.settled_ = True
            if self.proc is not None and not self.proc.is_alive():
                self.settled_ = True
        return self.settled_ or self.conn is None

    def send(self, msg: tuple[Frames | None, str]) -> None:
        """The Data Docs request (read by the child once its validator is settled)."""
        assert self.conn is not None
        self.address  # noqa: B018 - the address comes first on the pipe
        self.conn.send(msg)

    def answer(self) -> str:
        """The child's answer to `send`: the index path, or why there is none."""
        assert self.conn is not None
        if not self.settled_ and self.conn.poll(BUILD_TIMEOUT):
            self.conn.recv()  # SETTLED
            self.settled_ = True
        if not self.conn.poll(BUILD_TIMEOUT):
            return f"failed: took longer than {BUILD_TIMEOUT:g} s"
        return str(self.conn.recv())

    def close(self, graceful: bool = True) -> None:
        """End the child (asked to, or at once: e.g. not needed after all)."""
        from pipeline.batch.procs import stop

        if self.proc is not None and self.conn is not None:
            stop(self.proc, self.conn, graceful)
        self.proc = self.conn = None
        self._address, self._asked, self.settled_ = None, False, False


def head_start(out: Path, options: dict[str, Any]) -> Child | None:
    """Before the main process imports the runner and the writers: when every document will go to a
    worker of this machine (no cache to read) and its task validates through the run's child, start
    the fork server now, so that its preload overlaps with the main process's imports, and return the
    GX validator, to be forked from this process once those imports are done (`Child.start`, which the
    run calls before it starts a thread): its own imports (pandas, which the main process does not
    load, and GX) take the core the main process leaves while the server ends its preload (and builds
    the workers' pipeline), not the cores of the preload nor, later, the workers'. `options`
    are those of `run`; the run takes the child over."""
    from pipeline.batch.discover import check_options

    executor, task = options.get("executor", "local"), options.get("task")
    # a run that is a usage error starts nothing
    check_options(
        options.get("jobs", 0), executor, options.get("timeout", 300.0), options.get("fail_on", "error")
    )
    if executor != "local" or options.get("client") is not None:
        return None
    if task is not None and not getattr(getattr(task, "func", task), "validates", False):
        return None
    if options.get("use_cache", True):
        cache = Path(options.get("cache_dir") or Path(out) / ".cache")
        with contextlib.suppress(OSError):
            if next(cache.iterdir(), None) is not None:
                return None  # documents may be cached: the run decides once it has read the cache
    from pipeline.batch.procs import context, prebuilds

    rules_dir = options.get("rules_dir")
    rules = str(Path(rules_dir).resolve()) if rules_dir else None  # as the workers' TaskConfig has it
    context(prebuilds(task), rules)
    return Child(Path(rules_dir) if rules_dir else None, here=True)


class DataDocs:
    """`start()` early (imports GX in a child; `address` is its validator's), then
    `build(frames, records)` at the end, or `close()`. `child`: one already started (`Child`)."""

    def __init__(
        self, out: Path, rules: Rules, rules_dir: Path | None, code: str, child: Child | None = None
    ) -> None:
        self.out, self.rules, self.code = out.resolve(), rules, code  # GX wants an absolute folder
        self.marker = self.out / "data_docs" / ".trialex-stamp"
        self.child = child or Child(rules_dir)
        self._answer: str | None = None  # known before the child is asked (current docs, a failure)

    @property
    def address(self) -> str | None:
        return self.child.address

    def current(self, records: list[DocRecord]) -> str | None:
        """The index of docs already built from these records, if any."""
        with contextlib.suppress(OSError, ValueError):
            built, index = self.marker.read_text(encoding="utf-8").split("\n", 1)
            if built == stamp(records, self.rules, self.code) and Path(index).is_file():
                return index
        return None

    def start(self) -> None:
        self.child.start()

    def settled(self) -> bool:
        return self.child.settled()

    def build(self, frames: Callable[[], Frames] | None, records: list[DocRecord]) -> str:
        """The index path of the docs (built now from `frames()`, or with None from the merged tables
        the child reads from the output folder, unless current), or why there are none."""
        self.request(records, frames)
        return self.result(records)

    def request(self, records: list[DocRecord], frames: Callable[[], Frames] | None = None) -> None:
        """Ask for the docs (see `build`); the child builds them while this process goes on."""
        self._answer = self.current(records)
        if self._answer:
            self.close()
            return
        self.start()
        try:
            self.child.send((frames() if frames else None, str(self.out)))
        except (EOFError, OSError) as e:
            self._answer = f"failed: the Data Docs process ended ({type(e).__name__})"

    def expected(self) -> str:
        """What `result` says when the docs asked for are built (known before they are)."""
        return self._answer or str(self.out / "data_docs" / "index.html")

    def result(self, records: list[DocRecord]) -> str:
        """What `build` returns, once the child has answered `request`."""
        known, self._answer = self._answer, None
        try:
            result = known or self.child.answer()
        except (EOFError, OSError) as e:
            result = f"failed: the Data Docs process ended ({type(e).__name__})"
        finally:
            self.close()
        if result.startswith("failed"):
            print(
                f"warning: Data Docs not built ({result}); the run's other outputs are complete",
                file=sys.stderr,
            )
        elif known is None:  # built now
            from pipeline.outputs import atomic_write

            with contextlib.suppress(OSError):
                atomic_write(self.marker, f"{stamp(records, self.rules, self.code)}\n{result}")
        return result

    def close(self, graceful: bool = True) -> None:
        self.child.close(graceful)
