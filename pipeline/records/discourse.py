"""The paper's discourse as sentences are read in order: which study a sentence without a trial name
is about, and the boxes of a flow diagram.

Which study, best first: the trial named in the sentence (from_text) > the trial of the section
heading ("3.2 KESTREL-4", when the heading names one trial) > the paragraph's topic (the first trial
its sentences named) > the study of the previous sentence > the trial the title names (a primary
trial report: "… (KESTREL-4): a Randomised Phase 3 Trial"). Each step has its own confidence.

Flow-diagram boxes ("Randomised (n=612)", "Assigned to A (n=306)", "Included in safety analysis
(n=303)") come out of the layout as short heading-like lines: they do not start a section, and their
counts are N rows of the study: all randomised, each arm (the box after "Assigned to …"), and the
named analysis populations (rules/records.yml `flow`)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pipeline.model import Mention
from pipeline.records.arms import names_control
from pipeline.records.cues import Cues
from pipeline.records.drafts import StudyDraft
from pipeline.records.relations import TextReading

# How each attribution was resolved -> the outcome's confidence (low ones go to the review queue)
CONFIDENCE = {
    "clause": 0.95,
    "named": 0.9,
    "pooled": 0.85,
    "cohort": 0.85,
    "intro": 0.8,
    "heading": 0.75,
    "topic": 0.7,
    "subset": 0.7,
    "carried": 0.65,
    "box": 0.65,
    "document": 0.6,
    "paper": 0.4,  # no study named anywhere: the document-level study
}
_BOX_COUNT = re.compile(r"\(\s*n\s*=\s*\d[\d,]*\s*\)\s*$", re.IGNORECASE)


@dataclass
class Context:
    heading_trial: str = ""  # the one trial the section heading names
    heading_product: str = ""
    product: str = ""  # the last product the section named
    product_generic: bool = False  # it was found by shape only (a code name), not the vocabulary
    paragraph_product: str = ""  # the last product the current paragraph named
    trial: str = ""  # the last trial the section named (for bare cohort cues)
    study: StudyDraft | None = None  # the study of the previous sentence in the paragraph
    previous: StudyDraft | None = None  # the study the previous paragraph ended on (for a subset opening)
    topic: StudyDraft | None = None  # the first named trial of the paragraph
    doc_trial: str = ""  # the trial the title names
    arms_seen: list[str] = field(default_factory=list)  # arm of each "Assigned to …" flow box so far
    subgroup: str = ""  # the subgroup the previous sentence was about ("In this subgroup, …")
    analysis: str = ""  # the data cut the paragraph's sentences named last ("at the final analysis")

    def heading(self, ms: list[Mention]) -> None:
        trials = {m.canonical for m in ms if m.label == "TRIAL"}
        # "3.2 ALPHA-1 and ALPHA-2": a heading naming several trials leaves the choice to the paragraph
        self.heading_trial = trials.pop() if len(trials) == 1 else ""
        product = next((m.canonical for m in ms if m.label == "PRODUCT"), "")
        # a trial's run-in heading stays inside its product's section; other headings start a new one
        self.heading_product = product or (self.heading_product if self.heading_trial else "")
        self.product = self.heading_product or self.product
        self.trial = self.heading_trial or next((m.canonical for m in ms if m.label == "TRIAL"), "")
        self.study = self.previous = self.topic = None
        self.paragraph_product = ""

    def paragraph(self) -> None:
        # a study the paragraph ended on, named by its trial or by its count of patients
        self.previous = self.study if self.study is not None and (self.study.trial or self.study.n) else None
        self.study = self.topic = None
        self.subgroup = self.analysis = self.paragraph_product = ""

    def data_cut(self, s: str, cues: Cues) -> str:
        """The data cut a sentence names holds for it and the paragraph's next sentences."""
        m = cues.data_cut_re.search(s)
        if m:
            self.analysis = " ".join(m.group(0).lower().split())
        return self.analysis


def scoped_subgroup(s: str, cues: Cues, previous: str) -> tuple[str, int]:
    """The subgroup a sentence's values after offset `at` are about: an opening "Among patients with
    X," (from its start), a relative "… among those with X, in whom …" (after it), or an anaphoric
    "In this subgroup," (the previous sentence's)."""
    m = cues.scope_opening_re.match(s)
    if m:
        label = " ".join(m.group("g").split())
        return cues.subgroups.get(label.lower(), label), 0
    m = cues.scope_relative_re.search(s)
    if m:
        label = " ".join(m.group("g").split())
        return cues.subgroups.get(label.lower(), label), m.end()
    if previous and cues.scope_anaphora_re.match(s):
        return previous, 0
    return "", 0


def clause_scopes(s: str, cues: Cues) -> list[tuple[int, int, str]]:
    """(start, end, subgroup) of each clause that opens on its population ("…; for patients treated at
    the higher dose, the ORR was …", "In an analysis of X tumours (n = 151), …") or names an analysis
    population ("the analysis of the infused patients showed …"), in printed order: a value after
    `end` takes the label of the last one before it, a patient count after `start` is its n. A clause
    about all patients ("For all treated patients, …") gives "" (the whole study again)."""
    out = []
    for rx in cues.scope_clauses:
        for m in rx.finditer(s):
            label = re.sub(r"^with\s+", "", " ".join((m.group("g") or "").split()), flags=re.I)
            out.append((m.start(), m.end(), cues.subgroups.get(label.lower(), label)))
    out += [(m.start(), m.start(), label) for rx, label in cues.scope_populations for m in rx.finditer(s)]
    return sorted(out, key=lambda x: x[1])


def scope_at(scopes: list[tuple[int, int, str]], at: int, opened: bool = True) -> str | None:
    """The label of the last clause scope opened before offset `at` (`opened`: its phrase ended before
    `at`; else only started); None when none was."""
    before = [label for start, end, label in scopes if (end if opened else start) <= at]
    return before[-1] if before else None


def contrast(s: str, readings: list[TextReading], cues: Cues) -> None:
    """ "patients with X had shorter survival than those without X (PFS 12.1 vs 20.4 months)": each
    metric's two values read as arms are the two subgroups, X first."""
    m = cues.scope_contrast_re.search(s)
    if m is None:
        return
    a, b = (" ".join(m.group(g).split()) for g in ("a", "b"))
    for r in readings:
        if r.start < m.end() or r.arm != "control" or r.subgroup:
            continue
        first = [x for x in readings if x.metric_start == r.metric_start and x.start < r.start and not x.arm]
        if first and not first[-1].subgroup:
            first[-1].subgroup, r.subgroup, r.arm = a, b, ""


_PARENS = re.compile(r"\(([^()]*)\)")
_LISTED_AFTER = re.compile(r"[^.;:()]{0,40}?:\s*")  # "181 patients: …"
_PART_SEP = re.compile(r"\s*(?:;|,\s*and\b|,|\band\b)\s*", re.IGNORECASE)


def count_parts(s: str, n: Mention, cues: Cues) -> list[TextReading]:
    """N rows of the parts a parenthesis or a colon list after a patient count splits it into ("43
    patients (12 in phase Ib and 31 in phase II)", "181 patients: 70 with X, 71 with Y and 40 with
    Z"), each labelled by its part; none unless the parts add up to the count."""
    total = n.attrs.get("value")
    if not isinstance(total, (int, float)):
        return []
    m = _PARENS.search(s, n.end)
    colon = _LISTED_AFTER.match(s, n.end)
    if colon is not None:  # "It enrolled 181 patients: 70 with X tumours, 71 with Y (IHC 1+) tumours and …"
        lo, hi = colon.end(), colon.end() + len(re.split(r"[;.](?:\s|$)", s[colon.end() :])[0])
    elif m is not None and not re.search(r"[.;]", s[n.end : m.start()]):
        lo, hi = m.span(1)
    else:
        return []
    body = _PARENS.sub(lambda x: " " * len(x.group()), s[lo:hi])  # asides keep their offsets
    out, at = [], lo
    for item in _PART_SEP.split(body):
        at = (lo + body.index(item, at - lo)) if item else at
        p = cues.count_part_re.match(item)
        if p is None:
            return []
        k = float(p.group("k"))
        out.append(TextReading("N", k, "patients", subgroup=" ".join(p.group("g").split()),
                               start=at, end=at + len(item), metric_start=at, metric_end=at + len(item)))  # fmt: skip
        at += len(item)
    return out if len(out) >= 2 and sum(r.value or 0 for r in out) == float(total) else []


def title_trial(ms: list[Mention]) -> str:
    """The trial a title names, when it names exactly one."""
    trials = {m.canonical for m in ms if m.label == "TRIAL"}
    return trials.pop() if len(trials) == 1 else ""


def is_box(text: str, ms: list[Mention]) -> bool:
    """A heading-like line ending in a patient count, "Randomised (n=612)": a flow-diagram box."""
    text = " ".join(text.split())
    return len(text) <= 90 and bool(_BOX_COUNT.search(text)) and any(m.label == "N" for m in ms)


def box_reading(text: str, ms: list[Mention], cues: Cues, ctx: Context) -> TextReading | None:
    """The N row a flow-diagram box gives, or None for boxes that count no study population
    (screened, excluded, discontinued, reasons)."""
    n = next((m for m in reversed(ms) if m.label == "N"), None)
    if n is None or not isinstance(n.attrs.get("value"), (int, float)):
        return None
    low = text.lower()
    flow = cues.flow
    arm = ctx.arms_seen[-1] if ctx.arms_seen else ""
    subgroup = ""
    if any(re.search(p, low) for p in flow.get("arm", [])):
        control = cues.control_words + cues.comparator_hints
        first_was_investigational = bool(ctx.arms_seen) and ctx.arms_seen[0] == ""
        arm = "control" if names_control(low, control) or first_was_investigational else ""
        ctx.arms_seen.append(arm)
    elif any(re.search(p, low) for p in flow.get("randomised", [])):
        arm, subgroup = "", "all randomised"
    elif any(re.search(p, low) for p in flow.get("whole_arm", [])):
        pass  # "Included in efficacy analysis (ITT)": the arm as assigned
    else:
        subgroup = next(
            (
                label
                for label, pats in flow.get("populations", {}).items()
                if any(re.search(p, low) for p in pats)
            ),
            "",
        )
        if not subgroup:
            return None
    v = float(n.attrs["value"])
    return TextReading(
        "N", v, "patients", arm=arm, subgroup=subgroup,
        start=n.start, end=n.end, metric_start=n.start, metric_end=n.end,
    )  # fmt: skip


def pooled_population(s: str, cues: Cues) -> str:
    """The population of a pooled estimate ("… across 12 studies of CAR-T cells in B-ALL (n = 686)",
    "in paediatric studies"): the phrase after the last "in"/"with" before a number, else the default."""
    m = cues.pooled_population_re.search(s)
    label = " ".join(m.group("g").split()).rstrip(".") if m else ""
    return label or "all included studies"


def count_scope(s: str, ms: list[Mention], cues: Cues) -> list[tuple[str, Mention, int]]:
    """ "in the 61 patients who had received prior X, the ORR was …", "among 31 patients with Y who
    …": (label, the count's N mention, offset after the phrase) for each such phrase — subgroups of
    the sentence's study (from_text ignores one whose count is the study's whole n)."""
    out = []
    for m in cues.scope_count_re.finditer(s):
        n = next((x for x in ms if x.label == "N" and x.start <= m.start("n") < x.end), None)
        if n is not None:
            label = " ".join((m.group("g") or _evaluable(m.group("e") or "")).split())
            label = (
                re.sub(r"^(?:with|who\s+(?:had\s+)?(?:received|been)?)\s*", "", label, flags=re.I) or label
            )
            out.append((cues.subgroups.get(label.lower(), label), n, m.end()))
    return out


def _evaluable(phrase: str) -> str:
    """ "evaluable for MRD status" -> "MRD-evaluable"."""
    what = re.sub(r"^evaluable\s+for\s+", "", phrase.strip(), flags=re.I)
    what = re.sub(r"\s+(?:status|assessment|testing)$", "", what, flags=re.I)
    return f"{what}-evaluable"


def clause_trial(s: str, trials: list[Mention], at: int) -> str:
    """When a sentence names two or more trials, the trial of a value is the last one named before
    it in its clause ("In ALPHA-1 the ORR was 60%, whereas in BETA-2 it was 45%"); "" otherwise."""
    if len({m.canonical for m in trials}) < 2:
        return ""
    before = [m for m in trials if m.end <= at and not re.search(r";", s[m.end : at])]
    return before[-1].canonical if before else ""
