"""Column order and types of the batch tables, from the data dictionary (outputs/dictionary.yml): the
output contract's columns first, in its order (shared/schema.md), then the added ones. A model field
the dictionary lacks is still written (as text, after the documented columns) so nothing is lost,
and tests/test_contract.py fails until the dictionary describes it."""

from __future__ import annotations

import json
from dataclasses import fields

import pandas as pd

from pipeline.model import Finding, Outcome, Study
from pipeline.outputs import dictionary
from pipeline.outputs.dictionary import CSV

STUDIES = [c.name for c in dictionary.table("studies").columns if c.contract]
OUTCOMES = [c.name for c in dictionary.table("outcomes").columns if c.contract]
FINDINGS = [c.name for c in dictionary.table("findings").columns if c.contract]


def undocumented(name: str, model: type | None) -> list[str]:
    """Fields of `model` that the dictionary does not describe (in any format)."""
    known = {c.name for c in dictionary.table(name).columns}
    return [f.name for f in fields(model) if f.name not in known] if model else []


MODELS: dict[str, type | None] = {"studies": Study, "outcomes": Outcome, "findings": Finding}


def table_columns(name: str) -> list[str]:
    """The CSV columns of table `name`: the dictionary's, then undocumented model fields."""
    return dictionary.columns(name, CSV, undocumented(name, MODELS.get(name)))


STUDY_COLUMNS = table_columns("studies")
OUTCOME_COLUMNS = table_columns("outcomes")
FINDING_COLUMNS = table_columns("findings")
FINDING_OUTCOME_COLUMNS = table_columns("finding_outcomes")


def _text(v: object) -> str:
    if isinstance(v, list | dict):  # e.g. a finding's evidence items
        return json.dumps(v, ensure_ascii=False, default=str)
    return "" if v is None or v != v else str(v)


def typed(df: pd.DataFrame, name: str) -> pd.DataFrame:
    """Columns as the dictionary types them: nullable Int64 / Float64 (an empty `n` stays empty, not
    NaN-as-float), every other column text with None and NaN as empty cells, structures as JSON."""
    t = dictionary.table(name)
    for c in df.columns:
        col = t.column(c)
        kind = col.type if col else "string"
        if kind == "int64":
            df[c] = pd.to_numeric(df[c], errors="coerce").astype("Int64")
        elif kind == "float64":
            df[c] = pd.to_numeric(df[c], errors="coerce").astype("Float64")
        else:
            df[c] = pd.array([_text(v) for v in df[c].tolist()], dtype="string")
    return df


def frame(rows: list[dict], name: str) -> pd.DataFrame:
    """The CSV columns of table `name` (missing ones empty); keys outside them are not written."""
    cols = table_columns(name)
    df = pd.DataFrame(rows, columns=cols) if rows else pd.DataFrame({c: [] for c in cols})
    return typed(df, name)
