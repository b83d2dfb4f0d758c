"""Studies as rows: a column per metric ("ORR, %", "Median PFS, mo (95% CI)"), or cells naming their
metrics ("ORR 52%; CR 39%"); an `Arm` column, or rows repeating one trial, give one row per arm; a table
whose rows name no study is one study's, its rows subgroups; transposed tables are read the same way."""

from __future__ import annotations

import re

from pipeline.model import Mention, Outcome
from pipeline.records.cells import Reading, parse_cell
from pipeline.records.cues import Cues, norm_key
from pipeline.records.drafts import StudyDraft
from pipeline.records.grid import Grid, Slot, numeric
from pipeline.records.notes import count_mark, mark
from pipeline.records.table_arms import is_control, names_any
from pipeline.records.table_studies import BRACKETS, STUDY_ROLES, study_fields
from pipeline.records.tablecells import (
    Meaning,
    cell_readings,
    count_readings,
    dose_readings,
    grade3_events,
    outcome_of,
)


def study_rows(grid: Grid, head: list[Meaning], cues: Cues, transposed: bool = False) -> list[StudyDraft]:
    roles = {i: m.role for i, m in enumerate(head) if m.role and m.role != "nonschema"}
    # a transposed table whose columns are known only by their patient count ("Patients treated, n")
    counted = transposed and roles.get(0) == "patients"
    if transposed:  # the first column holds the column headers: the study names
        roles[0] = "trial"
    elif not roles.get(0) and grid.n_cols > 1 and not head[0].role:
        roles = {0: "trial", **roles}  # the unnamed first column holds the study names
    results = any(r in ("metric", "outcomes", "adverse", "patients") for r in roles.values()) or any(
        m.label == "METRIC" for row in grid.rows for s in row for m in s.mentions
    )
    if not results:
        return []
    keys = [i for i, r in roles.items() if r in STUDY_ROLES]
    values = [i for i, r in roles.items() if r in ("metric", "arm")]
    pooled = cues.design_word(grid.caption) == "pooled"
    out: list[StudyDraft] = []
    groups: list[tuple[list[Slot], bool]] = []  # joined row, same study as the row before
    for row in grid.rows:
        keyless = bool(keys) and not any(row[i].text.strip() for i in keys)
        valued = any(numeric(row[i]) or (roles[i] == "arm" and row[i].text.strip()) for i in values)
        if groups and keyless and not valued:
            for i, s in enumerate(row):  # a row continued past a rule or a page break
                groups[-1][0][i].add(s)
        else:
            groups.append(([s.copy() for s in row], keyless))
    prev_label = ""
    labels: list[str] = []  # each draft's row label ("" when its cells name a study), as out grows
    worded: list[StudyDraft] = []
    col_arms = {} if transposed else _column_arms(grid, head, cues)
    by_subgroup = not keys and "subgroup" in roles.values() and bool(col_arms)  # arms across: one trial
    for row, same in groups:
        label = " ".join(" ".join(row[i].text.split()) for i in keys)
        d = StudyDraft("table")
        study_fields(d, roles, row, cues)
        if d.cohort and not any(m.label == "COHORT" for i in keys for m in row[i].mentions):
            worded.append(d)
        if (not same and out and d.trial and norm_key(d.trial) == norm_key(out[-1].trial) and not d.cohort
                and d.nct_id in ("", out[-1].nct_id)):  # fmt: skip
            same = _rest(label, row, keys) != _rest(prev_label, row, keys) and bool(_rest(label, row, keys))
        arm = _arm_of(row, roles, cues, second=same and bool(out))
        # no study column, a subgroup column, arms across: the rows are subgroups of one trial
        target = out[-1] if (same or by_subgroup) and out else d
        if target is d:
            out.append(d)
            labels.append(label if not _cites_study(row, keys) else "")
            prev_label = label
        subgroup = next((" ".join(row[i].text.split()) for i, r in roles.items() if r == "subgroup"), "")
        subgroup = "" if whole_population(subgroup, cues) else subgroup
        noted = next(
            (n for i, r in roles.items() if r == "patients" and (n := count_mark(row[i].text, grid.notes))),
            None,
        )
        subgroup = subgroup or (noted.label if noted else "")
        if pooled:
            d.design_word = "pooled"
        if counted and row[0].text.strip().isdigit():
            target.outcomes += _column_outcomes(
                target, "patients", row[0], head[0], row, roles, cues, grid.notes
            )
        for i in range(grid.n_cols):
            for o in _column_outcomes(
                target, roles.get(i, ""), row[i], head[i], row, roles, cues, grid.notes
            ):
                o.arm = o.arm or col_arms.get(i, "") or arm
                o.subgroup = o.subgroup or subgroup
                target.outcomes.append(o)
    for d in worded:  # a cohort stated in words only tells rows of one trial apart
        if sum(norm_key(x.trial) == norm_key(d.trial) for x in out) < 2:
            d.cohort = ""
    # studies across (transposed): the columns' headers name them, whatever their mentions
    return (
        [d for d in out if d.outcomes or d.trial or d.product]
        if transposed
        else _one_study(out, labels, cues)
    )


STUDY_MENTIONS = ("TRIAL", "PRODUCT", "REGISTRY_ID", "COHORT", "TARGET")


def _cites_study(row: list[Slot], keys: list[int]) -> bool:
    return any(m.label in STUDY_MENTIONS for i in keys for m in row[i].mentions)


def whole_population(label: str, cues: Cues) -> bool:
    """Whether a row label names the whole population ("Overall", "All patients (N = 310)"), not a
    subgroup of it: the row above the subgroups of a subgroup table."""
    bare = " ".join(BRACKETS.sub(" ", label).split()).strip(" ,;:*†‡").lower()
    return bool(bare) and cues.table is not None and bare in cues.table.whole_rows


def _one_study(out: list[StudyDraft], labels: list[str], cues: Cues) -> list[StudyDraft]:
    """A table none of whose rows names a study (a single trial's baseline characteristics or
    outcomes: "Mean (SD) age" | "31 (5)" | "30 (6)") is one study's: its rows are subgroups of that
    study, never studies of their own. A row names a study when its study cells hold a trial,
    product, registry id, cohort or target, or the row gives a product, author or design; the
    first column's text alone ("Mean age") is no trial name."""
    kept = [(d, lab) for d, lab in zip(out, labels, strict=True) if d.outcomes or d.trial or d.product]
    named = [not lab or bool(d.product or d.author or d.design_word or d.nct_id) for d, lab in kept]
    if len(kept) < 2 or any(named):
        return [d for d, _ in kept]
    first = kept[0][0]
    for d, label in kept:
        for o in d.outcomes:
            o.subgroup = o.subgroup or ("" if whole_population(label, cues) else label)
        if d is not first:
            first.outcomes += d.outcomes
            first.pages |= d.pages
    first.trial = first.cohort = ""
    first.n = None  # a row's count is its subgroup's, not the study's
    return [first]


def _column_arms(grid: Grid, head: list[Meaning], cues: Cues) -> dict[int, str]:
    """Arms across the columns under each metric ("No. of patients" over "Drug + chemo" | "Chemo
    alone"): among columns of one meaning, a header naming the comparator (a control word, or a
    hint such as "alone") is the control arm; the others stay investigational. Columns of one
    meaning with no comparator named (cohorts, timepoints) are left alone."""
    same: dict[tuple[str, tuple[str, ...], float | None], list[int]] = {}
    for i, m in enumerate(head):
        if m.role in ("metric", "patients"):
            same.setdefault((m.role, tuple(m.metrics), m.timepoint), []).append(i)
    words = cues.control_words + cues.comparator_hints
    out: dict[int, str] = {}
    for cols in same.values():
        named = [i for i in cols if names_any(grid.head[i].text, words)]
        if len(cols) > 1 and named and len(named) < len(cols):
            out.update({i: "control" for i in named})
    return out


def _rest(label: str, row: list[Slot], keys: list[int]) -> str:
    """A study cell's text beyond its trial name ("KESTREL, chemotherapy" -> "chemotherapy")."""
    ms = [m for i in keys for m in row[i].mentions if m.label in ("TRIAL", "REGISTRY_ID", "PHASE", "COHORT")]
    for m in ms:
        label = label.replace(m.text, " ")
    return " ".join(BRACKETS.sub(" ", label).strip(" ,;").split()).lower()


def _arm_of(row: list[Slot], roles: dict[int, str], cues: Cues, second: bool) -> str:
    texts = [row[i].text for i, r in roles.items() if r == "arm"]
    if texts and any(is_control(t, cues) for t in texts):
        return "control"
    return "control" if second else ""


def _column_outcomes(
    d: StudyDraft,
    role: str,
    s: Slot,
    meaning: Meaning,
    row: list[Slot],
    roles: dict[int, str],
    cues: Cues,
    notes: dict | None = None,
) -> list[Outcome]:
    found: list[Reading] = []
    if role == "patients":
        found = _patient_rows(d, s, row, roles, cues)
    elif role == "design":
        found = _dose_rows(_doses(s, cues))
    elif role == "dose":
        found = _dose_rows(_doses(s, cues)) or dose_readings(s, meaning)
    elif role in ("outcomes", "adverse") or (
        role == "" and meaning.role != "nonschema" and any(m.label == "METRIC" for m in s.mentions)
    ):
        text = " ".join(row[i].text for i, r in roles.items() if r == "patients")
        groups = _local_groups(text, cues)
        arms = _local_arms({i: row[i].text for i in roles}, {i: row[i].mentions for i in roles}, cues)
        found = parse_cell(s.text, s.mentions, cues, groups, arms)
        if role == "adverse" or meaning.grade3:
            found += grade3_events(s.text, cues, found)
    elif role == "metric":
        found = cell_readings(s, meaning, Meaning(), cues)
    return [outcome_of(r, s) for r in mark(found, s.text, notes or {})]


def _local_arms(text: dict[int, str], mentions: dict[int, list[Mention]], cues: Cues) -> dict[str, str]:
    """Arm abbreviations the row defines: "randomized to xyz-cel (XC) or to standard therapy (ST)"
    gives {"xc": "", "st": "control"} (a control word before the parenthesis names the comparator,
    a product NER found there the investigational arm)."""
    out: dict[str, str] = {}
    for i, row in text.items():
        products = [m for m in mentions.get(i, []) if m.label == "PRODUCT"]
        for m in re.finditer(r"((?:\S+\s+){0,3}\S+)\s*\(\s*([A-Z][A-Za-z0-9\-]{0,8})\s*\)", row):
            before = m.group(1).lower()
            if any(re.search(rf"\b{re.escape(w)}\b", before) for w in cues.control_words):
                out[m.group(2).lower()] = "control"
            elif any(m.start(1) <= p.start and p.end <= m.end(1) for p in products):
                out[m.group(2).lower()] = ""
    return out


_GROUP_N = re.compile(r"\b(\d+)\s+([A-Za-z][A-Za-z\-]*(?:\s[a-z][a-z\-]+)?)")


def _local_groups(patients: str, cues: Cues) -> dict[str, str]:
    """Subgroups the row defines ("40 high-risk 20 standard-risk"): label and its initials (HR)."""
    out: dict[str, str] = {}
    n = re.search(r"\bn\s*=\s*\d+", patients, flags=re.I)
    for m in _GROUP_N.finditer(patients[n.end() :] if n else ""):
        label = cues.subgroups.get(m.group(2).lower(), m.group(2))
        out[m.group(2).lower()] = label
        initials = "".join(w[0] for w in re.split(r"[\s\-]+", m.group(2)) if w)
        out.setdefault(initials.lower(), label)
    return out


def _patient_rows(
    d: StudyDraft, s: Slot, row: list[Slot], roles: dict[int, str], cues: Cues
) -> list[Reading]:
    n = next((m for m in s.mentions if m.label == "N" and isinstance(m.attrs.get("value"), int)), None)
    if n is None:
        counts = count_readings(s)
        if not counts:
            return []
        if d.n is None:
            d.n = counts[0][0]
        snippet = " ".join(s.text.split())
        return [Reading("N", float(v), "patients", arm=arm, snippet=snippet) for v, arm in counts]
    if d.n is None:
        d.n = n.attrs["value"]
    out = [Reading("N", float(n.attrs["value"]), "patients", snippet=n.text)]
    groups = _local_groups(s.text, cues)
    for m in _GROUP_N.finditer(s.text[n.end :]):
        label = groups.get(m.group(2).lower(), "")
        if label:
            out.append(
                Reading(
                    "N", float(m.group(1)), "patients", subgroup=label, snippet=" ".join(m.group().split())
                )
            )
    return out


def _doses(s: Slot, cues: Cues) -> list[Mention]:
    """DOSE mentions of a cell; a cell joined from printed lines is read again by the value grammar
    ("3.0 × 10^6" / "cells/kg (median)": the unit is on the next line)."""
    if not s.parts or cues.table is None:
        return [m for m in s.mentions if m.label == "DOSE"]
    return [Mention(h.label, s.text[h.start : h.end], h.canonical, h.start, h.end, "table", attrs=h.attrs)
            for h in cues.table.values.doses(s.text)]  # fmt: skip


def _dose_rows(ms: list[Mention]) -> list[Reading]:
    out = []
    for m in ms:
        if m.label != "DOSE":
            continue
        vals, unit = m.attrs.get("values") or [], m.attrs.get("unit", "cells")
        ranged = m.attrs.get("qualifier") == "range" and len(vals) == 2
        for k, v in enumerate(vals):
            q = (">=" if k == 0 else "<=") if ranged else ""
            out.append(Reading("DOSE", v, unit, q, snippet=" ".join(m.text.split())))
    return out
