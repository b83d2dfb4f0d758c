"""The data dictionary (dictionary.yml, shipped in the package): every output column with its type and
meaning. The writers take column order and Parquet types from it, and write the descriptions into
each Parquet file's schema, so the dictionary cannot drift from what is written."""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:  # imported where Parquet is written: a run's main process writes none
    import pyarrow as pa

CSV, PARQUET = "csv", "parquet"
_SCALARS = ("string", "int64", "float64")  # pyarrow's types of the same names
_LIST = re.compile(r"list<(.+)>")
UNDOCUMENTED = "(not in the data dictionary)"
_YAML = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the same data, parsed in C (ten times faster)


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    description: str
    formats: tuple[str, ...] = (CSV, PARQUET)
    contract: bool = False


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    files: tuple[str, ...]
    columns: tuple[Column, ...]

    def names(self, fmt: str = PARQUET) -> list[str]:
        return [c.name for c in self.columns if fmt in c.formats]

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)


@functools.cache
def raw() -> dict[str, Any]:
    text = resources.files("pipeline.outputs").joinpath("dictionary.yml").read_text(encoding="utf-8")
    return yaml.load(text, Loader=_YAML)  # noqa: S506 - a safe loader, libyaml's when built


@functools.cache
def table(name: str) -> Table:
    t = raw()["tables"][name]
    cols = tuple(
        Column(
            c["name"],
            c["type"],
            c["description"],
            tuple(c.get("formats", (CSV, PARQUET))),
            bool(c.get("contract", False)),
        )
        for c in t["columns"]
    )
    return Table(name, t["description"], tuple(t["files"]), cols)


def table_names() -> list[str]:
    return list(raw()["tables"])


def arrow_type(spec: str) -> pa.DataType:
    """`string`, `int64`, `float64`, `list<T>` or a struct named in the dictionary's `structs`."""
    import pyarrow as pa

    if spec in _SCALARS:
        return getattr(pa, spec)()
    m = _LIST.fullmatch(spec)
    if m:
        return pa.list_(arrow_type(m.group(1)))
    fields = raw()["structs"].get(spec)
    if fields is None:
        raise ValueError(f"unknown type {spec!r} in the data dictionary")
    return pa.struct([pa.field(k, arrow_type(v)) for k, v in fields.items()])


def columns(name: str, fmt: str = CSV, extra: list[str] | tuple[str, ...] = ()) -> list[str]:
    """The table's columns written to `fmt`, in dictionary order, then `extra` (undocumented) ones."""
    known = table(name).names(fmt)
    return known + [c for c in extra if c not in known]


def arrow_schema(name: str, fmt: str = PARQUET, extra: list[str] | tuple[str, ...] = ()) -> pa.Schema:
    """The Parquet schema: each field with its description (field metadata `description`), the table
    with its description and the dictionary entry (`trialex.dictionary`, JSON)."""
    import pyarrow as pa

    t = table(name)
    fields = []
    for col in columns(name, fmt, extra):
        c = t.column(col)
        typ = arrow_type(c.type) if c else pa.string()
        desc = c.description if c else UNDOCUMENTED
        fields.append(pa.field(col, typ, metadata={"description": desc}))
    entry = {
        "table": name,
        "description": t.description,
        "version": raw()["version"],
        "columns": [{"name": c.name, "type": c.type, "description": c.description} for c in t.columns],
    }
    meta = {"trialex.table": name, "trialex.dictionary": json.dumps(entry, ensure_ascii=False)}
    return pa.schema(fields, metadata=meta)


def parquet_schema(name: str, csv_columns: list[str] | tuple[str, ...]) -> pa.Schema:
    """The Parquet schema of a frame of table `name` with `csv_columns` (the dictionary's CSV columns,
    and any undocumented ones, which are kept as text)."""
    known = set(table(name).names(CSV))
    return arrow_schema(name, PARQUET, [c for c in csv_columns if c not in known])


_SQL = {"string": "VARCHAR", "int64": "BIGINT", "float64": "DOUBLE"}


def sql_types(name: str) -> dict[str, str]:
    """SQL types of the table's CSV columns, e.g. for DuckDB's `read_csv(path, types=...)`: a text
    column whose cells all look like numbers (a cohort '2', a page list '4') stays text."""
    return {c.name: _SQL.get(c.type, "VARCHAR") for c in table(name).columns if CSV in c.formats}
