"""`logic`: values of one study, arm, subgroup and source that cannot hold together. Every relation
is data (rules/checks.yml, `logic.rules`), one entry per rule with its `kind`:

- `pair` (default): `lower` <= `upper` (CR <= ORR, sCR <= CR, PFS median <= OS median); with
  `timed: true` both at the same landmark (PFS rate <= OS rate at 12 months), else values stated once;
- `categories`: response categories (each counted once) summing above `total` (ORR);
- `over_time`: a later landmark rate of `metrics` above an earlier one (a survival curve never rises);
- `followup`: a median of `metrics` beyond `factor` x the median follow-up it was observed in;
- `nested_n`: a subgroup's n above the n of its arm (same study and arm, whole population).

Violations about the same subject (study, scope, source, metric) merge into one finding."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pipeline.model import SEVERITIES, Finding, Outcome
from pipeline.quality.findings import Evidence, Severities, decimals, evidence_of, fmt, label_of, make

KINDS = ("pair", "categories", "over_time", "followup", "nested_n")


def _half(v: float) -> float:
    return 0.5 * 10 ** -decimals(v)


def _above(a: float, b: float) -> bool:
    """a printed above b beyond what rounding both can explain."""
    return a > b + _half(a) + _half(b)


@dataclass
class _Violation:
    outcome: Outcome
    metric: str
    rules: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)


Add = Callable[[str, Outcome, str, str, list[Evidence]], None]


@dataclass(frozen=True)
class Rule:
    name: str
    kind: str
    conf: Mapping[str, Any]

    def metrics(self, key: str = "metrics") -> list[str]:
        v = self.conf.get(key) or []
        return [v] if isinstance(v, str) else list(v)


def parse_rules(conf: Mapping[str, Any]) -> list[Rule]:
    """`rules:` as a list of {rule, kind, ...} or a mapping name -> {kind, ...}; validated here."""
    raw = conf.get("rules") or []
    items = [{"rule": k, **(v or {})} for k, v in raw.items()] if isinstance(raw, Mapping) else list(raw)
    out = []
    for r in items:
        kind = str(r.get("kind") or "pair")
        if kind not in KINDS:
            raise ValueError(
                f"rules/checks.yml logic rule {r.get('rule')!r}: unknown kind {kind!r} ({KINDS})"
            )
        if kind == "pair" and not (r.get("lower") and r.get("upper")):
            raise ValueError(f"rules/checks.yml logic rule {r.get('rule')!r}: a pair needs lower and upper")
        out.append(Rule(str(r.get("rule") or f"{r.get('lower')}_above_{r.get('upper')}"), kind, r))
    return out


class LogicCheck:
    def __init__(self, conf: Mapping[str, Any], sev: Severities, check: str = "logic") -> None:
        self.sev, self.check = sev, check
        self.rules = parse_rules(conf)
        self.rule_sev = {r.name: r.conf.get("severity") for r in self.rules}
        self.rule_sev.update({f"{r.name}:rounding": r.conf.get("rounding_severity") for r in self.rules})
        self.rule_sev.update(
            {f"{r.name}:cross": r.conf.get("cross_severity") or "warning" for r in self.rules}
        )

    def run(self, doc_id: str, outcomes: Sequence[Outcome]) -> list[Finding]:
        found: dict[tuple, _Violation] = {}

        def add(rule: str, o: Outcome, metric: str, reason: str, ev: list[Evidence]) -> None:
            key = (o.study_id, o.arm, o.subgroup, o.source, metric)
            v = found.setdefault(key, _Violation(o, metric))
            v.rules.append(rule)
            v.reasons.append(reason)
            v.evidence += [e for e in ev if e not in v.evidence]

        groups: dict[tuple, list[Outcome]] = defaultdict(list)
        followup: dict[str, list[Outcome]] = defaultdict(list)
        for o in outcomes:
            if o.metric == "FOLLOWUP_MEDIAN" and o.value is not None and not o.subgroup:
                followup[o.study_id].append(o)
            groups[(o.study_id, o.arm, o.subgroup, o.source, o.analysis)].append(o)  # one data cut each
        by_scope: dict[tuple, list[tuple[str, list[Outcome]]]] = defaultdict(list)  # (study, arm, subgroup)
        for k, g in groups.items():
            by_scope[k[:3]].append((k[3], g))
        for rule in self.rules:
            if rule.kind == "nested_n":
                _nested_n(rule, outcomes, add)
                continue
            for outs in groups.values():
                if rule.kind == "pair":
                    o = outs[0]
                    scope = by_scope[(o.study_id, o.arm, o.subgroup)]
                    other = [x for source, g in scope if source != o.source for x in g]
                    _pair(rule, outs, add, other)
                elif rule.kind == "categories":
                    _categories(rule, outs, add)
                elif rule.kind == "over_time":
                    _over_time(rule, outs, add)
                else:
                    _followup(rule, outs, followup.get(outs[0].study_id, []), add)
        return [self._finding(doc_id, k, v) for k, v in found.items()]

    def _finding(self, doc_id: str, key: tuple, v: _Violation) -> Finding:
        sevs = [self.rule_sev.get(r) or self.sev.get(self.check) for r in v.rules]
        severity = min(sevs, key=lambda s: SEVERITIES.index(s) if s in SEVERITIES else 0)
        o = v.outcome
        scope = ", ".join(x for x in (o.arm and f"{o.arm} arm", o.subgroup, o.source) if x)
        msg = f"{label_of(o)} ({scope}): " + "; ".join(v.reasons)
        subject = "|".join(str(k) for k in key)
        return make(doc_id, self.check, severity, subject, msg, v.evidence, o, metric=v.metric)


# --- relation kinds --------------------------------------------------------------------------
def _pair(rule: Rule, outs: list[Outcome], add: Add, other: list[Outcome] | None = None) -> None:
    lo, hi = str(rule.conf["lower"]), str(rule.conf["upper"])
    if not rule.conf.get("timed"):
        one = _single(outs)
        a, b = one.get(lo), one.get(hi)
        if a and b and (_partition(rule, one) or _partition(rule, _completed(one, other or [], (lo, hi)))):
            return  # the categories add up to the total: `upper` is printed as a category alone
        if a and b and _above(a.value, b.value):
            add(rule.name, a, lo, f"{lo} {fmt(a.value)} > {hi} {fmt(b.value)}", [_ev(a, lo), _ev(b, hi)])
        two = _single(other or [])
        if rule.conf.get("cross_source") and a and not b and two.get(hi) and lo not in two:
            b = two[hi]  # one source prints only the subset, the other only the whole: still ordered
            if not _partition(rule, {**two, **one}) and _above(a.value, b.value):
                why = f"{lo} {fmt(a.value)} ({a.source}) > {hi} {fmt(b.value)} ({b.source})"
                add(f"{rule.name}:cross", a, lo, why, [_ev(a, lo), _ev(b, hi)])
        return
    uppers: dict[object, list[Outcome]] = defaultdict(list)  # by timepoint: not every pair of outcomes
    for b in outs:
        if b.metric == hi and b.value is not None:
            uppers[b.timepoint_months].append(b)
    for a in outs:
        if a.metric != lo or a.value is None:
            continue
        same = uppers.get(a.timepoint_months, [])
        if a.timepoint_months != a.timepoint_months:  # NaN: equal to no timepoint
            same = []
        for b in same:
            if _above(a.value, b.value):
                at = f" at {fmt(a.timepoint_months)} months" if a.timepoint_months else ""
                add(
                    rule.name,
                    a,
                    lo,
                    f"{lo} {fmt(a.value)} > {hi} {fmt(b.value)}{at}",
                    [_ev(a, lo), _ev(b, hi)],
                )


def _completed(one: Mapping[str, Outcome], other: list[Outcome], same: tuple[str, ...]) -> dict[str, Outcome]:
    """This source's values with the metrics it does not state taken from the study's other source,
    when that source prints the same values of `same` (the same analysis in both: a table row that
    gives sCR and CR, the text that also gives VGPR and PR)."""
    two = _single(other)
    if not two or any(m not in two or two[m].value != one[m].value for m in same if m in one):
        return dict(one)
    return {**two, **one}


def _partition(rule: Rule, one: Mapping[str, Outcome]) -> bool:
    """`unless_partition: {categories: [...], total: ORR}`: every category stated and their sum is
    the total (to rounding), so each is exclusive (CR without sCR) and a pair of them is no subset."""
    p = rule.conf.get("unless_partition") or {}
    cats, total = list(p.get("categories") or ()), one.get(str(p.get("total") or "ORR"))
    if not cats or total is None or any(c not in one for c in cats):
        return False
    s = sum(one[c].value for c in cats)
    return abs(s - total.value) <= sum(_half(one[c].value) for c in cats) + _half(total.value)


def _categories(rule: Rule, outs: list[Outcome], add: Add) -> None:
    one = _single(outs, unit="%")
    categories = rule.metrics("categories") or ["CR", "VGPR", "PR"]
    total_metric = str(rule.conf.get("total") or "ORR")
    orr = one.get(total_metric)
    if orr is None and rule.conf.get("largest_total"):  # several totals (dose levels): the largest
        totals = [
            o for o in outs if o.metric == total_metric and o.value is not None and o.timepoint_months is None
        ]
        orr = max(totals, key=lambda o: o.value) if totals else None
    cats = [one[c] for c in categories if c in one]
    if not orr or len(cats) < 2:
        return
    rounding = rule.conf.get("rounding_severity")  # a sum above the total within rounding only
    total, slack = 0.0, 0.0 if rounding else _half(orr.value)
    for i, c in enumerate(cats):
        total += c.value
        slack += 0.0 if rounding else _half(c.value)
        if i >= 1 and total > orr.value + slack + 1e-9:
            used = cats[: i + 1]
            whole = i == len(cats) - 1 and len(cats) == len(categories)
            metric = total_metric if whole else c.metric  # the full breakdown disagrees with ORR itself
            terms = " + ".join(f"{u.metric} {fmt(u.value)}" for u in used)
            reason = f"{terms} = {fmt(round(total, 6))} > {total_metric} {fmt(orr.value)}"
            within = rounding and total <= orr.value + _half(orr.value) + sum(_half(u.value) for u in used)
            name = f"{rule.name}:rounding" if within else rule.name
            metric = total_metric if within else metric  # within rounding: the total's printing
            add(name, c, metric, reason, [_ev(u, u.metric) for u in used] + [_ev(orr, total_metric)])
            return


def _over_time(rule: Rule, outs: list[Outcome], add: Add) -> None:
    rates = set(rule.metrics())
    by: dict[str, list[Outcome]] = defaultdict(list)
    for o in outs:
        if o.metric in rates and o.value is not None and o.timepoint_months is not None:
            by[o.metric].append(o)
    for metric, rs in by.items():
        rs.sort(key=lambda o: o.timepoint_months)
        for early, late in zip(rs, rs[1:], strict=False):
            if late.timepoint_months > early.timepoint_months and _above(late.value, early.value):
                reason = (
                    f"{metric} {fmt(late.value)}% at {fmt(late.timepoint_months)} months > "
                    f"{fmt(early.value)}% at {fmt(early.timepoint_months)} months"
                )
                ev = [
                    _ev(early, f"{fmt(early.timepoint_months)}m"),
                    _ev(late, f"{fmt(late.timepoint_months)}m"),
                ]
                add(rule.name, late, metric, reason, ev)


def _followup(rule: Rule, outs: list[Outcome], fus: list[Outcome], add: Add) -> None:
    factor = float(rule.conf.get("factor") or 1.0)
    if not fus:
        return
    medians = set(rule.metrics())
    for o in outs:
        if o.metric not in medians or o.value is None:
            continue
        # the follow-up it was observed in: the same source's, else the longest stated
        same = [f for f in fus if f.source == o.source] or fus
        fu = max(same, key=lambda f: f.value)
        if o.value > factor * fu.value + _half(o.value):
            times = f"{fmt(factor)} x " if factor != 1 else ""
            reason = f"{o.metric} {fmt(o.value)} months > {times}median follow-up {fmt(fu.value)} months"
            add(rule.name, o, o.metric, reason, [_ev(o, o.metric), _ev(fu, "median follow-up")])


def _nested_n(rule: Rule, outcomes: Sequence[Outcome], add: Add) -> None:
    """A subgroup's n above the n of its own arm (the same study and arm, whole population). With
    `same_source`, both from tables or both from the text (a sentence's "n = 494" is often a cohort
    over both arms); an n as large as all arms together is the whole trial, not a subgroup."""
    ns = [o for o in outcomes if o.metric == "N" and o.value is not None]
    same_source = bool(rule.conf.get("same_source"))
    # a "subgroup" that names an earlier stage or all arms (enrolled, registered, both arms) holds
    # the arm: "Of 127 enrolled, 94 were infused" is no subgroup above its arm
    outer_re = [re.compile(str(x), re.I) for x in rule.conf.get("outer_populations") or ()]
    for o in ns:
        if not o.subgroup or any(r.search(o.subgroup) for r in outer_re):
            continue
        arms = {p.arm: p.value for p in ns if p.study_id == o.study_id and not p.subgroup}
        if len(arms) > 1 and o.value >= sum(arms.values()) - 1:
            continue
        outer = [p for p in ns if p.study_id == o.study_id and p.arm == o.arm and not p.subgroup]
        outer = [p for p in outer if p.source == o.source] if same_source else outer
        if outer:
            top = max(outer, key=lambda p: p.value)
            if o.value > top.value:
                what = f"{o.arm} arm" if o.arm else "its arm"
                reason = f"subgroup {o.subgroup} n {fmt(o.value)} > {what} n {fmt(top.value)}"
                add(rule.name, o, "N", reason, [_ev(o, "subgroup n"), _ev(top, "arm n")])


def _single(outs: list[Outcome], unit: str | None = None) -> dict[str, Outcome]:
    """Metric -> outcome when the group states that metric once (several analyses are left out:
    comparing values from different follow-ups would raise false alarms)."""
    by: dict[str, list[Outcome]] = defaultdict(list)
    for o in outs:
        if (unit is None or o.unit == unit) and o.value is not None and o.timepoint_months is None:
            by[o.metric].append(o)
    return {m: os[0] for m, os in by.items() if len({o.value for o in os}) == 1}


def _ev(o: Outcome, label: str) -> Evidence:
    return evidence_of(o, f"{o.source} {label}")
