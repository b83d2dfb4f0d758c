"""Study context found by regular expressions: PHASE ("phase I/II", a Phase column cell), COHORT
("cohorts 2a and 2b", "Part A") and REGISTRY_ID (NCT, ChiCTR, EudraCT, ISRCTN, incl. malformed ones).
Keywords and id patterns come from rules/ner.yml."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pipeline.ner.hits import Hit
from pipeline.ner.vocab import RulesError

ROMAN = {"1": "I", "2": "II", "3": "III", "4": "IV", "i": "I", "ii": "II", "iii": "III", "iv": "IV"}
_P = r"(?:IV|I{1,3}|[1-4])(?![0-9])"
PHASE_CORE = (
    rf"(?P<p1>{_P})(?P<s1>[abAB](?![A-Za-z]))?(?:\s*(?:/|-|–)\s*(?P<p2>{_P})(?P<s2>[abAB](?![A-Za-z]))?)?"
)


def phase_canonical(m: re.Match[str]) -> str:
    def one(p: str | None, s: str | None) -> str:
        return ROMAN.get((p or "").lower(), p or "") + (s or "").lower()

    first, second = one(m.group("p1"), m.group("s1")), one(m.group("p2"), m.group("s2"))
    return f"{first}/{second}" if m.group("p2") else first


def _shape(label: str) -> tuple[bool, bool]:
    return any(c.isdigit() for c in label), any(c.isalpha() for c in label)


def cohort_canonical(label: str) -> str:
    return label.upper() if label.isalpha() else label.lower()


class ContextFinder:
    def __init__(self, cfg: Mapping[str, Any]) -> None:
        phase = cfg.get("phase", {})
        kw = "|".join(re.escape(k) for k in phase.get("keywords", ["phase"]))
        self.re_phase = re.compile(rf"\b(?i:{kw})\s+{PHASE_CORE}(?![A-Za-z0-9])")
        self.re_phase_cell = re.compile(rf"^\s*{PHASE_CORE}(?![A-Za-z0-9])")
        self.phase_headers = [h.lower() for h in phase.get("headers", ["phase"])]
        ck = "|".join(re.escape(k) for k in cfg.get("cohort", {}).get("keywords", ["cohort"]))
        # a sentence's full stop may end the label ("in cohort B."), a decimal point may not
        label = r"(?:\d{1,2}[A-Za-z]?|[A-Z])(?![\w-]|\.\w)"
        self.re_cohort = re.compile(rf"\b(?i:{ck})\s+(?P<labels>{label}(?:\s*(?:,|and|&|/)\s*{label})*)")
        self.re_label = re.compile(label)
        # a population label before the keyword: "FL cohort", "HER2-high, HER2-low and HER2-zero cohorts"
        word = r"[A-Z0-9]*[A-Z][A-Z0-9]+(?:-[a-z]+)?"
        self.re_named = re.compile(
            rf"(?<![\w-])(?P<labels>{word}(?:(?:\s*,\s*{word})*\s*,?\s*(?:and|&|/)\s*{word})?)"
            rf"\s+(?i:{ck})\b(?!\s+(?:{label}))"
        )
        self.re_word = re.compile(rf"(?<![\w-]){word}(?![\w-])")
        self.ids: list[tuple[str, re.Pattern[str], re.Pattern[str]]] = []
        for name, spec in (cfg.get("registry_ids") or {}).items():
            try:
                self.ids.append((name, re.compile(spec["find"]), re.compile(spec["valid"])))
            except (KeyError, TypeError, re.error) as e:
                raise RulesError(
                    f"rules/ner.yml registry_ids.{name}: needs valid `find` and `valid` regexes ({e})"
                ) from e

    def find(self, text: str) -> list[Hit]:
        out = []
        for m in self.re_phase.finditer(text):
            out.append(Hit("PHASE", m.start(), m.end(), phase_canonical(m), {"printed": m.group(0)}))
        for m in self.re_cohort.finditer(text):
            base = m.start("labels")
            labels = list(self.re_label.finditer(m.group("labels")))
            shape = _shape(labels[0].group(0))
            prev_end = -1
            for lm in labels:
                if _shape(lm.group(0)) != shape:  # "cohort 3b, 40 patients": 40 is not a cohort
                    break
                s, e = base + lm.start(), base + lm.end()
                attrs: dict[str, Any] = {"printed": m.group(0)}
                if prev_end >= 0 and text[prev_end:s].strip() == ",":
                    attrs["comma"] = True  # "cohort 2, 31 patients": maybe a count, not a label
                prev_end = e
                out.append(Hit("COHORT", s, e, cohort_canonical(lm.group(0)), attrs))
        for m in self.re_named.finditer(text):
            base = m.start("labels")
            for lm in self.re_word.finditer(m.group("labels")):
                attrs = {"printed": m.group(0), "named": True}
                out.append(Hit("COHORT", base + lm.start(), base + lm.end(), lm.group(0), attrs))
        return out + self.registry_ids(text)

    def phase_cell(self, text: str, header: str) -> list[Hit]:
        """A cell of a column whose header says "Phase": "I-II", "II", "1/2"."""
        if not any(h in header.lower() for h in self.phase_headers):
            return []
        m = self.re_phase_cell.match(text)
        return (
            [Hit("PHASE", m.start("p1"), m.end(), phase_canonical(m), {"printed": m.group(0).strip()})]
            if m
            else []
        )

    def registry_ids(self, text: str) -> list[Hit]:
        out = []
        for name, find, valid in self.ids:
            for m in find.finditer(text):
                raw = m.group(0)
                # a space after a hyphen is a line break inside the id; any other change is reported
                compact = re.sub(r"(?<=-)\s+", "", raw)
                squeezed = re.sub(r"\s+", "", compact)
                attrs: dict[str, Any] = {"registry": name, "malformed": False}
                if valid.match(raw) or valid.match(compact):
                    canonical = compact
                elif valid.match(squeezed):
                    canonical = squeezed
                    attrs.update(variant=True, raw=raw, score=100.0)
                else:
                    canonical = ""
                    attrs["malformed"] = True
                out.append(Hit("REGISTRY_ID", m.start(), m.end(), canonical, attrs))
        return out
