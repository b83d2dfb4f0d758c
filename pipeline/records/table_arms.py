"""Arms across the columns: metric labels down a column, one column per arm ("Drug A (n=214)" |
"Drug B (n=209)"), inside trial blocks whose name cell is merged down the block; the n each arm's header
prints."""

from __future__ import annotations

import re

from pipeline.records.cells import Reading
from pipeline.records.cues import Cues, first_canonical
from pipeline.records.drafts import StudyDraft
from pipeline.records.grid import Grid, Slot
from pipeline.records.notes import mark
from pipeline.records.table_studies import STUDY_ROLES, study_fields
from pipeline.records.tablecells import (
    Meaning,
    cell_readings,
    count_readings,
    label_meaning,
    outcome_of,
)


def names_any(text: str, words: list[str]) -> bool:
    low = text.lower()
    return any(re.search(rf"(?<![a-z]){re.escape(w)}(?![a-z])", low) for w in words)


def is_control(text: str, cues: Cues) -> bool:
    return names_any(text, cues.control_words)


def arm_columns(grid: Grid, j: int, head: list[Meaning], cues: Cues) -> list[StudyDraft]:
    arms = [k for k in range(j + 1, grid.n_cols) if head[k].role != "nonschema"
            and any(r[k].text.strip() for r in grid.rows)]  # fmt: skip
    if not arms:
        return []
    roles = {i: (head[i].role if head[i].role in STUDY_ROLES + ("phase",) else "trial") for i in range(j)}
    out: list[StudyDraft] = []
    for row in grid.rows:
        if not out or any(row[i].text.strip() for i in range(j)):
            d = StudyDraft("table")
            study_fields(d, roles, row, cues)
            if not out:
                arm_counts(d, grid, head, arms, cues)
            out.append(d)
        d = out[-1]
        label = label_meaning(row[j].text, cues)
        if label.role == "nonschema":
            continue
        for idx, k in enumerate(arms):
            arm = "control" if idx or is_control(grid.head[k].text, cues) else ""
            s = row[k]
            if label.role in ("arm", "patients") and not label.metrics:
                d.product = d.product or (first_canonical(s.mentions, "PRODUCT") if idx == 0 else "")
                found = [Reading("N", float(v), "patients", snippet=" ".join(s.text.split()))
                         for v, _ in count_readings(s)[:1]]  # fmt: skip
                if idx == 0 and found and d.n is None:
                    d.n = int(found[0].value or 0)
            else:
                found = mark(cell_readings(s, Meaning(), label, cues), s.text, grid.notes)
            for r in found:
                r.arm = r.arm or arm
                d.outcomes.append(outcome_of(r, s))
    return [d for d in out if d.outcomes]


def arm_counts(d: StudyDraft, grid: Grid, head: list[Meaning], cols, cues: Cues) -> None:
    """The n each arm's header prints ("Drug A (N = 306)"): an N row per arm, the first arm's product.
    An arm's group header over several columns ("Drug A (N = 303)" over "Any grade" | "Grade ≥3") is
    one arm. A caption naming an analysis population other than the whole ("(Safety Population)")
    makes that population the subgroup of these counts."""
    idx = 0
    seen: set[str] = set()
    population = caption_population(grid.caption, cues)
    for k in cols:
        s = grid.head[k]
        n = header_n(s, cues)
        if n is None or head[k].role == "nonschema":
            continue
        value, end = n
        printed = " ".join(s.text[:end].split())
        if printed in seen:
            continue
        seen.add(printed)
        arm = "control" if idx or is_control(s.text, cues) else ""
        if not arm:
            d.product = d.product or first_canonical(s.mentions, "PRODUCT")
            d.n = d.n or (None if population else value)
        r = Reading("N", float(value), "patients", arm=arm, subgroup=population,
                    snippet=" ".join(s.text.split()))  # fmt: skip
        d.outcomes.append(outcome_of(r, s))
        idx += 1


def header_n(s: Slot, cues: Cues) -> tuple[int, int] | None:
    """The n an arm's header prints ("Drug A (N = 306)") and where it ends: NER's count, else the
    value grammar's "n = k" (a header NER read with the caption it was printed under)."""
    m = next((m for m in s.mentions if m.label == "N" and isinstance(m.attrs.get("value"), int)), None)
    if m is not None:
        return int(m.attrs["value"]), m.end
    if cues.table is None:
        return None
    hit = next((h for h in cues.table.values.counts(s.text) if h.attrs.get("cue") == "n="), None)
    return (int(hit.attrs["value"]), hit.end) if hit else None


def caption_population(caption: str, cues: Cues) -> str:
    """The analysis population a caption names (rules/records.yml `flow` populations: "safety
    population", "per-protocol"), else "" (the whole, intention-to-treat population)."""
    low = caption.lower()
    pops = cues.flow.get("populations", {})
    return next((label for label, pats in pops.items() if any(re.search(p, low) for p in pats)), "")
