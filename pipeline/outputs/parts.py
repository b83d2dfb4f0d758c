"""Streaming batch tables: each finished document's tables go to disk as parts (CSV body, Parquet,
mentions JSON lines) in a staging folder of the output folder; `merge` writes the batch files from
the parts in document order, one part at a time, so the parent never holds every document's rows.
The batch files are replaced atomically, so a run killed before the merge leaves the old ones."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.outputs import junit
from pipeline.outputs.arrow import to_arrow
from pipeline.outputs.atomic import atomic_target
from pipeline.outputs.columns import frame
from pipeline.outputs.documents import Documents
from pipeline.outputs.record import DocRecord, Summary
from pipeline.outputs.sections import Section, Sections
from pipeline.outputs.tables import TABLES, Frames, csv_text, frames, jsonl_text

PREFIX = ".parts-"
ROW_GROUP = 50_000  # rows buffered per Parquet row group while merging


def _dumps(v: Any) -> str:
    return json.dumps(v, ensure_ascii=False, default=str)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_parts(out: Path) -> int:
    """Remove staging folders that a killed run left (their process is gone); returns how many."""
    n = 0
    for p in Path(out).glob(f"{PREFIX}*"):
        pid = p.name[len(PREFIX) :].split("-")[0]
        if p.is_dir() and not (pid.isdigit() and int(pid) != os.getpid() and _alive(int(pid))):
            shutil.rmtree(p, ignore_errors=True)
            n += 1
    return n


class Parts:
    """The staging folder of one run. `put(key, record)` stores a document's tables, report section,
    report row and junit cases, and returns its `Summary` (what the parent keeps); `merge(keys)`
    writes the batch files; `sections(keys)` and `documents(keys)` read the rest back for the reports."""

    def __init__(self, out: Path) -> None:
        self.out = Path(out)
        self.out.mkdir(parents=True, exist_ok=True)
        sweep_parts(self.out)
        self.folder = self.out / f"{PREFIX}{os.getpid()}-{secrets.token_hex(4)}"
        self.folder.mkdir()
        self.renderer = Sections(self.out)
        self.checks: set[str] = set()  # the check names of the documents' rows (a case each in junit.xml)

    def _path(self, key: int, name: str, suffix: str) -> Path:
        return self.folder / f"{key:08d}.{name}.{suffix}"

    def put(self, key: int, rec: DocRecord, f: Frames | None = None) -> Summary:
        for name, df in (f or frames([rec])).items():
            self._path(key, name, "csv").write_text(csv_text(df, header=False), encoding="utf-8")
            pq.write_table(to_arrow(name, df), self._path(key, name, "parquet"))
        self._path(key, "mentions", "jsonl").write_text(jsonl_text(rec.mentions), encoding="utf-8")
        section = self.renderer.render(rec)
        self._path(key, "section", "md").write_text(section.md, encoding="utf-8")
        self._path(key, "section", "html").write_text(section.html, encoding="utf-8")
        self._path(key, "row", "json").write_text(_dumps(rec.report_row()), encoding="utf-8")
        self._path(key, "junit", "json").write_text(_dumps(junit.cases(rec)), encoding="utf-8")
        self.checks.update(rec.row.get("checks", []))
        return rec.summary()

    def documents(self, keys: list[int]) -> Documents:
        """The documents' report rows and junit cases in `keys` order, read one at a time."""

        def rows() -> Iterator[dict[str, Any]]:
            return (json.loads(self._path(k, "row", "json").read_text(encoding="utf-8")) for k in keys)

        def suites() -> Iterator[junit.Suite]:
            for key, row in zip(keys, rows(), strict=True):
                yield row, json.loads(self._path(key, "junit", "json").read_text(encoding="utf-8"))

        return Documents(rows, suites)

    def sections(self, keys: Iterable[int]) -> Iterator[Section]:
        """The documents' report sections in `keys` order, read one at a time."""
        for key in keys:
            md, html = (self._path(key, "section", x).read_text(encoding="utf-8") for x in ("md", "html"))
            yield Section(md=md, html=html)

    def merge(self, keys: Iterable[int]) -> None:
        keys = list(keys)
        for name in TABLES:
            self._merge_csv(name, keys)
            self._merge_parquet(name, keys)
        self._concat(self.out / "mentions.jsonl", keys, "mentions", "jsonl")
        self.renderer.sweep()

    def _concat(self, target: Path, keys: list[int], name: str, suffix: str, head: str = "") -> None:
        with atomic_target(target) as tmp, open(tmp, "wb") as dst:
            dst.write(head.encode("utf-8"))
            for key in keys:
                with open(self._path(key, name, suffix), "rb") as src:
                    shutil.copyfileobj(src, dst)

    def _merge_csv(self, name: str, keys: list[int]) -> None:
        self._concat(self.out / f"{name}.csv", keys, name, "csv", head=csv_text(frame([], name)))

    def _merge_parquet(self, name: str, keys: list[int]) -> None:
        schema = to_arrow(name, frame([], name)).schema
        target = self.out / f"{name}.parquet"
        with atomic_target(target) as tmp, pq.ParquetWriter(tmp, schema) as writer:
            buf: list[pa.Table] = []
            for key in keys:
                buf.append(pq.read_table(self._path(key, name, "parquet"), schema=schema))
                if sum(t.num_rows for t in buf) >= ROW_GROUP:
                    writer.write_table(pa.concat_tables(buf))
                    buf = []
            if buf or not keys:
                writer.write_table(pa.concat_tables(buf) if buf else schema.empty_table())

    def close(self) -> None:
        with contextlib.suppress(OSError):
            shutil.rmtree(self.folder)

    def __enter__(self) -> Parts:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
