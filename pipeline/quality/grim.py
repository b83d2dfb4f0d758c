"""`grim`: the GRIM test. A percentage of n patients must be k/n for a whole k, as printed (rounded
half up, or at worst truncated, to the printed decimals). Applied to outcome proportions against
the n stated for the same cohort (or subgroup), and to "11 of 62 patients (17.7%)" pairs in text."""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from pipeline.model import Document, Finding, Outcome, Study
from pipeline.quality import numbers
from pipeline.quality.findings import Evidence, Severities, decimals, fmt, label_of, make
from pipeline.quality.subjects import Subject, Subjects


def attainable(pct: float, n: int) -> str:
    """'same' when some k/n prints as `pct`, 'truncated' when only a truncated k/n does, else 'different'."""
    d = decimals(pct)
    centre = pct * n / 100
    ks = {k for k in range(math.floor(centre) - 1, math.ceil(centre) + 2) if 0 <= k <= n}
    vals = [100 * k / n for k in ks]
    if any(abs(numbers.round_half_up(v, d) - pct) < 1e-9 for v in vals):
        return "same"
    if any(abs(numbers.truncate(v, d) - pct) < 1e-9 for v in vals):
        return "truncated"
    return "different"


def ratio(k: int, n: int, pct: float) -> str:
    """The same verdict for a printed "k of n (pct%)"."""
    if n <= 0 or k > n:
        return "different"
    v, d = 100 * k / n, decimals(pct)
    if abs(numbers.round_half_up(v, d) - pct) < 1e-9:
        return "same"
    return "truncated" if abs(numbers.truncate(v, d) - pct) < 1e-9 else "different"


class GrimCheck:
    def __init__(self, conf: Mapping[str, Any], sev: Severities) -> None:
        self.sev = sev
        self.metrics = set(conf.get("metrics") or ())
        self.metric_sev = dict(conf.get("metric_severity") or {})
        self.skip_randomised = bool(conf.get("skip_randomised", True))
        self.min_n = int(conf.get("min_n") or 2)
        self.other_n_sev = str(conf.get("other_n_severity") or "")  # "" = quiet when the other n fits
        self.patterns = [re.compile(p) for p in conf.get("text_patterns") or ()]
        # a table whose caption states the denominator of its percentages ("Percentages are of
        # treated patients") makes these metrics proportions of its n too (MRD negativity)
        self.caption_metrics = set(conf.get("caption_metrics") or ())
        cue = conf.get("caption_denominator")
        self.caption_cue = re.compile(str(cue)) if cue else None

    def outcomes(
        self,
        doc_id: str,
        studies: Sequence[Study],
        outcomes: Sequence[Outcome],
        captions: Mapping[str, str] = {},
    ) -> list[Finding]:  # noqa: B006 - read only
        # a randomised study: arms in a table or on a proportion (an arm read on a survival value of
        # a sentence alone is no design)
        randomised = {
            o.study_id for o in outcomes if o.arm and (o.source == "table" or o.metric in self.metrics)
        }
        ns = _stated_n(studies, outcomes)
        stated_tables = {t for t, c in captions.items() if self.caption_cue and self.caption_cue.search(c)}
        findings = []
        for o in outcomes:
            checked = o.metric in self.metrics or (
                o.metric in self.caption_metrics and o.source == "table" and o.table_id in stated_tables
            )
            if not checked or o.unit != "%" or o.value is None or o.qualifier:
                continue
            if o.arm or (self.skip_randomised and o.study_id in randomised):
                continue  # n of a randomised study is the total of its arms
            stated = ns.get((o.study_id, o.subgroup), {})
            # a table row's own n first (two tables may give one study different n)
            own = o.n if o.source == "table" and o.table_id and not o.subgroup else None
            n = (
                own
                or stated.get(o.source)
                or (o.n if not o.subgroup else None)
                or next(iter(stated.values()), None)
            )
            if not n or n < self.min_n:
                continue
            verdict = attainable(o.value, n)
            if verdict == "same":
                continue
            fits = [m for m in stated.values() if m != n and attainable(o.value, m) != "different"]
            if fits and not self.other_n_sev:
                continue  # consistent with the other source's n: a population difference, not an error
            if fits:  # the percentage is of the other source's n: the row prints the wrong one
                severity, why = self.other_n_sev, f"it is k/{fits[0]}, the other source's n"
            elif verdict == "truncated":
                severity, why = self.sev.get("grim", "truncation_severity"), "only a truncated k/n gives it"
            else:
                severity, why = self.metric_sev.get(o.metric) or self.sev.get("grim"), "no whole k/n gives it"
            ks = _neighbours(o.value, n)
            ev = [
                Evidence(f"{o.source} {o.metric}", f"{fmt(o.value)}%", o.source, o.page, o.snippet, o.bbox),
                Evidence("n", str(n), o.source, o.page),
            ]
            scope = f" ({o.subgroup})" if o.subgroup else ""
            msg = f"{label_of(o)}{scope} {o.source} {o.metric} {fmt(o.value)}% (p{o.page}) with n={n}: {why} ({ks})"
            subject = f"{o.study_id}|{o.subgroup}|{o.metric}|{o.timepoint_months}|{o.value}"  # one per printed value
            findings.append(make(doc_id, "grim", severity, subject, msg, ev, o, metric=o.metric))
        return findings

    def text(self, doc: Document, subjects: Subjects | None = None) -> list[Finding]:
        """ "k of n (x%)" in the body text."""
        out: list[Finding] = []
        for pat in self.patterns:
            for m in pat.finditer(doc.text):
                page = doc.page_of(m.start())
                boxes = doc.locate(m.start(), m.end())
                who = subjects.of_text(m.start(), page) if subjects else None
                out += self._ratio(doc.doc_id, m, "text", page, str(boxes[0]) if boxes else "", who, out)
        return out

    def cells(self, doc: Document, subjects: Subjects | None = None) -> list[Finding]:
        """ "k/n (x%)" in table cells."""
        out: list[Finding] = []
        for t in doc.tables:
            for c in t.cells:
                for pat in self.patterns:
                    for m in pat.finditer(c.text):
                        who = subjects.of_cell(t.table_id, c.row, c.col, c.text) if subjects else None
                        page = c.box.page if c.box else (t.pages[0] if t.pages else 0)
                        bbox = str(c.box) if c.box else ""
                        out += self._ratio(doc.doc_id, m, t.table_id, page, bbox, who, out)
        return out

    def _ratio(
        self, doc_id: str, m: re.Match[str], where: str, page: int, bbox: str, who: Subject | None, done: list
    ) -> list[Finding]:
        """A printed "k of n (x%)" — or "x% ... (n = n)", with no k — checked as GRIM."""
        k = int(m.group("k")) if "k" in m.re.groupindex else None
        n, pct = int(m.group("n")), float(m.group("pct"))
        if n < self.min_n:
            return []
        verdict = ratio(k, n, pct) if k is not None else attainable(pct, n)
        if verdict == "same":
            return []
        severity = (
            self.sev.get("grim", "truncation_severity") if verdict == "truncated" else self.sev.get("grim")
        )
        snippet = " ".join(m.group(0).split())
        source = "text" if where == "text" else "table"
        ev = [Evidence(source, snippet, source, page, snippet, bbox)]
        if k is not None:
            ev.append(Evidence(f"{k}/{n}", f"{100 * k / n:.1f}%", "", page))
            why = f"{k}/{n} = {100 * k / n:.2f}%"
        else:
            ev.append(Evidence("n", str(n), source, page))
            why = f"no whole k/{n} gives {fmt(pct)}% ({_neighbours(pct, n)})"
        name = who.name if who else ""
        about = f"{name}: " if name else ""
        msg = f'{about}{where} (p{page}): "{snippet}" but {why}'
        nth = sum(1 for f in done if snippet in f.values) + 1
        return [
            make(doc_id, "grim", severity, f"{source}|{snippet}|{nth}", msg, ev,
                 trial=name, product=who.product if who else "")
        ]  # fmt: skip


def _stated_n(studies: Sequence[Study], outcomes: Sequence[Outcome]) -> dict[tuple, dict[str, int]]:
    """(study, subgroup) -> source -> n, from N outcomes of the investigational arm and Study n columns."""
    out: dict[tuple, dict[str, int]] = defaultdict(dict)
    for o in outcomes:
        if o.metric == "N" and not o.arm and o.value is not None and o.value > 0:
            out[(o.study_id, o.subgroup)].setdefault(o.source, int(o.value))
    for s in studies:
        for source, n in (("text", s.n_text), ("table", s.n_table)):
            if n:
                out[(s.study_id, "")].setdefault(source, int(n))
    return out


def _neighbours(pct: float, n: int) -> str:
    k = math.floor(pct * n / 100)
    return ", ".join(f"{j}/{n}={100 * j / n:.2f}" for j in (k, k + 1) if 0 <= j <= n)
