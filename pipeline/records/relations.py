"""Metric <-> value pairing inside one sentence, clause by clause (";" and ":" end a clause):

1. coordinated lists pair by position ("the mPFS and mOS were 8.1 and 30.5 months, respectively";
   one "not reached" serves every metric of the list);
2. a value right before a metric, joined by "of"/"achieving"… ("(40% of CR)", "30.5% achieving a CR");
3. a metric takes the next free value before the next metric ("the ORR was 70.2%");
   more values of the same metric count only after "vs" (comparator arm) or with a subgroup cue
   ("(81% at the final target dose of 450x10^6)", "compared to 81% for the standard-risk group").
Timepoints: see timepoints.py ("12-month PFS", "At 12 months, the OS rate was 49%")."""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.model import Mention
from pipeline.ner import parse_scientific
from pipeline.records import arms
from pipeline.records.cells import Reading, finish
from pipeline.records.cohorts import cohort_of_values
from pipeline.records.cohorts import runs as _runs
from pipeline.records.cues import Cues, phrase_pattern
from pipeline.records.timepoints import Timepoints, split_lists

_CLAUSE = re.compile(r"[;:]\s")
_METRIC_GAP = re.compile(r"^\s*(?:,|and|or|&|/|,\s*and|,\s*or)?\s*(?:the\s+)?$", re.IGNORECASE)
_VALUE_GAP = re.compile(r"^\s*(?:,|and|or|,\s*and|,\s*or)\s*$", re.IGNORECASE)
_BETTER = re.compile(r"^\s*(?:\([^)]{1,12}\)\s*)?or (?:better|deeper|greater)", re.IGNORECASE)


@dataclass
class TextReading(Reading):
    metric_start: int = 0
    metric_end: int = 0
    cohort: str = ""  # one of several cohorts the sentence names ("85% in cohort A and 70% in cohort B")


class Relations:
    def __init__(self, cues: Cues) -> None:
        self.cues = cues
        groups = sorted(cues.subgroups, key=len, reverse=True)
        alt = "|".join(phrase_pattern(g) for g in groups) or r"(?!x)x"
        self.group_re = re.compile(
            rf"\b(?:for|in|among)\s+(?:the\s+)?(?:patients\s+with\s+)?(?P<g>{alt})(?:\s+(?:group|patients|cohort))?",
            re.IGNORECASE,
        )
        self.prefix_re = re.compile(rf"^\s*(?:for|in|among)\s+(?:the\s+)?(?P<g>{alt})\s*,", re.IGNORECASE)
        self.better = {"VGPR": "VGPR_PLUS", "PR": "ORR"}

    def readings(self, s: str, ms: list[Mention]) -> list[TextReading]:
        out: list[TextReading] = []
        a = 0
        ms = split_lists(s, ms)  # "PFS at 12 and 24 months": two timepoints
        cohorts = cohort_of_values(s, ms)
        ms = [
            m
            for m in ms
            if not (m.label == "VALUE" and (in_statistics(s, m.start) or _glued(s, m.start) or _rated(s, m)))
        ]
        depth = _depths(s)
        for m in [*(c for c in _CLAUSE.finditer(s) if not depth[c.start()]), None]:  # not inside "(…; …)"
            b = m.start() + 1 if m else len(s)
            clause = [x for x in ms if x.start >= a and x.end <= b]
            out += self._clause(s, a, b, clause, cohorts)
            a = m.end() if m else b
        return out + self._grades_after_event(s, ms, {r.start for r in out})

    def _grades_after_event(self, s: str, ms: list[Mention], taken: set[int]) -> list[TextReading]:
        """ "90% had CRS, and in 4% it was of grade 3": a rate followed by a grade cue is the grade ≥3
        rate of the event (rules/metrics.yml `grade3` events) named last before it in the sentence."""
        tc = self.cues.table
        if tc is None:
            return []
        out: list[TextReading] = []
        for v in ms:
            if v.label != "VALUE" or v.attrs.get("unit") != "%" or v.start in taken:
                continue
            lead = _GRADE_LEAD.match(s, v.end)
            if lead is None or not tc.grade_re.match(s, lead.end()):
                continue
            named = [(e.end(), code) for rx, code in tc.events for e in rx.finditer(s, 0, v.start)]
            if named:
                code = max(named)[1]
                out.append(_reading(code, float(v.attrs.get("value", 0)), "%", v, v))
        return out

    def _clause(
        self, s: str, a: int, b: int, ms: list[Mention], cohorts: dict[int, str]
    ) -> list[TextReading]:
        metrics = self._metrics(s, [m for m in ms if m.label == "METRIC"])
        values = [m for m in ms if m.label == "VALUE"]
        tps = [m for m in ms if m.label == "TIMEPOINT"]
        counts = self._counts(s, ms, metrics)
        counted = {id(m) for m in metrics if m.start in counts_of(counts)}
        if not metrics or not values:
            return counts + self._zeros(s, metrics, counted)
        has_pct = any(v.attrs.get("unit") == "%" for v in values)
        pairs: list[tuple[Mention, Mention]] = []
        used: set[int] = set()
        mruns = _runs(metrics, s, _METRIC_GAP)
        when = Timepoints(s, mruns, tps, values)
        # 1. coordinated lists
        for run in mruns:
            if len(run) < 2:
                continue
            after = [v for v in values if v.start > run[-1].end and id(v) not in used]
            vruns = _runs(after, s, _VALUE_GAP) if after else [[]]
            vrun = vruns[0]
            if len(vrun) != len(run) and vrun and vrun[0].attrs.get("qualifier") == "NR":
                # "94% MRD negativity, mDoR and mPFS not reached": "not reached" serves the list's
                # times to an event, never a rate
                run = [m for m in run if self.cues.metric_units.get(m.canonical) == "months"]
            if run and (len(vrun) == len(run) or (vrun and vrun[0].attrs.get("qualifier") == "NR")):
                # more lists as long, each of its own cohort, repeat the list for another cohort
                # ("ORR and CR were 85% and 60% in cohort A and 70% and 50% in cohort B")
                more = [r for r in vruns[1:] if len(r) == len(run) and all(id(v) in cohorts for v in r)]
                for vr in [vrun, *(more if all(id(v) in cohorts for v in vrun) else [])]:
                    for k, m in enumerate(run):
                        v = vr[k] if len(vr) == len(run) else vr[0]
                        pairs.append((m, v))
                        used.add(id(v))
                used |= {id(m) for m in run}
        # 2. value right before its metric
        toks = sorted(metrics + values, key=lambda t: t.start)
        for i, v in enumerate(toks[:-1]):
            nxt = toks[i + 1]
            if v.label != "VALUE" or nxt.label != "METRIC" or id(v) in used or id(nxt) in used:
                continue
            prev = toks[i - 1] if i else None
            if (
                prev is not None
                and prev.label == "METRIC"
                and id(prev) not in used
                and "," not in s[prev.end : v.start]
            ):
                continue  # "ORR 71% CR …": the value belongs to the metric before it
            if self.cues.value_before_metric_re.match(s[v.end : nxt.start]) and self._fits(nxt, v):
                pairs.append((nxt, v))
                used |= {id(v), id(nxt)}
        # 3. metric then value(s)
        for k, m in enumerate(metrics):
            limit = metrics[k + 1].start if k + 1 < len(metrics) else b
            # a value whose unit the metric cannot take ("61 years" for an ORR) is left for another
            mine = [v for v in values if m.end <= v.start < limit and id(v) not in used and self._fits(m, v)]
            first_paired = any(p[0] is m for p in pairs)
            for j, v in enumerate(mine):
                if not first_paired and j == 0 and id(m) not in used:
                    pairs.append((m, v))
                    used.add(id(v))
                    continue
                before = s[(mine[j - 1].end if j else m.end) : v.start]
                if (
                    re.search(r"\b(?:vs\.?|versus)\s*$", before.strip() + " ", re.I)
                    or self._group_after(s, v, b)
                    or j < when.count(m)  # "the 12- and 24-month PFS rates were 60% and 48%"
                    or id(v) in when.trailing  # "49% at 12 months and 40% at 24 months"
                    or id(v) in cohorts  # "85% in cohort A and 73.7% in cohort B"
                    or (j and arms.compared(before))  # "9.6 months with A and 6.4 months with B"
                    or (j and any(t.label == "TRIAL" and mine[j - 1].end <= t.start < v.start for t in ms))
                ):
                    pairs.append((m, v))
                    used.add(id(v))
        out = counts + self._zeros(s, metrics, {id(p[0]) for p in pairs} | counted)
        prev_tp: float | None = None
        nth: dict[int, int] = {}
        for m, v in sorted(pairs, key=lambda p: p[1].start):
            k = nth[id(m)] = nth.get(id(m), -1) + 1
            tp = when.of(m, v, k)
            if tp is None and m.canonical.endswith("_RATE"):
                tp = prev_tp
            r = finish(m.canonical, v, self.cues, tp)
            if r is None:
                continue  # "the follow-up rate was 88.8%": a percentage is no median duration
            if _RANGE_END.search(s[max(a, v.start - 12) : v.start]):
                continue  # "a follow-up of 4-9 months": the end of a range is no single value
            if self.cues.mean_re.search(s[max(a, m.start - 16) : m.start]):
                continue  # "the mean follow-up was 7.8 years": the schema has no means
            if r.metric.endswith("_RATE") and tp is not None:
                prev_tp = tp
            if (
                not v.attrs.get("unit")
                and r.unit == "%"
                and not has_pct
                and v.attrs.get("value", 0) == int(v.attrs.get("value") or 0)
            ):
                r.unit = "patients"  # "(10 CR, 6 VGPR/PR)": counts of patients
            before = s[max(a, v.start - 24) : v.start]
            r.arm = "control" if arms.against_right_before(before) else ""
            r.subgroup = self._group_after(s, v, b) or self._group_between(s, m, v) or self._prefix(s, a)
            out.append(
                TextReading(**vars(r), metric_start=m.start, metric_end=m.end, cohort=cohorts.get(id(v), ""))
            )
        arms.assign(s, out, self.cues.control_words + self.cues.comparator_hints)
        return out

    def _zeros(self, s: str, metrics: list[Mention], paired: set[int]) -> list[TextReading]:
        """ "no grade ≥3 ICANS was reported", "without any grade ≥3 CRS or neurotoxicity": 0%."""
        out: list[TextReading] = []
        last: Mention | None = None  # the metric zeroed just before, for "no X or Y"
        for m in metrics:
            if id(m) in paired or self.cues.metric_units.get(m.canonical) != "%":
                last = None
                continue
            listed = last is not None and re.fullmatch(r"\s*(?:,|or|and|nor)\s*", s[last.end : m.start])
            if listed or self.cues.zero_before_metric_re.search(s[max(0, m.start - 40) : m.start]):
                out.append(_reading(m.canonical, 0.0, "%", m, m))
                last = m
            else:
                last = None
        return out

    def _counts(self, s: str, ms: list[Mention], metrics: list[Mention]) -> list[TextReading]:
        """ "2 patients had grade 3 CRS": a count of patients with that outcome."""
        out: list[TextReading] = []
        for n in (m for m in ms if m.label == "N"):
            nxt = next((m for m in metrics if m.start >= n.end), None)
            v = n.attrs.get("value")
            if nxt is not None and isinstance(v, (int, float)) and _HAD.fullmatch(s[n.end : nxt.start]):
                if _RATE_AFTER.match(s, nxt.end):
                    continue  # "212 patients had an ORR of 41.2%": the rate of those patients, 212 their n
                out.append(_reading(nxt.canonical, float(v), "patients", n, nxt))
        return out

    def _fits(self, m: Mention, v: Mention) -> bool:
        """The value's unit suits the metric (no duration for a response rate, no % for a median)."""
        return finish(m.canonical, v, self.cues, None) is not None

    def _metrics(self, s: str, metrics: list[Mention]) -> list[Mention]:
        """ "very good partial response (VGPR) or better" -> one VGPR_PLUS metric."""
        out: list[Mention] = []
        joined = {
            id(m)
            for m, n in zip(metrics, metrics[1:], strict=False)
            if re.fullmatch(r"\s*/\s*", s[m.end : n.start])
        }
        joined |= {id(n) for m, n in zip(metrics, metrics[1:], strict=False) if id(m) in joined}
        for m in metrics:
            if id(m) in joined:
                continue  # "VGPR/PR": a combined category no single metric code names
            if (
                out
                and out[-1].canonical == m.canonical
                and re.fullmatch(r"\s*\(\s*", s[out[-1].end : m.start])
            ):
                continue  # the abbreviation repeating the metric just named
            out.append(m)
        for m in out:
            if m.canonical in self.better and _BETTER.match(s[m.end :]):
                m.canonical = self.better[m.canonical]
        return out

    def _group_after(self, s: str, v: Mention, b: int) -> str:
        """A subgroup cue between a value and the next number (or the closing parenthesis)."""
        tail = s[v.end : b]
        stop = re.search(r"\)|\d+(?:\.\d+)?\s*%|\b\d+(?:\.\d+)?\s+months", tail)
        tail = tail[: stop.start()] if stop else tail
        if len(tail) > 80:
            tail = tail[:80]
        return self._cue(tail)

    def _group_between(self, s: str, m: Mention, v: Mention) -> str:
        return self._cue(s[m.end : v.start]) if m.end <= v.start else ""

    def _prefix(self, s: str, a: int) -> str:
        m = self.prefix_re.match(s[a:])
        return self.cues.subgroups.get(m.group("g").lower(), "") if m else ""

    def _cue(self, text: str) -> str:
        for rx, label in self.cues.subgroup_patterns:
            m = rx.search(text)
            if m:
                parts = m.groupdict()
                if parts.get("dose"):
                    parts["dose"] = dose_label(parts["dose"])
                return label.format(**{k: (v or "") for k, v in parts.items()})
        m = self.group_re.search(text)
        if m:
            return self.cues.subgroups.get(" ".join(m.group("g").lower().split()), m.group("g"))
        return ""


def dose_label(printed: str) -> str:
    """The subgroup label of a printed dose: its last level in the paper's notation
    ("50, 150 or 450 x 10^6" -> "450x10^6"), the printed text when it cannot be read."""
    m = re.search(r"(\d+(?:\.\d+)?)\s*([x×]\s*10\s*\^?\s*\d{1,2})\s*$", printed)
    value = parse_scientific(f"{m.group(1)}{m.group(2)}") if m else None
    if value is None:
        return printed
    exp = 0
    while value >= 1000 and exp < 12:
        value /= 1000
        exp += 3
    return f"{value:g}x10^{exp}" if exp else f"{value:g}"


# between a rate and a grade cue that qualifies it: "4% was of grade 3", "in 4% these were grade ≥3"
_GRADE_LEAD = re.compile(r"\s*(?:(?:it|they|these|this|was|were|being|of|them|cases)\s+){1,3}", re.IGNORECASE)
_RATE_AFTER = re.compile(r"\s*(?:rate\s+)?(?:of|was|=|:)\s*\d", re.IGNORECASE)
_HAD = re.compile(r"\s*(?:had|developed|experienced|achieved|showed)\s+(?:a\s+|an\s+)?", re.IGNORECASE)


def _reading(metric: str, value: float, unit: str, v: Mention, m: Mention) -> TextReading:
    return TextReading(metric, value, unit, start=v.start, end=v.end, metric_start=m.start, metric_end=m.end)


def counts_of(readings: list[TextReading]) -> set[int]:
    """Offsets (metric_start) of metrics a count reading already took."""
    return {r.metric_start for r in readings}


_STATS = re.compile(r"\bCI\b|confidence|I\s?[²2]|\bhazard|\bHR\b|\bodds\b|\bP\s?[<=>]", re.IGNORECASE)


def _glued(s: str, at: int) -> bool:
    """A number glued to the letters of a name ("Z-LM4", "CD19"): part of that name, no value."""
    before = s[max(0, at - 2) : at]
    return bool(re.search(r"[A-Za-z]$|[A-Za-z]-$", before))


# after the count k of "k of n patients (x%)": the denominator, then the percentage in parentheses
_RATE_OF_COUNT = re.compile(
    r"\s*(?:/|of)\s*(?:the\s+)?\d[\d,]*(?:\s+[A-Za-z-]+){0,3}\s*\(\s*\d+(?:[.·]\d+)?\s*%"
)


_RANGE_END = re.compile(r"\d\s*(?:[-–]|\bto\s)\s*$")


def _rated(s: str, v: Mention) -> bool:
    """The count k of "CR in 27 of 30 patients (90%)": the percentage after it is the value printed as
    the rate, so the count gives no row of its own."""
    return bool(v.attrs.get("denominator")) and bool(_RATE_OF_COUNT.match(s, v.end))


def _depths(s: str) -> list[int]:
    """Parenthesis depth at each offset of s."""
    out, d = [], 0
    for ch in s:
        d += ch in "(["
        d -= ch in ")]" and d > 0
        out.append(d)
    return out


def in_statistics(s: str, at: int) -> bool:
    """The offset is inside a parenthesis of statistics ("(95% CI 70–81; I² = 38% vs 55%)",
    "(hazard ratio 0.61; P<0.001)"): its numbers are no outcome values."""
    open_at = s.rfind("(", 0, at)
    if open_at < 0 or s.rfind(")", 0, at) > open_at:
        return False
    close = s.find(")", at)
    inner = s[open_at + 1 : close if close >= 0 else len(s)]
    return bool(_STATS.search(inner))
