"""report.html: the run report as one self-contained page (no script, no CDN), grouped by document
and study like report.md, with the dot plots inline. Jinja2 autoescaping escapes every text that
comes from a PDF or a file name; only our own SVG is inserted as markup."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from pipeline.model import SEVERITIES
from pipeline.outputs.atomic import atomic_write
from pipeline.outputs.bystudy import evidence, groups, related
from pipeline.outputs.record import DocRecord
from pipeline.outputs.report import OUTCOME_HEADER, _outcome_row, anchor, docs_status

HERE = Path(__file__).resolve().parent


@functools.cache  # one compiled set of templates per process: each document's section renders with it
def _env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(HERE / "templates")),
        autoescape=select_autoescape(default=True, default_for_string=True),
    )
    env.filters["anchor"] = anchor
    return env


def render_studies(
    records: list[DocRecord],
    plots: dict[tuple[str, str], tuple[str, str]],
    crops: dict[str, dict[int, str]] | None = None,
) -> str:
    """The study sections of `records` (one document's, as it finishes): a fragment of report.html."""
    study = [
        {
            "group": g,
            "findings": [{**f, "items": evidence(f)} for f in g.findings],
            "outcomes": [_outcome_row(o) for o in g.outcomes],
            "plots": [Markup(plots[(g.anchor, m)][1]) for m in g.points() if (g.anchor, m) in plots],
        }
        for g in groups(records)
    ]
    return (
        _env()
        .get_template("report_studies.html")
        .render(
            severities=SEVERITIES,
            studies=study,
            related=related(records),
            outcome_header=OUTCOME_HEADER,
            crops=crops or {},
        )
    )


def chunks(report: dict[str, Any], sections: Iterable[str]) -> Iterator[str]:
    """The page in pieces: the run's summary, then the documents' study sections (our own escaped
    markup), each read once as the page is written."""
    return (
        _env()
        .get_template("report.html")
        .generate(
            report=report,
            run=report["run"],
            docs_state=docs_status(report["run"]),
            severities=SEVERITIES,
            sections=(Markup(s) for s in sections if s.strip()),
        )
    )


def render(report: dict[str, Any], sections: Iterable[str]) -> str:
    return "".join(chunks(report, sections))


def write(out: Path, report: dict[str, Any], sections: Iterable[str]) -> Path:
    return atomic_write(out / "report.html", chunks(report, sections))
