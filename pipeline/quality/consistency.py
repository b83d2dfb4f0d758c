"""Text vs table consistency: `text_table_mismatch` (values and phases) and `n_mismatch`."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from pipeline.model import Document, Finding, Outcome, Study
from pipeline.quality import numbers
from pipeline.quality.findings import Evidence, Severities, describe, evidence_of, fmt, label_of, make


def outcome_key(o: Outcome) -> tuple:
    return (o.study_id, o.arm, o.subgroup, o.metric, o.timepoint_months)


# a subgroup named by a threshold, as a table row prints it ("≥50%") or a sentence says it ("a PD-L1
# TPS of 50% or more", "at least 50%", "less than 1%", "1 to 49%")
_THRESHOLDS = (
    (re.compile(r"(?:≥|>=|at least |of at least )\s*(\d+(?:\.\d+)?)\s*%?"), "≥{}%"),
    (re.compile(r"(\d+(?:\.\d+)?)\s*%?\s*(?:or more|or higher|or greater|and above|or above)"), "≥{}%"),
    (re.compile(r"(?:<|less than |below |under )\s*(\d+(?:\.\d+)?)\s*%?"), "<{}%"),
    (re.compile(r"(\d+(?:\.\d+)?)\s*%?\s*(?:to|–|-)\s*(\d+(?:\.\d+)?)\s*%"), "{}–{}%"),
)


def threshold(label: str) -> str:
    """The threshold a subgroup label names, canonical ("≥50%", "<1%", "1–49%"), else ""."""
    for pattern, fmt_ in _THRESHOLDS:
        m = pattern.search(label.lower())
        if m:
            return fmt_.format(*m.groups())
    return ""


def _same_subgroups(outcomes: Sequence[Outcome]) -> dict[int, str]:
    """Text outcomes whose subgroup names the same threshold as one table subgroup of the same
    study and metric (and none other): id(outcome) -> the table's label, so both compare."""
    table: dict[tuple, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for o in outcomes:
        if o.source == "table" and o.subgroup and threshold(o.subgroup):
            table[(o.study_id, o.metric)][threshold(o.subgroup)].add(o.subgroup)
    out = {}
    for o in outcomes:
        if o.source == "text" and o.subgroup:
            labels = table.get((o.study_id, o.metric), {}).get(threshold(o.subgroup), set())
            if len(labels) == 1:
                out[id(o)] = next(iter(labels))
    return out


_LIST = re.compile(r"\s*(?:,\s*(?:and\s+)?|\band\b)\s*")


def _respectively(outcomes: Sequence[Outcome]) -> dict[int, tuple[str, str, str]]:
    """Text values of one sentence that share a listed subgroup label ("in paediatric and adult
    studies were 86% and 71%, respectively"): paired with the listed subgroups by position, each
    with the table subgroup (of the study or its sub-studies: pooled/adult) that one part names.
    id(outcome) -> (study_id, arm, subgroup) of that table row."""
    table: dict[tuple[str, str], list[Outcome]] = defaultdict(list)
    for o in outcomes:
        if o.source == "table" and o.subgroup:
            table[(o.study_id.split("/")[0], o.metric)].append(o)
    sets: dict[tuple, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        if o.source == "text" and o.subgroup and o.value is not None and o.snippet:
            sets[(o.study_id, o.arm, o.subgroup, o.metric, o.snippet)].append(o)
    out = {}
    for (study, _arm, label, metric, snippet), outs in sets.items():
        parts = [p for p in _LIST.split(label) if p]
        if len(parts) < 2 or len(parts) != len(outs):
            continue
        at = [snippet.find(f"{fmt(o.value)}%") for o in outs]
        if min(at) < 0 or len(set(at)) != len(at):
            continue
        for part, o in zip(
            parts, [o for _, o in sorted(zip(at, outs, strict=True), key=lambda x: x[0])], strict=True
        ):
            rows = [t for t in table.get((study.split("/")[0], metric), []) if _names_part(t.subgroup, part)]
            if len({(t.study_id, t.arm, t.subgroup) for t in rows}) == 1:
                out[id(o)] = (rows[0].study_id, rows[0].arm, rows[0].subgroup)
    return out


def _names_part(subgroup: str, part: str) -> bool:
    """A table subgroup label ("Adult") that a listed part ("adult studies") names: its words all there."""
    words = re.findall(r"[a-z0-9]+", subgroup.lower())
    have = set(re.findall(r"[a-z0-9]+", part.lower()))
    return bool(words) and all(w in have for w in words)


def _cut_contradictions(texts: Sequence[Outcome], tables: Sequence[Outcome], slack: float) -> list[Outcome]:
    """Text values of a named data cut that differ from the one table value of that same cut (the
    values of other cuts are other analyses, but within one cut the paper prints one number)."""
    out = []
    for cut in {x.analysis for x in texts if x.analysis}:
        tb = _unique([t for t in tables if t.analysis == cut])
        tx = [x for x in texts if x.analysis == cut]
        if len(tb) == 1 and len(tx) >= 1:
            out += [x for x in tx if _pair(x, tb[0], slack) == "different"]
    return out


def _pair(a: Outcome, b: Outcome, slack: float) -> str:
    if a.value is None or b.value is None:
        return "same" if a.value is None and b.value is None and a.qualifier == b.qualifier else "different"
    if (a.qualifier or "") != (b.qualifier or ""):
        return "skip"  # "> 12" against "12": not comparable as printed
    return numbers.compare(a.value, b.value, slack)


def _unique(outs: Sequence[Outcome]) -> list[Outcome]:
    seen, out = set(), []
    for o in outs:
        k = (o.value, o.qualifier)
        if k not in seen:
            seen.add(k)
            out.append(o)
    return out


def text_table_values(doc_id: str, outcomes: Sequence[Outcome], sev: Severities) -> list[Finding]:
    conf = sev.conf("text_table_mismatch")
    skip = set(conf.get("skip_metrics") or ())
    tol: Mapping[str, float] = conf.get("tolerance") or {}
    groups: dict[tuple, dict[str, list[Outcome]]] = defaultdict(lambda: defaultdict(list))
    alias = _same_subgroups(outcomes) if conf.get("subgroup_thresholds", True) else {}
    paired = _respectively(outcomes) if conf.get("respectively_subgroups", True) else {}
    for o in outcomes:
        if o.metric not in skip and o.source in ("text", "table"):
            k = outcome_key(o)
            k = (*paired[id(o)], *k[3:]) if id(o) in paired else (k[0], k[1], alias.get(id(o), k[2]), *k[3:])
            groups[k][o.source].append(o)
    findings = []
    for key, by in groups.items():
        texts, tables = _unique(by.get("text", [])), _unique(by.get("table", []))
        if not texts or not tables:
            continue
        slack = float(tol.get(texts[0].unit, 0.0) or 0.0)
        results = [_pair(x, t, slack) for x in texts for t in tables]
        results = [r for r in results if r != "skip"]
        if not results or all(r == "same" for r in results):
            continue
        several = len(texts) + len(tables) > 2
        within = _cut_contradictions(texts, tables, slack) if conf.get("within_cut", True) else []
        if several and within:
            cut = within[0].analysis
            texts, tables = within, [t for t in tables if t.analysis == cut][:1]
            several, results = False, ["different"]
        cuts = {x.analysis for x in texts}
        if several and "same" in results and len(cuts) > 1 and "" not in cuts:
            continue  # the text names each value's data cut (primary / updated analysis): no conflict
        if several and conf.get("quiet_when_one_agrees") and "same" in results:
            continue  # the other values are other analyses, populations or subgroups the paper names
        if several and any(r in ("same", "truncated") for r in results):
            severity, why = sev.get("text_table_mismatch", "analyses_severity"), "different analyses?"
        elif all(r in ("same", "truncated") for r in results):
            severity, why = sev.get("text_table_mismatch", "truncation_severity"), "truncation only"
        else:
            severity, why = sev.get("text_table_mismatch"), "contradiction"
        ev = [evidence_of(o) for o in texts + tables]
        o = texts[0]
        subject = "|".join(str(k) for k in key)
        scope = ", ".join(x for x in (o.arm and f"{o.arm} arm", o.subgroup) if x)
        tp = f" at {fmt(o.timepoint_months)} months" if o.timepoint_months is not None else ""
        msg = (
            f"{label_of(o)} {o.metric}{tp}{f' ({scope})' if scope else ''}: "
            f"{' vs '.join(describe(e) for e in ev)}{_tables(tables)} — {why}"
        )
        findings.append(make(doc_id, "text_table_mismatch", severity, subject, msg, ev, o, metric=o.metric))
    return findings


def _tables(tables: Sequence[Outcome]) -> str:
    ids = sorted({t.table_id for t in tables if t.table_id})
    return f" [{', '.join(ids)}]" if ids else ""


def _group_name(studies: Sequence[Study]) -> tuple[str, str, str]:
    """study_id, cohort columns for a finding about several cohorts of one trial."""
    ids = ";".join(s.study_id for s in studies)
    cohorts = ";".join(s.cohort for s in studies if s.cohort)
    return ids, cohorts, studies[0].trial


def by_trial(studies: Sequence[Study], value: Any) -> dict[tuple, list[Study]]:
    """Studies grouped by trial (else by study) and a per-study value: cohorts of one trial that
    print the same wrong thing make one finding, not one per cohort."""
    out: dict[tuple, list[Study]] = defaultdict(list)
    for s in studies:
        v = value(s)
        if v is not None:
            out[(s.trial or s.study_id, v)].append(s)
    return out


def text_table_phases(
    doc_id: str, studies: Sequence[Study], sev: Severities, aliases: Mapping
) -> list[Finding]:
    def pair(s: Study):
        a, b = numbers.phase(s.phase_text, aliases), numbers.phase(s.phase, aliases)
        return (s.phase_text, s.phase) if a and b and a != b else None

    findings = []
    for (name, (text, table)), group in by_trial(studies, pair).items():
        ids, cohorts, trial = _group_name(group)
        ev = [
            Evidence("text", text, "text", _page(group[0], "text")),
            Evidence("table", table, "table", _page(group[0], "table")),
        ]
        msg = f"{label_of(group[0]) if len(group) == 1 else name + ' ' + cohorts} phase: {describe(ev[0])} vs {describe(ev[1])}"
        findings.append(
            make(
                doc_id,
                "text_table_mismatch",
                sev.get("text_table_mismatch", "phase_severity"),
                f"{name}|phase",
                msg,
                ev,
                group[0],
                study_id=ids,
                cohort=cohorts,
                trial=trial,
            )
        )
    return findings


def _page(s: Study, source: str) -> int:
    """The page a study is stated on in one source, from Study.pages ("table:3; text:4" or "3;4")."""

    m = re.search(rf"{source}\s*:\s*(\d+)", s.pages or "")
    if m:
        return int(m.group(1))
    nums = re.findall(r"\d+", s.pages or "")
    return int(nums[0]) if len(nums) == 1 else 0


def n_mismatch(
    doc_id: str,
    studies: Sequence[Study],
    outcomes: Sequence[Outcome],
    sev: Severities,
    doc: Document | None = None,
) -> list[Finding]:
    """Whole-cohort patient numbers stated differently in text and table (Study.n_text/n_table, or
    N outcomes of the investigational arm and no subgroup)."""
    conf = sev.conf("n_mismatch")
    ns: dict[str, dict[str, dict[int, Evidence]]] = defaultdict(lambda: defaultdict(dict))
    for o in outcomes:
        if o.metric == "N" and not o.arm and not o.subgroup and o.value is not None:
            ns[o.study_id][o.source].setdefault(int(o.value), evidence_of(o))
    findings = []
    for s in studies:
        by = ns[s.study_id]
        if s.n_text is not None:
            by["text"].setdefault(int(s.n_text), Evidence("text", str(s.n_text), "text", _page(s, "text")))
        if s.n_table is not None:
            by["table"].setdefault(
                int(s.n_table), Evidence("table", str(s.n_table), "table", _page(s, "table"))
            )
        if not by.get("text") or not by.get("table"):
            continue
        if set(by["text"]) & set(by["table"]):
            # the text agrees somewhere; with `text_outliers`, a whole-cohort n stated in the text
            # that no table states (and no population labels) is still a contradiction
            ratio = float(conf.get("outlier_max_ratio") or 1.25)
            (t,) = by["table"] if len(by["table"]) == 1 else (0,)
            odd = [
                n for n in by["text"] if n not in by["table"] and t and 0 < n <= ratio * t and t <= ratio * n
            ]
            if not (conf.get("text_outliers") and odd):
                continue  # a much larger n is a population the paper names (all randomised, screened)
            by["text"] = {n: e for n, e in by["text"].items() if n in odd or n in by["table"]}
        ev = list(by["text"].values()) + list(by["table"].values())
        msg = f"{label_of(s)} n: {' vs '.join(describe(e) for e in ev)} (enrolled vs treated or evaluable?)"
        findings.append(
            make(doc_id, "n_mismatch", sev.get("n_mismatch"), f"{s.study_id}|N", msg, ev, s, metric="N")
        )
    if conf.get("between_tables", True) and doc is not None:
        findings += _between_tables(doc, studies, outcomes, ns, sev, conf)
    return findings


def _between_tables(
    doc: Document, studies: Sequence[Study], outcomes: Sequence[Outcome], ns: Mapping, sev: Severities,
    conf: Mapping[str, Any],
) -> list[Finding]:  # fmt: skip
    """Two tables giving one study different whole-cohort n, neither cell marked by a note (a
    footnote letter names another population), neither table's caption naming a population, and
    the text stating one of them only (and the other nowhere beside a population word): the other
    table's n is a contradiction (its percentages may use it)."""
    doc_id = doc.doc_id
    words = "|".join(str(w) for w in conf.get("population_words") or ())
    named = re.compile(rf"(?i)\b(?:{words})") if words else None
    captions = {t.table_id: t.caption for t in doc.tables}
    per: dict[str, dict[str, list[Outcome]]] = defaultdict(lambda: defaultdict(list))
    for o in outcomes:
        if o.metric == "N" and o.source == "table" and not o.arm and not o.subgroup and o.value is not None:
            per[o.study_id][o.table_id].append(o)
    out = []
    for s in studies:
        tables = {t: _unique(os_) for t, os_ in per.get(s.study_id, {}).items()}
        if len(tables) != 2 or any(len(v) != 1 for v in tables.values()):
            continue
        (ta, (a,)), (tb, (b,)) = sorted(tables.items())
        if a.value == b.value or not all(re.fullmatch(r"\s*\d+\s*", o.snippet or "") for o in (a, b)):
            continue
        text = set(ns.get(s.study_id, {}).get("text", {})) | (
            {int(s.n_text)} if s.n_text is not None else set()
        )
        agree = [o for o in (a, b) if int(o.value) in text]
        if len(agree) != 1:
            continue  # the text gives both (it names the populations) or neither
        other = b if agree[0] is a else a
        if named and (
            any(named.search(captions.get(t, "")) for t in (ta, tb))
            or any(named.search(doc.text[max(0, m.start() - 60) : m.end() + 20])
                   for m in re.finditer(rf"(?<![\w.]){int(other.value)}(?![\d.])", doc.text))
        ):  # fmt: skip
            continue  # a population the paper names (safety population, evaluable patients)
        ev = [evidence_of(a, ta), evidence_of(b, tb), *(ns[s.study_id]["text"].values())]
        msg = f"{label_of(s)} n: {' vs '.join(describe(e) for e in ev)} (two tables, no population named)"
        out.append(
            make(
                doc_id, "n_mismatch", sev.get("n_mismatch"), f"{s.study_id}|N|tables", msg, ev, s, metric="N"
            )
        )
    return out
