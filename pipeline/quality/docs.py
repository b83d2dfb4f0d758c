"""GX Data Docs for a run: the expectation suites on studies/outcomes, and the consistency checks
surfaced as a GX suite too (one expectation per check, failing with the findings as its
unexpected values), so a curator reads every check in one report."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from pipeline.model import Outcome, Study
from pipeline.rules import Rules


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
    return df


def _consistency(findings: pd.DataFrame | None, checks: Sequence[str]) -> pd.DataFrame:
    findings = pd.DataFrame() if findings is None else findings
    names = list(
        dict.fromkeys(list(checks) + (findings["check"].astype(str).tolist() if "check" in findings else []))
    )
    rows = []
    for _, f in findings.iterrows():
        row = dict.fromkeys(names)
        label = f"[{f.get('severity', '')}] {f.get('doc_id', '')} {f.get('finding_id', '')}: {f.get('message', '')}"
        row[str(f.get("check"))] = label
        rows.append(row)
    rows.append(dict.fromkeys(names))  # never an empty batch: a run without findings passes visibly
    return pd.DataFrame(rows, columns=names, dtype=object)


def write(
    studies: pd.DataFrame,
    outcomes: pd.DataFrame,
    findings: pd.DataFrame,
    out_dir: Path,
    rules: Rules,
    metrics: Sequence[str],
) -> Path:
    from pipeline.quality.expectations import Suites

    checks = (rules.get("checks") or {}).get("checks") or {}
    cons = _consistency(findings, list(checks))
    extra = {
        "consistency": [
            {
                "type": "ExpectColumnValuesToBeNull",
                "check": c,
                "note": str((checks.get(c) or {}).get("description", c)),
                "description": f"{c}: {(checks.get(c) or {}).get('description', '')} — no finding expected",
                "kwargs": {"column": c},
            }
            for c in cons.columns
        ]
    }
    docs_dir = Path(out_dir) / "data_docs"
    docs_dir.mkdir(parents=True, exist_ok=True)
    suites = Suites(rules.get("expectations") or {}, metrics, docs_dir=docs_dir, extra=extra)
    frames = {
        "studies": _conform(studies, Study),
        "outcomes": _conform(outcomes, Outcome),
        "consistency": cons,
    }
    return suites.docs({k: v for k, v in frames.items() if k in suites.definitions})
