"""`logic`: values of one study, arm, subgroup and source that cannot hold together (a CR rate
above the ORR, response categories summing above the ORR, a survival curve rising, a median PFS
above the median OS, a median far beyond the follow-up that should contain it).
Violations about the same subject (study, scope, source, metric) merge into one finding."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pipeline.model import SEVERITIES, Finding, Outcome
from pipeline.quality.findings import Evidence, Severities, decimals, evidence_of, fmt, label_of, make


def _half(v: float) -> float:
    return 0.5 * 10 ** -decimals(v)


@dataclass
class _Violation:
    outcome: Outcome
    metric: str
    rules: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)


class LogicCheck:
    def __init__(self, conf: Mapping[str, Any], sev: Severities) -> None:
        self.conf = conf
        self.sev = sev
        self.rule_sev = {k: (v or {}).get("severity") for k, v in (conf.get("rules") or {}).items()}
        self.categories = list(conf.get("categories") or ["CR", "VGPR", "PR"])
        self.rates = set(conf.get("survival_rates") or ())
        self.ordered_medians = [tuple(p) for p in conf.get("ordered_medians") or ()]
        self.ordered_rates = [tuple(p) for p in conf.get("ordered_rates") or ()]
        self.factor = float(conf.get("median_followup_factor") or 0)
        self.medians = set(conf.get("median_metrics") or ())

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
            groups[(o.study_id, o.arm, o.subgroup, o.source)].append(o)
        for outs in groups.values():
            self._responses(outs, add)
            self._ordered(outs, add)
            self._over_time(outs, add)
            self._followup(outs, followup.get(outs[0].study_id, []), add)
        return [self._finding(doc_id, k, v) for k, v in found.items()]

    # --- rules ------------------------------------------------------------------------------
    def _responses(self, outs: list[Outcome], add) -> None:
        pct = _single(outs, unit="%")
        for lo, hi, rule in (
            ("CR", "ORR", "cr_above_orr"),
            ("SCR", "CR", "scr_above_cr"),
            ("VGPR_PLUS", "ORR", "vgpr_plus_above_orr"),
            ("CR", "VGPR_PLUS", "cr_above_vgpr_plus"),
        ):
            a, b = pct.get(lo), pct.get(hi)
            if a and b and a.value > b.value + _half(a.value) + _half(b.value):
                add(rule, a, lo, f"{lo} {fmt(a.value)}% > {hi} {fmt(b.value)}%", [_ev(a, lo), _ev(b, hi)])
        orr = pct.get("ORR")
        cats = [pct[c] for c in self.categories if c in pct]
        if not orr or len(cats) < 2:
            return
        total, slack = 0.0, _half(orr.value)
        for i, c in enumerate(cats):
            total += c.value
            slack += _half(c.value)
            if i >= 1 and total > orr.value + slack:
                used = cats[: i + 1]
                whole = i == len(cats) - 1 and len(cats) == len(self.categories)
                metric = "ORR" if whole else c.metric  # the full breakdown disagrees with ORR itself
                terms = " + ".join(f"{u.metric} {fmt(u.value)}" for u in used)
                add(
                    "categories_above_orr",
                    c,
                    metric,
                    f"{terms} = {fmt(round(total, 6))} > ORR {fmt(orr.value)}",
                    [_ev(u, u.metric) for u in used] + [_ev(orr, "ORR")],
                )
                return

    def _ordered(self, outs: list[Outcome], add) -> None:
        for pairs, timed in ((self.ordered_medians, False), (self.ordered_rates, True)):
            for lo, hi in pairs:
                for a in outs:
                    for b in outs:
                        if (a.metric, b.metric) != (lo, hi) or a.value is None or b.value is None:
                            continue
                        if timed and a.timepoint_months != b.timepoint_months:
                            continue
                        if a.value > b.value + _half(a.value) + _half(b.value):
                            add(
                                "pfs_above_os",
                                a,
                                lo,
                                f"{lo} {fmt(a.value)} > {hi} {fmt(b.value)}",
                                [_ev(a, lo), _ev(b, hi)],
                            )

    def _over_time(self, outs: list[Outcome], add) -> None:
        by: dict[str, list[Outcome]] = defaultdict(list)
        for o in outs:
            if o.metric in self.rates and o.value is not None and o.timepoint_months is not None:
                by[o.metric].append(o)
        for metric, rs in by.items():
            rs.sort(key=lambda o: o.timepoint_months)
            for early, late in zip(rs, rs[1:], strict=False):
                if late.timepoint_months > early.timepoint_months and late.value > early.value + _half(
                    late.value
                ) + _half(early.value):
                    add(
                        "rate_rises_over_time",
                        late,
                        metric,
                        f"{metric} {fmt(late.value)}% at {fmt(late.timepoint_months)} months > {fmt(early.value)}% at {fmt(early.timepoint_months)} months",
                        [
                            _ev(early, f"{fmt(early.timepoint_months)}m"),
                            _ev(late, f"{fmt(late.timepoint_months)}m"),
                        ],
                    )

    def _followup(self, outs: list[Outcome], fus: list[Outcome], add) -> None:
        if not fus or self.factor <= 0:
            return
        fu = max(fus, key=lambda o: o.value)
        for o in outs:
            if o.metric in self.medians and o.value is not None and o.value > self.factor * fu.value:
                add(
                    "median_beyond_followup",
                    o,
                    o.metric,
                    f"{o.metric} {fmt(o.value)} months > {fmt(self.factor)} x median follow-up {fmt(fu.value)} months",
                    [_ev(o, o.metric), _ev(fu, "median follow-up")],
                )

    def _finding(self, doc_id: str, key: tuple, v: _Violation) -> Finding:
        sevs = [self.rule_sev.get(r) or self.sev.get("logic") for r in v.rules]
        severity = min(sevs, key=lambda s: SEVERITIES.index(s) if s in SEVERITIES else 0)
        o = v.outcome
        scope = ", ".join(x for x in (o.arm and f"{o.arm} arm", o.subgroup, o.source) if x)
        msg = f"{label_of(o)} ({scope}): " + "; ".join(v.reasons)
        subject = "|".join(str(k) for k in key)
        return make(doc_id, "logic", severity, subject, msg, v.evidence, o, metric=v.metric)


def _single(outs: list[Outcome], unit: str) -> dict[str, Outcome]:
    """Metric -> outcome when the group states that metric once (several analyses are left out:
    comparing values from different follow-ups would raise false alarms)."""
    by: dict[str, list[Outcome]] = defaultdict(list)
    for o in outs:
        if o.unit == unit and o.value is not None and o.timepoint_months is None:
            by[o.metric].append(o)
    return {m: os[0] for m, os in by.items() if len({o.value for o in os}) == 1}


def _ev(o: Outcome, label: str) -> Evidence:
    return evidence_of(o, f"{o.source} {label}")
