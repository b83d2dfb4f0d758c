"""Terminal output of a run: a rich progress bar with a status line per document, and the final
summary table. Written to stderr so that stdout stays free for pipes."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from pipeline.outputs import DocRecord


class BatchProgress:
    def __init__(self, total: int, enabled: bool = True, console: Console | None = None) -> None:
        self.console = console or Console(stderr=True, quiet=not enabled)
        if not self.console.is_terminal:  # logs and CI: rich assumes 80 columns, too few for the table
            self.console.width = max(self.console.width, 100)
        self.bar = Progress(
            TextColumn("[bold]trialex run"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.description}"),
            console=self.console,
            transient=True,
            disable=not enabled,
        )
        self.task = self.bar.add_task("", total=total)

    def __enter__(self) -> BatchProgress:
        self.bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.stop()

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
        self.bar.console.print(line, highlight=False)
        self.bar.update(self.task, advance=1, description=name)

    def skipped(self, where: str, why: str) -> None:
        self.bar.console.print(f"[yellow]skipped[/] {escape(where)}: {escape(why)}", highlight=False)

    def summary(self, report: dict[str, Any]) -> None:
        self.console.print(summary_table(report))


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
