"""Column order and types of the batch tables, from the data dictionary (outputs/dictionary.yml): the
output contract's columns first, in its order (shared/schema.md), then the added ones. A model field
the dictionary lacks is still written (as text, after the documented columns) so nothing is lost,
and tests/test_contract.py fails until the dictionary describes it."""

from __future__ import annotations

import json
from dataclasses import fields
from typing import TYPE_CHECKING

from pipeline.model import Finding, Outcome, Study
from pipeline.outputs import dictionary
from pipeline.outputs.dictionary import CSV

if TYPE_CHECKING:  # pandas is imported where a frame is built: a run's main process builds none
    import pandas as pd

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


_NUMERIC = ("int64", "float64")


def _kind(t: dictionary.Table, c: str) -> str:
    col = t.column(c)
    return col.type if col else "string"


def _typed(values: pd.Series | list, kind: str) -> pd.api.extensions.ExtensionArray:
    """One column as the dictionary types it: nullable Int64 / Float64 (an empty `n` stays empty, not
    NaN-as-float), else text with None and NaN as empty cells, structures as JSON."""
    import pandas as pd

    if kind == "int64":
        return pd.to_numeric(pd.Series(values), errors="coerce").astype("Int64").array
    if kind == "float64":
        return pd.to_numeric(pd.Series(values), errors="coerce").astype("Float64").array
    values = values.tolist() if isinstance(values, pd.Series) else values
    return pd.array([v if type(v) is str else _text(v) for v in values], dtype="string")


def typed(df: pd.DataFrame, name: str) -> pd.DataFrame:
    """`df`'s columns typed as the dictionary says (`_typed`)."""
    import pandas as pd

    t = dictionary.table(name)
    return pd.DataFrame({c: _typed(df[c], _kind(t, c)) for c in df.columns}, index=df.index)


def frame(rows: list[dict], name: str) -> pd.DataFrame:
    """The CSV columns of table `name` (missing ones empty); keys outside them are not written. Built
    column by column from the rows (no frame of objects first): a text column whose values hold no
    text is read as pandas reads it from the rows (numbers as numbers: 3 and 3.0 print differently)."""
    import pandas as pd

    cols = table_columns(name)
    if not rows:
        return typed(pd.DataFrame({c: [] for c in cols}), name)
    t = dictionary.table(name)
    data = {}
    for c in cols:
        values = [r.get(c) for r in rows]
        kind = _kind(t, c)
        if (
            kind not in _NUMERIC
            and not any(type(v) is str for v in values)
            and any(v is not None for v in values)
        ):
            values = pd.DataFrame(rows, columns=[c])[c]  # numbers only: as a frame of the rows infers them
        data[c] = _typed(values, kind)
    return pd.DataFrame(data)
