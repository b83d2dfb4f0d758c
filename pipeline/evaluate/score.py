"""Scoring a run against a gold folder, by the rules of shared/gold/README.md ("How we score").

Outcomes, per source: a gold row is found by a predicted row of the same document and source with the
same metric, timepoint (to 0.01), arm (letters and digits, lower case), subgroup *presence*, value
(|difference| <= 0.051, or both `NR` with no value) and study: the same trial and cohort when the gold
row has a trial (a leading "cohort"/"arm"/"part" ignored); else the same product and, where both give
one, the same n; gold `pooled` rows match a predicted study whose id or design contains "pooled".
One-to-one, greedy in gold order. Precision = found / predicted rows of that document and source.

Findings: a real gold finding is found by a predicted finding of the same document with the same or a
compatible check, naming the gold's trial (or product), with the same metric where both give one.
A trap (`is_error=no`) matched by a finding no real gold finding took is a false alarm.

Studies: a gold study is found by a predicted study matching the same way; a predicted study that
matches no gold study is spurious.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

SOURCES = ("table", "text")
COMPATIBLE = [
    {"text_table_mismatch", "n_mismatch", "unit_mismatch"},
    {"registry_mismatch", "duplicate_id"},
]
VALUE_TOL = 0.051
TIME_TOL = 0.01


def key(text: object) -> str:
    """Letters and digits, lower case: how names, arms and cohorts are compared."""
    return re.sub(r"[^a-z0-9]", "", str(text or "").lower())


def cohort_key(text: object) -> str:
    return key(re.sub(r"^\s*(?:cohort|arm|part)\b", "", str(text or ""), flags=re.I))


def num(x: object) -> float | None:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return None
    try:
        v = float(str(x).strip())
    except ValueError:
        return None
    return None if math.isnan(v) else v


def read_csv(path: Path) -> pd.DataFrame:
    if not path.is_file():
        return pd.DataFrame()
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _col(df: pd.DataFrame, name: str) -> list[str]:
    return list(df[name]) if name in df.columns else [""] * len(df)


@dataclass
class Counts:
    found: int = 0
    predicted: int = 0
    gold: int = 0

    @property
    def precision(self) -> float:
        return self.found / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.found / self.gold if self.gold else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def tp(self) -> int:
        return self.found

    @property
    def fp(self) -> int:
        """Predicted rows that found no gold row."""
        return self.predicted - self.found

    @property
    def fn(self) -> int:
        """Gold rows no predicted row found."""
        return self.gold - self.found

    def count(self, what: str) -> None:
        """One more row: "tp" (a predicted row found a gold row), "fp" or "fn"."""
        self.found += what == "tp"
        self.predicted += what in ("tp", "fp")
        self.gold += what in ("tp", "fn")

    def add(self, other: Counts) -> None:
        self.found += other.found
        self.predicted += other.predicted
        self.gold += other.gold


@dataclass
class Identity:
    """What identifies a study: trial and cohort, else product and n, else pooled."""

    trial: str = ""
    cohort: str = ""
    product: str = ""
    ns: frozenset[int] = frozenset()
    pooled: bool = False

    def matches(self, pred: Identity) -> bool:
        if self.pooled:
            return pred.pooled
        if self.trial:
            return pred.trial == self.trial and pred.cohort == self.cohort
        if not self.product or key(pred.product) != self.product:
            return False
        return not (self.ns and pred.ns) or bool(self.ns & pred.ns)


def _ints(values: Iterable[object]) -> frozenset[int]:
    return frozenset(int(v) for v in (num(x) for x in values) if v is not None)


def identity(trial: str, cohort: str, product: str, ns: Iterable[object], pooled: bool) -> Identity:
    return Identity(key(trial), cohort_key(cohort), key(product), _ints(ns), pooled)


@dataclass
class OutcomeScore:
    by_source: dict[str, Counts] = field(default_factory=dict)
    misses: list[dict] = field(default_factory=list)
    extras: list[dict] = field(default_factory=list)


def _outcome_rows(df: pd.DataFrame, pooled_ids: set[str], id_col: str) -> list[dict]:
    rows = []
    for r in df.to_dict("records"):
        sid = str(r.get(id_col, ""))
        rows.append(
            {
                **r,
                "_id": identity(
                    r.get("trial", ""),
                    r.get("cohort", ""),
                    r.get("product", ""),
                    [r.get("n", "")],
                    sid in pooled_ids or "pooled" in sid.lower(),
                ),
                "_arm": key(r.get("arm", "")),
                "_sub": bool(str(r.get("subgroup", "")).strip()),
                "_tp": num(r.get("timepoint_months", "")),
                "_v": num(r.get("value", "")),
                "_nr": str(r.get("qualifier", "")).strip().upper() == "NR",
            }
        )
    return rows


def _same_value(g: dict, p: dict) -> bool:
    if g["_v"] is None or p["_v"] is None:
        return g["_v"] is None and p["_v"] is None and g["_nr"] and p["_nr"]
    return abs(g["_v"] - p["_v"]) <= VALUE_TOL


def _same_time(g: dict, p: dict) -> bool:
    if g["_tp"] is None or p["_tp"] is None:
        return g["_tp"] is None and p["_tp"] is None
    return abs(g["_tp"] - p["_tp"]) <= TIME_TOL


def _outcome_match(g: dict, p: dict, any_study: bool = False) -> bool:
    return (
        g["metric"] == p["metric"]
        and g["_arm"] == p["_arm"]
        and g["_sub"] == p["_sub"]
        and _same_time(g, p)
        and _same_value(g, p)
        and (any_study or g["_id"].matches(p["_id"]))
    )


def pooled_study_ids(studies: pd.DataFrame) -> set[str]:
    if studies.empty:
        return set()
    return {
        sid
        for sid, design in zip(_col(studies, "study_id"), _col(studies, "design"), strict=True)
        if "pooled" in f"{sid} {design}".lower()
    }


def score_outcomes(
    gold: pd.DataFrame, pred: pd.DataFrame, studies: pd.DataFrame, any_study: bool = False
) -> OutcomeScore:
    """`any_study`: a diagnostic that leaves the study out of the match (values read right, study aside)."""
    out = OutcomeScore()
    pooled = pooled_study_ids(studies)
    g_all = _outcome_rows(gold, set(), "study_key") if len(gold) else []
    p_all = _outcome_rows(pred, pooled, "study_id") if len(pred) else []
    for source in SOURCES:
        g_rows = [g for g in g_all if g.get("source") == source]
        p_rows = [p for p in p_all if p.get("source") == source]
        taken: set[int] = set()
        found = 0
        for g in g_rows:
            hit = next(
                (i for i, p in enumerate(p_rows) if i not in taken and _outcome_match(g, p, any_study)), None
            )
            if hit is None:
                out.misses.append(g)
            else:
                taken.add(hit)
                found += 1
        out.extras += [p for i, p in enumerate(p_rows) if i not in taken]
        out.by_source[source] = Counts(found, len(p_rows), len(g_rows))
    return out


@dataclass
class StudyScore:
    gold: int = 0
    found: int = 0
    predicted: int = 0
    spurious: int = 0
    missing: list[str] = field(default_factory=list)
    spurious_ids: list[str] = field(default_factory=list)

    def add(self, other: StudyScore) -> None:
        self.gold += other.gold
        self.found += other.found
        self.predicted += other.predicted
        self.spurious += other.spurious


def gold_study_identities(gold_studies: pd.DataFrame) -> dict[str, Identity]:
    out = {}
    for r in gold_studies.to_dict("records"):
        sk = r.get("study_key", "")
        ns = [r.get(c, "") for c in ("n_table", "n_text", "n")]
        out[sk] = identity(r.get("trial", ""), r.get("cohort", ""), r.get("product", ""), ns, sk == "pooled")
    return out


def _pooled_gold_keys(gold_outcomes: pd.DataFrame) -> set[str]:
    return {k for k in _col(gold_outcomes, "study_key") if k.startswith("pooled")}


def score_studies(gold_studies: pd.DataFrame, gold_outcomes: pd.DataFrame, pred: pd.DataFrame) -> StudyScore:
    golds = gold_study_identities(gold_studies)
    for k in _pooled_gold_keys(gold_outcomes):
        golds.setdefault(k, Identity(pooled=True))
    pooled = pooled_study_ids(pred)
    preds = {
        r.get("study_id", ""): identity(
            r.get("trial", ""),
            r.get("cohort", ""),
            r.get("product", ""),
            [r.get(c, "") for c in ("n", "n_table", "n_text")],
            r.get("study_id", "") in pooled,
        )
        for r in pred.to_dict("records")
    }
    s = StudyScore(gold=len(golds), predicted=len(preds))
    for gk, gi in golds.items():
        if any(gi.matches(pi) for pi in preds.values()):
            s.found += 1
        else:
            s.missing.append(gk)
    for pk, pi in preds.items():
        if not any(gi.matches(pi) for gi in golds.values()):
            s.spurious += 1
            s.spurious_ids.append(pk)
    return s


@dataclass
class FindingScore:
    gold: int = 0
    found: int = 0
    traps: int = 0
    traps_flagged: int = 0
    predicted: int = 0
    unmatched: int = 0  # predicted findings that match no gold finding (real or trap)
    missed: list[str] = field(default_factory=list)
    flagged: list[str] = field(default_factory=list)
    unmatched_rows: list[dict] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.found / self.gold if self.gold else 0.0

    def add(self, other: FindingScore) -> None:
        for f in ("gold", "found", "traps", "traps_flagged", "predicted", "unmatched"):
            setattr(self, f, getattr(self, f) + getattr(other, f))


def _checks_compatible(a: str, b: str) -> bool:
    return a == b or any(a in group and b in group for group in COMPATIBLE)


def _names(g: dict, p: dict) -> bool:
    subject = key(g.get("trial", "")) or key(g.get("product", ""))
    if not subject:
        return True
    text = " ".join(str(p.get(c, "")) for c in ("trial", "product", "study_id", "message", "values"))
    return subject in key(text)


def _finding_match(g: dict, p: dict) -> bool:
    if not _checks_compatible(g.get("check", ""), p.get("check", "")):
        return False
    gm, pm = g.get("metric", ""), p.get("metric", "")
    return _names(g, p) and (not gm or not pm or gm == pm)


def score_findings(gold: pd.DataFrame, pred: pd.DataFrame) -> FindingScore:
    rows = [r for r in gold.to_dict("records") if r.get("check") != "misc"]
    real = [r for r in rows if str(r.get("is_error", "")).strip().lower() != "no"]
    traps = [r for r in rows if str(r.get("is_error", "")).strip().lower() == "no"]
    preds = pred.to_dict("records")
    s = FindingScore(gold=len(real), traps=len(traps), predicted=len(preds))
    taken: set[int] = set()
    for g in real:
        hit = next((i for i, p in enumerate(preds) if i not in taken and _finding_match(g, p)), None)
        if hit is None:
            s.missed.append(g.get("finding_key", ""))
        else:
            taken.add(hit)
            s.found += 1
    for g in traps:
        hit = next((i for i, p in enumerate(preds) if i not in taken and _finding_match(g, p)), None)
        if hit is not None:
            taken.add(hit)
            s.traps_flagged += 1
            s.flagged.append(g.get("finding_key", ""))
    s.unmatched_rows = [p for i, p in enumerate(preds) if i not in taken]
    s.unmatched = len(s.unmatched_rows)
    return s


@dataclass
class DocScore:
    doc_id: str
    outcomes: OutcomeScore
    studies: StudyScore
    findings: FindingScore


def _doc(df: pd.DataFrame, doc_id: str) -> pd.DataFrame:
    if df.empty or "doc_id" not in df.columns:
        return df
    return df[df["doc_id"] == doc_id]


def score_doc(gold_dir: Path, doc_id: str, out: dict[str, pd.DataFrame], any_study: bool = False) -> DocScore:
    """Score one document of a run (`out`: the outcomes, studies and findings frames, as text)."""
    g_out = read_csv(gold_dir / "outcomes.csv")
    p_out, p_st, p_fi = (_doc(out[k], doc_id) for k in ("outcomes", "studies", "findings"))
    return DocScore(
        doc_id,
        score_outcomes(g_out, p_out, p_st, any_study),
        score_studies(read_csv(gold_dir / "studies.csv"), g_out, p_st),
        score_findings(read_csv(gold_dir / "findings.csv"), p_fi),
    )


def read_run(out_dir: Path) -> dict[str, pd.DataFrame]:
    return {k: read_csv(Path(out_dir) / f"{k}.csv") for k in ("outcomes", "studies", "findings")}
