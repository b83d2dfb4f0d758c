"""report.json and report.md: the documents of a run (failures with their reasons), totals,
timings by stage and findings by severity, each finding with its snippets."""

from __future__ import annotations

import html
import itertools
import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from pipeline.model import SEVERITIES
from pipeline.outputs.atomic import atomic_write
from pipeline.outputs.bystudy import evidence, groups, related, slug
from pipeline.outputs.record import DocRecord

STAGES = ("ingest", "tables", "ner", "records", "quality")
_COUNT_KEYS = ("studies", "outcomes", "findings", "mentions", "tables")


def summarise(rows: Iterable[dict[str, Any]], run: dict[str, Any]) -> dict[str, Any]:
    """The report.json mapping: run info, totals, timings by stage, findings by severity, documents
    (`rows`: each document's report row with its counts, `DocRecord.report_row`; read once here and
    kept as given, so a re-readable view of rows on disk keeps the report's memory flat)."""
    totals: dict[str, Any] = dict.fromkeys(("documents", "ok", "failed", "cached", "pages"), 0)
    totals.update(dict.fromkeys(_COUNT_KEYS, 0))
    timings: Counter[str] = Counter()
    by_severity: Counter[str] = Counter()
    for r in rows:
        c = r.get("counts", {})
        totals["documents"] += 1
        totals["ok"] += r["status"] == "ok"
        totals["failed"] += r["status"] != "ok"
        totals["cached"] += bool(r.get("cached"))
        totals["pages"] += int(r.get("pages") or 0)
        for k in _COUNT_KEYS:
            totals[k] += int(c.get(k, 0))
        by_severity.update({s: int(c.get(s, 0)) for s in SEVERITIES})
        if not r.get("cached"):  # a cached document cost nothing in this run
            timings.update({k: float(v) for k, v in r.get("timings", {}).items()})
    return {
        "run": run,
        "totals": totals,
        "timings": {k: round(v, 3) for k, v in sorted(timings.items(), key=_stage_order)},
        "findings_by_severity": {s: by_severity.get(s, 0) for s in SEVERITIES},
        "documents": rows,
    }


def _stage_order(item: tuple[str, float]) -> tuple[int, str]:
    name = item[0]
    return (STAGES.index(name) if name in STAGES else len(STAGES), name)


def docs_status(run: dict[str, Any]) -> str:
    """One line on the Data Docs of the run: where they are, or why they were not built."""
    state = str(run.get("data_docs") or "")
    if not state or state == "skipped":
        return ""
    if state.startswith("failed") or state == "not available":
        return f"Data Docs not built: {state.removeprefix('failed: ')}"
    return "Data Docs: data_docs/index.html"


def _dumps(v: Any) -> str:
    return json.dumps(v, indent=2, ensure_ascii=False, default=str)


def json_chunks(report: dict[str, Any]) -> Iterator[str]:
    """report.json in pieces, one document row each (what `json.dumps(report, indent=2)` writes)."""
    empty = _dumps({**{k: v for k, v in report.items() if k != "documents"}, "documents": []})
    yield empty.removesuffix("[]\n}")
    sep = "[\n    "
    for row in report["documents"]:
        yield sep + _dumps(row).replace("\n", "\n    ")
        sep = ",\n    "
    yield "[]\n}" if sep.startswith("[") else "\n  ]\n}"


def write_json(out: Path, report: dict[str, Any]) -> Path:
    return atomic_write(out / "report.json", json_chunks(report))


def text(v: Any) -> str:
    """Text from a file name or a PDF, safe in Markdown: HTML characters escaped (a `<!--` in a file
    name must not hide the rest of the rendered report), on one line."""
    return html.escape(str(v), quote=False).replace("\r", " ").replace("\n", " ")


def _code(v: Any) -> str:
    """An inline code span that no backtick in `v` can close early."""
    s = str(v).replace("\r", " ").replace("\n", " ")
    fence = "`" * (max((len(r) for r in re.findall("`+", s)), default=0) + 1)
    pad = " " if s.startswith("`") or s.endswith("`") else ""
    return f"{fence}{pad}{s}{pad}{fence}"


def _cell(v: Any) -> str:
    return text(v).replace("|", "\\|")


def _table(header: list[str], rows: Iterable[list[Any]]) -> list[str]:
    return list(_table_lines(header, rows))


def _table_lines(header: list[str], rows: Iterable[list[Any]]) -> Iterator[str]:
    yield from ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    yield from ("| " + " | ".join(_cell(c) for c in r) + " |" for r in rows)
    yield ""


def anchor(finding_id: Any) -> str:
    return "finding-" + slug(str(finding_id))


def _finding_lines(
    f: dict[str, Any], related: list[str] | None = None, crops: dict[int, str] | None = None
) -> list[str]:
    subject = text(" ".join(x for x in (f.get("metric"),) if x))
    fid = str(f.get("finding_id", ""))
    head = f'- <a id="{anchor(fid)}"></a>**{text(f.get("severity", ""))}** **{text(f.get("check", ""))}**'
    head += f" {subject}" if subject else ""
    lines = [f"{head}: {text(f.get('message', ''))}"]
    if related:
        lines[0] += " — related: " + ", ".join(f"[{text(r)}](#{anchor(r)})" for r in related)
    for i, e in enumerate(evidence(f)):
        value = f"{e.get('label')}:{e.get('value')}" if e.get("label") else str(e.get("value", ""))
        snippet, page = e.get("snippet", ""), e.get("page", 0)
        if not (value or snippet):
            continue
        where = text(", ".join(x for x in (e.get("source", ""), f"p. {page}" if page else "") if x))
        quote = f' — "{text(snippet)}"' if snippet else ""
        lines.append(f"  - {text(value)}{f' ({where})' if where else ''}{quote}")
        crop = (crops or {}).get(i)
        if crop:
            lines.append(f"    ![{text(value)} on page {page}]({crop})")
    return lines


def _outcome_row(o: dict[str, Any]) -> list[Any]:
    value = f"{o.get('qualifier') or ''}{_num(o.get('value'))}"
    t = o.get("timepoint_months")
    when = f"{float(t):g} mo" if t not in (None, "") and str(t) != "nan" else ""
    where = " ".join(x for x in (str(o.get("arm") or ""), str(o.get("subgroup") or ""), when) if x)
    return [o.get("metric", ""), value, o.get("unit", ""), where, o.get("source", ""), o.get("table_id", ""),
            o.get("page", "") or ""]  # fmt: skip


def _num(v: Any) -> str:
    if v is None or v == "" or (isinstance(v, float) and v != v):
        return ""
    try:
        return f"{float(v):g}"
    except (TypeError, ValueError):
        return str(v)


OUTCOME_HEADER = ["metric", "value", "unit", "arm / subgroup / time", "source", "table", "page"]


def _severity_counts(findings: list[dict[str, Any]]) -> str:
    n = Counter(f.get("severity", "") for f in findings)
    return ", ".join(f"{n[s]} {s}" for s in SEVERITIES if n[s])


def study_body(
    records: list[DocRecord],
    plots: dict[tuple[str, str], str],
    crops: dict[str, dict[int, str]] | None = None,
) -> list[str]:
    """Per document, per study (errors first): its findings, linked when related, then its outcomes
    and the dot plots of its metrics."""
    out: list[str] = []
    links = related(records)
    doc = None
    for g in groups(records):
        if g.doc_id != doc:
            doc = g.doc_id
            out += [f"### {_code(text(doc))}", ""]
        counts = _severity_counts(g.findings)
        head = f'#### <a id="{g.anchor}"></a>{text(g.label or g.study_id)}'
        if g.label and g.label != g.study_id:
            head += f" ({_code(text(g.study_id))})"
        out += [
            head,
            "",
            f"{len(g.outcomes)} outcomes" + (f"; findings: {counts}" if counts else "; no findings"),
            "",
        ]
        for f in g.findings:
            fid = str(f.get("finding_id", ""))
            out += _finding_lines(f, links.get(fid), (crops or {}).get(fid))
        if g.findings:
            out.append("")
        if g.outcomes:
            out += _table(OUTCOME_HEADER, [_outcome_row(o) for o in g.outcomes])
        for metric in g.points():
            path = plots.get((g.anchor, metric))
            if path:
                out += [f"![{text(metric)} values of {text(g.label)}: text and tables]({path})", ""]
    return out


def md_lines(
    report: dict[str, Any], level_rows: Iterable[dict[str, Any]], studies: Iterable[str]
) -> Iterator[str]:
    """The lines of report.md (joined by newlines): the run's summary, its documents (`report`; the
    document-level table from `level_rows`), then the study sections `studies`."""
    t, run, sev = report["totals"], report["run"], report["findings_by_severity"]
    yield from ["# trialex run report", ""]
    yield from [
        f"Run {run.get('finished', '')} — exit code {run.get('exit_code', '')}, fail on `{run.get('fail_on', '')}`.",
        "",
    ]
    docs_state = docs_status(run)
    if docs_state:
        yield from [text(docs_state), ""]
    yield from ["## Summary", ""]
    yield from _table(
        ["documents", "ok", "failed", "cached", "pages", "studies", "outcomes", "errors", "warnings", "info", "time (s)"],
        [[t["documents"], t["ok"], t["failed"], t["cached"], t["pages"], t["studies"], t["outcomes"],
          sev["error"], sev["warning"], sev["info"], f"{run.get('elapsed', 0):.1f}"]],
    )  # fmt: skip
    yield from ["## Documents", ""]
    yield from _table_lines(
        ["doc_id", "status", "pages", "studies", "outcomes", "findings", "time (s)", "reason"],
        (_document_row(r) for r in report["documents"]),
    )
    yield from _document_level(level_rows)
    lost = ((r["doc_id"], w) for r in report["documents"] for w in r.get("page_warnings") or [])
    rows = ([_code(d), w.get("page") or "all", text(str(w.get("code", ""))), text(str(w.get("detail", "")))]
            for d, w in lost)  # fmt: skip
    first = next(rows, None)
    if first:
        yield from ["## Partial loss (pages read with warnings)", ""]
        yield from _table_lines(["doc_id", "page", "code", "detail"], itertools.chain([first], rows))
    if report["timings"]:
        yield from ["## Time by stage", ""]
        yield from _table(["stage", "seconds"], [[k, f"{v:.2f}"] for k, v in report["timings"].items()])
    yield from ["## Findings by severity", ""]
    yield from _table(["severity", "findings"], [[s, n] for s, n in sev.items()])
    yield from ["## Studies", ""]
    yield from (md for md in studies if md)


def _document_row(r: dict[str, Any]) -> list[Any]:
    c = r.get("counts", {})
    total = r.get("timings", {}).get("total", 0.0)
    reason = f"{r['error']}: {r['error_detail']}" if r["status"] != "ok" else ""
    lost = r.get("page_warnings") or []
    status = r["status"] + (" with warnings" if lost else "") + (" (cached)" if r.get("cached") else "")
    reason = reason or "; ".join(f"p. {w.get('page')}: {w.get('code')}" for w in lost)
    return [r["doc_id"], status, r.get("pages", 0), c.get("studies", 0), c.get("outcomes", 0),
            c.get("findings", 0), f"{total:.1f}", reason]  # fmt: skip


def render_md(
    report: dict[str, Any],
    records: list[DocRecord],
    plots: dict[tuple[str, str], str] | None = None,
    crops: dict[str, dict[int, str]] | None = None,
    sections: Iterable[str] | None = None,
) -> str:
    """The report; the study sections are `sections` (one per document, rendered as each finished)
    or, when not given, rendered here from `records`."""
    studies = study_body(records, plots or {}, crops) if sections is None else sections
    return "\n".join(md_lines(report, [r.report_row() for r in records], studies)).rstrip() + "\n"


def _document_level(rows: Iterable[dict[str, Any]]) -> list[str]:
    """Documents whose numbers fell under the document-level study (records/studies.py: the paper
    itself, when no study was recognised): said plainly, never silently."""
    found = []
    for r in rows:
        c = r.get("counts", {})
        if c.get("document_level"):
            n = c.get("document_level_outcomes", 0)
            found.append([_code(r["doc_id"]), n, "no study recognised: the numbers are the paper's own"])
    if not found:
        return []
    return ["## Numbers under the document-level study", "", *_table(["doc_id", "outcomes", "why"], found)]


def _joined(lines: Iterable[str]) -> Iterator[str]:
    """`"\\n".join(lines).rstrip() + "\\n"` written in pieces: trailing whitespace waits for text."""
    held, first = "", True
    for line in lines:
        piece = line if first else "\n" + line
        first = False
        body = piece.rstrip()
        if body:
            yield held + body
            held = piece[len(body) :]
        else:
            held += piece
    yield "\n"


def write_md(
    out: Path, report: dict[str, Any], level_rows: Iterable[dict[str, Any]], sections: Iterable[str] = ()
) -> Path:
    """report.md written line by line (`md_lines`): the sections are never all in memory."""
    return atomic_write(out / "report.md", _joined(md_lines(report, level_rows, sections)))
