"""A run's outcomes and findings grouped by document and study, for report.md and report.html: each
study with its outcomes and its findings (errors first), findings that cite the same outcome or the
same printed value linked to each other, and the values of each metric from text and tables."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from pipeline.model import SEVERITIES
from pipeline.outputs.record import DocRecord

SEVERITY_RANK = {s: i for i, s in enumerate(SEVERITIES)}
NONE = "(document-wide)"


def evidence(f: dict[str, Any]) -> list[dict[str, Any]]:
    """A finding's evidence items (structured, as the model writes them; JSON text when read back)."""
    raw = f.get("evidence")
    if isinstance(raw, str):
        try:
            raw = json.loads(raw) if raw else []
        except ValueError:
            raw = []
    return [e for e in raw or () if isinstance(e, dict)]


def study_ids(f: dict[str, Any]) -> list[str]:
    return [s for s in re.split(r"[;,]\s*", str(f.get("study_id") or "")) if s]


def outcome_refs(f: dict[str, Any]) -> set[str]:
    ids = {str(e.get("outcome_id")) for e in evidence(f) if e.get("outcome_id")}
    return ids | {s for s in str(f.get("outcome_ids") or "").split(";") if s}


def _num(v: Any) -> str:
    """A printed value reduced to its number ("46%" -> "46", "82.80" -> "82.8"), else the text."""
    m = re.search(r"\d+(?:\.\d+)?", str(v))
    if not m:
        return str(v).strip().lower()
    return f"{float(m.group()):g}"


@dataclass
class Point:
    value: float
    source: str
    label: str  # arm, subgroup, timepoint: what tells two values of one metric apart
    page: int


@dataclass
class StudyGroup:
    doc_id: str
    study_id: str
    label: str
    outcomes: list[dict[str, Any]] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        return "study-" + slug(f"{self.doc_id}-{self.study_id}")

    def worst(self) -> int:
        return min((SEVERITY_RANK.get(f.get("severity", ""), 9) for f in self.findings), default=9)

    def points(self) -> dict[str, list[Point]]:
        """metric -> the numeric values of its outcomes, text and table."""
        out: dict[str, list[Point]] = defaultdict(list)
        for o in self.outcomes:
            try:
                v = float(o.get("value"))  # type: ignore[arg-type]
            except (TypeError, ValueError):
                continue
            if v != v:  # NaN
                continue
            t = o.get("timepoint_months")
            when = f"{float(t):g} mo" if t not in (None, "") and str(t) != "nan" else ""
            label = " ".join(str(x) for x in (o.get("arm"), o.get("subgroup"), when) if x)
            out[str(o.get("metric", ""))].append(
                Point(v, str(o.get("source", "")), label, int(o.get("page") or 0))
            )
        return dict(out)


def slug(s: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", s).strip("-")[:120] or "x"


def _label(s: dict[str, Any]) -> str:
    name = " ".join(str(x) for x in (s.get("trial"), s.get("cohort")) if x)
    return name or str(s.get("product") or s.get("study_id") or "")


def groups(records: list[DocRecord]) -> list[StudyGroup]:
    """Per document (in run order), its studies: those with an error first, then the rest in the
    document's order; a finding naming several studies goes to a group of its own."""
    out: list[StudyGroup] = []
    for rec in records:
        by_id: dict[str, StudyGroup] = {}
        for s in rec.studies:
            sid = str(s.get("study_id", ""))
            by_id.setdefault(sid, StudyGroup(rec.doc_id, sid, _label(s)))
        for o in rec.outcomes:
            sid = str(o.get("study_id", "")) or NONE
            g = by_id.setdefault(sid, StudyGroup(rec.doc_id, sid, _label(o) or sid))
            g.outcomes.append(o)
        for f in rec.findings:
            ids = study_ids(f)
            sid = ";".join(ids) if ids else NONE  # several studies: a group of their own
            label = ", ".join(by_id[i].label if i in by_id else i for i in ids) if len(ids) > 1 else sid
            g = by_id.setdefault(sid, StudyGroup(rec.doc_id, sid, label))
            g.findings.append(f)
        for g in by_id.values():
            g.findings.sort(key=lambda f: SEVERITY_RANK.get(f.get("severity", ""), 9))
        order = list(by_id.values())
        out += sorted(order, key=lambda g: (g.worst(), order.index(g)))
    return out


def related(records: list[DocRecord]) -> dict[str, list[str]]:
    """finding_id -> the other findings of its document that cite one of its outcomes, or the same
    printed value of the same study and metric."""
    out: dict[str, list[str]] = {}
    for rec in records:
        keys: dict[str, set[tuple]] = {}
        for f in rec.findings:
            fid = str(f.get("finding_id", ""))
            k: set[tuple] = {("o", o) for o in outcome_refs(f)}
            for sid in study_ids(f) or [""]:
                for e in evidence(f):
                    if e.get("value") not in (None, ""):
                        k.add(("v", sid, str(f.get("metric", "")), _num(e["value"])))
            keys[fid] = k
        for fid, k in keys.items():
            others = [g for g, kk in keys.items() if g != fid and k & kk]
            if others:
                out[fid] = others
    return out
