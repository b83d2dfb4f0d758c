"""Result tables into study drafts with outcome records, from the table's own structure.

Every value cell takes its meaning from the header path of its column and the label of its row
(tablecells.label_meaning), never from its position; the study it belongs to comes from the row's
study cells (trial, agent, registry, an author-year name; a trial cell spanning the rows of its arms),
or, in a transposed table, from the column's header. Layouts (grid.py repairs the structure first):
- studies as rows: a column per metric ("ORR, %", "Median PFS, mo (95% CI)"), or cells naming their
  metrics ("ORR 52%; CR 39%"); an `Arm` column, or rows repeating one trial, give one row per arm;
- metric labels down a column with arms across ("Drug A (n=214)" | "Drug B (n=209)"), inside trial blocks
  whose name cell is merged down the block: the first arm is the investigational one, a later one (or
  one named by a control word) the comparator;
- transposed: studies across the columns, labels down the first column;
- a baseline table (caption) gives only the n of each arm its header prints.
This module picks the layout; table_rows.py reads studies as rows (and transposed tables), table_arms.py
arms across the columns, table_studies.py the study a row's cells name, and table_context.py what the
caption, section labels and notes add."""

from __future__ import annotations

import re

from pipeline.model import Document, Mention
from pipeline.records.cues import Cues, norm_key
from pipeline.records.drafts import StudyDraft
from pipeline.records.grid import Grid, Slot, build_grid, numeric
from pipeline.records.notes import population_notes
from pipeline.records.table_arms import arm_columns, arm_counts, header_n
from pipeline.records.table_context import (
    caption_mentions,
    caption_study,
    data_cuts,
    label_values,
    note_rows,
    share_authors,
)
from pipeline.records.table_rows import study_rows
from pipeline.records.tablecells import (
    Meaning,
    label_meaning,
)

_CI = re.compile(r"\(?\s*95\s*%\s*CI\s*\)?", re.I)
UNSURE = 0.5  # a value whose study no cell names, or read from lines the structure stage lost


def column_roles(header: list[str], cues: Cues) -> dict[int, str]:
    """Column index -> role (agent, trial, phase, patients, design, outcomes, adverse, target, metric:CODE)."""
    roles: dict[int, str] = {}
    for i, name in enumerate(header):
        m = label_meaning(name, cues)
        if m.role == "metric":
            roles[i] = "metric:" + m.metric
        elif (
            m.role
            and m.role != "nonschema"
            and (m.role in ("outcomes", "adverse") or m.role not in roles.values())
        ):
            roles[i] = m.role
    return roles


def read_tables(doc: Document, cues: Cues) -> list[StudyDraft]:
    by_cell: dict[tuple[str, int, int], list[Mention]] = {}
    for m in doc.mentions:
        if m.source == "table":
            by_cell.setdefault((m.table_id, m.row, m.col), []).append(m)
    drafts: list[StudyDraft] = []
    for table in doc.tables:
        try:
            grid = build_grid(doc, table, by_cell)
            grid.notes = population_notes(doc, table, cues)
            found = read_grid(grid, cues)
        except (IndexError, ValueError):  # a malformed grid: skip the table, never the document
            continue
        data_cuts(grid, [o for d in found for o in d.outcomes], cues)
        label_values(grid, found, cues)
        note_rows(grid, found)
        caption_study(found, caption_mentions(doc, table.caption))
        for d in found:
            unnamed = not (d.trial or d.product or d.design_word or d.cohort)
            for o in d.outcomes:  # below rules/review.yml low_confidence: queued for a curator
                o.confidence = min(o.confidence, UNSURE if unnamed or grid.rebuilt else 1.0)
        for d in found:
            d.pages |= set(table.pages[:1]) | {o.page for o in d.outcomes if o.page}
            for o in d.outcomes:
                o.table_id = table.table_id
        drafts.extend(found)
    share_authors(drafts)
    return drafts


def read_grid(grid: Grid, cues: Cues) -> list[StudyDraft]:
    if not grid.rows or cues.table is None:
        return []
    out = _read_layout(grid, cues)
    heads = {" ".join(s.text.split()) for s in grid.head}
    named = any(m.label == "TRIAL" for s in grid.head for m in s.mentions)
    printed = not named and any(header_n(s, cues) for s in grid.head[1:])
    if printed and not any(o.metric == "N" and o.snippet in heads for d in out for o in d.outcomes):
        # the arms' n their headers print, whatever the rows give (adverse events by name, or
        # rows of no schema metric): a draft of its own
        d = StudyDraft("table")
        arm_counts(d, grid, [label_meaning(s.text, cues) for s in grid.head], range(1, grid.n_cols), cues)
        if d.outcomes:
            out = [*[x for x in out if x.outcomes], d] if any(x.outcomes for x in out) else [d]
    return out


def _read_layout(grid: Grid, cues: Cues) -> list[StudyDraft]:
    head = [label_meaning(s.text, cues) for s in grid.head]
    if cues.table.baseline_re.search(grid.caption):
        d = StudyDraft("table")
        arm_counts(d, grid, head, range(1, grid.n_cols), cues)
        return [d] if d.outcomes else []
    j = _label_column(grid, cues)
    if j is not None:
        if j > 0 or _arm_headers(grid, j):
            return arm_columns(grid, j, head, cues)
        t = grid.transposed()
        return study_rows(t, [label_meaning(s.text, cues) for s in t.head], cues, transposed=True)
    named = [m.role for m, s in zip(head, grid.head, strict=True) if m.role and not _names_study(s)]
    if len(set(named)) < 2 and grid.n_cols > 1:
        firsts = {m.role for r in grid.rows if (m := _is_label(r[0], cues)) is not None}
        if len(firsts) >= 2:  # roles down the first column, studies across
            t = grid.transposed()
            return study_rows(t, [label_meaning(s.text, cues) for s in t.head], cues, transposed=True)
    return study_rows(grid, head, cues)


def _names_study(s: Slot) -> bool:
    return any(m.label in ("TRIAL", "REGISTRY_ID") for m in s.mentions)


# -- which layout ---------------------------------------------------------------------------------
def _is_label(s: Slot, cues: Cues) -> Meaning | None:
    """The meaning of a label cell: words naming a metric or a role, no number but a timepoint's."""
    if not s.text.strip() or any(m.label == "VALUE" for m in s.mentions) or numeric(s) or cues.table is None:
        return None
    bare = _CI.sub(" ", s.text)
    for h in sorted(cues.table.values.timepoints(bare), key=lambda h: -h.start):
        bare = bare[: h.start] + bare[h.end :]
    if re.search(r"\d", re.sub(r"[≥≤]\s?\d", "", bare)):
        return None
    m = label_meaning(s.text, cues)
    return m if m.role else None


def _label_column(grid: Grid, cues: Cues) -> int | None:
    """The first column whose cells are mostly labels, two or more of them naming a metric."""
    for j in range(grid.n_cols - 1):
        filled = [r[j] for r in grid.rows if r[j].text.strip()]
        meanings = [m for m in (_is_label(s, cues) for s in filled) if m is not None]
        if len([m for m in meanings if m.metrics]) >= 2 and len(meanings) * 2 >= len(filled):
            return j
    return None


def _arm_headers(grid: Grid, j: int) -> bool:
    """Arms across the columns rather than studies: a header prints an n or names an arm, none a trial."""
    heads = grid.head[j + 1 :]
    if any(m.label == "TRIAL" for s in heads for m in s.mentions):
        return False
    return any(m.label in ("N", "ARM") for s in heads for m in s.mentions) or any(
        re.search(r"\barms?\b", s.text, re.I) for s in heads
    )


# -- studies as rows --------------------------------------------------------------------------------


# -- arms across the columns ------------------------------------------------------------------------


__all__ = ["column_roles", "read_grid", "read_tables", "norm_key"]
