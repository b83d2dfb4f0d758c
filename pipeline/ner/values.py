"""Numbers as the records need them: VALUE, N, DOSE and TIMEPOINT hits found by regular expressions
over one string (a body block or a table cell). Cue words come from rules/ner.yml; the number
grammar (decimals, thousands, 450x10^6, ranges, lists) is generic and lives here.

Pure helpers for other stages: `parse_number`, `parse_scientific`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pipeline.ner.hits import Hit

NUM = r"(?:\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?:[.·]\d+)?"
QUAL = r"(?P<q>≥|≤|>=|<=|>|<|~|≈)?\s?"
_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")
# "x10^6", "× 10^8", "x10⁶" and "x106" (superscript lost by the text layer: 10 then the exponent)
MULT = r"\s?[x×\*]\s?10(?:\s?\^\s?(?P<e1>[-−]?\d{1,2})|(?P<e2>[⁰¹²³⁴⁵⁶⁷⁸⁹]{1,2})|(?P<e3>\d{1,2}))(?![\d.])"
# Where a QUAL-led match can start (a qualifier, the optional space, or the number): a leading
# lookahead lets the regex engine reject every other position in one step; matches are unchanged.
_QUAL_START = r"(?=[≥≤><~≈\s\d])"
_DIGIT = re.compile(r"\d")
_QUALS = {"≥": ">=", "≤": "<=", ">=": ">=", "<=": "<=", ">": ">", "<": "<", "~": "~", "≈": "~"}


def parse_number(text: str) -> float | None:
    """'70.2' -> 70.2, '1,234' -> 1234.0, '70·2' -> 70.2, '450x10^6' -> 450000000.0; else None."""
    text = text.strip()
    sci = parse_scientific(text)
    if sci is not None:
        return sci
    if not re.fullmatch(NUM, text):
        return None
    return float(text.replace(",", "").replace("·", "."))


def parse_scientific(text: str) -> float | None:
    """'450x10^6', '4.5 × 10^8', '3x105' (lost superscript) -> float; else None."""
    m = re.fullmatch(rf"\s*(?P<n>{NUM}){MULT}\s*", text)
    return _times_power(m.group("n"), m) if m else None


def _times_power(num: str, m: re.Match[str]) -> float:
    exp = m.group("e1") or m.group("e3") or (m.group("e2") or "").translate(_SUPERSCRIPTS)
    return float(num.replace(",", "").replace("·", ".")) * 10.0 ** int(exp.replace("−", "-"))


def _alt(words: list[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


class ValueFinder:
    """Finds VALUE, N, DOSE and TIMEPOINT hits in a string; built once from rules/ner.yml."""

    def __init__(self, cfg: Mapping[str, Any]) -> None:
        values, n, tp = cfg.get("values", {}), cfg.get("n", {}), cfg.get("timepoint", {})
        self.words: dict[str, int] = {k.lower(): int(v) for k, v in values.get("number_words", {}).items()}
        self.tp_units: dict[str, float] = {k.lower(): float(v) for k, v in tp.get("units", {}).items()}
        word = rf"(?:{_alt(list(self.words))})(?:-(?:{_alt(list(self.words))}))?" if self.words else r"(?!x)x"
        anynum = rf"(?:{NUM}|{word})"
        # where a number (digit or number word) can start: a leading lookahead, as _QUAL_START
        firsts = "".join(sorted({re.escape(w[0]) for w in self.words if w}))
        at_num = rf"(?=[\d{firsts}])"
        nouns, verbs = _alt(n.get("nouns", ["patients"])), _alt(n.get("verbs", ["enrolled"]))
        stop = _alt(n.get("gap_stop", []) or ["of"])
        gap = rf"(?:(?!(?:{stop})\b)[A-Za-z][\w/+-]*\s+){{0,{int(n.get('max_gap', 4))}}}?"
        units_alt = _alt([u for u in self.tp_units if len(u) > 1])  # not "m": "at 5 m" is rare
        # Every number pattern needs a digit, or a number word for those that take words: the
        # finders skip a string without one (most table cells and many paragraphs) before running them.
        self.re_word = re.compile(word, re.I)
        self.re_pct = re.compile(rf"{_QUAL_START}{QUAL}(?P<num>{NUM})\s?%")
        self.re_not_pct = [re.compile(p, re.I) for p in values.get("not_values_after_percent", [])]
        self.re_months = re.compile(
            rf"{_QUAL_START}{QUAL}(?P<num>{NUM})(?:\s?(?P<u>months?|mos?|years?|yrs?)(?=[a-e]?\b)|(?P<m>m)(?![A-Za-z]))",
            re.I,
        )
        self.re_nr = re.compile(rf"\b(?:{_alt(values.get('not_reached', ['not reached']))})\b", re.I)
        codes = _alt(values.get("not_reached_codes", ["NR"]))
        self.re_nr_code = re.compile(rf"(?:[:=]|^)\s*(?P<code>{codes})\b")
        self.re_colon_bare = re.compile(
            rf"(?<=[A-Za-z)\]]:)\s*{QUAL}(?P<num>{NUM})(?![\d.%]|\s?%|\s?(?:months?|m\b)|\s?[x×])"
        )
        conn = _alt(values.get("inherit_connectors", ["vs", "and", ","]))
        self.re_inherit = re.compile(rf"{_QUAL_START}{QUAL}(?P<num>{NUM})\s*(?:{conn})\s*$", re.I)
        self.re_dose = re.compile(
            rf"(?=\d)(?P<list>(?:{NUM}\s*(?:,\s*(?:and\s+|or\s+)?|\s+(?:and|or|to)\s+|\s*[-–]\s*))*)"
            rf"(?P<last>{NUM}){MULT}"
        )
        self.re_dose_cut = re.compile(r"[;,()\n]|\band\b|\d\s?[x×]\s?10")
        self.re_kg = re.compile(r"/\s?kg\b|\bper\s+kg\b|/\s?kilogram", re.I)
        self.re_kg_adjacent = re.compile(r"\s?(?:(?:CAR[-\s]?T\s+)?cells?\s?)?/\s?kg\b", re.I)
        self.re_n_eq = re.compile(r"\b[nN]\s*=\s*(?P<num>\d[\d,]*)")
        self.re_n_noun = re.compile(
            rf"{at_num}(?<![\d.,/%])(?<![A-Za-z]-)\b(?P<num>\d[\d,]*|{word})\s+{gap}(?P<noun>{nouns})\b", re.I
        )
        self.re_n_verb = re.compile(
            rf"\b(?P<verb>{verbs})\s+(?:a\s+total\s+of\s+|approximately\s+)?(?P<num>\d[\d,]*)"
            rf"(?![\d.,]*\s*(?:%|months?|[x×:]))",
            re.I,
        )
        self.re_k_of_n = re.compile(
            rf"\b(?P<k>\d+)\s*(?:out\s+of|of|/)\s*(?P<n>\d+)\b(?=\s*(?:\([^)]*\)\s*)?{gap}(?:{nouns})\b)",
            re.I,
        )
        self.re_tp_at = re.compile(
            rf"(?=a)\bat\s+(?:≥|>=|>)?\s?(?P<num>{anynum})[\s-]?(?P<u>{units_alt})\b", re.I
        )
        # "12-month", "24-mo", "2-yr"
        self.re_tp_adj = re.compile(rf"{at_num}\b(?P<num>{anynum})[-‐–](?P<u>month|year|week|mo|yr)\b", re.I)
        self.re_tp_space = re.compile(rf"{at_num}\b(?P<num>{anynum})\s(?P<u>month|year)\b(?!s)", re.I)
        # "12- and 24-month": the first number borrows the unit printed after the last one
        self.re_tp_elided = re.compile(
            rf"{at_num}\b(?P<num>{anynum})[-‐–](?=\s*(?:,|and|or)\s+(?:{anynum}[-‐–]\s*(?:,|and|or)\s+)*"
            rf"{anynum}[-‐–](?P<u>month|year|week)\b)",
            re.I,
        )
        self.re_tp_paren = re.compile(rf"\(\s*(?P<num>{NUM})\s?(?P<u>m|mo|months?)\s*\)(?=\s*:)", re.I)

        self.n_headers = [str(h).lower() for h in n.get("headers", ["n"])]
        self.re_cell_number = re.compile(rf"^\s*{QUAL}(?P<num>{NUM})\s*$")
        self.re_header_pct = re.compile(r"%|\bpercent", re.I)
        self.re_header_months = re.compile(r"\b(?:months?|mo)\b", re.I)

    def cell(self, text: str, header: str) -> list[Hit]:
        """A cell holding only a number ("90", "30.5"): its meaning comes from the column header: a
        patient count under "N"/"No. of patients", else a VALUE in the header's unit ("ORR (%)")."""
        m = self.re_cell_number.match(text)
        value = parse_number(m.group("num")) if m else None
        if m is None or value is None:
            return []
        h = " ".join(re.sub(r"[()\[\]:,]", " ", header.lower()).split())
        if (h in self.n_headers or any(f" {w} " in f" {h} " for w in self.n_headers if len(w) > 2)) and (
            value == int(value) and value > 0
        ):
            return [
                Hit(
                    "N", m.start("num"), m.end("num"), str(int(value)), {"value": int(value), "cue": "header"}
                )
            ]
        unit = (
            "%"
            if self.re_header_pct.search(header)
            else "months"
            if self.re_header_months.search(header)
            else ""
        )
        start = m.start("q") if m.group("q") else m.start("num")
        attrs = {"value": value, "unit": unit, "qualifier": _QUALS.get(m.group("q") or "", "")}
        return [Hit("VALUE", start, m.end("num"), f"{value:g}", attrs)]

    # -- numbers -------------------------------------------------------------------------------
    def number(self, text: str) -> float | None:
        """A digit string or a number word ('six', 'seventy-eight')."""
        v = parse_number(text)
        if v is not None:
            return v
        parts = text.lower().split("-")
        if all(p in self.words for p in parts):
            return float(sum(self.words[p] for p in parts))
        return None

    # -- finders -------------------------------------------------------------------------------
    def find(self, text: str) -> list[Hit]:
        hits = self.doses(text) + self.timepoints(text) + self.counts(text)
        hits += self._values(text, hits)
        return hits

    def _numbers(self, text: str) -> tuple[bool, bool]:
        """Whether `text` holds a digit, and a digit or a number word (guards for the finders)."""
        digit = _DIGIT.search(text) is not None
        if digit:
            return True, True
        if text.isascii():  # plain substrings suffice (no Unicode case equivalents of re.I to miss)
            low = text.lower()
            return False, any(w in low for w in self.words)
        return False, self.re_word.search(text) is not None

    def doses(self, text: str) -> list[Hit]:
        out: list[Hit] = []
        if "10" not in text:  # every dose is written with a power of ten (MULT)
            return out
        for m in self.re_dose.finditer(text):
            nums = re.findall(NUM, m.group("list") or "")
            values = [_times_power(x, m) for x in [*nums, m.group("last")]]
            seps = re.sub(NUM, "", m.group("list") or "").strip()
            qualifier = "range" if len(values) == 2 and re.fullmatch(r"[-–]|to", seps) else ""
            end = m.end()
            tail = text[end : end + 60]
            cut = self.re_dose_cut.search(tail)
            tail = tail[: cut.start()] if cut else tail
            adj = self.re_kg_adjacent.match(text, end)
            if adj:
                end = adj.end()
            unit = "cells/kg" if adj or self.re_kg.search(tail) else "cells"
            start = m.start("list") if nums else m.start("last")
            attrs: dict[str, Any] = {"values": values, "unit": unit, "qualifier": qualifier}
            bound = re.search(r"(≥|≤|>=|<=|>|<)\s?$", text[max(0, start - 3) : start])
            if bound:
                attrs["bound"] = _QUALS[bound.group(1)]
            canonical = ", ".join(f"{v:.10g}" for v in values) + f" {unit}"
            out.append(Hit("DOSE", start, end, canonical, attrs))
        return out

    def timepoints(self, text: str) -> list[Hit]:
        out: list[Hit] = []
        digit, number = self._numbers(text)
        if not number:
            return out
        finders = (self.re_tp_at, self.re_tp_adj, self.re_tp_elided, self.re_tp_space)
        for rx in (*finders, self.re_tp_paren) if digit else finders:
            for m in rx.finditer(text):
                n = self.number(m.group("num"))
                factor = self.tp_units.get(m.group("u").lower())
                if n is None or factor is None:
                    continue
                months = round(n * factor, 2)
                out.append(Hit("TIMEPOINT", m.start(), m.end(), f"{months:g}", {"months": months}))
        return out

    def counts(self, text: str) -> list[Hit]:
        out: list[Hit] = []
        seen: set[int] = set()  # one N per number
        digit, number = self._numbers(text)
        if not number:
            return out
        finders = ((self.re_n_eq, "n="), (self.re_n_verb, None)) if digit else ()
        for rx, cue in (*finders, (self.re_n_noun, None)):
            for m in rx.finditer(text):
                n = self.number(m.group("num").replace(",", ""))
                if n is None or n != int(n) or n <= 0 or m.start("num") in seen:
                    continue
                seen.add(m.start("num"))
                how = cue or (m.groupdict().get("verb") or m.groupdict().get("noun") or "").lower()
                out.append(Hit("N", m.start(), m.end(), str(int(n)), {"value": int(n), "cue": how}))
        for m in self.re_k_of_n.finditer(text) if digit else ():
            k, n = int(m.group("k")), int(m.group("n"))
            if k <= n:
                attrs = {"value": float(k), "unit": "patients", "qualifier": "", "denominator": n}
                out.append(Hit("VALUE", m.start("k"), m.end("k"), str(k), attrs))
        return out

    def _values(self, text: str, taken: list[Hit]) -> list[Hit]:
        hits: list[Hit] = []
        digit = _DIGIT.search(text) is not None
        for m in self.re_pct.finditer(text) if digit and "%" in text else ():
            if any(p.match(text, m.end()) for p in self.re_not_pct):
                continue
            hits.append(self._value(m, "%"))
        for m in self.re_months.finditer(text) if digit else ():
            u = (m.group("u") or "m").lower()
            hits.append(self._value(m, "months", 12.0 if u.startswith("y") else 1.0))
        for m in self.re_nr.finditer(text):
            hits.append(
                Hit("VALUE", m.start(), m.end(), "NR", {"value": None, "unit": "", "qualifier": "NR"})
            )
        for m in self.re_nr_code.finditer(text):
            s, e = m.span("code")
            hits.append(Hit("VALUE", s, e, "NR", {"value": None, "unit": "", "qualifier": "NR"}))
        hits += self._inherited(text, hits, taken)
        occupied = taken + hits
        for m in (
            self.re_colon_bare.finditer(text) if digit else ()
        ):  # "ORR: 85.2, with …": unit left to the metric
            if not _overlaps(m.start("num"), m.end("num"), occupied):
                hits.append(self._value(m, ""))
        return hits

    def _inherited(self, text: str, unit_hits: list[Hit], taken: list[Hit]) -> list[Hit]:
        """'70 vs 40%', '8.1 and 30.5 months': the bare number takes the unit after it."""
        out: list[Hit] = []
        todo = [h for h in unit_hits if h.attrs.get("unit")]
        while todo:
            h = todo.pop()
            m = self.re_inherit.search(text, max(0, h.start - 40), h.start)
            if not m or _overlaps(m.start(), m.end("num"), taken + unit_hits + out):
                continue
            unit = h.attrs["unit"]
            value = parse_number(m.group("num"))
            if value is None or (unit == "%" and value > 100):
                continue
            if unit == "months" and h.attrs.get("years"):
                value *= 12
            start = m.start("q") if m.group("q") else m.start("num")
            attrs = {
                "value": value,
                "unit": unit,
                "qualifier": _QUALS.get(m.group("q") or "", ""),
                "inherited_unit": True,
            }
            new = Hit("VALUE", start, m.end("num"), f"{value:g}", attrs)
            out.append(new)
            todo.append(new)
        return out

    @staticmethod
    def _value(m: re.Match[str], unit: str, factor: float = 1.0) -> Hit:
        value = parse_number(m.group("num"))
        value = None if value is None else round(value * factor, 6)
        start = m.start("q") if m.group("q") else m.start("num")
        attrs: dict[str, Any] = {
            "value": value,
            "unit": unit,
            "qualifier": _QUALS.get(m.group("q") or "", ""),
        }
        if factor != 1.0:
            attrs["years"] = True
        return Hit("VALUE", start, m.end(), f"{value:g}" if value is not None else "", attrs)


def _overlaps(start: int, end: int, hits: list[Hit]) -> bool:
    return any(start < h.end and h.start < end for h in hits)


# -- one table cell's value -------------------------------------------------------------------------
_FOOT = r"(?:[a-e](?![A-Za-z])|[ᵃᵇᶜᵈᵉ*†‡§])?"
_NOT_REPORTED = re.compile(
    r"^\s*(?:[–—\-]+|NE|NA|N/?A|n/?a|not\s+(?:estimable|evaluable|reported|available))\s*$"
)
_NR_CELL = re.compile(rf"^\s*(?:NR|not[\s-]+(?:yet\s+)?reached){_FOOT}(?:\s*[(\[].*)?$", re.I)
_K_OF_N = re.compile(rf"^\s*(?P<k>\d+)\s*/\s*(?P<n>\d+){_FOOT}\s*(?:\(\s*(?P<pct>{NUM})\s*%?\s*\))?\s*$")
_ONE = re.compile(
    rf"^\s*{QUAL}(?P<num>{NUM}){_FOOT}\s*(?P<u>%|mo(?:nths?)?(?=[a-e]?\b)|m\b)?{_FOOT}"
    rf"\s*(?:[(\[][^)\]]*[)\]]{_FOOT})?\s*$"
)
_RANGE = re.compile(rf"^\s*(?P<a>{NUM})\s*(?:[–—\-]|to)\s*(?P<b>{NUM}){_FOOT}\s*(?P<u>%)?\s*$")
_LIST = re.compile(rf"^\s*{NUM}(?:\s*/\s*{NUM})+{_FOOT}\s*$")
_PAIR = re.compile(rf"^\s*(?P<a>{NUM}){_FOOT}\s*(?:vs\.?|versus)\s*(?P<b>{NUM}){_FOOT}\s*$", re.I)


class CellValue:
    """What a value cell prints, read by one grammar: `kind` is "one" (a value, its CI or range in
    brackets aside), "nr" (not reached), "range" (two bounds), "list" (several values, "1/2/60"),
    "pair" ("271 vs 134"), "count" ("41/118", with `denominator`) or "percent" ("41/118 (35%)":
    the percentage, with `count` and `denominator`)."""

    __slots__ = ("count", "denominator", "kind", "qualifier", "unit", "values")

    def __init__(self, kind: str, values: list[float | None], unit: str = "", qualifier: str = "",
                 count: int | None = None, denominator: int | None = None) -> None:  # fmt: skip
        self.kind, self.values, self.unit, self.qualifier = kind, values, unit, qualifier
        self.count, self.denominator = count, denominator

    def __repr__(self) -> str:
        return f"CellValue({self.kind!r}, {self.values!r}, {self.unit!r}, {self.qualifier!r})"


def read_cell(text: str) -> CellValue | None:
    """The value a table cell prints, or None when it prints none (empty, a dash, "NE", words):
    "28.8 (22.4–37.9)" -> 28.8; "NR (40.5–NE)" -> not reached; "41/118 (35%)" -> 35 %, count 41 of
    118; "45ᵃ" -> 45; "0.1–320" -> range; "1/2/60/30" -> list; "271 vs 134" -> pair."""
    t = " ".join(text.split())
    if not t or _NOT_REPORTED.match(t):
        return None
    if _NR_CELL.match(t):
        return CellValue("nr", [None], qualifier="NR")
    m = _K_OF_N.match(t)
    if m:
        k, n = int(m.group("k")), int(m.group("n"))
        if m.group("pct"):
            return CellValue("percent", [parse_number(m.group("pct"))], "%", count=k, denominator=n)
        return CellValue("count", [float(k)], "patients", count=k, denominator=n)
    m = _ONE.match(t)
    if m:
        u = (m.group("u") or "").lower()
        unit = "%" if u == "%" else "months" if u else ""
        return CellValue("one", [parse_number(m.group("num"))], unit, _QUALS.get(m.group("q") or "", ""))
    m = _RANGE.match(t)
    if m:
        vals = [parse_number(m.group("a")), parse_number(m.group("b"))]
        return CellValue("range", vals, "%" if m.group("u") else "")  # type: ignore[arg-type]
    if _LIST.match(t):
        return CellValue("list", [parse_number(x) for x in re.findall(NUM, t)])
    m = _PAIR.match(t)
    if m:
        return CellValue("pair", [parse_number(m.group("a")), parse_number(m.group("b"))])
    return None
