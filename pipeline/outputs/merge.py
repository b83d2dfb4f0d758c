"""The batch files from the documents' parts (`outputs.parts`), in input order, as the documents come:
the CSV bodies and the mentions appended as bytes (after the header line), the Parquet parts read and
written in row groups with pyarrow. The Parquet side can run in a helper process (`Merging(fork=...)`:
one forked from the run's fork server, which has pyarrow loaded), so that the main process of a run
imports neither pyarrow nor numpy: it sends each document's key and waits for the files only at the
end. Should the helper fail, the Parquet files are merged here from the parts (which stay in the
staging folder until the run ends): same files either way."""

from __future__ import annotations

import contextlib
import shutil
import signal
from collections.abc import Callable
from multiprocessing import Pipe
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.outputs import dictionary
from pipeline.outputs.atomic import atomic_target
from pipeline.outputs.columns import table_columns
from pipeline.outputs.tables import TABLES, csv_head

if TYPE_CHECKING:
    import pyarrow as pa
    import pyarrow.parquet as pq

ROW_GROUP = 50_000  # rows buffered per Parquet row group while merging
GROUP_BYTES = 1 << 20  # and at most this many bytes of them (findings carry long texts): flat memory
Fork = Callable[[Callable[..., None], tuple[Any, ...]], BaseProcess]  # how a helper process starts


def part_path(folder: Path, key: int, name: str, suffix: str) -> Path:
    """A document's part of a batch file in the staging folder (`key`: its place in the input)."""
    return folder / f"{key:08d}.{name}.{suffix}"


class _Groups:
    """A Parquet file's row groups: tables buffered up to `ROW_GROUP` rows or `GROUP_BYTES`."""

    def __init__(self, writer: pq.ParquetWriter, schema: pa.Schema) -> None:
        self.writer, self.schema = writer, schema
        self.buf: list[pa.Table] = []

    def add(self, table: pa.Table) -> None:
        import pyarrow as pa

        self.buf.append(table)
        if sum(t.num_rows for t in self.buf) >= ROW_GROUP or sum(t.nbytes for t in self.buf) >= GROUP_BYTES:
            self.writer.write_table(pa.concat_tables(self.buf))
            self.buf = []

    def close(self, any_part: bool) -> None:
        import pyarrow as pa

        if self.buf or not any_part:
            self.writer.write_table(pa.concat_tables(self.buf) if self.buf else self.schema.empty_table())


class ParquetMerge:
    """The Parquet batch files open in temp files: `add(key)` appends a document's parts, `finish`
    closes them and moves them into place, `abort` removes them."""

    def __init__(self, out: Path, folder: Path) -> None:
        import pyarrow.parquet as pq

        self.folder, self.stack, self.groups = folder, contextlib.ExitStack(), {}
        for name in TABLES:
            tmp = self.stack.enter_context(atomic_target(out / f"{name}.parquet"))
            schema = dictionary.parquet_schema(name, table_columns(name))
            self.groups[name] = _Groups(self.stack.enter_context(pq.ParquetWriter(tmp, schema)), schema)

    def add(self, key: int) -> None:
        import pyarrow.parquet as pq

        for name in TABLES:
            # the part's file as it is (its schema is the merge's): not `pq.read_table`, whose
            # dataset machinery imports pandas
            with pq.ParquetFile(part_path(self.folder, key, name, "parquet")) as part:
                self.groups[name].add(part.read())

    def finish(self, any_part: bool) -> None:
        for g in self.groups.values():
            g.close(any_part)
        self.stack.close()

    def abort(self) -> None:
        error = RuntimeError("merge not finished")
        self.stack.__exit__(RuntimeError, error, None)


def _helper(conn: Connection, out: str, folder: str) -> None:
    """The helper process: keys to add until ("finish", any_part) (answered "done") or None / the
    main process gone (the temp files removed)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the main process decides what stops
    merge = None
    try:
        merge = ParquetMerge(Path(out), Path(folder))
        while (msg := conn.recv()) is not None:
            if isinstance(msg, int):
                merge.add(msg)
                continue
            merge.finish(msg[1])
            conn.send("done")
            return
    except Exception:  # noqa: BLE001 - the main process merges them itself (and says what failed)
        pass
    if merge is not None:
        merge.abort()


class _Offloaded:
    """`ParquetMerge` in a helper process (`fork`); `finish` says whether it made the files."""

    def __init__(self, fork: Fork, out: Path, folder: Path) -> None:
        self.conn, child = Pipe()
        self.proc = fork(_helper, (child, str(out), str(folder)))
        child.close()

    def add(self, key: int) -> None:
        with contextlib.suppress(OSError):  # gone: `finish` says so
            self.conn.send(key)

    def finish(self, any_part: bool) -> bool:
        try:
            self.conn.send(("finish", any_part))
            while not self.conn.poll(1.0):
                if not self.proc.is_alive():
                    return False
            return self.conn.recv() == "done"
        except (EOFError, OSError):
            return False
        finally:
            self._end()

    def abort(self) -> None:
        with contextlib.suppress(OSError):
            self.conn.send(None)
        self._end()

    def _end(self) -> None:
        self.conn.close()
        self.proc.join(timeout=10)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join()


class Merging:
    """The batch files of `order` (keys of the parts in `folder`) open in temp files; each document's
    parts added once every one before it is in (`ready`); closed and moved into place by `finish`
    (CSVs first, then, unless `csv_only`, Parquet and mentions), or removed by `abort`. With `fork`,
    the Parquet files are written by a helper process started at the first document."""

    def __init__(self, out: Path, folder: Path, order: list[int], fork: Fork | None = None) -> None:
        self.out, self.folder, self.order, self.done = out, folder, order, 0
        self.fork = fork
        self.ready_keys: set[int] = set()
        self.parquet: ParquetMerge | _Offloaded | None = None
        self.csv, self.rest = contextlib.ExitStack(), contextlib.ExitStack()
        self.csv_files = {}
        for name in TABLES:
            tmp = self.csv.enter_context(atomic_target(out / f"{name}.csv"))
            self.csv_files[name] = self.csv.enter_context(open(tmp, "wb"))  # noqa: SIM115
            self.csv_files[name].write(csv_head(tuple(table_columns(name))).encode("utf-8"))
        tmp = self.rest.enter_context(atomic_target(out / "mentions.jsonl"))
        self.mentions = self.rest.enter_context(open(tmp, "wb"))  # noqa: SIM115

    def _parquet(self) -> ParquetMerge | _Offloaded:
        if self.parquet is None and self.fork is not None:
            try:
                self.parquet = _Offloaded(self.fork, self.out, self.folder)
            except Exception:  # noqa: BLE001 - no helper (e.g. the fork server is gone): merged here
                self.fork = None
        if self.parquet is None:
            self.parquet = ParquetMerge(self.out, self.folder)
        return self.parquet

    def ready(self, key: int) -> None:
        self.ready_keys.add(key)
        while self.done < len(self.order) and self.order[self.done] in self.ready_keys:
            self._add(self.order[self.done])
            self.done += 1

    def _add(self, key: int) -> None:
        for name in TABLES:
            with open(part_path(self.folder, key, name, "csv"), "rb") as src:
                shutil.copyfileobj(src, self.csv_files[name])
        self._parquet().add(key)
        with open(part_path(self.folder, key, "mentions", "jsonl"), "rb") as src:
            shutil.copyfileobj(src, self.mentions)

    def finish(self, csv_only: bool) -> None:
        if self.done < len(self.order):
            raise ValueError(f"document parts missing from the merge: {self.order[self.done :]}")
        self.csv.close()
        if csv_only:
            return
        parquet, any_part = self._parquet(), bool(self.order)
        if isinstance(parquet, _Offloaded) and not parquet.finish(any_part):
            # the helper failed: the same files, made here from the parts
            parquet = self.parquet = ParquetMerge(self.out, self.folder)
            for key in self.order:
                parquet.add(key)
        if isinstance(parquet, ParquetMerge):
            parquet.finish(any_part)
        self.rest.close()

    def abort(self) -> None:
        error = RuntimeError("merge not finished")
        for stack in (self.csv, self.rest):
            stack.__exit__(RuntimeError, error, None)
        if self.parquet is not None:
            self.parquet.abort()
