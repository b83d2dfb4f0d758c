"""Outputs: every file a run writes, each atomically (temp file + os.replace).

Public:
- `DocRecord` (what one document yields, as plain data), `from_result`, `failed`;
- `write_doc(out, record)` — per-document outputs under docs/<doc_id>/;
- `write_batch(out, records, run, fail_on, checks) -> (report dict, Frames)` — merged studies,
  outcomes, findings (CSV + Parquet), mentions.jsonl, report.json, report.md, report.html (+ report_files/ dot plots), junit.xml;
- `atomic_write`, `atomic_target`, `sweep_temp`; column orders in `columns`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipeline.outputs import junit, report, report_html
from pipeline.outputs.atomic import atomic_target, atomic_write, sweep_temp
from pipeline.outputs.bystudy import groups
from pipeline.outputs.crops import write_crops
from pipeline.outputs.plots import study_plots, write_plots
from pipeline.outputs.record import DocRecord, failed, from_result
from pipeline.outputs.tables import Frames, frames, write_doc, write_tables

__all__ = [
    "DocRecord",
    "Frames",
    "atomic_target",
    "atomic_write",
    "failed",
    "frames",
    "from_result",
    "sweep_temp",
    "write_batch",
    "write_doc",
]


def write_batch(
    out: Path,
    records: list[DocRecord],
    run: dict[str, Any],
    fail_on: str = "error",
    checks: list[str] | None = None,
) -> tuple[dict[str, Any], Frames]:
    """Merged tables first, reports last: report.json appearing means the batch outputs are complete."""
    out.mkdir(parents=True, exist_ok=True)
    f = write_tables(out, records)
    summary = report.summarise(records, run)
    junit.write(out, records, fail_on, checks)
    plots, crops = study_plots(groups(records)), write_crops(out, records)
    report.write_md(out, summary, records, write_plots(out, plots), crops)
    report_html.write(out, summary, records, plots, crops)
    report.write_json(out, summary)
    return summary, f
