"""Outputs: every file a run writes, each atomically (temp file + os.replace).

Public:
- `DocRecord` (what one document yields, as plain data; `summary()` what reports need of it),
  `from_result`, `failed`;
- `write_doc(out, record)` — per-document outputs under docs/<doc_id>/;
- `Parts(out)` — streaming: each document's tables to a staging folder, merged into the batch files;
- `write_reports(out, summaries, run, fail_on, checks) -> report dict` — report.json, report.md,
  junit.xml from per-document summaries;
- `write_batch(out, records, run, fail_on, checks) -> (report dict, Frames)` — the in-memory path:
  merged tables from records held in memory, then the reports;
- `atomic_write`, `atomic_target`, `sweep_temp`; columns and types in `dictionary` (dictionary.yml).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipeline.outputs import junit, report
from pipeline.outputs.atomic import atomic_target, atomic_write, sweep_temp
from pipeline.outputs.parts import Parts
from pipeline.outputs.record import DocRecord, failed, from_result
from pipeline.outputs.tables import Frames, frames, read_frames, write_doc, write_tables

__all__ = [
    "DocRecord",
    "Frames",
    "Parts",
    "atomic_target",
    "atomic_write",
    "failed",
    "frames",
    "from_result",
    "read_frames",
    "sweep_temp",
    "write_batch",
    "write_doc",
    "write_reports",
]


def write_reports(
    out: Path,
    summaries: list[DocRecord],
    run: dict[str, Any],
    fail_on: str = "error",
    checks: list[str] | None = None,
) -> dict[str, Any]:
    """junit.xml, report.md, then report.json: report.json appearing means the batch outputs are complete."""
    summary = report.summarise(summaries, run)
    junit.write(out, summaries, fail_on, checks)
    report.write_md(out, summary, summaries)
    report.write_json(out, summary)
    return summary


def write_batch(
    out: Path,
    records: list[DocRecord],
    run: dict[str, Any],
    fail_on: str = "error",
    checks: list[str] | None = None,
) -> tuple[dict[str, Any], Frames]:
    """Merged tables first, reports last."""
    out.mkdir(parents=True, exist_ok=True)
    f = write_tables(out, records)
    return write_reports(out, [r.summary() for r in records], run, fail_on, checks), f
