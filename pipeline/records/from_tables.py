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
- a baseline table (caption) gives only the n of each arm its header prints."""

from __future__ import annotations

import re

from pipeline.model import Document, Mention, Outcome
from pipeline.records.cells import Reading, parse_cell
from pipeline.records.cues import Cues, first_canonical, norm_key
from pipeline.records.drafts import StudyDraft, expand_refs
from pipeline.records.grid import Grid, Slot, build_grid, numeric
from pipeline.records.notes import mark, note_readings, population_notes
from pipeline.records.tablecells import (
    Meaning,
    cell_readings,
    count_readings,
    dose_readings,
    grade3_events,
    label_meaning,
)

_GLUED_REFS = re.compile(r"(?<=[A-Za-z])(\d{1,3}(?:\s*[-–,]\s*\d{1,3})*)\s*$")
_GROUP_N = re.compile(r"\b(\d+)\s+([A-Za-z][A-Za-z\-]*(?:\s[a-z][a-z\-]+)?)")
_AUTHOR = re.compile(
    r"^(?P<a>[A-Z][A-Za-z'\-]+)(?:\s+(?:et\s+al\.?|and\s+[A-Z][A-Za-z'\-]+))?,?\s*\(?(?P<y>(?:19|20)\d{2})?"
)
_CI = re.compile(r"\(?\s*95\s*%\s*CI\s*\)?", re.I)
_COHORT = re.compile(
    r",\s*(?:(?P<a>[A-Za-z0-9+\-]{1,12})\s+(?:cohort|subcohort|part)|(?:cohort|part)\s+(?P<b>[A-Za-z0-9]{1,6}))\s*$",
    re.I,
)
_BRACKETS = re.compile(r"\[[^\]]*\]|\([^)]*\)")
STUDY_ROLES = ("agent", "trial", "registry")
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
        _data_cuts(grid, [o for d in found for o in d.outcomes], cues)
        _label_values(grid, found, cues)
        _note_rows(grid, found)
        _caption_study(found, _caption_mentions(doc, table.caption))
        for d in found:
            unnamed = not (d.trial or d.product or d.design_word or d.cohort)
            for o in d.outcomes:  # below rules/review.yml low_confidence: queued for a curator
                o.confidence = min(o.confidence, UNSURE if unnamed or grid.rebuilt else 1.0)
        for d in found:
            d.pages |= set(table.pages[:1]) | {o.page for o in d.outcomes if o.page}
            for o in d.outcomes:
                o.table_id = table.table_id
        drafts.extend(found)
    _share_authors(drafts)
    return drafts


def _data_cuts(grid: Grid, outcomes: list[Outcome], cues: Cues) -> None:
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


def _label_values(grid: Grid, drafts: list[StudyDraft], cues: Cues) -> None:
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
            o = _outcome(r, label)
            o.analysis = " ".join(cut.group(0).lower().split()) if cut else ""
            owner.outcomes.append(o)


def _note_rows(grid: Grid, drafts: list[StudyDraft]) -> None:
    """A note defining the subgroup of values it marks prints that subgroup's count and dose: rows
    of the study whose values it marks, placed on the note."""
    for note in grid.notes.values():
        for d in drafts:
            if any(o.subgroup == note.label for o in d.outcomes):
                for r in note_readings(note):
                    o = _outcome(r)
                    o.page, o.bbox = note.box.page, str(note.box)
                    d.outcomes.append(o)


def _share_authors(drafts: list[StudyDraft]) -> None:
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


def _caption_mentions(doc: Document, caption: str) -> list[Mention]:
    """NER's mentions of the table's caption (a body block of its own)."""
    if not caption.strip():
        return []
    key = " ".join(caption.split())[:40]
    for b in doc.blocks:
        if b.kind == "caption" and " ".join(b.text.split()).startswith(key):
            return [m for m in doc.mentions if m.source == "text" and b.start <= m.start < b.end]
    return []


def _caption_study(drafts: list[StudyDraft], ms: list[Mention]) -> None:
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


def read_grid(grid: Grid, cues: Cues) -> list[StudyDraft]:
    if not grid.rows or cues.table is None:
        return []
    out = _read_layout(grid, cues)
    if not any(d.outcomes for d in out) and _arm_headers(grid, 0):
        d = StudyDraft("table")  # rows of no schema metric (adverse events by name): the arms' n only
        _arm_counts(d, grid, [label_meaning(s.text, cues) for s in grid.head], range(1, grid.n_cols), cues)
        out = [d] if d.outcomes else out
    return out


def _read_layout(grid: Grid, cues: Cues) -> list[StudyDraft]:
    head = [label_meaning(s.text, cues) for s in grid.head]
    if cues.table.baseline_re.search(grid.caption):
        d = StudyDraft("table")
        _arm_counts(d, grid, head, range(1, grid.n_cols), cues)
        return [d] if d.outcomes else []
    j = _label_column(grid, cues)
    if j is not None:
        if j > 0 or _arm_headers(grid, j):
            return _arm_columns(grid, j, head, cues)
        t = grid.transposed()
        return _study_rows(t, [label_meaning(s.text, cues) for s in t.head], cues, transposed=True)
    named = [m.role for m, s in zip(head, grid.head, strict=True) if m.role and not _names_study(s)]
    if len(set(named)) < 2 and grid.n_cols > 1:
        firsts = {m.role for r in grid.rows if (m := _is_label(r[0], cues)) is not None}
        if len(firsts) >= 2:  # roles down the first column, studies across
            t = grid.transposed()
            return _study_rows(t, [label_meaning(s.text, cues) for s in t.head], cues, transposed=True)
    return _study_rows(grid, head, cues)


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
def _study_rows(grid: Grid, head: list[Meaning], cues: Cues, transposed: bool = False) -> list[StudyDraft]:
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
        _study_fields(d, roles, row, cues)
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
    bare = " ".join(_BRACKETS.sub(" ", label).split()).strip(" ,;:*†‡").lower()
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
        named = [i for i in cols if _names_any(grid.head[i].text, words)]
        if len(cols) > 1 and named and len(named) < len(cols):
            out.update({i: "control" for i in named})
    return out


def _names_any(text: str, words: list[str]) -> bool:
    low = text.lower()
    return any(re.search(rf"(?<![a-z]){re.escape(w)}(?![a-z])", low) for w in words)


def _rest(label: str, row: list[Slot], keys: list[int]) -> str:
    """A study cell's text beyond its trial name ("KESTREL, chemotherapy" -> "chemotherapy")."""
    ms = [m for i in keys for m in row[i].mentions if m.label in ("TRIAL", "REGISTRY_ID", "PHASE", "COHORT")]
    for m in ms:
        label = label.replace(m.text, " ")
    return " ".join(_BRACKETS.sub(" ", label).strip(" ,;").split()).lower()


def _arm_of(row: list[Slot], roles: dict[int, str], cues: Cues, second: bool) -> str:
    texts = [row[i].text for i, r in roles.items() if r == "arm"]
    if texts and any(_control(t, cues) for t in texts):
        return "control"
    return "control" if second else ""


def _control(text: str, cues: Cues) -> bool:
    return _names_any(text, cues.control_words)


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
    return [_outcome(r, s) for r in mark(found, s.text, notes or {})]


def _study_fields(d: StudyDraft, roles: dict[int, str], row: list[Slot], cues: Cues) -> None:
    unnamed = ""
    for i, role in roles.items():
        s = row[i]
        t, ms = s.text, s.mentions
        if role == "agent":
            refs = expand_refs(s.refs)
            m = _GLUED_REFS.search(t)
            if not refs and m:  # superscript citations glued to the name by a plain text layer
                refs, t = expand_refs([m.group(1).replace(" ", "")]), t[: m.start()]
            d.refs = d.refs or refs
            d.product = d.product or first_canonical(ms, "PRODUCT") or _code_name(t, ms)
            tm = next((x for x in ms if x.label == "PRODUCT"), None)
            d.target = d.target or (tm.attrs.get("target", "") if tm else "") or _targets(ms)
            unnamed = unnamed or cues.unnamed.label(t, ms)[0]  # "Anti-CD20 CAR-T and anti-CD22 CAR-T"
        elif role in ("trial", "registry"):
            _trial_fields(d, t, ms, cues)
        elif role == "phase":
            d.phase = d.phase or first_canonical(ms, "PHASE")
            d.design_word = d.design_word or cues.design_word(t)
        elif role == "patients":
            d.population = d.population or " ".join(re.split(r"\bn\s*=", t, flags=re.I)[0].split()).strip(
                " ,;"
            )
        elif role == "design":
            d.design = d.design or " ".join(t.split())
            d.design_word = d.design_word or cues.design_word(t)
            d.phase = d.phase or first_canonical(ms, "PHASE")
        elif role == "cohort" and not d.cohort:
            d.cohort = first_canonical(ms, "COHORT") or (
                " ".join(t.split()) if len(t.split()) <= 3 else t.split()[0]
            )
        elif role == "target" and not d.target:
            d.target = _targets(ms) or " ".join(t.split())
    if not d.product:  # the product may be named only in the design or another cell, else by what it is
        d.product = next((p for i in roles if (p := first_canonical(row[i].mentions, "PRODUCT"))), unnamed)


_FOOTNOTE = re.compile(r"(?<=[A-Z0-9]{3})[a-e†‡*]$")  # "KESTRELa": a footnote mark glued to a name


def _trial_fields(d: StudyDraft, t: str, ms: list[Mention], cues: Cues) -> None:
    d.trial = d.trial or _FOOTNOTE.sub("", first_canonical(ms, "TRIAL"))
    d.cohort = d.cohort or first_canonical(ms, "COHORT")
    # as printed when malformed (NER's canonical is then empty): the quality stage reports it
    d.nct_id = d.nct_id or next((x.canonical or x.text for x in ms if x.label == "REGISTRY_ID"), "")
    d.phase = d.phase or first_canonical(ms, "PHASE")
    if d.trial or not re.search(r"[A-Za-z0-9]", t) or re.fullmatch(r"\s*(?:NA|N/A|n/a|NR|none)\s*", t):
        return  # nothing printed, or "not reported"
    rest = t
    for x in sorted(ms, key=lambda x: -x.start):
        if x.label in ("REGISTRY_ID", "COHORT", "PHASE"):
            rest = rest[: x.start] + rest[x.end :]
    rest = " ".join(_BRACKETS.sub(" ", rest).split()).strip(" ,;")
    coh = _COHORT.search(rest)
    if coh and not d.cohort:  # "GO12345, FL cohort": a cohort the name cell states in words
        d.cohort = coh.group("a") or coh.group("b")
        rest = rest[: coh.start()].strip(" ,;")
    author = _AUTHOR.match(rest)
    d.design_word = d.design_word or cues.design_word(rest)
    if author and (author.group("y") or "et al" in rest):  # "Maude 2014", "Brennecke et al."
        d.design_word = "-".join(x.lower() for x in (author.group("a"), author.group("y")) if x)
        d.population = d.population or rest
    elif not d.design_word and 0 < len(rest.split(",")[0].split()) <= 3:
        name = rest.split(",")[0].strip()  # a code name such as "XRT204" (", arm" after it aside)
        code = re.fullmatch(r"([A-Z][A-Z0-9\-]*\d[A-Z0-9\-]*)\s+([A-Z][A-Za-z0-9+\-]{1,10})", name)
        if code and not d.cohort:  # "GO12345 FL": a code-named trial and a cohort label
            name, d.cohort = code.group(1), code.group(2)
        d.trial = _FOOTNOTE.sub("", name)


def _code_name(text: str, ms: list[Mention]) -> str:
    """An agent cell's first word when it has the shape of a code name NER does not know ("KBX7
    (CD19/CD22)", "41-7bz CAR"): letters and digits together; a plain word is no product."""
    first = (_BRACKETS.sub(" ", text).split() or [""])[0].strip(",;")
    if any(m.label == "TARGET" and (first in m.text or m.text in first) for m in ms):
        return ""  # an antigen ("CD19 CAR-T cells")
    return first if re.fullmatch(r"(?=\S*\d)(?=\S*[A-Za-z])[A-Za-z0-9][\w/\-]{1,14}", first) else ""


def _targets(ms: list[Mention]) -> str:
    """The antigens NER found in a cell, as one combination ("BCMA+CD19")."""
    names = {p for m in ms if m.label == "TARGET" for p in m.canonical.split("+")}
    return "+".join(sorted(names))


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


# -- arms across the columns ------------------------------------------------------------------------
def _arm_columns(grid: Grid, j: int, head: list[Meaning], cues: Cues) -> list[StudyDraft]:
    arms = [k for k in range(j + 1, grid.n_cols) if head[k].role != "nonschema"
            and any(r[k].text.strip() for r in grid.rows)]  # fmt: skip
    if not arms:
        return []
    roles = {i: (head[i].role if head[i].role in STUDY_ROLES + ("phase",) else "trial") for i in range(j)}
    out: list[StudyDraft] = []
    for row in grid.rows:
        if not out or any(row[i].text.strip() for i in range(j)):
            d = StudyDraft("table")
            _study_fields(d, roles, row, cues)
            if not out:
                _arm_counts(d, grid, head, arms, cues)
            out.append(d)
        d = out[-1]
        label = label_meaning(row[j].text, cues)
        if label.role == "nonschema":
            continue
        for idx, k in enumerate(arms):
            arm = "control" if idx or _control(grid.head[k].text, cues) else ""
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
                d.outcomes.append(_outcome(r, s))
    return [d for d in out if d.outcomes]


def _arm_counts(d: StudyDraft, grid: Grid, head: list[Meaning], cols, cues: Cues) -> None:
    """The n each arm's header prints ("Drug A (N = 306)"): an N row per arm, the first arm's product.
    An arm's group header over several columns ("Drug A (N = 303)" over "Any grade" | "Grade ≥3") is
    one arm. A caption naming an analysis population other than the whole ("(Safety Population)")
    makes that population the subgroup of these counts."""
    idx = 0
    seen: set[str] = set()
    population = caption_population(grid.caption, cues)
    for k in cols:
        s = grid.head[k]
        n = next((m for m in s.mentions if m.label == "N" and isinstance(m.attrs.get("value"), int)), None)
        if n is None or head[k].role == "nonschema":
            continue
        printed = " ".join(s.text[: n.end].split())
        if printed in seen:
            continue
        seen.add(printed)
        arm = "control" if idx or _control(s.text, cues) else ""
        if not arm:
            d.product = d.product or first_canonical(s.mentions, "PRODUCT")
            d.n = d.n or (None if population else n.attrs["value"])
        r = Reading("N", float(n.attrs["value"]), "patients", arm=arm, subgroup=population,
                    snippet=" ".join(s.text.split()))  # fmt: skip
        d.outcomes.append(_outcome(r, s))
        idx += 1


def caption_population(caption: str, cues: Cues) -> str:
    """The analysis population a caption names (rules/records.yml `flow` populations: "safety
    population", "per-protocol"), else "" (the whole, intention-to-treat population)."""
    low = caption.lower()
    pops = cues.flow.get("populations", {})
    return next((label for label, pats in pops.items() if any(re.search(p, low) for p in pats)), "")


def _outcome(r: Reading, s: Slot | None = None) -> Outcome:
    o = Outcome(
        doc_id="", study_id="", metric=r.metric, value=r.value, unit=r.unit, source="table",
        arm=r.arm, subgroup=r.subgroup, timepoint_months=r.timepoint, qualifier=r.qualifier, snippet=r.snippet,
    )  # fmt: skip
    box = s.box_at(r.start) if s is not None else None
    if box is not None:
        o.page, o.bbox = box.page, str(box)
    o.n = r.n
    return o


__all__ = ["column_roles", "read_grid", "read_tables", "norm_key"]
