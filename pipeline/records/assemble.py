"""Drafts from tables and text into one study per trial+cohort (or product+n when there is no trial
name), and outcome rows carrying their study's identity and the n their own source states."""

from __future__ import annotations

import re

from pipeline.model import Outcome, Study
from pipeline.records.cues import norm_key
from pipeline.records.drafts import StudyDraft


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def study_id(d: StudyDraft, index: int) -> str:
    if d.trial:
        return slug(d.trial) + (f"/{slug(d.cohort)}" if d.cohort else "")
    if d.design_word == "pooled":  # shared/schema.md: pooled, pooled/<population>
        return "pooled" + (f"/{slug(d.population)}" if d.population else "")
    if d.author:
        return d.author
    if d.design_word == "document":
        return "document"
    head = slug(d.product) or slug(d.target) or "study"
    word = d.design_word or "study"
    return f"{head}/{word}-{d.n}" if d.n else f"{head}/{word}-{index}"


def merge(doc_id: str, drafts: list[StudyDraft]) -> tuple[list[Study], list[Outcome]]:
    drafts = _fold_trial_level(drafts)
    groups: dict[tuple[str, ...], list[StudyDraft]] = {}
    for d in drafts:
        groups.setdefault(d.key(), []).append(d)
    groups = _split_rows(groups)
    studies: list[Study] = []
    outcomes: list[Outcome] = []
    used: set[str] = set()
    for k, parts in enumerate(groups.values(), start=1):
        table = [p for p in parts if p.source == "table"]
        text = [p for p in parts if p.source == "text"]
        main = (table or text)[0]
        sid = study_id(main, k)
        if sid in used or main.key() in split_keys(groups):  # one trial in several rows, no cohort labels
            sid = f"{sid}/n{main.n}" if main.n else f"{sid}/{k}"
        while sid in used:
            sid += "+"
        used.add(sid)
        n_table = next((p.n for p in table if p.n), None)
        n_text = next((p.n for p in text if p.n), None)
        s = Study(
            doc_id=doc_id,
            study_id=sid,
            trial=(table[0].trial if table else main.trial),
            cohort=main.cohort,
            product=next((p.product for p in parts if p.product), ""),
            target=next((p.target for p in parts if p.target), ""),
            nct_id=next((p.nct_id for p in parts if p.nct_id), ""),
            phase=next((p.phase for p in table if p.phase), "")
            or next((p.phase for p in text if p.phase), ""),
            phase_text=next((p.phase for p in text if p.phase), ""),
            n=n_table if n_table is not None else n_text,
            n_table=n_table,
            n_text=n_text,
            design=next((p.design for p in parts if p.design), ""),
            population=next((p.population for p in parts if p.population), ""),
            refs=by_source(parts, lambda p: p.refs, ref_key),
            sources="+".join(x for x in ("table", "text") if any(p.source == x for p in parts)),
            pages=by_source(parts, lambda p: p.pages, int),
        )
        studies.append(s)
        for p in parts:
            for o in p.outcomes:
                o.doc_id, o.study_id = doc_id, sid
                o.trial, o.cohort, o.product, o.nct_id = s.trial, s.cohort, s.product, s.nct_id
                if o.metric == "N" and o.subgroup:
                    o.n = int(o.value) if o.value is not None else None
                elif o.n is None:  # a value of a subgroup whose count its note prints keeps it
                    o.n = p.stated_n or p.n
                outcomes.append(o)
    return studies, outcomes


def ref_key(ref: str) -> tuple[int, str]:
    return (int(ref), ref) if ref.isdigit() else (10**9, ref)


def by_source(parts: list[StudyDraft], items, key) -> str:
    """ "table:5,6; text:5,6": the items each source gives, sorted, only the sources that have some
    (the shape of shared/gold `refs`; the quality stage reads it back)."""
    out = []
    for source in ("table", "text"):
        found = {str(x) for p in parts if p.source == source for x in items(p)}
        if found:
            out.append(f"{source}:{','.join(sorted(found, key=key))}")
    return "; ".join(out)


def _split_rows(groups: dict[tuple[str, ...], list[StudyDraft]]) -> dict[tuple[str, ...], list[StudyDraft]]:
    """Two rows of one table are two studies even when they share a trial name (a second study of
    one product code with its own registry id and n); rows of other tables and text drafts join the
    row with their n, else the first."""
    out: dict[tuple[str, ...], list[StudyDraft]] = {}
    for key, parts in groups.items():
        rows = [p for p in parts if p.source == "table"]
        per_table: dict[str, list[StudyDraft]] = {}
        for r in rows:
            per_table.setdefault(_table_of(r), []).append(r)
        heads = max(per_table.values(), key=len, default=[])
        if len(heads) < 2:
            out[key] = parts
            continue
        for i, row in enumerate(heads):
            out[(*key, f"row{i}")] = [row]
        for p in parts:
            if any(p is h for h in heads):
                continue
            i = next((i for i, r in enumerate(heads) if r.n and r.n == p.n), 0)
            out[(*key, f"row{i}")].append(p)
    return out


def _table_of(d: StudyDraft) -> str:
    return next((o.table_id for o in d.outcomes if o.table_id), "")


def split_keys(groups: dict[tuple[str, ...], list[StudyDraft]]) -> set[tuple[str, ...]]:
    return {k[:-1] for k in groups if k and str(k[-1]).startswith("row")}


def _fold_trial_level(drafts: list[StudyDraft]) -> list[StudyDraft]:
    """A draft naming only the trial ("ALPHA-2 is a phase II, multicohort trial") while the paper
    reports that trial by cohort: its phase and registry id go to each cohort as the same source
    states them; it stays a study of its own only if it has outcomes."""
    cohorts: dict[str, list[StudyDraft]] = {}
    for d in drafts:
        if d.trial and d.cohort:
            cohorts.setdefault(norm_key(d.trial), []).append(d)
    out = []
    for d in drafts:
        kids = cohorts.get(norm_key(d.trial)) if d.trial and not d.cohort else None
        if not kids:
            out.append(d)
            continue
        for coh in dict.fromkeys(c.cohort.lower() for c in kids):
            same = [c for c in kids if c.cohort.lower() == coh and c.source == d.source]
            if same:
                same[0].phase = same[0].phase or d.phase
                same[0].nct_id = same[0].nct_id or d.nct_id
            elif d.phase or d.nct_id:
                kid = next(c for c in kids if c.cohort.lower() == coh)
                out.append(
                    StudyDraft(
                        d.source,
                        trial=kid.trial,
                        cohort=kid.cohort,
                        phase=d.phase,
                        nct_id=d.nct_id,
                        pages=set(d.pages),
                    )
                )
        if d.outcomes:
            out.append(d)
    return out
