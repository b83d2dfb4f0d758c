"""Precision, recall and F1 of outcome records against a hand-made gold folder (format of shared/gold).

Matching rule (documented for curators scoring their own papers):
- Gold may be PARTIAL: a gold study is identified by its content, not its id — (trial, cohort) when it
  has a trial name (compared on letters and digits, case-insensitive: "AlphaMM-1" == "ALPHAMM-1"), else
  (product, n) where n is any whole-cohort patient count the gold gives for it. A predicted study is
  mapped to a gold study the same way (using studies.csv n, n_table, n_text and its N rows).
  Predicted rows of studies the gold does not annotate are left out of precision.
- A record matches on (gold study, arm, normalised subgroup, metric, timepoint, source) and value:
  equal numbers (float tolerance 1e-6) with equal qualifier ("NR" with no value matches "NR").
  Subgroups are normalised: lower case, letters and digits, without filler words (patients, group, dose).
- Repeated keys are multisets: a DOSE list "50, 150, 450" is three rows, and a value the text states
  twice counts twice; each gold row is matched at most once.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pipeline.evaluate.score import Counts, read_csv
from pipeline.records.cues import norm_key

_FILLER = re.compile(r"\b(?:patients?|group|dose|the|for|with|achieving|a|an|cohort)\b")


def norm_subgroup(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", _FILLER.sub(" ", str(text or "").lower()))


def _num(x) -> float | None:
    if x is None or (isinstance(x, float) and math.isnan(x)) or str(x).strip() == "":
        return None
    try:
        return float(x)
    except ValueError:
        return None


@dataclass
class Report:
    total: Counts = field(default_factory=Counts)
    by_source: dict[str, Counts] = field(default_factory=dict)
    by_metric: dict[str, Counts] = field(default_factory=dict)
    misses: list[dict] = field(default_factory=list)  # gold rows not found
    extras: list[dict] = field(default_factory=list)  # predicted rows of gold studies the gold lacks
    unmatched_studies: list[str] = field(default_factory=list)  # gold studies no prediction maps to

    def format(self) -> str:
        lines = [f"{'scope':<16} {'P':>6} {'R':>6} {'F1':>6} {'tp':>5} {'fp':>4} {'fn':>4}"]

        def row(name: str, c: Counts) -> None:
            lines.append(
                f"{name:<16} {c.precision:6.3f} {c.recall:6.3f} {c.f1:6.3f} {c.tp:5d} {c.fp:4d} {c.fn:4d}"
            )

        row("all", self.total)
        for k in sorted(self.by_source):
            row(k, self.by_source[k])
        lines.append("")
        for k in sorted(self.by_metric):
            row(k, self.by_metric[k])
        if self.unmatched_studies:
            lines += ["", "gold studies without a predicted match: " + ", ".join(self.unmatched_studies)]
        for title, rows in (
            ("misses (gold rows not predicted)", self.misses),
            ("extras (predicted, not in gold)", self.extras),
        ):
            if rows:
                lines += ["", title + ":"]
                lines += [f"  {_show(r)}" for r in rows]
        return "\n".join(lines)


def _show(r: dict) -> str:
    bits = [r["study"], r["source"], r["metric"], f"value={r['value']}{r['qualifier']}"]
    bits += [f"{k}={r[k]}" for k in ("arm", "subgroup", "timepoint") if r.get(k) not in ("", None)]
    return " ".join(str(b) for b in bits) + (f"  «{r['snippet'][:70]}»" if r.get("snippet") else "")


def gold_outcomes_file(gold_dir: Path) -> Path:
    if (gold_dir / "outcomes.csv").is_file():
        return gold_dir / "outcomes.csv"
    found = sorted(p for p in gold_dir.glob("*outcomes*.csv") if "nonschema" not in p.name)
    if not found:
        raise FileNotFoundError(f"no outcomes CSV in gold folder {gold_dir}")
    return found[0]


def _identities(df: pd.DataFrame, key_col: str, studies: pd.DataFrame | None) -> dict[str, tuple]:
    """study key -> (trial key, cohort, product, set of whole-cohort n)."""
    out: dict[str, tuple] = {}
    for key, g in df.groupby(key_col, sort=False):
        first = g.iloc[0]
        ns = {
            int(float(v))
            for v in g.loc[(g.metric == "N") & (g.subgroup == ""), "value"]
            if _num(v) is not None
        }
        ns |= {int(float(v)) for v in g.loc[g.subgroup == "", "n"] if _num(v) is not None}
        if studies is not None and "study_id" in studies and key in set(studies.study_id):
            s = studies[studies.study_id == key].iloc[0]
            ns |= {int(float(s[c])) for c in ("n", "n_table", "n_text") if c in s and _num(s[c]) is not None}
        out[key] = (
            norm_key(first.get("trial", "")),
            str(first.get("cohort", "")).lower(),
            first.get("product", ""),
            ns,
        )
    return out


def _same_study(a: tuple, b: tuple) -> bool:
    if a[0] or b[0]:
        return a[0] == b[0] and a[1] == b[1]
    return a[2] == b[2] and bool(a[3] & b[3])


def _rows(df: pd.DataFrame, mapping: dict[str, str], key_col: str) -> list[dict]:
    rows = []
    for _, r in df.iterrows():
        study = mapping.get(r[key_col])
        if study is None:
            continue
        tp = _num(r.get("timepoint_months", ""))
        rows.append(
            {
                "study": study,
                "source": r.get("source", ""),
                "metric": r.get("metric", ""),
                "arm": r.get("arm", ""),
                "subgroup": r.get("subgroup", ""),
                "timepoint": tp,
                "value": _num(r.get("value", "")),
                "qualifier": r.get("qualifier", ""),
                "snippet": r.get("snippet", ""),
            }
        )
    return rows


def _key(r: dict) -> tuple:
    tp = None if r["timepoint"] is None else round(r["timepoint"], 3)
    return (r["study"], r["arm"], norm_subgroup(r["subgroup"]), r["metric"], tp, r["source"])


def _equal(a: dict, b: dict) -> bool:
    if (a["qualifier"] or "") != (b["qualifier"] or ""):
        return False
    if a["value"] is None or b["value"] is None:
        return a["value"] is None and b["value"] is None
    return math.isclose(a["value"], b["value"], rel_tol=1e-9, abs_tol=1e-6)


def score(gold_dir: str | Path, outcomes: pd.DataFrame, studies: pd.DataFrame | None = None) -> Report:
    gold_dir = Path(gold_dir)
    gold = read_csv(gold_outcomes_file(gold_dir))
    gkey = "study_key" if "study_key" in gold.columns else "study_id"
    pred = outcomes.astype(str).replace({"nan": "", "None": "", "<NA>": ""})
    if "doc_id" in gold.columns and "doc_id" in pred.columns:
        pred = pred[pred.doc_id.isin(set(gold.doc_id))]
    for df in (gold, pred):
        for c in (
            "trial",
            "cohort",
            "product",
            "arm",
            "subgroup",
            "qualifier",
            "n",
            "timepoint_months",
            "value",
        ):
            if c not in df.columns:
                df[c] = ""
    g_ids = _identities(gold, gkey, None)
    p_ids = _identities(pred, "study_id", studies) if len(pred) else {}
    mapping = {}
    for pid, pi in p_ids.items():
        hit = next((gid for gid, gi in g_ids.items() if _same_study(pi, gi)), None)
        if hit is not None:
            mapping[pid] = hit
    g_rows = _rows(gold, {k: k for k in g_ids}, gkey)
    p_rows = _rows(pred, mapping, "study_id")
    rep = Report(unmatched_studies=[g for g in g_ids if g not in set(mapping.values())])
    pool: dict[tuple, list[dict]] = {}
    for r in g_rows:
        pool.setdefault(_key(r), []).append(r)
    matched: set[int] = set()
    for r in p_rows:
        cands = [g for g in pool.get(_key(r), []) if id(g) not in matched and _equal(g, r)]
        if cands:
            matched.add(id(cands[0]))
            _count(rep, r, "tp")
        else:
            _count(rep, r, "fp")
            rep.extras.append(r)
    for r in g_rows:
        if id(r) not in matched:
            _count(rep, r, "fn")
            rep.misses.append(r)
    return rep


def _count(rep: Report, r: dict, what: str) -> None:
    for c in (
        rep.total,
        rep.by_source.setdefault(r["source"], Counts()),
        rep.by_metric.setdefault(r["metric"], Counts()),
    ):
        c.count(what)
