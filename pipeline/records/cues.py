"""Rules of stage 3 compiled once: metric phrases, column-role words, arm, cohort, subgroup and design
cues (rules/records.yml, rules/metrics.yml, rules/products.yml). No domain word lives in code."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pipeline.rules import Rules

# A dose as printed: "450x10^6", "0.75 x 10^6", "450x106" (exponent lost its superscript), and lists
# or ranges whose last item carries the exponent ("50, 150, 450 or 800x10^6", "150-450x10^6").
NUM = r"\d+(?:\.\d+)?"
DOSE_RE = (
    rf"(?:{NUM}\s*(?:,\s*(?:or\s+|and\s+)?|\s+or\s+|\s+and\s+|\s*[-–]\s*))*"
    rf"{NUM}\s*[x×]\s*10\s*\^?\s*\d{{1,2}}(?![\d.])"
)
WORD_NUMBERS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "eighteen": 18, "twenty-four": 24,
}  # fmt: skip


def phrase_pattern(phrase: str) -> str:
    """Regex for a phrase: its word and symbol pieces with optional spaces or hyphens between them,
    so that "MRD neg" matches "MRD-neg" and "follow-up" matches a line-broken "follow- up"."""
    pieces = re.findall(r"[A-Za-z0-9]+|[^\sA-Za-z0-9\-]", phrase)
    body = r"[\s\-]*".join(re.escape(p) for p in pieces)
    return rf"(?<![A-Za-z0-9]){body}s?(?![A-Za-z0-9])"


_TOKEN = re.compile(r"[A-Za-z0-9]+|[^\sA-Za-z0-9\-]")


class PhraseIndex:
    """Longest-match lookup of phrases over word tokens, case-insensitive; spaces and hyphens between
    tokens do not matter ("MRD neg" finds "MRD-neg") and a final plural "s" is allowed. A dictionary
    walk instead of one big regex alternation: linear in the text, whatever the vocabulary size."""

    def __init__(self, phrases: dict[str, str]) -> None:
        self.index: dict[tuple[str, ...], str] = {}
        for phrase, value in phrases.items():
            toks = tuple(t.lower() for t in _TOKEN.findall(phrase))
            if toks:
                self.index.setdefault(toks, value)
        self.lengths: dict[str, list[int]] = {}  # first token -> phrase lengths, longest first
        for k in self.index:
            for first in (k[0], k[0] + "s") if len(k) == 1 else (k[0],):
                self.lengths.setdefault(first, []).append(len(k))
        for v in self.lengths.values():
            v.sort(reverse=True)

    def find(self, text: str) -> list[tuple[int, int, str]]:
        toks = [(m.start(), m.end(), m.group().lower()) for m in _TOKEN.finditer(text)]
        out, i = [], 0
        while i < len(toks):
            for n in self.lengths.get(toks[i][2], ()):
                if i + n > len(toks):
                    continue
                words = [t[2] for t in toks[i : i + n]]
                if any(toks[k + 1][0] - toks[k][1] > 2 for k in range(i, i + n - 1)):
                    continue  # pieces of a phrase sit next to each other
                key = tuple(words)
                value = self.index.get(key)
                if value is None and words[-1].endswith("s"):
                    value = self.index.get((*key[:-1], words[-1][:-1]))
                if value is not None:
                    out.append((toks[i][0], toks[i + n - 1][1], value))
                    i += n
                    break
            else:
                i += 1
        return out


def norm_key(text: str) -> str:
    """Comparison key of a name: lower case, letters and digits only ("KarMMA-1" == "karmma1")."""
    return re.sub(r"[^a-z0-9]", "", text.lower())


@dataclass
class Cues:
    metric_codes: dict[str, str]  # printed phrase (lower) -> metric code
    metric_units: dict[str, str]
    median_of: dict[str, str]
    metrics_index: PhraseIndex
    column_words: dict[str, list[str]]
    designs: dict[str, list[str]]
    control_words: list[str]
    cohort_re: re.Pattern[str]
    subgroups: dict[str, str]  # printed form (lower) -> canonical label
    subgroup_index: PhraseIndex
    subgroup_patterns: list[tuple[re.Pattern[str], str]]
    respectively_re: re.Pattern[str]
    author_re: re.Pattern[str]
    value_before_metric_re: re.Pattern[str]
    products: dict[str, tuple[str, str]]  # alias (lower) -> (canonical, target)
    product_index: PhraseIndex
    trial_stop: set[str] = field(default_factory=set)

    def product_of(self, printed: str) -> tuple[str, str]:
        """(canonical, target) of a printed product name, ("", "") when unknown."""
        key = norm_key(printed)
        return self.products.get(key) or self.products.get(key.rstrip("s")) or ("", "")


def compile_cues(rules: Rules) -> Cues:
    rec = rules.get("records") or {}
    met = (rules.get("metrics") or {}).get("metrics", {})
    codes: dict[str, str] = {}
    units: dict[str, str] = {}
    for code, spec in met.items():
        units[code] = spec.get("unit", "")
        if code in ("N", "DOSE"):  # counts and doses have their own patterns
            continue
        for syn in spec.get("synonyms", []):
            codes.setdefault(str(syn).lower(), code)
    for code, phrases in (rec.get("text_metric_phrases") or {}).items():
        for p in phrases:
            codes.setdefault(str(p).lower(), code)
    subgroups = {
        str(p).lower(): label for label, forms in (rec.get("subgroups") or {}).items() for p in forms
    }
    patterns = []
    for item in rec.get("subgroup_patterns") or []:
        pat = item["pattern"].replace("{dose}", DOSE_RE)
        patterns.append((re.compile(pat, re.IGNORECASE), item["label"]))
    products: dict[str, tuple[str, str]] = {}
    names_seen: list[str] = []
    for p in (rules.get("products") or {}).get("products", []):
        names = [p.get("canonical", ""), p.get("inn", "")] + list(p.get("brands") or [])
        names += list(p.get("codes") or []) + list(p.get("aliases") or [])
        for name in names:
            if name:
                names_seen.append(str(name))
                products[norm_key(str(name))] = (p["canonical"], p.get("target", ""))
    product_index = PhraseIndex({name: name for name in names_seen})
    resp = rec.get("respectively") or ["respectively"]
    return Cues(
        metric_codes=codes,
        metric_units=units,
        median_of=(rules.get("metrics") or {}).get("median_of", {}),
        metrics_index=PhraseIndex(codes),
        column_words=rec.get("columns") or {},
        designs=rec.get("designs") or {},
        control_words=[str(w).lower() for w in (rec.get("arms") or {}).get("control", [])],
        cohort_re=re.compile(rec.get("cohort_pattern") or r"(?!x)x", re.IGNORECASE),
        subgroups=subgroups,
        subgroup_index=PhraseIndex(subgroups),
        subgroup_patterns=patterns,
        respectively_re=re.compile("|".join(rf"\b{re.escape(w)}\b" for w in resp), re.IGNORECASE),
        author_re=re.compile(rec.get("author_cue") or r"(?!x)x"),
        value_before_metric_re=re.compile(rec.get("value_before_metric") or r"^\s*$", re.IGNORECASE),
        products=products,
        product_index=product_index,
        trial_stop={str(w).lower() for w in rec.get("trial_stopwords") or []},
    )
