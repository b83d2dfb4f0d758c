"""Data Docs for a run: the Great Expectations suites of rules/expectations.yml validated on the merged
studies/outcomes, and the consistency checks of rules/checks.yml with their findings, rendered as one
self-contained HTML page of our own (no CDN, no script: it opens offline from a file URL) in the
curator's words: which check, which document and study, which values. The GX validation results are
kept beside it as JSON (`validations.json`) for tools that read them."""

from __future__ import annotations

import functools
import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from jinja2 import Environment, FileSystemLoader, Template, select_autoescape

from pipeline.model import SEVERITIES, Outcome, Study
from pipeline.rules import Rules

HERE = Path(__file__).resolve().parent
ROW_FIELDS = ("doc_id", "study_id", "trial", "cohort", "metric", "source", "page", "snippet")
MAX_ROWS = 200  # unexpected rows listed per expectation (the count is always whole)


def _conform(df: pd.DataFrame | None, kind: type) -> pd.DataFrame:
    """A CSV-read or in-memory frame with the dataclass's columns and types the suites expect."""
    from pipeline.quality.expectations import frame

    base = frame([], kind)
    df = pd.DataFrame() if df is None else df.copy()
    for c in base.columns:
        if c not in df.columns:
            df[c] = None
    for c in ("value", "n", "timepoint_months", "page", "n_table", "n_text", "confidence"):
        if c in df.columns:
            df[c] = pd.to_numeric(df[c], errors="coerce").astype("float64")
    if "n" in df.columns:
        df["n_whole"] = df["n"].isna() | (df["n"] == df["n"].round())
    for c in df.columns:
        if df[c].dtype == object:
            df[c] = df[c].where(df[c].notna(), "").astype(str)
    return df.reset_index(drop=True)


def _show(v: Any) -> str:
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


@dataclass
class Expectation:
    """One expectation's result in curator terms."""

    suite: str
    check: str
    note: str
    kind: str  # the GX expectation type
    column: str
    success: bool
    evaluated: int
    unexpected: list[dict[str, str]] = field(default_factory=list)
    unexpected_count: int = 0
    by_doc: dict[str, tuple[int, int]] = field(default_factory=dict)  # doc -> (evaluated, failed)


def _indices(result: Mapping[str, Any]) -> list[int]:
    out = []
    for row in result.get("unexpected_index_list") or []:
        row = row.get("index", row) if isinstance(row, dict) else row
        if isinstance(row, int | float):
            out.append(int(row))
    return out


def _expectations(suites: Any, name: str, prepared: pd.DataFrame, result: Any) -> list[Expectation]:
    """The suite's GX `result` on the rows `prepared` (`Suites.prepare`'s frame) as `Expectation`s."""
    out = []
    docs = prepared["doc_id"].astype(str) if "doc_id" in prepared else pd.Series([""] * len(prepared))
    names = sorted(set(docs))
    series = {k: prepared[k] for k in prepared.columns}  # a row's cells read column by column
    for r in result.results:
        cfg = r.expectation_config
        meta, kwargs = cfg.meta or {}, cfg.kwargs or {}
        derived = str(kwargs.get("column", ""))
        column = suites.column(name, derived)
        present = prepared[derived].notna() if derived in prepared else pd.Series([True] * len(prepared))
        res = r.result or {}
        bad = [i for i in _indices(res) if 0 <= i < len(prepared)]
        rows = []
        for i in bad[:MAX_ROWS]:
            row = {k: _show(series[k].iat[i]) for k in ROW_FIELDS if k in series}
            row["value"] = _show(series[column].iat[i]) if column in series else ""
            rows.append(row)
        # per document in one pass each (a comparison per document would grow with documents x rows)
        evaluated = present.groupby(docs).sum()
        failed = Counter(docs.iloc[bad].tolist() if bad else [])
        by_doc = {d: (int(evaluated.get(d, 0)), failed[d]) for d in names}
        count = int(res.get("unexpected_count") or len(bad) or (0 if r.success else 1))
        out.append(
            Expectation(name, str(meta.get("check", "expectation")), str(meta.get("note", "")), cfg.type,
                        column, bool(r.success), int(present.sum()), rows, count, by_doc)
        )  # fmt: skip
    return out


def _validated(suites: Any, name: str, prepared: pd.DataFrame, verdicts: Mapping[str, Any] | None) -> Any:
    """The suite's GX result on the batch rows: from the documents' verdicts when they hold these
    rows (`pipeline.quality.verdicts`), else validated here."""
    if verdicts:
        from pipeline.quality.verdicts import combined

        result = combined(suites, name, prepared, verdicts)
        if result is not None:
            return result
    return suites.run(name, prepared, prepared=True)


def _evidence(f: Mapping[str, Any]) -> list[dict[str, str]]:
    raw = f.get("evidence")
    try:
        items = json.loads(raw) if isinstance(raw, str) and raw else raw
    except ValueError:
        items = None
    if isinstance(items, list) and items:
        return [
            {
                "label": _show(e.get("label")),
                "value": _show(e.get("value")),
                "page": _show(e.get("page") or ""),
            }
            for e in items
            if isinstance(e, dict)
        ]
    vals = [v.strip().partition(":") for v in str(f.get("values") or "").split(" | ") if v.strip()]
    return [{"label": a if b else "", "value": c if b else a, "page": ""} for a, b, c in vals]


def _checks(findings: pd.DataFrame | None, checks: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every check of rules/checks.yml (and any other a finding names) with its findings, worst first."""
    rows = [] if findings is None or findings.empty else findings.to_dict("records")
    names = list(dict.fromkeys([*checks, *(str(f.get("check", "")) for f in rows)]))
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    out = []
    for name in names:
        spec = checks.get(name) or {}
        mine = [f for f in rows if str(f.get("check", "")) == name]
        mine.sort(
            key=lambda f: (rank.get(str(f.get("severity")), 9), str(f.get("doc_id")), str(f.get("study_id")))
        )
        items = [
            {**{k: _show(f.get(k)) for k in ("finding_id", "doc_id", "severity", "study_id", "trial", "cohort",
                                               "metric", "message")}, "evidence": _evidence(f)}
            for f in mine
        ]  # fmt: skip
        out.append(
            {
                "name": name,
                "description": str(spec.get("description", "")) if isinstance(spec, Mapping) else "",
                "enabled": not (isinstance(spec, Mapping) and spec.get("enabled") is False),
                "findings": items,
                "worst": items[0]["severity"] if items else "",
            }
        )
    out.sort(key=lambda c: (rank.get(c["worst"], 9), c["name"]))
    return out


@functools.cache
def template() -> Template:
    """The page's template, compiled once per process (the run's Data Docs child does it while the
    documents are processed, not in the serial tail)."""
    env = Environment(
        loader=FileSystemLoader(str(HERE / "templates")),
        autoescape=select_autoescape(default=True, default_for_string=True),
    )
    return env.get_template("data_docs.html")


def render(context: Mapping[str, Any]) -> str:
    return template().render(**context)


def write(
    studies: pd.DataFrame,
    outcomes: pd.DataFrame,
    findings: pd.DataFrame,
    out_dir: Path,
    rules: Rules,
    metrics: Sequence[str],
    suites: Any = None,
    verdicts: Mapping[str, Mapping[str, Any]] | None = None,
) -> Path:
    """Validate, render data_docs/index.html (+ validations.json) and return the page's path.
    `suites`: the `Suites` of these rules and metrics when already built; `verdicts`: by suite and
    doc_id, the `Verdict`s its validator made for the documents' rows (reused, not made again)."""
    from pipeline.quality.expectations import Suites

    checks = (rules.get("checks") or {}).get("checks") or {}
    suites = suites or Suites(rules.get("expectations") or {}, metrics)
    frames = {"studies": _conform(studies, Study), "outcomes": _conform(outcomes, Outcome)}
    expectations: dict[str, list[Expectation]] = {}
    raw: dict[str, Any] = {}
    for name, df in frames.items():
        if name in suites.definitions:
            prepared = suites.prepare(name, df)
            result = _validated(suites, name, prepared, (verdicts or {}).get(name))
            expectations[name], raw[name] = (
                _expectations(suites, name, prepared, result),
                result.to_json_dict(),
            )
    docs = sorted({str(d) for df in frames.values() for d in df.get("doc_id", [])} - {""})
    if findings is not None and not findings.empty and "doc_id" in findings:
        docs = sorted(set(docs) | set(findings["doc_id"].astype(str)))
    has = findings is not None and not findings.empty and "doc_id" in findings
    by_doc = dict(iter(findings.groupby(findings["doc_id"].astype(str)))) if has else {}
    per_doc = {d: _counts(by_doc.get(d)) for d in docs}
    context = {
        "documents": docs,
        "suites": expectations,
        "checks": _checks(findings, checks),
        "severities": SEVERITIES,
        "by_severity": _counts(findings),
        "per_doc": per_doc,
        "doc_failed": {
            d: {n: sum(1 for e in exps if e.by_doc.get(d, (0, 0))[1]) for n, exps in expectations.items()}
            for d in docs
        },
        "rows": {name: len(df) for name, df in frames.items()},
    }
    docs_dir = Path(out_dir) / "data_docs"
    docs_dir.mkdir(parents=True, exist_ok=True)
    from pipeline.outputs.atomic import atomic_write

    atomic_write(docs_dir / "validations.json", json.dumps(raw, indent=1, default=str, ensure_ascii=False))
    return atomic_write(docs_dir / "index.html", render(context))


def _counts(df: pd.DataFrame | None) -> dict[str, int]:
    """Findings per severity."""
    if df is None or df.empty or "severity" not in df:
        return {}
    return {str(k): int(v) for k, v in df["severity"].astype(str).value_counts().items()}
