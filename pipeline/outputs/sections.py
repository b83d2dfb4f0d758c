"""The study sections of report.md and report.html, rendered one document at a time as each document
finishes (with its dot plots and page crops), so the reports of a batch never need every document's
outcomes in memory at once: the batch report is the run's summary followed by these sections."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pipeline.outputs import report, report_html
from pipeline.outputs.bystudy import groups
from pipeline.outputs.crops import CROPS_DIR, MAX_CROPS, Crops, first_crops, write_crops
from pipeline.outputs.plots import PLOTS_DIR, study_plots, write_plots
from pipeline.outputs.record import DocRecord


@dataclass
class Section:
    md: str  # report.md lines of the document's studies
    html: str  # report.html fragment of the same
    crops: Crops = field(default_factory=dict)  # the crops it shows, in report order
    files: list[str] = field(default_factory=list)  # plots and crops it wrote, relative to the report


@dataclass
class Sections:
    """Renders each document's section; keeps only the names of the files it wrote (to sweep those of
    an earlier run at the end) and the crops left of the run's budget."""

    out: Path
    crops_left: int = MAX_CROPS
    written: set[str] = field(default_factory=set)
    fresh: bool = False  # `out` is a worker's new staging folder: files written directly (`write_view`)

    def render(self, rec: DocRecord, drawn: Crops | None = None, limit: int | None = None) -> Section:
        """`drawn`: crops already drawn beside the report (by a worker), in report order; the section
        shows those within the budget and draws none itself. `limit`: the document's share of the
        budget (`crops.share`), else whatever is left of it."""
        limit = self.crops_left if limit is None else min(limit, self.crops_left)
        plots = study_plots(groups([rec]))
        paths = write_plots(self.out, plots, self.fresh)
        if drawn is None:
            crops = write_crops(self.out, [rec], limit=limit, fresh=self.fresh)
        else:
            crops = first_crops(drawn, limit)
        made = [p for by_item in crops.values() for p in by_item.values()]
        self.took(made)
        self.kept(list(paths.values()))
        md = "\n".join(report.study_body([rec], paths, crops))
        html = report_html.render_studies([rec], plots, crops)
        return Section(md=md, html=html, crops=crops, files=[*paths.values(), *made])

    def took(self, made: list[str]) -> None:
        """Count crops (paths relative to the report) shown by a section against the run's budget."""
        self.crops_left -= len(made)
        self.written.update(Path(p).name for p in made)

    def kept(self, files: list[str]) -> None:
        """Plots and crops placed beside the report: kept by `sweep`."""
        self.written.update(Path(p).name for p in files)

    def sweep(self) -> None:
        """Plots and crops of an earlier run's studies would linger beside the new report."""
        for folder, pattern in ((self.out / PLOTS_DIR, "*.svg"), (self.out / CROPS_DIR, "*.jpg")):
            for old in folder.glob(pattern) if folder.is_dir() else ():
                if old.name not in self.written:
                    old.unlink(missing_ok=True)
