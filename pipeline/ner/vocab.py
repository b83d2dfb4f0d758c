"""Vocabularies from rules/ (products, targets, trials, registry, metrics, arm cues) and the fuzzy
normalisation of near misses (rapidfuzz). A near match is only tried on a token that looks like a
name, and every normalisation is reported (attrs variant/raw/score), never silent."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from pipeline.rules import Rules


class RulesError(ValueError):
    """A rules file with a missing or malformed entry; the message names the file and entry."""


@dataclass(frozen=True)
class Entry:
    label: str
    form: str  # the printed form this entry matches
    canonical: str
    attrs: Mapping[str, Any] = field(default_factory=dict, hash=False, compare=False)
    case_sensitive: bool = False


def _digits(s: str) -> str:
    return "".join(c for c in s if c.isdigit())


def _list(value: Any, where: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list):
        raise RulesError(f"{where}: expected a list of names, got {type(value).__name__}")
    return [str(v) for v in value]


def _entries(rules: Rules, name: str, key: str) -> list[dict[str, Any]]:
    data = rules.get(name) or {}
    items = data.get(key, []) if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise RulesError(f"rules/{name}.yml: `{key}:` must be a list")
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise RulesError(f"rules/{name}.yml: entry {i + 1} of `{key}:` is not a mapping")
    return items


def metric_variants(form: str) -> list[str]:
    """A metric phrase as papers print it: spaces and hyphens between words are interchangeable
    ("MRD negativity" / "MRD-negativity") and a final lower-case noun may be plural ("complete
    responses"). Abbreviations (CR, ORR) keep their one form."""
    out = [form, form.replace(" ", "-"), form.replace("-", " ")]
    last = re.split(r"[\s-]", form)[-1]
    if len(last) > 3 and last.isalpha() and last.islower() and not last.endswith("s"):
        out += [f + "s" for f in out]
    return list(dict.fromkeys(out))


class Vocabulary:
    def __init__(self, rules: Rules, cfg: Mapping[str, Any]) -> None:
        self.entries: list[Entry] = list(self._build(rules, cfg))
        fz = cfg.get("fuzzy", {})
        self.min_length = int(fz.get("min_length", 6))
        self.product_score = float(fz.get("product_score", 85))
        self.trial_score = float(fz.get("trial_score", 85))
        self.inn_first = float(fz.get("inn_first_word_score", 92))
        self.inn_score = float(fz.get("inn_score", 80))
        self.short_min = int(fz.get("short_min_length", 4))
        self.short_max = int(fz.get("short_max_distance", 1))
        self.metric_followers = set(fz.get("metric_followers", [":"]))
        self.never = [re.compile(p) for p in fz.get("never", [])]
        self.exact_forms = {e.form for e in self.entries}
        single = [e for e in self.entries if " " not in e.form]
        self._fuzzy: dict[str, list[Entry]] = {
            label: [e for e in single if e.label == label and len(e.form) >= self.min_length - 2]
            for label in ("PRODUCT", "TRIAL")
        }
        self._short: dict[str, list[Entry]] = {
            label: [e for e in single if e.label == label and len(e.form) >= self.short_min]
            for label in ("TARGET", "METRIC")
        }
        # candidates keyed by their digits: a near miss keeps a name's digits ("ALPHAMM-1" is no
        # near miss of "ALPHAMM-4"), so only entries with the same digits are ever scored
        self._by_digits: dict[str, dict[str, tuple[list[Entry], list[str]]]] = {}
        for label, entries in self._fuzzy.items():
            groups: dict[str, tuple[list[Entry], list[str]]] = {}
            for e in entries:
                group = groups.setdefault(_digits(e.form), ([], []))
                group[0].append(e)
                group[1].append(e.form.lower())
            self._by_digits[label] = groups
        self._inns = [e for e in self.entries if e.label == "PRODUCT" and e.form.count(" ") == 1]
        self._inn_words = [(e, *e.form.lower().split(" "), e.form.lower()) for e in self._inns]
        self.target_of = {e.form.lower(): e.canonical for e in self.entries if e.label == "TARGET"}

    @staticmethod
    def _build(rules: Rules, cfg: Mapping[str, Any]) -> Iterator[Entry]:
        for p in _entries(rules, "products", "products"):
            if not p.get("canonical"):
                raise RulesError(f"rules/products.yml: entry without `canonical`: {p}")
            attrs = {"target": str(p.get("target") or ""), "generic": False}
            where = f"rules/products.yml ({p['canonical']})"
            forms = [p["canonical"], *_list(p.get("inn"), where), *_list(p.get("brands"), where)]
            codes = _list(p.get("codes"), where)
            forms += codes + _list(p.get("aliases"), where)
            for f in dict.fromkeys(forms):
                # a development code: a paper that names the product only so is reported by it
                yield Entry(
                    "PRODUCT", f, str(p["canonical"]), {**attrs, "code": True} if f in codes else attrs
                )
        for t in _entries(rules, "targets", "targets"):
            if not t.get("canonical"):
                raise RulesError(f"rules/targets.yml: entry without `canonical`: {t}")
            where = f"rules/targets.yml ({t['canonical']})"
            for f in dict.fromkeys([t["canonical"], *_list(t.get("aliases"), where)]):
                yield Entry("TARGET", f, str(t["canonical"]), {}, bool(t.get("case_sensitive")))
        for source in ("registry", "trials"):
            for t in _entries(rules, source, "trials"):
                if not t.get("name"):
                    raise RulesError(f"rules/{source}.yml: trial without `name`: {t}")
                where = f"rules/{source}.yml ({t['name']})"
                attrs = {"generic": False, "product": str(t.get("product") or "")}
                for f in dict.fromkeys([t["name"], *_list(t.get("aliases"), where)]):
                    yield Entry("TRIAL", f, str(t["name"]), attrs, bool(t.get("case_sensitive")))
        metrics = (rules.get("metrics") or {}).get("metrics") or {}
        skip = set(cfg.get("metric_skip", []))
        for code, spec in metrics.items():
            if code in skip:
                continue
            forms = _list((spec or {}).get("synonyms"), f"rules/metrics.yml ({code})")
            for v in dict.fromkeys(v for f in forms for v in metric_variants(f)):
                yield Entry("METRIC", v, str(code), {})
        arm = cfg.get("arm", {})
        for canonical in ("control", "vs"):
            for f in _list(arm.get(canonical), f"rules/ner.yml arm.{canonical}"):
                yield Entry("ARM", f, canonical, {}, f.isupper() and len(f) <= 4)

    # -- fuzzy --------------------------------------------------------------------------------------
    def looks_like_name(self, text: str) -> bool:
        return (
            any(c.isalpha() for c in text)
            and (any(c.isupper() for c in text) or "-" in text or any(c.isdigit() for c in text))
            and not any(rx.search(text) for rx in self.never)
        )

    def near(self, text: str, label: str) -> tuple[Entry, float] | None:
        """The vocabulary entry a printed name (one token) is a near miss of, with its score."""
        if len(text) < self.min_length or not self.looks_like_name(text):
            return None
        cutoff = self.product_score if label == "PRODUCT" else self.trial_score
        choices, forms = self._by_digits.get(label, {}).get(_digits(text), ([], []))
        if not choices:
            return None
        best = process.extractOne(text.lower(), forms, scorer=fuzz.ratio, score_cutoff=cutoff)
        return (choices[best[2]], round(best[1], 1)) if best else None

    def near_short(self, text: str, label: str) -> tuple[Entry, float] | None:
        """Short capitalised names (antigens, metric labels): one edit (OSA) away from an entry."""
        if len(text) < self.short_min or sum(c.isupper() for c in text) < 2 or not self.looks_like_name(text):
            return None
        if label == "TARGET":
            if text != text.upper():  # "tACE" is another word; misspelt antigens keep their capitals
                return None
            text_cmp, pairs = text.upper(), [(e.form.upper(), e) for e in self._short["TARGET"]]
        else:
            text_cmp, pairs = text, [(e.form, e) for e in self._short["METRIC"]]
        if any(form in text_cmp for form, _ in pairs):  # an affixed form (sBCMA) is not a misspelling
            return None
        for form, e in pairs:
            if (
                abs(len(form) - len(text_cmp)) <= self.short_max
                and OSA.distance(text_cmp, form) <= self.short_max
            ):
                return e, round(fuzz.ratio(text, e.form), 1)
        return None

    def near_inn(self, first: str, second: str | None) -> tuple[Entry, float, bool] | None:
        """Two-word INNs ("Zevorcabtagene autoleukemia" for "zevorcabtagene autoleucel"): first word (almost) exact; returns the entry,
        the score of the phrase and whether the second word belongs to it."""
        first_lower = first.lower()
        for e, a, _, form in self._inn_words:
            if fuzz.ratio(first_lower, a) < self.inn_first:
                continue
            if second is not None:
                score = fuzz.ratio(f"{first} {second}".lower(), form)
                if score >= self.inn_score:
                    return e, round(score, 1), True
            return e, round(fuzz.ratio(first_lower, form), 1), False
        return None
