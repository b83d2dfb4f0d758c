"""Gold of /work/shared/gold as pipeline objects, and matching findings to seed-findings.csv.
Used by tests/test_quality_gold.py (and bench/bench_quality.py); not a test module itself."""

from __future__ import annotations

import csv
import re
from pathlib import Path

from pipeline.model import Box, Document, Finding, Mention, Outcome, Study

TABLE_PAGE, TEXT_PAGE = 3, 4  # made-up pages: the gold gives none


def _f(x: str) -> float | None:
    return float(x) if x.strip() else None


def _i(x: str) -> int | None:
    return int(float(x)) if x.strip() else None


def gold_outcomes(gold: Path) -> list[Outcome]:
    out = []
    with open(gold / "seed-outcomes.csv", newline="") as fh:
        for r in csv.DictReader(fh):
            page = TABLE_PAGE if r["source"] == "table" else TEXT_PAGE
            out.append(
                Outcome(
                    doc_id=r["doc_id"],
                    study_id=r["study_key"],
                    metric=r["metric"],
                    value=_f(r["value"]),
                    unit=r["unit"],
                    source=r["source"],
                    trial=r["trial"],
                    cohort=r["cohort"],
                    product=r["product"],
                    nct_id=r["nct_id"],
                    n=_i(r["n"]),
                    arm=r["arm"],
                    subgroup=r["subgroup"],
                    timepoint_months=_f(r["timepoint_months"]),
                    qualifier=r["qualifier"],
                    table_id=r["table_id"],
                    page=page,
                    bbox="10.0,20.0,30.0,40.0",
                    snippet=r["snippet"],
                )
            )
    return out


def gold_studies(gold: Path) -> list[Study]:
    out = []
    with open(gold / "seed-studies.csv", newline="") as fh:
        for r in csv.DictReader(fh):
            sources = "+".join(s for s, on in (("table", r["in_table"]), ("text", r["in_text"])) if on)
            out.append(
                Study(
                    doc_id=r["doc_id"],
                    study_id=r["study_key"],
                    trial=r["trial"],
                    cohort=r["cohort"],
                    product=r["product"],
                    target=r["target"],
                    nct_id=r["nct_id"],
                    phase=r["phase"],
                    n=_i(r["n_table"]) or _i(r["n_text"]),
                    refs=r["refs"],
                    sources=sources,
                    pages=f"table:{TABLE_PAGE}; text:{TEXT_PAGE}",
                    n_table=_i(r["n_table"]),
                    n_text=_i(r["n_text"]),
                    phase_text=r["phase_text"],
                )
            )
    # the one study of Table 2 that the ide-cel gold refers to (duplicate NCT), hand-copied
    out.append(
        Study(
            doc_id="mm-car-t-review-2024",
            study_id="cartitude-4",
            trial="CARTITUDE-4",
            product="cilta-cel",
            nct_id="NCT03361748",
            phase="II",
            n=419,
            sources="table",
            pages="table:5",
            n_table=419,
        )
    )
    return out


def gold_mentions() -> list[Mention]:
    """The name variants NER reports (Appendix A attrs), hand-written for the printed forms."""

    def m(
        label: str, raw: str, canonical: str, score: float, source: str = "text", page: int = TEXT_PAGE
    ) -> Mention:
        return Mention(
            label,
            raw,
            canonical,
            0,
            len(raw),
            source=source,
            page=page,
            box=Box(page, 10, 20, 30, 40),
            attrs={"variant": True, "raw": raw, "score": score},
        )

    return [
        m("PRODUCT", "Idecabtagene violence", "ide-cel", 86),
        m("TRIAL", "KarMMA-1", "KarMMa-1", 88),
        m("TRIAL", "KarMMA-2", "KarMMa-2", 88),
        m("TRIAL", "KarMMA-3", "KarMMa-3", 88),
        m("TRIAL", "KarMMA-3", "KarMMa-3", 88),
        m("METRIC", "mRoR", "DOR_MEDIAN", 75, source="table", page=TABLE_PAGE),
        m("PRODUCT", "Ide-Cell", "ide-cel", 93),
    ]


def gold_doc() -> Document:
    return Document(doc_id="mm-car-t-review-2024", path="mm-car-t-review-2024.pdf", mentions=gold_mentions())


def gold_findings(gold: Path) -> list[dict]:
    with open(gold / "seed-findings.csv", newline="") as fh:
        return list(csv.DictReader(fh))


# The gold calls these `misc`; the checker has a check per kind. The gold row's finding_key names
# the kind ("ide-cel/hr-74:refs:misc"); kinds without a check (e.g. "population") match nothing,
# so that an unrelated finding on the same study (a registry NCT mismatch) is not counted.
MISC_CHECKS = {"refs": {"refs_mismatch"}, "phase": {"design_phase"}, "DOSE": {"registry_mismatch"}}


def _check_matches(g: dict, f: Finding) -> bool:
    if g["check"] != "misc":
        return g["check"] == f.check
    kind = g["finding_key"].split(":")[-2] if g["finding_key"].count(":") >= 2 else ""
    return f.check in MISC_CHECKS.get(kind, set())


def matches(g: dict, f: Finding, study_of=None) -> bool:
    """Gold row vs finding by (check, study/trial+cohort, metric); names by printed form, ids by id.
    Gold `misc` rows match a finding of the check for their kind (MISC_CHECKS)."""
    if not _check_matches(g, f):
        return False
    if g["check"] == "name_variant":
        raw = re.match(r'"([^"]+)"', g["values"])
        return bool(raw) and f'"{raw.group(1)}"' in f.values
    if g["check"] == "duplicate_id":
        return g["values"].split(":")[0] in f.values
    if (g["metric"] or "") != (f.metric or ""):
        return False
    gold_keys = set(g["study_key"].split(";"))
    found = set(f.study_id.split(";"))
    if study_of is not None:  # real records: map their study ids to gold keys
        found = {study_of(s) for s in found}
    return bool(gold_keys & found)


def score(
    gold_rows: list[dict], findings: list[Finding], checks: set[str] | None = None, study_of=None
) -> dict:
    """Recall over is_error=yes rows (of `checks` when given), hits on is_error=no rows, and the
    findings matching no gold row (false alarms, in the gold's ide-cel scope)."""
    yes = [g for g in gold_rows if g["is_error"] == "yes" and (checks is None or g["check"] in checks)]
    no = [g for g in gold_rows if g["is_error"] == "no"]
    found = [g for g in yes if any(matches(g, f, study_of) for f in findings)]
    traps = [g for g in no if any(matches(g, f, study_of) for f in findings)]
    unmatched = [
        f for f in findings if not any(matches(g, f, study_of) for g in gold_rows if g["is_error"] == "yes")
    ]
    return {
        "recall": len(found) / max(1, len(yes)),
        "found": found,
        "missed": [g for g in yes if g not in found],
        "traps": traps,
        "extra": unmatched,
        "n_yes": len(yes),
    }
