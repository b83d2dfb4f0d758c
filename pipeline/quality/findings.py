"""Building `Finding`s: stable ids, severities from rules/checks.yml, and the value/source/page
columns every check fills the same way."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from typing import Any

from pipeline.model import SEVERITIES, Evidence, Finding, Outcome, Study, outcome_id

__all__ = ["Evidence", "Severities", "describe", "evidence_of", "finding_id", "fmt", "label_of", "make"]


def finding_id(doc_id: str, check: str, subject: str) -> str:
    """Stable across re-runs: hashes what is checked, never the values, so a curator's decision on a
    finding survives a corrected extraction."""
    return "F" + hashlib.sha1(f"{doc_id}\0{check}\0{subject}".encode()).hexdigest()[:11]


def fmt(value: float | None, qualifier: str = "") -> str:
    """A value as printed: 46 not 46.0; NR for not reached."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return qualifier or "NR"
    text = f"{value:.6g}" if float(value) != int(value) else str(int(value))
    return f"{qualifier}{text}" if qualifier and qualifier != "NR" else text


def decimals(value: float) -> int:
    """Decimals the value was printed with (46 -> 0, 62.5 -> 1)."""
    text = f"{value:.6g}"
    return len(text.split(".")[1]) if "." in text else 0


def evidence_of(o: Outcome, label: str | None = None) -> Evidence:
    """An outcome as evidence: its printed value, where it is, and its outcome_id."""
    return Evidence(
        label or o.source, fmt(o.value, o.qualifier), o.source, o.page, o.snippet, o.bbox, outcome_id(o)
    )


class Severities:
    """Severity lookup in rules/checks.yml, with the check's default when a key is absent."""

    def __init__(self, checks: Mapping[str, Any]) -> None:
        self.checks = checks

    def conf(self, check: str) -> Mapping[str, Any]:
        return self.checks.get(check) or {}

    def get(self, check: str, key: str = "severity") -> str:
        conf = self.conf(check)
        sev = conf.get(key) or conf.get("severity") or "error"
        return sev if sev in SEVERITIES else "error"


def make(
    doc_id: str,
    check: str,
    severity: str,
    subject: str,
    message: str,
    evidence: Sequence[Evidence] = (),
    study: Study | Outcome | None = None,
    metric: str = "",
    cohort: str | None = None,
    study_id: str | None = None,
    trial: str | None = None,
    product: str | None = None,
) -> Finding:
    return Finding(
        finding_id=finding_id(doc_id, check, subject),
        doc_id=doc_id,
        check=check,
        severity=severity,
        message=message,
        study_id=study_id if study_id is not None else (study.study_id if study else ""),
        trial=trial if trial is not None else (study.trial if study else ""),
        cohort=cohort if cohort is not None else (study.cohort if study else ""),
        metric=metric,
        product=product if product is not None else (study.product if study else ""),
        evidence=list(evidence),
    ).pack()


def describe(e: Evidence) -> str:
    """'text 46 (p4)' for messages."""
    page = f" (p{e.page})" if e.page else ""
    return f"{e.label} {e.value}{page}"


def label_of(o: Study | Outcome) -> str:
    """How a message names a study: trial and cohort, else the study id."""
    name = " ".join(x for x in (o.trial, o.cohort) if x)
    return name or o.study_id
