"""Outputs: every file a run writes, each atomically (temp file + os.replace).

Public:
- `DocRecord` (what one document yields, as plain data; `summary()` the `Summary` a batch's parent
  keeps of it: no findings, no tables), `from_result`, `failed`;
- `write_doc(out, record)` — per-document outputs under docs/<doc_id>/;
- `Parts(out)` — streaming: each document's tables and report section (`Sections`: its studies,
  dot plots and page crops) to a staging folder, merged into the batch files;
- `write_reports(out, docs, run, fail_on, checks, sections) -> report dict` — report.json,
  report.md, report.html, junit.xml streamed from the documents' rows, junit cases and sections
  (`Documents`: from memory or from `Parts`' files);
- `write_batch(out, records, run, fail_on, checks) -> (report dict, Frames)` — the in-memory path:
  merged tables from records held in memory, then the reports;
- `atomic_write`, `atomic_target`, `sweep_temp`; columns and types in `dictionary` (dictionary.yml).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from pipeline.outputs import junit, report, report_html
from pipeline.outputs.atomic import atomic_target, atomic_write, sweep_temp
from pipeline.outputs.crops import share
from pipeline.outputs.documents import Documents, RunRows
from pipeline.outputs.parts import Parts
from pipeline.outputs.record import DocRecord, Summary, failed, from_result
from pipeline.outputs.sections import Section, Sections
from pipeline.outputs.tables import Frames, frames, read_frames, write_doc, write_tables

__all__ = [
    "DocRecord",
    "Documents",
    "Frames",
    "Parts",
    "RunRows",
    "Summary",
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
    docs: Documents,
    run: dict[str, Any],
    fail_on: str = "error",
    checks: list[str] | None = None,
    sections: Callable[[], Iterable[Section]] | None = None,
    settle: Callable[[], dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """junit.xml, report.md and report.html, then report.json: report.json appearing means the batch
    outputs are complete. `docs` gives the documents' rows and junit cases, `sections` their study
    sections, in order (each read once per report: one document at a time, never all at once);
    without `sections` the reports have none. `settle`: called once report.md and report.html are
    written (e.g. waits for the Data Docs built meanwhile), its run info goes into report.json, and
    into report.md/html again when it changes what they say. The returned report's `documents` are
    read back from report.json when asked for."""
    summary = report.summarise(docs, run)
    junit.write(out, docs.suites, fail_on, checks)

    def pages() -> None:
        report.write_md(out, summary, docs, (s.md for s in sections()) if sections else ())
        report_html.write(out, summary, (s.html for s in sections()) if sections else ())

    pages()
    if settle is not None:
        said = report.docs_status(summary["run"])
        summary["run"] = {**summary["run"], **settle()}
        if report.docs_status(summary["run"]) != said:
            pages()
    report.write_json(out, summary)
    return {**summary, "documents": RunRows(out / "report.json")}


def write_batch(
    out: Path,
    records: list[DocRecord],
    run: dict[str, Any],
    fail_on: str = "error",
    checks: list[str] | None = None,
) -> tuple[dict[str, Any], Frames]:
    """The in-memory path: merged tables, each document's study section, then the reports."""
    out.mkdir(parents=True, exist_ok=True)
    f = write_tables(out, records)
    renderer = Sections(out)
    rendered = [renderer.render(r, limit=share(i, len(records))) for i, r in enumerate(records)]
    renderer.sweep()
    return write_reports(out, Documents.of(records), run, fail_on, checks, lambda: rendered), f
