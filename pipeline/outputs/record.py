"""`DocRecord`: what one document yields, as plain JSON-able data (what the batch caches, sends
between processes and merges). It never holds the `Document` itself: that stays in the worker."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass, field, fields, is_dataclass
from functools import cache
from typing import Any, TypeVar

from pipeline.model import SEVERITIES, Mention, Result, outcome_id
from pipeline.quality.gate import open_severities

OK, FAILED = "ok", "failed"
T = TypeVar("T")


class _Row:
    """`doc_id` and `ok` read from a document's `row`."""

    __slots__ = ()
    row: dict[str, Any]

    @property
    def doc_id(self) -> str:
        return self.row["doc_id"]

    @property
    def ok(self) -> bool:
        return self.row["status"] == OK


@dataclass
class DocRecord(_Row):
    row: dict[str, Any]  # the report.json `documents[]` entry
    studies: list[dict[str, Any]] = field(default_factory=list)
    outcomes: list[dict[str, Any]] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)
    mentions: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The record as plain data: its own rows, not copies (`asdict` deep-copies every row, which
        cost a batch's parent more than writing them)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), ensure_ascii=False, default=str)

    def encodable(self) -> bool:
        """Whether `to_json(...).encode("utf-8")` would succeed (no lone surrogate, as a non-UTF-8 file
        name leaves, in any string), found without writing the record out."""
        return utf8(self.as_dict())

    def report_row(self) -> dict[str, Any]:
        """Its report.json `documents[]` entry: the row with counts taken from the record itself."""
        tables = int(self.row.get("counts", {}).get("tables", 0))
        return {**self.row, "counts": {**self.row.get("counts", {}), **counts(self, tables=tables)}}

    def summary(self) -> Summary:
        """What the batch's parent keeps once the document's outputs are on disk (see `Summary`)."""
        row = self.report_row()
        kept = {k: row[k] for k in KEPT if k in row}
        kept["timings"] = {"total": row.get("timings", {}).get("total", 0.0)}
        return Summary(row=kept, severities=open_severities(self.findings))

    @classmethod
    def from_json(cls, text: str) -> DocRecord:
        return cls.from_dict(json.loads(text))

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> DocRecord:
        return cls(d["row"], d["studies"], d["outcomes"], d["findings"], d["mentions"])


KEPT = ("doc_id", "sha256", "status", "error", "error_detail", "pages", "cached", "counts")


@dataclass(frozen=True, slots=True)
class Summary(_Row):
    """The parent's state of a finished document: a few fields of its row (status, counts, total
    time: what the progress display and the Data Docs stamp read) and the severities of its open
    findings (what the exit code reads); never its findings or tables, which are on disk."""

    row: dict[str, Any]
    severities: frozenset[str] = frozenset()


def _row(doc_id: str, path: str, sha256: str, pages: int, error: str, detail: str) -> dict[str, Any]:
    return {
        "doc_id": doc_id,
        "path": path,
        "sha256": sha256,
        "pages": pages,
        "status": FAILED if error else OK,
        "error": error,
        "error_detail": detail,
        "timings": {},
        "counts": {},
        "cached": False,
        "failed_pages": [],  # pages read with partial loss (damaged, near empty, unmapped glyphs)
        "page_warnings": [],  # {"page", "code", "detail"} per loss ingest reported
    }


_SCALARS = frozenset({str, int, float, bool, type(None)})


@cache
def _names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))


def plain(v: Any) -> Any:
    """`v` as `dataclasses.asdict` converts a field value (dataclasses to dicts, containers rebuilt,
    anything else deep-copied), with scalars passed through first: a record's rows are almost all
    strings and numbers, and asdict's deep copy of each cost a document more than writing it."""
    t = type(v)
    if t in _SCALARS:
        return v
    if is_dataclass(v) and not isinstance(v, type):
        return {n: plain(getattr(v, n)) for n in _names(t)}
    if t is list:
        return [plain(x) for x in v]
    if t is dict:
        return {plain(k): plain(x) for k, x in v.items()}
    if isinstance(v, tuple) and hasattr(v, "_fields"):  # a named tuple
        return t(*[plain(x) for x in v])
    if isinstance(v, list | tuple):
        return t(plain(x) for x in v)
    if isinstance(v, dict):
        items = ((plain(k), plain(x)) for k, x in v.items())
        return t(v.default_factory, items) if hasattr(v, "default_factory") else t(items)
    return copy.deepcopy(v)


_JSON_SCALARS = frozenset({int, float, bool, type(None)})


def utf8(v: Any) -> bool:
    """Whether the JSON text of `v` (plain data; anything else as `str`, json's `default=str`) can be
    encoded as UTF-8: every string and key is ASCII or encodes."""
    t = type(v)
    if t is str:
        if v.isascii():
            return True
        try:
            v.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return True
    if t in _JSON_SCALARS:
        return True
    if t is dict:
        return all(utf8(k) and utf8(x) for k, x in v.items())
    if t is list or t is tuple:
        return all(utf8(x) for x in v)
    return utf8(str(v))


_MENTION = tuple(n for n in _names(Mention) if n != "box")


def mention_dict(doc_id: str, m: Mention) -> dict[str, Any]:
    """A mentions.jsonl row: the mention's fields, its box as the `bbox` text (last)."""
    d = {"doc_id": doc_id, **{n: plain(getattr(m, n)) for n in _MENTION}}
    d["bbox"] = str(m.box) if m.box else ""
    return d


def counts(rec: DocRecord, tables: int = 0) -> dict[str, int]:
    out = {
        "studies": len(rec.studies),
        "outcomes": len(rec.outcomes),
        "findings": len(rec.findings),
        "mentions": len(rec.mentions),
        "tables": tables,
    }
    for sev in SEVERITIES:
        out[sev] = sum(1 for f in rec.findings if f.get("severity") == sev)
    # the paper itself as the study (records/studies.py: no study recognised), for the report to say so
    out["document_level"] = int(any(s.get("study_id") == "document" for s in rec.studies))
    out["document_level_outcomes"] = sum(1 for o in rec.outcomes if o.get("study_id") == "document")
    return out


def _each(items: list[T], consume: bool) -> Iterator[T]:
    """The items in order; with `consume` each is taken out of `items` as it is given."""
    if not consume:
        yield from items
        return
    items.reverse()
    while items:
        yield items.pop()


def from_result(result: Result, sha256: str, consume: bool = False) -> DocRecord:
    """Flatten a pipeline `Result` into a record (rows as dicts, mentions with their bbox). With
    `consume`, the result's outcomes and the document's mentions are taken out of them as they
    become rows (a worker's long paper: each row reuses the memory of what it was made from)."""
    doc = result.doc
    rec = DocRecord(
        row=_row(result.doc_id, result.path, sha256, result.pages, result.error, result.error_detail),
        studies=[plain(s) for s in result.studies],
        outcomes=[{**plain(o), "outcome_id": outcome_id(o)} for o in _each(result.outcomes, consume)],
        findings=[plain(f) for f in result.findings],
        mentions=[mention_dict(result.doc_id, m) for m in _each(doc.mentions, consume)] if doc else [],
    )
    rec.row["timings"] = {k: round(v, 4) for k, v in result.timings.items()}
    rec.row["counts"] = counts(rec, tables=len(doc.tables) if doc else 0)
    if doc and doc.warnings:  # partial loss is never a silent ok: listed per page in report.json/md
        rec.row["page_warnings"] = [dict(w) for w in doc.warnings]
        rec.row["failed_pages"] = sorted({int(w.get("page") or 0) for w in doc.warnings} - {0})
    return rec


def failed(doc_id: str, path: str, sha256: str, error: str, detail: str, pages: int = 0) -> DocRecord:
    rec = DocRecord(row=_row(doc_id, path, sha256, pages, error, detail))
    rec.row["counts"] = counts(rec)
    return rec
