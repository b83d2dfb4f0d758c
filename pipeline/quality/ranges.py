"""`value_out_of_range` and the other expectation-suite checks: rows failing a GX expectation of
rules/expectations.yml, turned into findings (one per row and expectation)."""

from __future__ import annotations

from collections.abc import Sequence

from pipeline.model import Finding, Outcome, Study
from pipeline.quality.expectations import Failure
from pipeline.quality.findings import Evidence, Severities, fmt, label_of, make


def from_failures(
    doc_id: str, failures: Sequence[Failure], rows: Sequence[Study | Outcome], sev: Severities
) -> list[Finding]:
    out = []
    for f in failures:
        if not 0 <= f.row < len(rows):
            continue
        r = rows[f.row]
        shown = fmt(f.value) if isinstance(f.value, (int, float)) else str(f.value)
        if isinstance(r, Outcome):
            ev = [Evidence(f"{r.source} {f.column}", shown, r.source, r.page, r.snippet, r.bbox)]
            scope = f"{r.metric} ({', '.join(x for x in (r.arm, r.subgroup, r.source) if x)})"
            key = f"{r.study_id}|{r.arm}|{r.subgroup}|{r.metric}|{r.timepoint_months}|{r.source}"
            metric = r.metric
        else:
            ev = [Evidence(f.column, shown, "", 0)]
            scope, key, metric = "study", r.study_id, ""
        # a study-level id seen on the study and on each of its outcomes is one finding
        subject = (
            f"{r.study_id}|{f.column}|{shown}" if f.check == "malformed_id" else f"{f.suite}|{f.note}|{key}"
        )
        msg = f"{label_of(r)} {scope}: {f.column} = {shown!r} fails expectation '{f.note}'"
        if isinstance(r, Outcome) and r.page:
            msg += f" (p{r.page})"
        out.append(make(doc_id, f.check, sev.get(f.check), subject, msg, ev, r, metric=metric))
    return out
