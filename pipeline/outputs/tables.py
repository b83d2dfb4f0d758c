"""The batch tables (studies, outcomes, findings, finding_outcomes as CSV + Parquet, mentions as JSON
lines) and the same files per document under docs/<doc_id>/. Every file is written atomically.
`write_tables` writes them from records in memory; outputs.parts streams them document by document."""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.outputs.atomic import atomic_target, atomic_write
from pipeline.outputs.columns import frame, table_columns, typed
from pipeline.outputs.record import DocRecord

if TYPE_CHECKING:  # imported where frames are built or Parquet written: not in a run's main process
    import pandas as pd
    import pyarrow as pa

TABLES = ("studies", "outcomes", "findings", "finding_outcomes")


@dataclass
class Frames:
    studies: pd.DataFrame
    outcomes: pd.DataFrame
    findings: pd.DataFrame
    finding_outcomes: pd.DataFrame

    def items(self) -> list[tuple[str, pd.DataFrame]]:
        return [(name, getattr(self, name)) for name in TABLES]


def finding_rows(rec: DocRecord) -> list[dict[str, Any]]:
    """The findings with `check_name`, the unreserved alias of `check`."""
    return [{**f, "check_name": f.get("check", "")} for f in rec.findings]


def finding_outcome_rows(rec: DocRecord) -> list[dict[str, Any]]:
    """One row per finding and outcome its evidence cites (from the outcome_ids column when a
    finding has no structured evidence)."""
    out: list[dict[str, Any]] = []
    for f in rec.findings:
        base = {"finding_id": f.get("finding_id", ""), "doc_id": f.get("doc_id") or rec.doc_id}
        items = f.get("evidence") or []
        cited = [(i, e) for i, e in enumerate(items) if isinstance(e, dict) and e.get("outcome_id")]
        if cited:
            out += [{**base, "outcome_id": e["outcome_id"], "item": i, "label": e.get("label", ""),
                     "value": e.get("value", "")} for i, e in cited]  # fmt: skip
        else:
            ids = [x for x in str(f.get("outcome_ids") or "").split(";") if x]
            out += [{**base, "outcome_id": x} for x in ids]
    return out


def rows(rec: DocRecord, name: str) -> list[dict[str, Any]]:
    if name == "findings":
        return finding_rows(rec)
    if name == "finding_outcomes":
        return finding_outcome_rows(rec)
    return getattr(rec, name)


def frames(records: Iterable[DocRecord]) -> Frames:
    records = list(records)
    return Frames(**{name: table_frame(records, name) for name in TABLES})


def table_frame(records: list[DocRecord], name: str) -> pd.DataFrame:
    """Table `name` of the records, as `frames` builds it (one table at a time: a writer can drop it
    before building the next)."""
    return frame([r for rec in records for r in rows(rec, name)], name)


def read_frames(out: Path) -> Frames:
    """The merged tables of a run folder, as `frames` would build them from its records."""

    import pandas as pd

    def read(name: str) -> pd.DataFrame:
        path = out / f"{name}.csv"
        if not path.is_file():
            return frame([], name)
        return typed(pd.read_csv(path, dtype=str, keep_default_na=False), name)

    return Frames(**{name: read(name) for name in TABLES})


def csv_text(df: pd.DataFrame, header: bool = True) -> str:
    return df.to_csv(index=False, header=header)


@cache
def csv_head(columns: tuple[str, ...]) -> str:
    """The header line pandas writes for these columns (`csv_text` of a frame without rows), made
    without pandas: its writer is the csv module's, minimal quoting, "\\n" at the end of a line."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_MINIMAL).writerow(columns)
    return buf.getvalue()


def write_csv(path: Path, df: pd.DataFrame) -> Path:
    with atomic_target(path) as tmp:
        df.to_csv(tmp, index=False)
    return path


def write_body(path: Path, df: pd.DataFrame) -> None:
    """`df`'s CSV rows without the header line, written as pandas makes them, a chunk of rows at a
    time (never the whole text in memory: the same bytes as `csv_text(df, header=False)`)."""
    df.to_csv(path, index=False, header=False)


def write_parquet(path: Path, table: pa.Table) -> Path:
    import pyarrow.parquet as pq

    with atomic_target(path) as tmp:
        pq.write_table(table, tmp)
    return path


def jsonl_lines(rows: Iterable[dict]) -> Iterator[str]:
    """The JSON lines of `rows`, one at a time."""
    return (json.dumps(r, ensure_ascii=False, default=str) + "\n" for r in rows)


def write_lines(path: Path, lines: Iterable[str]) -> None:
    """Text lines to a file as they come (a new file only its writer sees: no temp file)."""
    with open(path, "w", encoding="utf-8") as f:
        f.writelines(lines)


def write_jsonl(path: Path, rows: Iterable[dict]) -> Path:
    return atomic_write(path, jsonl_lines(rows))


def write_tables(out: Path, records: list[DocRecord], parquet: bool = True) -> Frames:
    """Merged tables of every record held in memory, in record order: CSV (+ Parquet), mentions.jsonl."""
    from pipeline.outputs.arrow import to_arrow

    f = frames(records)
    for name, df in f.items():
        write_csv(out / f"{name}.csv", df)
        if parquet:
            write_parquet(out / f"{name}.parquet", to_arrow(name, df))
    write_jsonl(out / "mentions.jsonl", (m for rec in records for m in rec.mentions))
    return f


def doc_dir(out: Path, doc_id: str) -> Path:
    # A doc_id is a file stem; keep it from naming a hidden or parent folder.
    name = doc_id if doc_id.strip(".") else f"_{doc_id}"
    return out / "docs" / (f"_{name}" if name.startswith(".") else name)


def _copy(path: Path, src: Path, head: str = "") -> None:
    """`head`, then the bytes of `src`, atomically to `path` (a copy: nothing held in memory)."""
    with atomic_target(path) as tmp, open(tmp, "wb") as dst, open(src, "rb") as f:
        dst.write(head.encode("utf-8"))
        shutil.copyfileobj(f, dst)


def write_doc(out: Path, rec: DocRecord, files: Mapping[str, Path] | None = None) -> Path:
    """Per-document outputs: docs/<doc_id>/{studies,outcomes,findings,finding_outcomes}.csv,
    mentions.jsonl, report.json; each written as it is made, one table at a time, or copied from
    `files` (the same document's CSV bodies and mentions already on disk, by table name and
    "mentions": a part of the batch files). report.json is written last: its presence means the
    folder is complete."""
    folder = doc_dir(out, rec.doc_id)
    for name in TABLES:
        if files:
            _copy(folder / f"{name}.csv", files[name], csv_head(tuple(table_columns(name))))
        else:
            write_csv(folder / f"{name}.csv", table_frame([rec], name))
    if files:
        _copy(folder / "mentions.jsonl", files["mentions"])
    else:
        write_jsonl(folder / "mentions.jsonl", rec.mentions)
    atomic_write(folder / "report.json", json.dumps(rec.row, indent=2, ensure_ascii=False, default=str))
    return folder


__all__ = ["TABLES", "Frames", "frames", "read_frames", "table_columns", "write_doc", "write_tables"]
