"""The batch tables (studies, outcomes, findings, finding_outcomes as CSV + Parquet, mentions as JSON
lines) and the same files per document under docs/<doc_id>/. Every file is written atomically.
`write_tables` writes them from records in memory; outputs.parts streams them document by document."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.outputs.arrow import to_arrow
from pipeline.outputs.atomic import atomic_target, atomic_write
from pipeline.outputs.columns import frame, table_columns, typed
from pipeline.outputs.record import DocRecord

TABLES = ("studies", "outcomes", "findings", "finding_outcomes")


@dataclass
class Frames:
    studies: pd.DataFrame
    outcomes: pd.DataFrame
    findings: pd.DataFrame
    finding_outcomes: pd.DataFrame
    # each table's CSV rows, made once for every file that holds them (a part, docs/<id>/)
    _bodies: dict[str, str] = field(default_factory=dict, init=False, repr=False, compare=False)

    def items(self) -> list[tuple[str, pd.DataFrame]]:
        return [(name, getattr(self, name)) for name in TABLES]

    def body(self, name: str) -> str:
        """Table `name` as CSV rows without the header line."""
        if name not in self._bodies:
            self._bodies[name] = csv_text(getattr(self, name), header=False)
        return self._bodies[name]

    def csv(self, name: str) -> str:
        """Table `name` as a CSV file: the header line, then `body`."""
        return csv_head(tuple(getattr(self, name).columns)) + self.body(name)


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
    return Frames(**{name: frame([r for rec in records for r in rows(rec, name)], name) for name in TABLES})


def read_frames(out: Path) -> Frames:
    """The merged tables of a run folder, as `frames` would build them from its records."""

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
    """The header line pandas writes for these columns (quoted as it quotes them)."""
    return csv_text(pd.DataFrame(columns=list(columns)))


def write_csv(path: Path, df: pd.DataFrame) -> Path:
    with atomic_target(path) as tmp:
        df.to_csv(tmp, index=False)
    return path


def write_parquet(path: Path, table: pa.Table) -> Path:
    with atomic_target(path) as tmp:
        pq.write_table(table, tmp)
    return path


def jsonl_text(rows: Iterable[dict]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False, default=str) + "\n" for r in rows)


def write_jsonl(path: Path, rows: Iterable[dict]) -> Path:
    return atomic_write(path, jsonl_text(rows))


def write_tables(out: Path, records: list[DocRecord], parquet: bool = True) -> Frames:
    """Merged tables of every record held in memory, in record order: CSV (+ Parquet), mentions.jsonl."""
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


def write_doc(out: Path, rec: DocRecord, f: Frames | None = None, mentions: str | None = None) -> Path:
    """Per-document outputs: docs/<doc_id>/{studies,outcomes,findings,finding_outcomes}.csv,
    mentions.jsonl, report.json (`f`: the record's frames, `mentions`: its `jsonl_text`, when already
    made). report.json is written last: its presence means the folder is complete."""
    folder = doc_dir(out, rec.doc_id)
    f = f or frames([rec])
    for name in TABLES:
        atomic_write(folder / f"{name}.csv", f.csv(name))
    atomic_write(folder / "mentions.jsonl", jsonl_text(rec.mentions) if mentions is None else mentions)
    atomic_write(folder / "report.json", json.dumps(rec.row, indent=2, ensure_ascii=False, default=str))
    return folder


__all__ = ["TABLES", "Frames", "frames", "read_frames", "table_columns", "write_doc", "write_tables"]
