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


def norm_key(text: str) -> str:
    """Comparison key of a name: lower case, letters and digits only ("KarMMA-1" == "karmma1")."""
    return re.sub(r"[^a-z0-9]", "", text.lower())


def alternation(phrases: dict[str, str]) -> re.Pattern[str]:
    """One case-insensitive regex over phrase -> code, longest phrases first; the group name is
    looked up through `lastgroup` = g<index>."""
    items = sorted(phrases.items(), key=lambda kv: -len(kv[0]))
    parts = [f"(?P<g{i}>{phrase_pattern(p)})" for i, (p, _) in enumerate(items)]
    return re.compile("|".join(parts) or r"(?!x)x", re.IGNORECASE)


@dataclass
class Cues:
    metric_codes: dict[str, str]  # printed phrase (lower) -> metric code
    metric_units: dict[str, str]
    median_of: dict[str, str]
    metric_re: re.Pattern[str]
    metric_keys: list[str]
    column_words: dict[str, list[str]]
    designs: dict[str, list[str]]
    control_words: list[str]
    cohort_re: re.Pattern[str]
    subgroups: dict[str, str]  # printed form (lower) -> canonical label
    subgroup_re: re.Pattern[str]
    subgroup_patterns: list[tuple[re.Pattern[str], str]]
    respectively_re: re.Pattern[str]
    author_re: re.Pattern[str]
    value_before_metric_re: re.Pattern[str]
    products: dict[str, tuple[str, str]]  # alias (lower) -> (canonical, target)
    product_re: re.Pattern[str]
    trial_stop: set[str] = field(default_factory=set)

    def product_of(self, printed: str) -> tuple[str, str]:
        """(canonical, target) of a printed product name, ("", "") when unknown."""
        key = norm_key(printed)
        return self.products.get(key) or self.products.get(key.rstrip("s")) or ("", "")

    def metric_at(self, m: re.Match[str]) -> str:
        return self.metric_codes[self.metric_keys[int(m.lastgroup[1:])]]


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
    keys = sorted(codes, key=lambda k: -len(k))
    metric_re = alternation({k: codes[k] for k in keys})
    subgroups = {str(p).lower(): label for label, forms in (rec.get("subgroups") or {}).items() for p in forms}
    sub_keys = sorted(subgroups, key=lambda k: -len(k))
    subgroup_re = re.compile("|".join(phrase_pattern(k) for k in sub_keys) or r"(?!x)x", re.IGNORECASE)
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
    product_keys = sorted(names_seen, key=lambda k: -len(k))
    product_re = re.compile("|".join(phrase_pattern(k) for k in product_keys) or r"(?!x)x", re.IGNORECASE)
    resp = rec.get("respectively") or ["respectively"]
    return Cues(
        metric_codes=codes,
        metric_units=units,
        median_of=(rules.get("metrics") or {}).get("median_of", {}),
        metric_re=metric_re,
        metric_keys=keys,
        column_words=rec.get("columns") or {},
        designs=rec.get("designs") or {},
        control_words=[str(w).lower() for w in (rec.get("arms") or {}).get("control", [])],
        cohort_re=re.compile(rec.get("cohort_pattern") or r"(?!x)x", re.IGNORECASE),
        subgroups=subgroups,
        subgroup_re=subgroup_re,
        subgroup_patterns=patterns,
        respectively_re=re.compile("|".join(rf"\b{re.escape(w)}\b" for w in resp), re.IGNORECASE),
        author_re=re.compile(rec.get("author_cue") or r"(?!x)x"),
        value_before_metric_re=re.compile(rec.get("value_before_metric") or r"^\s*$", re.IGNORECASE),
        products=products,
        product_re=product_re,
        trial_stop={str(w).lower() for w in rec.get("trial_stopwords") or []},
    )
