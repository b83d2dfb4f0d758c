"""Which timepoint a metric's value is reported at, inside one clause:

1. a timepoint (or a list of them) touching a metric or a coordinated list of metrics is theirs
   ("12-month PFS", "PFS and OS at 18 months", "the 12- and 24-month PFS rates": one per value);
2. a free timepoint right after a value is that value's ("the OS rate was 49% at 12 months");
3. a free timepoint earlier in the clause holds for the rate metrics after it that have none of their
   own ("At 12 months, the OS rate was 49%").
A timepoint touching another kind of metric ("24-month follow-up", "at 24 months of follow-up") is
that metric's, so it never becomes a rate's; medians and other metrics take no free timepoints.

`split_lists` first turns one "at" covering several numbers ("PFS at 12 and 24 months") into one
timepoint per number: NER marks only the last number with its unit (as a TIMEPOINT or a duration
VALUE); the numbers before it are read from the sentence text around that mention."""

from __future__ import annotations

import re

from pipeline.model import Mention
from pipeline.records.cohorts import LIST_GAP, runs

_TOUCH = re.compile(r"^\s?$")
_NEAR = re.compile(r"^\s*(?:of\s+)?$", re.IGNORECASE)  # "at 24 months of follow-up"
_AFTER_VALUE = re.compile(r"^\s*,?\s*$")
_NUM = r"\d+(?:\.\d+)?"
# "at 12 and 24 months", "at 6, 12 or 18 months": the list of numbers before the anchor mention
_LIST_BEFORE = re.compile(
    rf"\b(?:at|after|by)\s+(?P<list>(?:{_NUM}\s*(?:,\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+))+)(?:at\s+)?$",
    re.IGNORECASE,
)


def _months(run: list[Mention]) -> list[float]:
    return [float(t.attrs["months"]) for t in run if t.attrs.get("months") is not None]


def _adjacent(a: Mention, b: Mention, s: str, gap: re.Pattern[str]) -> bool:
    """b follows a with only `gap` between them, or a follows b."""
    if a.end <= b.start:
        return bool(gap.match(s[a.end : b.start]))
    return b.end <= a.start and bool(gap.match(s[b.end : a.start]))


def _touches(run: list[Mention], m: Mention, s: str) -> bool:
    return _adjacent(run[-1], m, s, _TOUCH) or _adjacent(m, run[0], s, _TOUCH)


def split_lists(s: str, ms: list[Mention]) -> list[Mention]:
    """Mentions of a sentence with "at 12 and 24 months" read as two TIMEPOINTs (12, 24): the anchor
    (NER's TIMEPOINT or duration VALUE for "24 months") and the bare numbers listed before it, whose
    own VALUE mentions (a unit inherited from "24 months") are dropped."""
    drop: set[int] = set()
    add: list[Mention] = []
    for m in ms:
        months = _anchor_months(m)
        if months is None:
            continue
        w0 = max(0, m.start - 60)
        lead = _LIST_BEFORE.search(s[w0 : m.start])
        first = re.match(rf"\D*({_NUM})", m.text)
        if lead is None or first is None or float(first.group(1)) == 0:
            continue
        scale = months / float(first.group(1))  # 12 for "2 years"
        base, off = w0 + lead.start(), w0 + lead.start("list")
        nums = list(re.finditer(_NUM, lead.group("list")))
        for k, n in enumerate(nums):
            a = base if k == 0 else off + n.start()  # the first one holds "at", so it touches its metric
            add.append(Mention("TIMEPOINT", s[a : off + n.end()], f"{float(n.group()) * scale:g}", a,
                               off + n.end(), attrs={"months": float(n.group()) * scale}))  # fmt: skip
        drop |= {id(x) for x in ms if x is not m and base <= x.start < m.start}
        if m.label != "TIMEPOINT":
            drop.add(id(m))
            add.append(Mention("TIMEPOINT", m.text, f"{months:g}", m.start, m.end, attrs={"months": months}))
    if not add:
        return ms
    return sorted([x for x in ms if id(x) not in drop] + add, key=lambda x: x.start)


def _anchor_months(m: Mention) -> float | None:
    """Months of a mention that can end a list of timepoints: a TIMEPOINT, or a duration VALUE
    printed with its own unit (not one inherited from a later number)."""
    if m.label == "TIMEPOINT":
        v = m.attrs.get("months")
    elif m.label == "VALUE" and m.attrs.get("unit") == "months" and not m.attrs.get("inherited_unit"):
        v = m.attrs.get("value")
    else:
        return None
    return float(v) if isinstance(v, (int, float)) else None


class Timepoints:
    def __init__(self, s: str, metric_runs: list[list[Mention]], tps: list[Mention], values: list[Mention]):
        self.own: dict[int, list[float]] = {}  # id(metric) -> its timepoints, in printed order
        tp_runs = runs(sorted(tps, key=lambda t: t.start), s, LIST_GAP)
        bound: set[int] = set()
        for mrun in metric_runs:
            # a list shares the timepoint only when it lists rates ("PFS and OS at 18 months"),
            # not "a 24-month follow-up, the PFS rate"
            rates = all(m.canonical.endswith("_RATE") for m in mrun)
            for trun in tp_runs:
                touched = [m for m in (mrun[0], mrun[-1]) if _touches(trun, m, s)]
                for m in (mrun if rates else touched) if touched else []:
                    self.own.setdefault(id(m), _months(trun))
                bound |= {id(t) for t in trun} if touched else set()
        metrics = [m for run in metric_runs for m in run]
        free = [
            t
            for t in tp_runs
            if len(t) == 1
            and id(t[0]) not in bound
            and not any(_adjacent(t[0], m, s, _NEAR) for m in metrics)
        ]
        self.trailing: dict[int, float] = {}  # id(value) -> the timepoint printed right after it
        self.leading: list[tuple[int, float]] = []  # (offset, months) of clause-level timepoints
        for (t,) in free:
            v = next((v for v in values if v.end <= t.start and _AFTER_VALUE.match(s[v.end : t.start])), None)
            if t.attrs.get("months") is None:
                continue
            if v is not None:
                self.trailing[id(v)] = float(t.attrs["months"])
            else:
                self.leading.append((t.start, float(t.attrs["months"])))

    def count(self, m: Mention) -> int:
        """How many timepoints the metric itself names (a list of them pairs with a list of values)."""
        return len(self.own.get(id(m), []))

    def of(self, m: Mention, v: Mention, k: int) -> float | None:
        """The timepoint of the k-th value paired with metric m (free ones hold only for rates)."""
        own = self.own.get(id(m))
        if own:
            return own[k] if len(own) > 1 and k < len(own) else own[0]
        if not m.canonical.endswith("_RATE"):
            return None
        if id(v) in self.trailing:
            return self.trailing[id(v)]
        before = [tp for at, tp in self.leading if at < m.start]
        return before[-1] if before else None
