"""Entity mentions of one short string (a table cell, or a sentence when NER gave none), in the shape
of the NER contract (Appendix A): METRIC, VALUE, N, DOSE, TIMEPOINT, ARM, COHORT, TRIAL, PRODUCT,
REGISTRY_ID. Offsets are into the string. Table cells always go through here because their
micro-grammar ("PFS: HR (64%) SR (81%)") needs the exact token order."""

from __future__ import annotations

import re

from rapidfuzz import fuzz, process

from pipeline.model import Mention
from pipeline.records.cues import DOSE_RE, NUM, WORD_NUMBERS, Cues

_UNITS = {"%": "%", "m": "months", "mo": "months", "month": "months", "months": "months"}
_VALUE_RE = re.compile(
    rf"(?P<q>≥|≤|>=|<=|>|<|~)?\s*(?P<num>{NUM})(?:\s*(?P<unit>%|months?\b|mo\b|m\b|weeks?\b|days?\b|years?\b))?"
    r"|(?P<nr>not[\s\-]*reached|\bNR\b|not[\s\-]*estimable)",
    re.IGNORECASE,
)
_INHERIT_GAP = re.compile(r"^\s*(?:vs\.?|versus|and|or|to|,)\s*$", re.IGNORECASE)
_N_RES = [
    re.compile(r"\bn\s*=\s*(?P<n>\d+)", re.IGNORECASE),
    re.compile(r"(?:a total of|enrolled|involved|included|recruited)\s+(?P<n>\d+)\b(?!\s*%)", re.IGNORECASE),
    re.compile(
        r"(?<![\w.,/])(?P<n>\d+)\s+(?:[A-Za-z/()\-]+\s+){0,4}?(?:patients|subjects|participants|pts)\b",
        re.IGNORECASE,
    ),
]
_WORD_NUM = "|".join(sorted(WORD_NUMBERS, key=len, reverse=True))
_TP_RES = [
    re.compile(rf"\bat\s+(?:≥|>=|>)?\s*(?P<n>\d+|{_WORD_NUM})[\s\-]*months?\b", re.IGNORECASE),
    re.compile(rf"\b(?P<n>\d+|{_WORD_NUM})-months?\b(?!\s*(?:of|follow))", re.IGNORECASE),
    re.compile(r"\(\s*(?P<n>\d+)\s*(?:m|mo|months?)\s*\)", re.IGNORECASE),
]
_VS_RE = re.compile(r"\b(?:vs\.?|versus)(?![A-Za-z])", re.IGNORECASE)
_TRIAL_RE = re.compile(r"\b[A-Z][A-Za-z]{2,}(?:-[A-Z][A-Za-z]*)?-\d{1,3}[a-zA-Z]?\b")
_REG_RE = re.compile(
    r"\bNCT[\d&]{6,10}\b|\bChiCTR-?[A-Z]{0,3}-?\d{6,10}\b|\b\d{4}-\d{6}-\d{2}\b|\bISRCTN\d{8}\b"
)
_LABEL_RE = re.compile(r"(?<![A-Za-z0-9])(?P<label>[A-Za-z][A-Za-z\-]{1,10})\s*(?:\([^)]{1,12}\))?\s*[:.]\s")


def dose_values(printed: str) -> tuple[list[float], str]:
    """ "50, 150, 450 or 800x10^6" -> ([5e7, 1.5e8, 4.5e8, 8e8], ""); "150-450x10^6" -> (.., "range")."""
    m = re.search(r"[x×]\s*10\s*\^?\s*(\d{1,2})", printed)
    if not m:
        return [], ""
    exp = int(m.group(1))
    nums = [float(x) for x in re.findall(NUM, printed[: m.start()])]
    qual = "range" if re.search(rf"{NUM}\s*[-–]\s*{NUM}", printed[: m.start()]) else ""
    return [round(x * 10**exp, 6) for x in nums], qual


def dose_label(value: float) -> str:
    """450000000.0 -> "450x10^6" (the form subgroup labels use)."""
    exp = 0
    while value >= 1000 and exp < 12:
        value /= 1000
        exp += 3
    text = f"{value:g}"
    return f"{text}x10^{exp}" if exp else text


class Lexer:
    def __init__(self, cues: Cues) -> None:
        self.cues = cues
        self._metric_choices = {k: k for k in cues.metric_codes if len(k) >= 3}

    def lex(self, text: str, fuzzy_labels: bool = False) -> list[Mention]:
        out: list[Mention] = []
        taken: list[tuple[int, int]] = []

        def free(a: int, b: int) -> bool:
            return all(b <= s or a >= e for s, e in taken)

        def add(label: str, a: int, b: int, canonical: str = "", **attrs) -> None:
            out.append(Mention(label, text[a:b], canonical or text[a:b], a, b, attrs=attrs))
            taken.append((a, b))

        for m in _REG_RE.finditer(text):
            add("REGISTRY_ID", m.start(), m.end(), malformed=not re.fullmatch(r"NCT\d{8}", m.group()))
        for m in re.finditer(DOSE_RE, text):
            vals, qual = dose_values(m.group())
            tail = text[m.end() : m.end() + 40].lower()
            unit = "cells/kg" if re.match(r"^[^.;]{0,30}?/\s*kg", tail) else "cells"
            add("DOSE", m.start(), m.end(), values=vals, unit=unit, qualifier=qual)
        for a, b, name in self.cues.product_index.find(text):
            if free(a, b):
                canon, target = self.cues.product_of(name)
                if canon:
                    add("PRODUCT", a, b, canon, target=target)
        for m in _TRIAL_RE.finditer(text):
            if free(m.start(), m.end()) and m.group().lower() not in self.cues.trial_stop:
                add("TRIAL", m.start(), m.end(), generic=True)
        for m in self.cues.cohort_re.finditer(text):
            add("COHORT", m.start(), m.end(), m.group("label"))
        for rx in _TP_RES:
            for m in rx.finditer(text):
                if free(m.start(), m.end()):
                    n = m.group("n").lower()
                    add("TIMEPOINT", m.start(), m.end(), months=float(WORD_NUMBERS.get(n) or n))
        for a, b, code in self.cues.metrics_index.find(text):
            if free(a, b) and not self.slashed(text, a, b):
                add("METRIC", a, b, code)
        if fuzzy_labels:
            self._fuzzy_labels(text, out, taken)
        for rx in _N_RES:
            for m in rx.finditer(text):
                a, b = m.span("n")
                if free(a, b) and not re.search(r"\d+%?\s+of\s*$", text[:a]):  # "11 of 62 patients"
                    add("N", m.start(), m.end(), value=int(m.group("n")))
        self._values(text, out, taken)
        for m in _VS_RE.finditer(text):
            if free(m.start(), m.end()):
                add("ARM", m.start(), m.end(), "vs")
        out.sort(key=lambda x: (x.start, -x.end))
        return out

    def slashed(self, text: str, a: int, b: int) -> bool:
        """ "RR/MM", "R/R": a metric-like piece of a slashed word that is no metric pair ("VGPR/PR" is)."""
        after = re.match(r"/([A-Za-z][A-Za-z0-9\-]*)", text[b : b + 40])
        before = re.search(r"([A-Za-z][A-Za-z0-9\-]*)/$", text[max(0, a - 40) : a])
        return any(x and x.group(1).lower() not in self.cues.metric_codes for x in (after, before))

    def _fuzzy_labels(self, text: str, out: list[Mention], taken: list[tuple[int, int]]) -> None:
        """A "Label:" that is no known metric phrase but close to one ("mRoR:" ~ "mDoR")."""
        for m in _LABEL_RE.finditer(text + " "):
            a, b = m.span("label")
            if any(not (b <= s or a >= e) for s, e in taken):
                continue
            hit = process.extractOne(m.group("label").lower(), self._metric_choices, scorer=fuzz.ratio)
            if hit and hit[1] >= 75:
                code = self.cues.metric_codes[hit[0]]
                out.append(
                    Mention(
                        "METRIC",
                        text[a:b],
                        code,
                        a,
                        b,
                        attrs={"variant": True, "raw": text[a:b], "score": hit[1]},
                    )
                )
                taken.append((a, b))

    def _values(self, text: str, out: list[Mention], taken: list[tuple[int, int]]) -> None:
        vals: list[Mention] = []
        for m in _VALUE_RE.finditer(text):
            a, b = m.span()
            while a < b and text[a].isspace():
                a += 1
            if any(not (b <= s or a >= e) for s, e in taken):
                continue
            if m.group("nr"):
                vals.append(
                    Mention(
                        "VALUE",
                        text[a:b],
                        "NR",
                        a,
                        b,
                        attrs={"value": None, "unit": "months", "qualifier": "NR"},
                    )
                )
                continue
            ns, ne = m.span("num")
            before = text[ns - 1] if ns else " "
            after = text[ne] if ne < len(text) else " "
            unit = (m.group("unit") or "").lower()
            prev2 = text[ns - 2] if ns > 1 else " "
            if (
                before.isalpha()
                or before == "^"
                or (before in "/.-" and prev2.isalnum())
                or (before == "(" and prev2.islower())
            ):
                continue  # CD3, t(4;14), 10^-5, 4-1BB, glued citations: part of a name, not a value
            if not unit and (after.isalpha() or after in "^"):
                continue
            if unit in ("week", "weeks", "day", "days", "year", "years"):
                continue
            num = float(m.group("num"))
            if not unit and 1900 <= num <= 2100 and "." not in m.group("num"):
                continue  # a year
            vals.append(
                Mention(
                    "VALUE",
                    text[a:b],
                    m.group("num"),
                    a,
                    b,
                    attrs={"value": num, "unit": _UNITS.get(unit, ""), "qualifier": _qual(m.group("q"))},
                )  # fmt: skip
            )
        # "71 vs 42%", "8.8 and 34.2 months": a bare number takes the unit of the value after it
        for i in range(len(vals) - 2, -1, -1):
            v, nxt = vals[i], vals[i + 1]
            bare = not v.attrs["unit"] and v.attrs["value"] is not None and nxt.attrs["unit"]
            if bare and _INHERIT_GAP.match(text[v.end : nxt.start]):
                v.attrs["unit"] = nxt.attrs["unit"]
                v.attrs["inherited_unit"] = True
        out.extend(vals)


def _qual(q: str | None) -> str:
    return {"≥": ">=", "≤": "<="}.get(q or "", q or "")
