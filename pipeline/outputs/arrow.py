"""A table's pandas frame (the flat CSV columns) as an Arrow table for Parquet: empty text as NULL,
types from the data dictionary, descriptions in the schema, and the structured twins of the
flattened columns (page and box as numbers, sources and outcome ids as lists)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pandas as pd
import pyarrow as pa

from pipeline.outputs import dictionary

_INT = re.compile(r"\d+")


def _py(v: Any) -> Any:
    """A cell as Python: NA, NaN and "" are None (one null in CSV and Parquet alike)."""
    if v is None or v is pd.NA or (isinstance(v, float) and v != v) or v == "":
        return None
    return v


def _nulls(values: list[Any]) -> list[Any]:
    """`_py` of each cell, inline (a call per cell cost more than the test)."""
    na = pd.NA
    return [
        None if v is None or v is na or (isinstance(v, float) and v != v) or v == "" else v for v in values
    ]


def _int(v: Any) -> int | None:
    s = str(v or "").strip()
    return int(s) if s.isdigit() and int(s) > 0 else None


def box(page: Any, bbox: Any) -> dict[str, Any] | None:
    """`page` + "x0,top,x1,bottom" as a struct of numbers; None when there is no (readable) box."""
    parts = str(bbox or "").split(",")
    if len(parts) != 4:
        return None
    try:
        x0, top, x1, bottom = (float(p) for p in parts)
    except ValueError:
        return None
    return {"page": _int(page), "x0": x0, "top": top, "x1": x1, "bottom": bottom}


def _split(v: Any, sep: str) -> list[str | None] | None:
    return None if _py(v) is None else [_py(x.strip()) for x in str(v).split(sep)]


def _distinct(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _evidence(v: Any) -> list[dict[str, Any]] | None:
    if _py(v) is None:
        return None
    items = json.loads(v) if isinstance(v, str) else v
    return [
        {
            **{k: _py(e.get(k)) for k in ("label", "value", "source", "snippet", "outcome_id")},
            "page": _int(e.get("page")),
            "box": box(e.get("page"), e.get("bbox")),
        }
        for e in items
    ]


def _refs(v: Any) -> list[str] | None:
    if _py(v) is None:
        return None
    tokens = [t.strip() for part in str(v).split(";") for t in part.split(":")[-1].split(",")]
    return _distinct([t for t in tokens if t])


# Parquet-only columns: name -> (the flat columns it is built from, how)
Derive = Callable[..., Any]
DERIVED: dict[str, dict[str, tuple[tuple[str, ...], Derive]]] = {
    "studies": {
        "source_list": (("sources",), lambda s: _split(s, "+")),
        "page_list": (
            ("pages",),
            lambda p: None if _py(p) is None else sorted({int(x) for x in _INT.findall(p)}),
        ),
        "ref_list": (("refs",), _refs),
    },
    "outcomes": {"box": (("page", "bbox"), box)},
    "findings": {
        "evidence_items": (("evidence",), _evidence),
        "source_list": (("sources",), lambda s: _split(s, " | ")),
        "page_list": (
            ("pages",),
            lambda p: None if _py(p) is None else [_int(x) for x in str(p).split(" | ")],
        ),
        "outcome_id_list": (("outcome_ids",), lambda s: _split(s, ";")),
    },
}


def to_arrow(name: str, df: pd.DataFrame) -> pa.Table:
    """The Parquet table of `df` (the CSV columns of table `name`): CSV columns first, in order, then
    the dictionary's Parquet-only columns derived from them."""
    schema = dictionary.parquet_schema(name, list(df.columns))
    derived = DERIVED.get(name, {})
    lists: dict[str, list[Any]] = {}  # each column's cells, read once for every field built from it

    def cells(c: str) -> list[Any]:
        if c not in lists:
            lists[c] = df[c].tolist() if c in df.columns else [None] * len(df)
        return lists[c]

    arrays = []
    for field in schema:
        if field.name in derived:
            sources, fn = derived[field.name]
            values = [fn(*args) for args in zip(*(cells(s) for s in sources), strict=True)]
        else:
            values = _nulls(cells(field.name)) if field.name in df.columns else [None] * len(df)
        arrays.append(pa.array(values, type=field.type))
    return pa.Table.from_arrays(arrays, schema=schema)
