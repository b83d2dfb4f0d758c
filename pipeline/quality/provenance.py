"""Checks on what a study row says about itself and where it comes from: `refs_mismatch` (table and
text cite different references for one study) and `design_phase` (a retrospective / real-world /
observational study given a trial phase). Also the shared readers of Study.refs / Study.pages
("table:5,6; text:5,6", or the older plain "5,6") and of a study's own table row."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from pipeline.model import Document, Finding, Outcome, Study, Table
from pipeline.quality import numbers
from pipeline.quality.findings import Evidence, Severities, label_of, make

_MAX_RANGE = 50  # "5-6" is two references; "5-900" is not a citation range


def by_source(text: str) -> dict[str, list[str]]:
    """'table:5,6; text:5-7' -> {'table': ['5','6'], 'text': ['5','6','7']}; the older plain form
    '5,6' (source unknown) -> {'': ['5','6']}. Order kept, duplicates dropped."""
    out: dict[str, list[str]] = {}
    for part in re.split(r";", text or ""):
        part = part.strip()
        if not part:
            continue
        m = re.match(r"^([A-Za-z_]+)\s*:\s*(.*)$", part)
        source, items = (m.group(1).lower(), m.group(2)) if m else ("", part)
        got = out.setdefault(source, [])
        for item in re.split(r"\s*,\s*", items):
            for x in _expand(item.strip()):
                if x not in got:
                    got.append(x)
    return out


def _expand(item: str) -> list[str]:
    m = re.fullmatch(r"(\d+)\s*[-–]\s*(\d+)", item)
    if m:
        lo, hi = int(m.group(1)), int(m.group(2))
        if lo <= hi <= lo + _MAX_RANGE:
            return [str(i) for i in range(lo, hi + 1)]
    return [item] if item else []


def page_of(s: Study, source: str) -> int:
    pages = by_source(s.pages)
    got = pages.get(source) or (pages.get("") if len(pages.get("", [])) == 1 else None) or []
    return int(got[0]) if got and got[0].isdigit() else 0


def refs_mismatches(doc_id: str, studies: Sequence[Study], sev: Severities) -> list[Finding]:
    """Both sources cite references for the study and share none of them."""
    out = []
    for s in studies:
        refs = by_source(s.refs)
        table, text = refs.get("table") or [], refs.get("text") or []
        if not table or not text or set(table) & set(text):
            continue
        ev = [
            Evidence("table ref", ",".join(table), "table", page_of(s, "table")),
            Evidence("text ref", ",".join(text), "text", page_of(s, "text")),
        ]
        msg = (
            f"{label_of(s)} cites ref {ev[0].value} in the table but ref {ev[1].value} in the text "
            "(a citation copied from another row?)"
        )
        out.append(make(doc_id, "refs_mismatch", sev.get("refs_mismatch"), f"{s.study_id}|refs", msg, ev, s))
    return out


class DesignPhase:
    """`design_phase`: cue words of rules/checks.yml (retrospective, real-world, observational…) in
    the study's own label (trial name, design, and the cells of its table row under a header that
    names the study or its design) while the study is given a trial phase."""

    def __init__(self, conf: Mapping[str, Any], sev: Severities, aliases: Mapping[str, str]) -> None:
        self.sev = sev
        self.aliases = aliases
        cues = list(conf.get("cues") or ())
        self.cue = re.compile("|".join(f"(?:{c})" for c in cues), re.I) if cues else None
        cols = list(conf.get("label_columns") or ())
        self.columns = re.compile("|".join(f"(?:{c})" for c in cols), re.I) if cols else None

    def run(self, doc: Document, studies: Sequence[Study], outcomes: Sequence[Outcome]) -> list[Finding]:
        if self.cue is None:
            return []
        rows = study_rows(doc, outcomes)
        out = []
        for s in studies:
            printed = s.phase or s.phase_text
            if not numbers.phase(printed, self.aliases):
                continue
            labels = [("trial", s.trial), ("design", s.design)]
            labels += [(h, t) for h, t in rows.get(s.study_id, {}).items() if self._label_column(h)]
            hit = next(((h, t) for h, t in labels if t and self.cue.search(t)), None)
            if hit is None:
                continue
            source = "table" if s.phase else "text"
            cell = next((t for h, t in rows.get(s.study_id, {}).items() if re.search(r"(?i)\bphase", h)), "")
            if source == "table" and numbers.phase(cell.split()[0] if cell else "", self.aliases):
                printed = " ".join(cell.split())  # as printed in the row ("I-II SOC"), not normalised
            page = page_of(s, source)
            ev = [
                Evidence(hit[0].lower() or "label", f'"{" ".join(hit[1].split())}"', source, page),
                Evidence("phase", f'"{printed}"', source, page),
            ]
            msg = f'{label_of(s)}: "{ev[0].value.strip(chr(34))}" describes a non-trial design, yet phase {printed} is given'
            out.append(
                make(
                    doc.doc_id,
                    "design_phase",
                    self.sev.get("design_phase"),
                    f"{s.study_id}|phase",
                    msg,
                    ev,
                    s,
                )
            )
        return out

    def _label_column(self, header: str) -> bool:
        return bool(self.columns and header and self.columns.search(header))


def study_rows(doc: Document, outcomes: Sequence[Outcome]) -> dict[str, dict[str, str]]:
    """study_id -> {column header: cell text} of the table row its table outcomes were read from
    (the row whose cells hold the outcome's box)."""
    tables = {t.table_id: t for t in doc.tables}
    seen: dict[str, tuple[str, int]] = {}
    for o in outcomes:
        if o.source != "table" or o.study_id in seen or o.table_id not in tables or not o.bbox:
            continue
        row = _row_at(tables[o.table_id], o.page, o.bbox)
        if row is not None:
            seen[o.study_id] = (o.table_id, row)
    out: dict[str, dict[str, str]] = defaultdict(dict)
    for sid, (tid, row) in seen.items():
        t = tables[tid]
        header = t.header()
        for c in t.cells:
            if c.row == row and c.col < len(header):
                out[sid][header[c.col]] = c.text
    return out


def _row_at(t: Table, page: int, bbox: str) -> int | None:
    try:
        x0, top, x1, bottom = (float(v) for v in bbox.split(","))
    except ValueError:
        return None
    cx, cy = (x0 + x1) / 2, (top + bottom) / 2
    for c in t.cells:
        b = c.box
        inside = b is not None and b.x0 - 1 <= cx <= b.x1 + 1 and b.top - 1 <= cy <= b.bottom + 1
        if inside and c.row >= t.header_rows and (not page or b.page == page):
            return c.row
    return None
