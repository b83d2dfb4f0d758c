"""What a result table's surroundings add to the rows read from it: the data cut a group label
names, a value stated in a section label, the rows a subgroup-defining note prints, the trial a caption
names, and the product an author-year study's other table gives."""

from __future__ import annotations

import re

from pipeline.model import Document, Mention, Outcome
from pipeline.records.cells import parse_cell
from pipeline.records.cues import Cues, first_canonical
from pipeline.records.drafts import StudyDraft
from pipeline.records.grid import Grid, Slot
from pipeline.records.notes import note_readings
from pipeline.records.tablecells import outcome_of


def data_cuts(grid: Grid, outcomes: list[Outcome], cues: Cues) -> None:
    """Rows under a group label naming a data cut ("Interim analysis (data cutoff, …)") belong to
    that analysis: each value read from a cell inside such a row takes it."""
    bands: list[tuple[int, float, float, str]] = []
    for row, label in zip(grid.rows, grid.groups, strict=False):
        m = cues.data_cut_re.search(label)
        boxes = [s.box for s in row if s.box is not None]
        if m and boxes:
            cut = " ".join(m.group(0).lower().split())
            bands.append((boxes[0].page, min(b.top for b in boxes), max(b.bottom for b in boxes), cut))
    for o in outcomes:
        if o.analysis or not o.bbox or not bands:
            continue
        _, top, _, bottom = (float(x) for x in o.bbox.split(","))
        y = (top + bottom) / 2
        o.analysis = next((cut for page, a, b, cut in bands if page == o.page and a <= y <= b), "")


def _row_span(row: list[Slot]) -> tuple[int, float, float] | None:
    boxes = [s.box for s in row if s.box is not None]
    return (boxes[0].page, min(b.top for b in boxes), max(b.bottom for b in boxes)) if boxes else None


def _in_span(o: Outcome, span: tuple[int, float, float]) -> bool:
    if not o.bbox or o.page != span[0]:
        return False
    _, top, _, bottom = (float(x) for x in o.bbox.split(","))
    return span[1] <= (top + bottom) / 2 <= span[2]


def label_values(grid: Grid, drafts: list[StudyDraft], cues: Cues) -> None:
    """A value stated in a section label across the table ("Final analysis (data cutoff, …; median
    follow-up, 27.4 mo)") belongs to the rows under it: one row of the study those rows belong to,
    for every arm at once, in the label's data cut."""
    seen: set[int] = set()
    for k, label in enumerate(grid.labels):
        if label is None or id(label) in seen or k >= len(grid.rows):
            continue
        seen.add(id(label))
        span = _row_span(grid.rows[k])
        owner = next((d for d in drafts for o in d.outcomes if span and _in_span(o, span)), None)
        if owner is None:
            continue
        cut = cues.data_cut_re.search(label.text)
        for r in parse_cell(label.text, label.mentions, cues, {}):
            o = outcome_of(r, label)
            o.analysis = " ".join(cut.group(0).lower().split()) if cut else ""
            owner.outcomes.append(o)


def note_rows(grid: Grid, drafts: list[StudyDraft]) -> None:
    """A note defining the subgroup of values it marks prints that subgroup's count and dose: rows
    of the study whose values it marks, placed on the note."""
    for note in grid.notes.values():
        for d in drafts:
            if any(o.subgroup == note.label for o in d.outcomes):
                for r in note_readings(note):
                    o = outcome_of(r)
                    o.page, o.bbox = note.box.page, str(note.box)
                    d.outcomes.append(o)


def share_authors(drafts: list[StudyDraft]) -> None:
    """An author-year study named in two tables (characteristics, then outcomes) is one study: the
    product one table gives goes to the other's rows (the same n first, when both print one)."""
    named: dict[str, list[StudyDraft]] = {}
    for d in drafts:
        if d.design_word and d.product and not d.trial:
            named.setdefault(d.design_word, []).append(d)
    for d in drafts:
        cands = named.get(d.design_word, []) if d.design_word and not d.product and not d.trial else []
        pick = [c for c in cands if d.n and c.n == d.n] or cands
        if len({c.product for c in pick}) == 1:
            d.product, d.target = pick[0].product, d.target or pick[0].target


def caption_mentions(doc: Document, caption: str) -> list[Mention]:
    """NER's mentions of the table's caption (a body block of its own)."""
    if not caption.strip():
        return []
    key = " ".join(caption.split())[:40]
    for b in doc.blocks:
        if b.kind == "caption" and " ".join(b.text.split()).startswith(key):
            return [m for m in doc.mentions if m.source == "text" and b.start <= m.start < b.end]
    return []


def caption_study(drafts: list[StudyDraft], ms: list[Mention]) -> None:
    """A caption naming one trial ("Table 3. ALPHA-2 (NCT…): activity by cohort") names the study of
    every row that names none."""
    trials = {m.canonical for m in ms if m.label == "TRIAL"}
    ids = [m for m in ms if m.label == "REGISTRY_ID"]
    if not trials and len(ids) == 1:  # "Table 3. ALPHA (NCT01234567): ...": the name before its id
        named = re.search(rf"([A-Z][A-Za-z0-9\-]{{2,}})\s*\(\s*{re.escape(ids[0].text)}", ids[0].sentence)
        trials = {named.group(1)} if named else set()
    if len(trials) != 1:
        return
    for d in drafts:
        if not d.trial and not d.design_word:
            d.trial = next(iter(trials))
            d.nct_id = d.nct_id or next((m.canonical or m.text for m in ms if m.label == "REGISTRY_ID"), "")
            d.product = d.product or first_canonical(ms, "PRODUCT")
