"""Column order of the batch tables: the output contract's columns first, in its order
(shared/schema.md), then every added column in the order the model declares it."""

from __future__ import annotations

import json
from dataclasses import fields

import pandas as pd

from pipeline.model import Finding, Outcome, Study

STUDIES = [
    "doc_id",
    "study_id",
    "trial",
    "cohort",
    "product",
    "target",
    "nct_id",
    "phase",
    "n",
    "design",
    "population",
    "refs",
    "sources",
    "pages",
]
OUTCOMES = [
    "doc_id",
    "study_id",
    "trial",
    "cohort",
    "product",
    "nct_id",
    "n",
    "arm",
    "subgroup",
    "metric",
    "timepoint_months",
    "value",
    "qualifier",
    "unit",
    "source",
    "table_id",
    "page",
    "bbox",
    "snippet",
    "confidence",
]
FINDINGS = [
    "finding_id",
    "doc_id",
    "check",
    "severity",
    "study_id",
    "trial",
    "cohort",
    "metric",
    "values",
    "sources",
    "pages",
    "message",
    "status",
]

# Nullable dtypes so that an empty `n` stays empty (not NaN-as-float) in the CSV and Parquet files.
_INT_COLUMNS = {"n", "n_table", "n_text", "page"}
_FLOAT_COLUMNS = {"value", "timepoint_months", "confidence"}


def _order(schema: list[str], model: type) -> list[str]:
    extra = [f.name for f in fields(model) if f.name not in schema]
    return schema + extra


STUDY_COLUMNS = _order(STUDIES, Study)
OUTCOME_COLUMNS = _order(OUTCOMES, Outcome) + ["outcome_id"]  # stable id (pipeline.model.outcome_id)
FINDING_COLUMNS = _order(FINDINGS, Finding)


def _text(v: object) -> str:
    if isinstance(v, list | dict):  # e.g. a finding's evidence items
        return json.dumps(v, ensure_ascii=False, default=str)
    return "" if v is None or v != v else str(v)


def frame(rows: list[dict], columns: list[str]) -> pd.DataFrame:
    """A DataFrame with `columns` first (missing ones empty), then any unknown keys the rows carry."""
    extra: list[str] = []
    for r in rows:
        extra.extend(k for k in r if k not in columns and k not in extra)
    cols = list(columns) + extra
    df = pd.DataFrame(rows, columns=cols) if rows else pd.DataFrame({c: [] for c in cols})
    for c in cols:
        if c in _INT_COLUMNS:
            df[c] = pd.to_numeric(df[c], errors="coerce").astype("Int64")
        elif c in _FLOAT_COLUMNS:
            df[c] = pd.to_numeric(df[c], errors="coerce").astype("Float64")
        else:  # text: None and NaN become empty cells, structures JSON, everything else its str()
            df[c] = df[c].map(_text).astype("string")
    return df
