"""`registry_mismatch` on doses: a study's printed dose levels that its trial's entry in
rules/registry.yml does not list (a dose list copied from another trial's row, a typo).

Registry entries may carry `doses: {unit: cells, levels: ["150x10^6", ...], source: "..."}`.
A printed list must use listed levels only; a printed range ("150-450x10^6", DOSE rows with
qualifier >= / <=) must lie within the lowest and highest listed level."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from pipeline.model import Finding, Outcome, Study
from pipeline.quality.findings import Evidence, Severities, fmt, make
from pipeline.quality.ids import Registry

_REL = 1e-6  # printed levels are exact multiples: compare with a relative tolerance only


def level(printed: Any) -> float | None:
    """'150x10^6', '1.5e8', 150000000 -> 150000000.0; anything else -> None."""
    if isinstance(printed, (int, float)):
        return float(printed)
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(?:[x×*]\s*10\s*\^\s*(-?\d+))?\s*", str(printed))
    if m:
        return float(m.group(1)) * 10 ** int(m.group(2) or 0)
    try:
        return float(str(printed))
    except ValueError:
        return None


def reference(entry: Mapping[str, Any]) -> tuple[str, list[float]] | None:
    doses = entry.get("doses") or {}
    levels = [v for v in (level(x) for x in doses.get("levels") or ()) if v]
    return (str(doses.get("unit") or "cells"), sorted(levels)) if levels else None


def shown(values: Sequence[float], exponent: int = 6) -> str:
    """[50e6, 150e6] -> '50, 150x10^6' (the way reviews print dose lists)."""
    return ", ".join(fmt(round(v / 10**exponent, 6)) for v in values) + f"x10^{exponent}"


def _listed(v: float, levels: Sequence[float]) -> bool:
    return any(abs(v - x) <= _REL * x for x in levels)


def dose_mismatches(
    doc_id: str, studies: Sequence[Study], outcomes: Sequence[Outcome], registry: Registry, sev: Severities
) -> list[Finding]:
    doses: dict[tuple[str, str], list[Outcome]] = defaultdict(list)
    for o in outcomes:
        if o.metric == "DOSE" and o.value is not None:
            doses[(o.study_id, o.source)].append(o)
    out = []
    for s in studies:
        entry = registry.find(s)
        ref = reference(entry) if entry else None
        if ref is None:
            continue
        unit, levels = ref
        for source in ("table", "text"):
            printed = [o for o in doses.get((s.study_id, source), []) if o.unit == unit]
            bad = [o for o in printed if not _allowed(o, levels)]
            if not bad:
                continue
            values = sorted({o.value for o in printed})
            first = printed[0]
            ev = [
                Evidence(source, shown(values), source, first.page, first.snippet, first.bbox),
                Evidence("registry", shown(levels)),
            ]
            extra = shown(sorted({o.value for o in bad}))
            msg = (
                f"{entry.get('name')} {source} dose levels {ev[0].value} (p{first.page}) include {extra}, "
                f"not a level of the trial ({ev[1].value}; {entry.get('doses', {}).get('source') or 'rules/registry.yml'})"
            )
            out.append(
                make(
                    doc_id,
                    "registry_mismatch",
                    sev.get("registry_mismatch", "dose_severity"),
                    f"{s.study_id}|DOSE|{source}",
                    msg,
                    ev,
                    s,
                    metric="DOSE",
                )
            )
    return out


def _allowed(o: Outcome, levels: Sequence[float]) -> bool:
    if o.qualifier in (">=", ">", "<=", "<", "~") or o.qualifier == "range":
        return levels[0] * (1 - _REL) <= o.value <= levels[-1] * (1 + _REL)  # a range's bound
    return _listed(o.value, levels)
