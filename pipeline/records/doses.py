"""Dose levels a sentence prints, one DOSE row each (shared/schema.md): a list ("0.5, 1, 2 and
4x10^6 cells/kg", "2.5 mg on day 8 and 10 mg on day 15") gives one row per level; a range ("0.76 to
20.6 x 10^6 cells/kg", "from 25x10^6 cells to 450x10^6 cells") its bounds (qualifiers >= and <=);
"80 mg or higher" a lower bound, "up to 12 mg" an upper one. A dose that only names a subgroup
("in patients treated at 320x10^6 cells, the ORR was …") or a threshold ("a dose <400x10^6 cells was
associated with …") is no dose level of the study."""

from __future__ import annotations

import re

from pipeline.model import Mention
from pipeline.records.relations import TextReading

_FROM = re.compile(r"\bfrom\s+$", re.IGNORECASE)
_TO = re.compile(r"^\s*(?:\w+(?:/\w+)?\s+)?(?:to|[-–])\s*$", re.IGNORECASE)
_AT_LEAST = re.compile(r"^\s*(?:\w+(?:/\w+)?\s+)?(?:or\s+(?:higher|more|above|greater))", re.IGNORECASE)
_SUBGROUP = re.compile(
    r"\b(?:in|for|among)\s+(?:the\s+)?(?:\d+\s+)?patients\s+(?:treated|dosed|infused)\s+(?:at|with)\s+$",
    re.IGNORECASE,
)
_AT_MOST = re.compile(r"\b(?:up\s+to|at\s+most|maximum\s+of|highest\s+dose\s+of)\s+$", re.IGNORECASE)


def dose_readings(s: str, ms: list[Mention]) -> list[TextReading]:
    doses = [
        m
        for m in ms
        if m.label == "DOSE"
        and m.attrs.get("bound") not in ("<", ">")
        and not _SUBGROUP.search(s[max(0, m.start - 60) : m.start])
    ]
    out: list[TextReading] = []
    k = 0
    while k < len(doses):
        m = doses[k]
        vals, unit = list(m.attrs.get("values") or []), str(m.attrs.get("unit") or "")
        quals = [""] * len(vals)
        nxt = doses[k + 1] if k + 1 < len(doses) else None
        if m.attrs.get("qualifier") == "range" and len(vals) == 2:
            quals = [">=", "<="]
        elif (
            nxt is not None
            and _FROM.search(s[max(0, m.start - 12) : m.start])
            and _TO.match(s[m.end : nxt.start])
        ):
            vals += list(nxt.attrs.get("values") or [])[-1:]
            quals = [">=", "<="]
            k += 1
        elif len(vals) == 1 and _AT_LEAST.match(s[m.end :]):
            quals = [">="]
        elif len(vals) == 1 and _AT_MOST.search(s[max(0, m.start - 24) : m.start]):
            quals = ["<="]
        for v, q in zip(vals, quals, strict=True):
            out.append(
                TextReading(
                    "DOSE",
                    float(v),
                    unit,
                    q,
                    start=m.start,
                    end=m.end,
                    metric_start=m.start,
                    metric_end=m.end,
                )
            )
        k += 1
    return out
