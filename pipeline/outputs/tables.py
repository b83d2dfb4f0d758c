"""The batch tables (studies, outcomes, findings as CSV + Parquet, mentions as JSON lines) and the
same files per document under docs/<doc_id>/. Every file is written atomically."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipeline.outputs.atomic import atomic_target, atomic_write
from pipeline.outputs.columns import FINDING_COLUMNS, OUTCOME_COLUMNS, STUDY_COLUMNS, frame
from pipeline.outputs.record import DocRecord


@dataclass
class Frames:
    studies: pd.DataFrame
    outcomes: pd.DataFrame
    findings: pd.DataFrame

    def items(self) -> list[tuple[str, pd.DataFrame]]:
        return [("studies", self.studies), ("outcomes", self.outcomes), ("findings", self.findings)]


def frames(records: Iterable[DocRecord]) -> Frames:
    records = list(records)
    return Frames(
        studies=frame([r for rec in records for r in rec.studies], STUDY_COLUMNS),
        outcomes=frame([r for rec in records for r in rec.outcomes], OUTCOME_COLUMNS),
        findings=frame([r for rec in records for r in rec.findings], FINDING_COLUMNS),
    )


def write_csv(path: Path, df: pd.DataFrame) -> Path:
    with atomic_target(path) as tmp:
        df.to_csv(tmp, index=False)
    return path


def write_parquet(path: Path, df: pd.DataFrame) -> Path:
    with atomic_target(path) as tmp:
        df.to_parquet(tmp, index=False)
    return path


def write_jsonl(path: Path, rows: Iterable[dict]) -> Path:
    text = "".join(json.dumps(r, ensure_ascii=False, default=str) + "\n" for r in rows)
    return atomic_write(path, text)


def write_tables(out: Path, records: list[DocRecord], parquet: bool = True) -> Frames:
    """Merged tables of every record, in record order: CSV (+ Parquet) and mentions.jsonl."""
    f = frames(records)
    for name, df in f.items():
        write_csv(out / f"{name}.csv", df)
        if parquet:
            write_parquet(out / f"{name}.parquet", df)
    write_jsonl(out / "mentions.jsonl", (m for rec in records for m in rec.mentions))
    return f


def doc_dir(out: Path, doc_id: str) -> Path:
    # A doc_id is a file stem; keep it from naming a hidden or parent folder.
    name = doc_id if doc_id.strip(".") else f"_{doc_id}"
    return out / "docs" / (f"_{name}" if name.startswith(".") else name)


def write_doc(out: Path, rec: DocRecord) -> Path:
    """Per-document outputs: docs/<doc_id>/{studies,outcomes,findings}.csv, mentions.jsonl, report.json.
    report.json is written last, so its presence means the folder is complete."""
    folder = doc_dir(out, rec.doc_id)
    f = frames([rec])
    for name, df in f.items():
        write_csv(folder / f"{name}.csv", df)
    write_jsonl(folder / "mentions.jsonl", rec.mentions)
    atomic_write(folder / "report.json", json.dumps(rec.row, indent=2, ensure_ascii=False, default=str))
    return folder
