"""Data Docs and Great Expectations validation for a batch, off the main process and off the workers.
GX costs seconds to import: a child process started with the batch imports it while documents are
processed, validates each document's studies/outcomes rows for the workers (`pipeline.quality.remote`:
the workers never import GX), then builds the docs from the merged frames at the end, so neither the
main process, the workers nor the serial tail pays for the import. Docs built from the same records
(same content, rules and code) are not built again."""

from __future__ import annotations

import contextlib
import hashlib
import signal
import sys
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path

from pipeline.outputs import DocRecord, Frames, atomic_write
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
    from pipeline.batch.local import die_with_parent
    from pipeline.quality.remote import Served, listener

    die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the main process decides what stops
    served = Served(listener())  # the workers may connect at once: they wait until GX is loaded
    conn.send(served.sock.address)
    try:
        from pipeline import quality
        from pipeline.rules import load

        rules = load(rules_dir)
        served.ready(quality.suites(rules))  # imports GX: the slow part, overlapped with ingest
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
        conn.send(str(quality.data_docs(f.studies, f.outcomes, f.findings, Path(out), rules=rules)))
    except Exception as e:  # noqa: BLE001 - Data Docs are a view; their failure must not lose the run
        conn.send(f"failed: {type(e).__name__}: {e}")


class DataDocs:
    """`start()` early (imports GX in a child; `address` is its validator's), then
    `build(frames, records)` at the end, or `close()`."""

    def __init__(self, out: Path, rules: Rules, rules_dir: Path | None, code: str) -> None:
        self.out, self.rules, self.code = out.resolve(), rules, code  # GX wants an absolute folder
        self.rules_dir = str(rules_dir.resolve()) if rules_dir else None
        self.marker = self.out / "data_docs" / ".trialex-stamp"
        self._proc = None
        self._conn: Connection | None = None
        self.address: str | None = None  # where the workers send rows to validate, once started
        self._settled = False

    def current(self, records: list[DocRecord]) -> str | None:
        """The index of docs already built from these records, if any."""
        with contextlib.suppress(OSError, ValueError):
            built, index = self.marker.read_text(encoding="utf-8").split("\n", 1)
            if built == stamp(records, self.rules, self.code) and Path(index).is_file():
                return index
        return None

    def start(self) -> None:
        if self._proc is not None:
            return
        from pipeline.batch.local import context

        ctx = context()
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(target=_child, args=(child, self.rules_dir), daemon=True)
        self._proc.start()
        child.close()
        with contextlib.suppress(EOFError, OSError):
            if self._conn.poll(ADDRESS_TIMEOUT):  # sent first thing: the workers validate locally without
                self.address = str(self._conn.recv())

    def settled(self) -> bool:
        """Whether the validator serves (or has failed, or was never started): never blocks."""
        if not self._settled and self._conn is not None:
            with contextlib.suppress(EOFError, OSError):
                if self._conn.poll(0):
                    self._conn.recv()  # SETTLED, the only message before the docs are asked for
                    self._settled = True
            if self._proc is not None and not self._proc.is_alive():
                self._settled = True
        return self._settled or self._conn is None

    def build(self, frames: Callable[[], Frames] | None, records: list[DocRecord]) -> str:
        """The index path of the docs (built now from `frames()`, or with None from the merged tables
        the child reads from the output folder, unless current), or why there are none."""
        index = self.current(records)
        if index:
            self.close()
            return index
        self.start()
        assert self._conn is not None
        try:
            if not self._settled and self._conn.poll(BUILD_TIMEOUT):
                self._conn.recv()  # SETTLED
                self._settled = True
            self._conn.send((frames() if frames else None, str(self.out)))
            ready = self._conn.poll(BUILD_TIMEOUT)
            result = str(self._conn.recv()) if ready else f"failed: took longer than {BUILD_TIMEOUT:g} s"
        except (EOFError, OSError) as e:
            result = f"failed: the Data Docs process ended ({type(e).__name__})"
        finally:
            self.close()
        if result.startswith("failed"):
            print(
                f"warning: Data Docs not built ({result}); the run's other outputs are complete",
                file=sys.stderr,
            )
        else:
            with contextlib.suppress(OSError):
                atomic_write(self.marker, f"{stamp(records, self.rules, self.code)}\n{result}")
        return result

    def close(self) -> None:
        from pipeline.batch.local import stop

        if self._proc is not None and self._conn is not None:
            stop(self._proc, self._conn, graceful=True)
        self._proc = self._conn = None
        self.address, self._settled = None, False
