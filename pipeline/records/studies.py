"""What a document's drafts are studies of, settled once per document before they are merged
(shared/schema.md, "Conventions for studies without a trial name"):

- a printed trial cell that is no name ("— —", "First-in-human study") is no trial;
- a primary trial report (its title names one trial) is one study: drafts without a trial name are
  that trial's arms, subgroups and analyses;
- a population cohort label ("DLBCL cohort") names a cohort only when the trial has several;
- an author-named study takes the year the paper prints beside the author ("Park 2018") -> park-2018;
- a row of a table of pooled estimates, or a text draft with the pooled design word, is `pooled`
  with its population as the outcomes' subgroup, no trial and no product;
- numbers no study claimed stay under a document-level study only when the paper has no other study.
"""

from __future__ import annotations

import re

from pipeline.model import Document, Table
from pipeline.records.cues import Cues, norm_key
from pipeline.records.drafts import StudyDraft
from pipeline.records.unnamed import document_order

DOCUMENT = "document"  # design_word of the document-level study
_AUTHOR_ID = re.compile(r"[a-z][a-z'\-]+-(?:19|20)\d{2}")
_AUTHOR_YEAR = re.compile(r"\b([A-Z][a-z][A-Za-z'\-]+)(?:\s+et\s+al\.?,?)?\s+\(?((?:19|20)\d{2})\)?(?![\d.])")


def is_name(trial: str) -> bool:
    """A printed trial cell names a trial when its first word has a digit or two capitals."""
    first = trial.split()[0] if trial.split() else ""
    letters = any(c.isalpha() for c in first)
    return letters and (any(c.isdigit() for c in first) or sum(c.isupper() for c in first) >= 2)


def settle(doc: Document, drafts: list[StudyDraft], cues: Cues) -> list[StudyDraft]:
    known = {norm_key(m.canonical): m.canonical for m in doc.mentions if m.label == "TRIAL"}
    for d in drafts:
        if d.trial and norm_key(d.trial) not in known:
            # a cell printed "NAMEa" / "NAME12": the document's trial with a glued mark
            bare = re.sub(r"(?<=[A-Z0-9])[a-e]$|(?<=[A-Za-z])\d{1,3}$", "", d.trial)
            d.trial = known.get(norm_key(bare), d.trial)
        if d.trial and not is_name(d.trial):
            d.design_word = d.design_word or cues.design_word(d.trial)
            d.trial, d.cohort = "", ""
    for d in drafts:  # one combination, one label: antigens in the order the paper first prints them
        d.product = document_order(d.product, doc.text, cues.unnamed)
    _product_named_trials(drafts)
    _one_study_two_counts(drafts)
    _pooled_rows(doc, drafts, cues)
    _author_years(doc, drafts)
    _by_count(drafts)
    _single_population_cohorts(drafts)
    primary = primary_trial(doc)
    if primary:
        for d in drafts:
            if not d.trial and d.design_word != DOCUMENT:
                d.trial, d.cohort, d.n = primary, "", None
    named = [d for d in drafts if d.design_word != DOCUMENT and (d.outcomes or d.trial or d.product)]
    for d in drafts:
        if d.design_word == DOCUMENT:
            d.design = "the paper itself: no study recognised"  # studies.csv and the report say so
    return [d for d in drafts if d.design_word != DOCUMENT or (not named and d.outcomes)]


def primary_trial(doc: Document) -> str:
    """The trial a primary report is about: the one trial its title names."""
    titles = [b for b in doc.blocks if b.kind == "title"][:1]
    if not titles:
        return ""
    t = titles[0]
    names = {
        m.canonical
        for m in doc.mentions
        if m.source == "text" and m.label == "TRIAL" and t.start <= m.start < t.end
    }
    return names.pop() if len(names) == 1 else ""


def _product_named_trials(drafts: list[StudyDraft]) -> None:
    """A study the text names by a product that a table prints as a trial name (text "AB-12 in 10
    patients", table row trial "AB12", n 10) is that trial's: the row with its n, else the only one."""
    trials: dict[str, list[StudyDraft]] = {}
    for d in drafts:
        if d.trial:
            trials.setdefault(norm_key(d.trial), []).append(d)
    for d in drafts:
        rows = trials.get(norm_key(d.product)) if d.product and not d.trial else None
        if not rows:
            continue
        n = d.n or _stated_n(d)
        same = [r for r in rows if r.n is not None and r.n == n]
        ids = {(norm_key(r.trial), r.cohort.lower()) for r in rows}
        pick = same[0] if same else (rows[0] if len(ids) == 1 and not any(r.n for r in rows) else None)
        if pick is not None:
            d.trial, d.cohort = pick.trial, pick.cohort


def _one_study_two_counts(drafts: list[StudyDraft]) -> None:
    """A text study and a table row of the same unnamed product printing two counts (text 21, table
    22) but the same values of at least two metrics are one study reported twice: the text joins the
    row (its own N row keeps the other count, for the n check)."""
    rows = [d for d in drafts if d.source == "table" and not d.trial and d.product and d.n]
    for d in drafts:
        if d.source != "text" or d.trial or not d.product or not d.n:
            continue
        mine = {(o.metric, o.value) for o in d.outcomes if o.metric != "N" and o.value is not None}
        same = [r for r in rows if r.product == d.product and r.n != d.n
                and len(mine & {(o.metric, o.value) for o in r.outcomes if o.metric != "N"}) >= 2]  # fmt: skip
        if len(same) == 1 and not any(r.n == d.n for r in rows if r.product == d.product):
            d.stated_n, d.n = d.n, same[0].n  # its rows keep the count the text printed


def _single_population_cohorts(drafts: list[StudyDraft]) -> None:
    cohorts: dict[str, set[str]] = {}
    for d in drafts:
        if d.trial:
            cohorts.setdefault(norm_key(d.trial), set()).add(d.cohort.lower())
    for d in drafts:
        labels = cohorts.get(norm_key(d.trial), set()) - {""}
        if d.trial and d.cohort and len(labels) == 1 and len(d.cohort) > 2 and d.cohort.isalpha():
            d.cohort = ""  # "ORBIT-2, DLBCL cohort": the only cohort the paper reports is the trial


def _author_years(doc: Document, drafts: list[StudyDraft]) -> None:
    years: dict[str, str] = {}
    cells = [c.text for t in doc.tables for c in t.cells]
    for text in [doc.text, *cells]:
        for m in _AUTHOR_YEAR.finditer(text):
            years.setdefault(m.group(1).lower(), m.group(2))
    for d in drafts:
        if d.trial or not d.design_word:
            continue
        if _AUTHOR_ID.fullmatch(d.design_word):  # a table row printed "Park 2018"
            d.author = d.design_word
        elif d.design_word.isalpha() and years.get(d.design_word):
            d.author = f"{d.design_word}-{years[d.design_word]}"
    # one author-year study: a row without the product (an efficacy table) takes another row's; an
    # author with several studies (two rows "Okafor 2017") is told apart by each row's n
    products: dict[str, dict[int | None, tuple[str, str]]] = {}
    for d in sorted(drafts, key=lambda d: d.source != "table"):
        if d.author and d.product:
            products.setdefault(d.author, {}).setdefault(d.n or _stated_n(d), (d.product, d.target))
    for d in drafts:
        known = products.get(d.author or "", {})
        if not known or (d.source != "table" and d.product):
            continue
        n = d.n or _stated_n(d)
        pick = known.get(n) if n in known else None
        if pick is None and len(set(known.values())) == 1:
            pick = next(iter(known.values()))
        if pick is not None and (not d.product or n in known):
            d.product, d.target = pick[0], d.target or pick[1]


def _by_count(drafts: list[StudyDraft]) -> None:
    """A table column or row known only by its patient count ("Patients treated, n: 157") is the one
    named study of the paper with that count."""
    named: dict[int, list[StudyDraft]] = {}
    for d in drafts:
        if d.n and (d.trial or d.product) and d.design_word not in ("pooled", DOCUMENT):
            named.setdefault(d.n, []).append(d)
    for d in drafts:
        n = d.n or _stated_n(d)
        if (
            d.source != "table"
            or not n
            or any((d.trial, d.product, d.author, d.design_word, d.target, d.nct_id))
        ):
            continue  # a row with an antigen or a registry id is a study of its own, however unnamed
        same = named.get(n, [])
        ids = {(norm_key(x.trial), x.cohort.lower()) if x.trial else ("", x.product, x.author) for x in same}
        if len(ids) == 1:
            x = min(same, key=lambda x: x.source != "table")
            d.trial, d.cohort, d.product, d.author = x.trial, x.cohort, x.product, x.author


def _stated_n(d: StudyDraft) -> int | None:
    """The whole-study patient count a table column states as an N row (no arm, no subgroup)."""
    n = next((o.value for o in d.outcomes if o.metric == "N" and not o.arm and not o.subgroup), None)
    return int(n) if n is not None and float(n).is_integer() else None


def _pooled_rows(doc: Document, drafts: list[StudyDraft], cues: Cues) -> None:
    tables = {t.table_id: t for t in doc.tables}
    for d in drafts:
        if d.trial:
            continue
        pooled = d.design_word == "pooled"
        ids = {o.table_id for o in d.outcomes if o.table_id}
        t = tables.get(next(iter(ids), "")) if d.source == "table" else None
        if t is not None and not d.product:
            pooled = pooled or cues.design_word(f"{t.caption} {' '.join(t.header())}") == "pooled"
        if pooled and t is not None:
            d.population = _row_label(t, d) or d.population
        if not pooled:
            continue
        d.design_word, d.trial, d.cohort = "pooled", "", ""
        label = d.population or d.product
        d.product, d.target = "", ""
        for o in d.outcomes:
            if not o.subgroup and label:
                o.subgroup = label


def _row_label(table: Table, d: StudyDraft) -> str:
    """The first-column text of the row an outcome of the draft sits in (by its cell box)."""
    tops = {o.bbox.split(",")[1] for o in d.outcomes if o.bbox.count(",") == 3}
    rows = {c.row for c in table.cells if c.box is not None and f"{c.box.top:.1f}" in tops}
    for c in table.cells:
        if c.col == 0 and c.row in rows and c.text.strip():
            return " ".join(c.text.split())
    return ""
