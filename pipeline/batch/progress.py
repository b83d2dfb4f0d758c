"""Terminal output of a run: a rich progress bar with a status line per document, and the final
summary table. Written to stderr so that stdout stays free for pipes."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

if TYPE_CHECKING:
    from pipeline.outputs import DocRecord

# Share of a document's time done when each stage starts (ingest is most of it): the bar's fraction.
_STAGE_DONE = {"ingest": 0.0, "tables": 0.8, "ner": 0.85, "records": 0.9, "quality": 0.95}


class Eta:
    """Time left from pages processed: a document's pages count once its ingest is done (the page
    count is known then, and ingest is most of the time); documents not yet opened are assumed to
    have the mean page count of those seen. Cached documents take no time and do not count."""

    def __init__(self, docs: int) -> None:
        self.docs = docs  # documents to process (not cached)
        self.pages: dict[str, int] = {}  # doc_id -> page count, once known
        self.start: float | None = None

    def begin(self) -> None:
        if self.start is None:
            self.start = time.monotonic()

    def ingested(self, doc_id: str, pages: int) -> None:
        self.begin()
        self.pages.setdefault(doc_id, pages)

    def processed(self) -> int:
        return sum(self.pages.values())

    def expected(self) -> float:
        """Pages of the whole batch: the known ones plus the mean for every document not yet read."""
        known = len(self.pages)
        return self.processed() + (self.docs - known) * (self.processed() / known) if known else 0.0

    def seconds_left(self) -> float | None:
        done = self.processed()
        if self.start is None or not done:
            return None
        rate = done / max(time.monotonic() - self.start, 1e-6)
        return max(self.expected() - done, 0.0) / rate

    def text(self) -> str:
        left = self.seconds_left()
        pages = f"{self.processed()} of ~{self.expected():.0f} pages" if self.pages else "0 pages"
        if left is None:
            return f"{pages} · ETA estimating"
        m, sec = divmod(round(left), 60)
        return f"{pages} · ETA {m}:{sec:02d}"


class BatchProgress:
    """The bar (a terminal) or one plain line per event (logs, CI, pipes): each document's stage as
    a worker enters it, then its result line; the ETA from pages processed."""

    def __init__(
        self, total: int, enabled: bool = True, console: Console | None = None, to_process: int | None = None
    ) -> None:
        self.console = console or Console(stderr=True, quiet=not enabled)
        self.plain = not self.console.is_terminal
        if self.plain:  # logs and CI: rich assumes 80 columns, too few for the table
            self.console.width = max(self.console.width, 100)
        self.total, self.finished = total, 0
        self.eta = Eta(total if to_process is None else to_process)
        self.active: dict[str, str] = {}  # doc_id -> stage, while a worker holds it
        self.bar = Progress(
            TextColumn("[bold]trialex run"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.fields[eta]}  {task.description}"),
            console=self.console,
            transient=True,
            disable=not enabled or self.plain,
        )
        self.task = self.bar.add_task("", total=total, eta="")

    def __enter__(self) -> BatchProgress:
        self.bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.stop()

    def _refresh(self) -> None:
        share = sum(_STAGE_DONE.get(s, 0.0) for s in self.active.values())
        stages = "  ".join(f"{escape(d)} {s}" for d, s in list(self.active.items())[:4])
        self.bar.update(self.task, completed=self.finished + share, description=stages, eta=self.eta.text())

    def stage(self, doc_id: str, stage: str, pages: int) -> None:
        """A worker started `stage` on `doc_id` (`pages` known once ingest is done)."""
        self.eta.begin()
        if stage != "ingest":
            self.eta.ingested(doc_id, pages)
        self.active[doc_id] = stage
        if self.plain:
            size = f" ({pages} p)" if pages else ""
            n = f"[{self.finished + 1}/{self.total}]"
            self.console.print(f"{n} {escape(doc_id)}: {stage}{size} · {self.eta.text()}", highlight=False)
        self._refresh()

    def done(self, rec: DocRecord) -> None:
        r, c = rec.row, rec.row.get("counts", {})
        name = escape(rec.doc_id)
        if not rec.ok:
            line = f"[red]✗[/] {name}  [red]{escape(r['error'])}[/]: {escape(r['error_detail'])}"
        else:
            sev = "  ".join(f"{c.get(s, 0)} {s}" for s in ("error", "warning") if c.get(s))
            line = (
                f"[green]✓[/] {name}  {r.get('pages', 0)} p  {c.get('studies', 0)} studies  "
                f"{c.get('outcomes', 0)} outcomes  {sev or '0 findings'}"
            )
            line += (
                "  [dim](cached)[/]" if r.get("cached") else f"  {r.get('timings', {}).get('total', 0):.1f} s"
            )
        if not r.get("cached"):
            self.eta.ingested(rec.doc_id, int(r.get("pages") or 0))
        self.active.pop(rec.doc_id, None)
        self.finished += 1
        self.bar.console.print(line, highlight=False)
        self._refresh()

    def skipped(self, where: str, why: str) -> None:
        self.bar.console.print(f"[yellow]skipped[/] {escape(where)}: {escape(why)}", highlight=False)

    def summary(self, report: dict[str, Any]) -> None:
        self.console.print(summary_table(report))


def print_summary(report: dict[str, Any]) -> None:
    """The summary table alone (a run whose outputs were current shows no progress)."""
    BatchProgress(0).summary(report)


def summary_table(report: dict[str, Any]) -> Table:
    t, sev, run = report["totals"], report["findings_by_severity"], report["run"]
    table = Table(title="trialex run", show_header=True, header_style="bold")
    for col in (
        "docs",
        "pages",
        "studies",
        "outcomes",
        "errors",
        "warnings",
        "info",
        "failed",
        "cached",
        "time",
    ):
        table.add_column(col, justify="right")
    table.add_row(
        str(t["documents"]),
        str(t["pages"]),
        str(t["studies"]),
        str(t["outcomes"]),
        f"[red]{sev['error']}[/]" if sev["error"] else "0",
        f"[yellow]{sev['warning']}[/]" if sev["warning"] else "0",
        str(sev["info"]),
        f"[red]{t['failed']}[/]" if t["failed"] else "0",
        str(t["cached"]),
        f"{run.get('elapsed', 0):.1f} s",
    )
    return table
