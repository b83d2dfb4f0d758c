"""Counts and percentages written the way trial reports write them, beyond the value grammar of
values.py (which this module does not change):

- allocation counts: "612 were randomly assigned, 306 to the A group and 306 to the B group",
  "406 were randomised to A and 202 to B", "43 assigned to A and 39 to B" -> N hits with
  cue "randomised" (the total) or "allocated" (one arm each);
- arm splits in parentheses after a count: "494 patients (331 A, 163 B)" -> two "allocated" N hits
  when they add up to a count printed just before;
- percentages in words: "Seventy-five percent of patients" -> VALUE 75 %;
- mass doses: "10 mg", "150 µg/kg", "28 µg/day" -> DOSE hits (values.py reads cell doses, 450x10^6);
  a dose per body-surface area or volume ("500 mg per square metre") is left alone.
Cue words (allocation verbs, percent words) come from rules/ner.yml `quantities`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pipeline.ner.hits import Hit

_INT = r"\d{1,3}(?:,\d{3})+(?!\d)|\d{1,5}"


def _alt(words: list[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


class QuantityFinder:
    def __init__(self, cfg: Mapping[str, Any], number_words: Mapping[str, int]) -> None:
        q = cfg.get("quantities", {}) or {}
        verbs = _alt(q.get("allocation_verbs", ["randomised", "randomized", "assigned", "allocated"]))
        self.words = {k.lower(): int(v) for k, v in number_words.items()}
        self.context = re.compile(rf"\b(?:randomly\s+)?(?:{verbs})\b", re.IGNORECASE)
        # "612 were randomly assigned" (a total) / "406 were randomised to A", "306 to the A group" (an arm)
        self.re_alloc = re.compile(
            rf"(?<![\w.,/%·-])(?P<num>{_INT})\s+(?:patients\s+)?"
            rf"(?:(?P<verb>(?:were|was)\s+(?:randomly\s+)?(?:{verbs}))(?:\s+\d:\d)?(?P<to>\s+to\b)?"
            rf"|(?:(?:randomly\s+)?(?:{verbs})\s+)?to\s+(?:the\s+|receive\s+)?(?=[A-Za-z]))",
            re.IGNORECASE,
        )
        self.re_split = re.compile(
            rf"\(\s*(?P<a>{_INT})\s+(?P<pa>[A-Za-z][^,;()%\d]{{0,40}}?)\s*[,;]\s*(?P<b>{_INT})\s+"
            rf"(?P<pb>[A-Za-z][^,;()%\d]{{0,40}}?)\s*\)"
        )
        units = _alt(q.get("dose_units", ["mg/kg", "mg"]))
        self.re_mass = re.compile(rf"(?<![\w.])(?P<num>\d+(?:\.\d+)?)\s?(?P<u>{units})(?![\w/²])(?!\s+per\b)")
        pct = _alt(q.get("percent_words", ["percent", "per cent"]))
        word = _alt(list(self.words)) or r"(?!x)x"
        self.re_word_pct = re.compile(
            rf"\b(?P<num>(?:{word})(?:[-\s](?:{word}))?)\s+(?:{pct})\b", re.IGNORECASE
        )

    def find(self, text: str) -> list[Hit]:
        return self.allocations(text) + self.splits(text) + self.word_percents(text) + self.mass_doses(text)

    def mass_doses(self, text: str) -> list[Hit]:
        out: list[Hit] = []
        for m in self.re_mass.finditer(text) if "g" in text else ():
            v = float(m.group("num"))
            unit = m.group("u").replace("μ", "µ")
            attrs = {"values": [v], "unit": unit, "qualifier": ""}
            out.append(Hit("DOSE", m.start(), m.end(), f"{v:g} {unit}", attrs))
        return out

    def allocations(self, text: str) -> list[Hit]:
        out: list[Hit] = []
        if not self.context.search(text):
            return out
        for m in self.re_alloc.finditer(text):
            n = int(m.group("num").replace(",", ""))
            if n <= 0:
                continue
            if m.group("verb") and not m.group("to"):
                cue = "randomised"
            else:
                window = text[max(0, m.start() - 250) : m.start()]
                if not (m.group("verb") or self.context.search(window)):
                    continue  # "from 5 to 8" far from any allocation verb
                cue = "allocated"
            out.append(Hit("N", m.start("num"), m.end("num"), str(n), {"value": n, "cue": cue}))
        return out

    def splits(self, text: str) -> list[Hit]:
        out: list[Hit] = []
        for m in self.re_split.finditer(text):
            a, b = int(m.group("a").replace(",", "")), int(m.group("b").replace(",", ""))
            before = text[max(0, m.start() - 120) : m.start()]
            totals = {int(x.replace(",", "")) for x in re.findall(_INT, before)}
            if a + b not in totals:
                continue  # the two counts must split a count printed just before
            for g in ("a", "b"):
                v = int(m.group(g).replace(",", ""))
                out.append(Hit("N", m.start(g), m.end(g), str(v), {"value": v, "cue": "allocated"}))
        return out

    def word_percents(self, text: str) -> list[Hit]:
        out: list[Hit] = []
        for m in self.re_word_pct.finditer(text):
            parts = re.split(r"[-\s]", m.group("num").lower())
            if not all(p in self.words for p in parts):
                continue
            v = float(sum(self.words[p] for p in parts))
            attrs = {"value": v, "unit": "%", "qualifier": "", "words": True}
            out.append(Hit("VALUE", m.start(), m.end(), f"{v:g}", attrs))
        return out
