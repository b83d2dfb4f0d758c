"""Rules of stage 3 compiled once: metric phrases, column-role words, arm, cohort, subgroup and design
cues (rules/records.yml, rules/metrics.yml, rules/products.yml). No domain word lives in code."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pipeline.model import Mention
from pipeline.ner.values import ValueFinder
from pipeline.records.unnamed import Unnamed
from pipeline.records.unnamed import build as unnamed_build
from pipeline.rules import Rules

# A dose as printed: "450x10^6", "0.75 x 10^6", "450x106" (exponent lost its superscript), and lists
# or ranges whose last item carries the exponent ("50, 150, 450 or 800x10^6", "150-450x10^6").
NUM = r"\d+(?:\.\d+)?"
DOSE_RE = (
    rf"(?:{NUM}\s*(?:,\s*(?:or\s+|and\s+)?|\s+or\s+|\s+and\s+|\s*[-–]\s*))*"
    rf"{NUM}\s*[x×]\s*10\s*\^?\s*\d{{1,2}}(?![\d.])"
)


def phrase_pattern(phrase: str) -> str:
    """Regex for a phrase: its word and symbol pieces with optional spaces or hyphens between them,
    so that "MRD neg" matches "MRD-neg" and "follow-up" matches a line-broken "follow- up"."""
    pieces = re.findall(r"[A-Za-z0-9]+|[^\sA-Za-z0-9\-]", phrase)
    body = r"[\s\-]*".join(re.escape(p) for p in pieces)
    return rf"(?<![A-Za-z0-9]){body}s?(?![A-Za-z0-9])"


def first_canonical(ms: list[Mention], label: str) -> str:
    """The canonical form of the first mention with this label, else ""."""
    return next((m.canonical for m in ms if m.label == label), "")


def norm_key(text: str) -> str:
    """Comparison key of a name: lower case, letters and digits only ("AlphaMM-1" == "alphamm1")."""
    return re.sub(r"[^a-z0-9]", "", text.lower())


@dataclass
class Cues:
    metric_codes: dict[str, str]  # printed phrase (lower) -> metric code
    metric_units: dict[str, str]
    median_of: dict[str, str]
    column_words: dict[str, list[str]]
    designs: dict[str, list[str]]
    control_words: list[str]
    comparator_hints: list[str]
    flow: dict  # flow-diagram boxes: arm / randomised / whole_arm patterns, populations label -> patterns  # in an arm phrase of a sentence, words that name the comparator
    subgroups: dict[str, str]  # printed form (lower) -> canonical label
    subgroup_patterns: list[tuple[re.Pattern[str], str]]
    respectively_re: re.Pattern[str]
    author_re: re.Pattern[str]
    value_before_metric_re: re.Pattern[str]
    mean_re: re.Pattern[str]  # a mean/average cue right before a metric phrase ("mean follow-up")
    subset_re: re.Pattern[str]  # after a patient count: the trait naming a subset ("with prior X")
    subset_enrolled_re: re.Pattern[str]  # "6 patients enrolled in the X study received Y": group `g`
    count_part_re: re.Pattern[str]  # one item of "(12 in phase Ib and 31 in phase II)": groups k, g
    not_study_count_re: re.Pattern[str]  # after a patient count: it counts no study population
    scope_opening_re: re.Pattern[str]  # "Among patients with X, …": the sentence is about subgroup X
    scope_relative_re: re.Pattern[str]  # "… among those with X, in whom …"
    scope_count_re: re.Pattern[str]  # "in the 61 patients who had received X, …": groups `n`, `g`
    scope_anaphora_re: re.Pattern[str]  # "In this subgroup, …": the previous sentence's subgroup
    scope_clauses: list[re.Pattern[str]]  # "…; for patients treated at X, …": group `g`, none = whole study
    scope_contrast_re: re.Pattern[str]  # "patients with X had … than those without X": groups a, b
    scope_populations: list[tuple[re.Pattern[str], str]]  # "the analysis of the treated patients"
    zero_before_metric_re: re.Pattern[str]  # "no grade ≥3 ICANS", "without any …": a rate of 0%
    data_cut_re: re.Pattern[str]  # a named data cut ("at the final analysis", "with longer follow-up")
    pooled_re: re.Pattern[str]  # a pooled estimate of a meta-analysis ("the pooled CR rate")
    pooled_population_re: re.Pattern[str]  # its population, group `g`
    treated_of_enrolled_re: re.Pattern[str]  # "Of 410 registered, 255 received X": groups a, g, b
    pooled_count_re: re.Pattern[str]  # a patient count over several included studies, group `n`/`m`
    table: TableCues | None = None  # how table headers and labels are read (tablecells.py)
    unnamed: Unnamed = field(default_factory=Unnamed)  # studies without a product name (unnamed.py)
    # per design word, one pattern: any of its phrases starting at a word boundary
    _design_res: list[tuple[str, re.Pattern[str]]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._design_res = [
            (word, re.compile("|".join(rf"\b{re.escape(str(p).lower())}" for p in phrases)))
            for word, phrases in self.designs.items()
            if phrases
        ]

    def design_word(self, text: str) -> str:
        """The design word (rwe, retro, …) whose phrases the text uses, for ids of unnamed studies."""
        low = text.lower()
        return next((word for word, rx in self._design_res if rx.search(low)), "")


@dataclass
class TableCues:
    """Header and row-label reading: metric phrases, grade ≥3 event names under a grade cue, header
    words of numbers that are no schema metric, baseline-table caption words, the value grammar."""

    metric_re: re.Pattern[str]  # every metric phrase (group name = its index in `metric_of`)
    metric_of: list[str]
    grade_re: re.Pattern[str]
    events: list[tuple[re.Pattern[str], str]]
    nonschema_re: re.Pattern[str]
    baseline_re: re.Pattern[str]
    values: ValueFinder
    whole_rows: frozenset[str] = frozenset()  # row labels naming the whole population ("Overall")
    note_population_re: re.Pattern[str] = re.compile(r"(?!x)x")  # a table note describing patients


def _words_re(words: list[str], flags: int = re.IGNORECASE) -> re.Pattern[str]:
    alts = sorted({str(w) for w in words}, key=len, reverse=True)
    return re.compile("|".join(phrase_pattern(w) for w in alts) or r"(?!x)x", flags)


def compile_table_cues(rules: Rules, codes: dict[str, str]) -> TableCues:
    rec = rules.get("records") or {}
    grade = (rules.get("metrics") or {}).get("grade3") or {}
    phrases = sorted(codes, key=len, reverse=True)
    metric_re = re.compile("|".join(f"(?P<m{i}>{phrase_pattern(p)})" for i, p in enumerate(phrases)),
                           re.IGNORECASE)  # fmt: skip
    events = [(_words_re(ws), code) for code, ws in (grade.get("events") or {}).items()]
    return TableCues(
        metric_re=metric_re,
        metric_of=[codes[p] for p in phrases],
        grade_re=_words_re(grade.get("cues") or []),
        events=events,
        nonschema_re=_words_re(rec.get("nonschema_headers") or [], 0),
        baseline_re=_words_re(rec.get("baseline_captions") or []),
        values=ValueFinder(rules.get("ner") or {}),
        whole_rows=frozenset(str(w).lower() for w in rec.get("whole_population_rows") or []),
        note_population_re=re.compile(rec.get("note_population") or r"(?!x)x", re.IGNORECASE),
    )


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
    subgroups = {
        str(p).lower(): label for label, forms in (rec.get("subgroups") or {}).items() for p in forms
    }
    patterns = []
    for item in rec.get("subgroup_patterns") or []:
        pat = item["pattern"].replace("{dose}", DOSE_RE)
        patterns.append((re.compile(pat, re.IGNORECASE), item["label"]))
    resp = rec.get("respectively") or ["respectively"]
    scope = rec.get("subgroup_scope") or {}
    return Cues(
        metric_codes=codes,
        metric_units=units,
        median_of=(rules.get("metrics") or {}).get("median_of", {}),
        column_words=rec.get("columns") or {},
        designs=rec.get("designs") or {},
        control_words=[str(w).lower() for w in (rec.get("arms") or {}).get("control", [])],
        flow=_flow(rec.get("flow") or {}),
        comparator_hints=[str(w).lower() for w in (rec.get("arms") or {}).get("comparator_hints", [])],
        subgroups=subgroups,
        subgroup_patterns=patterns,
        respectively_re=re.compile("|".join(rf"\b{re.escape(w)}\b" for w in resp), re.IGNORECASE),
        author_re=re.compile(rec.get("author_cue") or r"(?!x)x"),
        value_before_metric_re=re.compile(rec.get("value_before_metric") or r"^\s*$", re.IGNORECASE),
        subset_re=re.compile(rec.get("subset_after_count") or r"(?!x)x", re.IGNORECASE),
        subset_enrolled_re=re.compile(rec.get("subset_of_enrolled") or r"(?!x)x", re.IGNORECASE),
        count_part_re=re.compile(rec.get("count_part") or r"(?!x)x", re.IGNORECASE),
        not_study_count_re=re.compile(rec.get("not_study_count") or r"(?!x)x", re.IGNORECASE),
        scope_opening_re=re.compile(scope.get("opening") or r"(?!x)x", re.IGNORECASE),
        scope_relative_re=re.compile(scope.get("relative") or r"(?!x)x", re.IGNORECASE),
        zero_before_metric_re=re.compile(rec.get("zero_before_metric") or r"(?!x)x", re.IGNORECASE),
        data_cut_re=re.compile(rec.get("data_cut") or r"(?!x)x", re.IGNORECASE),
        pooled_re=re.compile((rec.get("pooled") or {}).get("cue") or r"(?!x)x", re.IGNORECASE),
        pooled_population_re=re.compile(
            (rec.get("pooled") or {}).get("population") or r"(?!x)x", re.IGNORECASE
        ),
        treated_of_enrolled_re=re.compile(rec.get("treated_of_enrolled") or r"(?!x)x"),
        pooled_count_re=re.compile((rec.get("pooled") or {}).get("count") or r"(?!x)x", re.IGNORECASE),
        scope_count_re=re.compile(scope.get("count") or r"(?!x)x", re.IGNORECASE),
        scope_anaphora_re=re.compile(scope.get("anaphora") or r"(?!x)x", re.IGNORECASE),
        scope_clauses=[re.compile(str(p), re.IGNORECASE) for p in _listed(scope.get("clause"))],
        scope_contrast_re=re.compile(scope.get("contrast") or r"(?!x)x", re.IGNORECASE),
        scope_populations=[
            (re.compile(str(p), re.IGNORECASE), str(label))
            for label, pats in (scope.get("populations") or {}).items()
            for p in pats
        ],
        mean_re=re.compile(
            rf"\b(?:{'|'.join(re.escape(str(w)) for w in rec.get('mean_cues') or ['mean'])})\s+$",
            re.IGNORECASE,
        ),
        table=compile_table_cues(rules, codes),
        unnamed=unnamed_build(rec.get("unnamed_studies") or {}),
    )


def _listed(spec) -> list:
    """A rules entry given as one pattern or a list of them."""
    return [spec] if isinstance(spec, str) else list(spec or [])


def _flow(spec: dict) -> dict:
    """rules/records.yml `flow`, its patterns checked to compile (rules are validated when loaded)."""
    out = {k: [str(p) for p in spec.get(k) or []] for k in ("arm", "randomised", "whole_arm")}
    out["populations"] = {str(k): [str(p) for p in v] for k, v in (spec.get("populations") or {}).items()}
    for pat in [*out["arm"], *out["randomised"], *out["whole_arm"], *sum(out["populations"].values(), [])]:
        re.compile(pat)
    return out
