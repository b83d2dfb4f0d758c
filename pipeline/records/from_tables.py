"""Study rows of result tables into drafts with outcome records.

Column roles come from what the header says (rules/records.yml `columns`, or a metric name such as
"ORR (%)"), never from position; a table whose first column holds the role words (trials in columns,
metrics in rows) is read transposed. Rows whose agent and trial cells are empty continue the row above."""

from __future__ import annotations

import re

from pipeline.model import Cell, Document, Mention, Outcome, Table
from pipeline.records.cells import Reading, finish, parse_cell
from pipeline.records.cues import Cues, first_canonical, norm_key
from pipeline.records.drafts import StudyDraft, expand_refs

_GLUED_REFS = re.compile(r"(?<=[A-Za-z])(\d{1,3}(?:\s*[-–,]\s*\d{1,3})*)\s*$")
_GROUP_N = re.compile(r"\b(\d+)\s+([A-Za-z][A-Za-z\-]*(?:\s[a-z][a-z\-]+)?)")


def column_roles(header: list[str], cues: Cues) -> dict[int, str]:
    """Column index -> role (agent, trial, phase, patients, design, outcomes, adverse, target, metric:CODE)."""
    roles: dict[int, str] = {}
    for i, name in enumerate(header):
        h = " ".join(name.lower().split())
        bare = re.sub(r"\(.*?\)|[,:]|%|\bmonths?\b", " ", h).strip()
        if bare and bare in cues.metric_codes:
            roles[i] = "metric:" + cues.metric_codes[bare]
            continue
        best, best_len = "", 0
        for role, words in cues.column_words.items():
            for w in words:
                w = str(w).lower()
                if re.search(rf"(?<![a-z0-9]){re.escape(w)}(?![a-z0-9])", h) and len(w) > best_len:
                    best, best_len = role, len(w)
        if best and (best in ("outcomes", "adverse") or best not in roles.values()):
            roles[i] = best
    return roles


def _oriented(
    table: Table, cues: Cues
) -> tuple[list[list[str]], list[list[Cell | None]], dict[int, str], int]:
    grid = table.grid()
    cells: list[list[Cell | None]] = [[None] * table.n_cols for _ in range(table.n_rows)]
    for c in table.cells:
        cells[c.row][c.col] = c
    hr = max(1, table.header_rows)
    roles = column_roles(table.header(), cues)
    if len(set(roles.values())) < 2 and table.n_cols > 1:
        first = [" ".join(grid[r][0].split()) for r in range(table.n_rows)]
        t_roles = column_roles(first, cues)
        if len(set(t_roles.values())) >= 2:  # trials in columns, metrics in rows
            grid = [list(col) for col in zip(*grid, strict=True)]
            cells = [list(col) for col in zip(*cells, strict=True)]
            return grid, cells, t_roles, 1
    return grid, cells, roles, hr


def _row_groups(grid: list[list[str]], roles: dict[int, str], hr: int) -> list[list[int]]:
    keys = [i for i, r in roles.items() if r in ("agent", "trial")]
    groups: list[list[int]] = []
    for r in range(hr, len(grid)):
        if not any(x.strip() for x in grid[r]):
            continue
        if groups and keys and not any(grid[r][k].strip() for k in keys):
            groups[-1].append(r)  # a continuation row (page break, row split by a stray rule)
        else:
            groups.append([r])
    return groups


def read_tables(doc: Document, cues: Cues) -> list[StudyDraft]:
    by_cell: dict[tuple[str, int, int], list[Mention]] = {}
    for m in doc.mentions:
        if m.source == "table":
            by_cell.setdefault((m.table_id, m.row, m.col), []).append(m)
    drafts: list[StudyDraft] = []
    for table in doc.tables:
        try:
            drafts.extend(_read_table(table, cues, by_cell))
        except (IndexError, ValueError):  # a malformed grid: skip the table, never the document
            continue
    return drafts


def _joined(
    cells: list[Cell | None], table_id: str, by_cell: dict[tuple[str, int, int], list[Mention]]
) -> tuple[str, list[Mention]]:
    """The text of one column over a row group (cells joined by a space) and NER's mentions of those
    cells, their offsets moved into the joined text."""
    text, out = "", []
    for c in cells:
        if c is None or not c.text.strip():
            continue
        if text:
            text += " "
        base = len(text)
        text += c.text
        for m in by_cell.get((table_id, c.row, c.col), []):
            out.append(Mention(m.label, m.text, m.canonical, m.start + base, m.end + base, attrs=m.attrs))
    return text, sorted(out, key=lambda m: (m.start, -m.end))


def _read_table(
    table: Table, cues: Cues, by_cell: dict[tuple[str, int, int], list[Mention]]
) -> list[StudyDraft]:
    grid, cells, roles, hr = _oriented(table, cues)
    if not any(r in ("outcomes", "adverse") or r.startswith("metric:") for r in roles.values()):
        return []  # not a results table
    out: list[StudyDraft] = []
    for rows in _row_groups(grid, roles, hr):
        col_cells = {i: [cells[r][i] for r in rows] for i in range(len(grid[0]))}
        joined = {i: _joined(col_cells[i], table.table_id, by_cell) for i in range(len(grid[0]))}
        text = {i: t for i, (t, _) in joined.items()}
        lexed = {i: ms for i, (_, ms) in joined.items()}
        d = StudyDraft("table", pages={p for p in table.pages[:1]})
        _study_fields(d, roles, text, lexed, col_cells, cues)
        groups = _local_groups(text.get(_col(roles, "patients"), ""), cues)
        arms = _local_arms(text, lexed, cues)
        for i, role in roles.items():
            found: list[Outcome] = []
            if role == "patients":
                found = _patient_rows(d, text[i], lexed[i], groups)
            elif role == "design":
                found = _dose_rows(text[i], lexed[i])
            elif role in ("outcomes", "adverse"):
                found = [_outcome(r) for r in parse_cell(text[i], lexed[i], cues, groups, arms)]
            elif role.startswith("metric:"):
                vals = [m for m in lexed[i] if m.label == "VALUE"]
                if vals:
                    r = finish(role[7:], vals[0], cues, None)
                    if r is not None:
                        r.snippet = text[i]
                        found = [_outcome(r)]
            boxes = [c.box for c in col_cells[i] if c is not None and c.box]
            for o in found:
                o.table_id = table.table_id
                if boxes:
                    o.page, o.bbox = boxes[0].page, str(boxes[0])
                    d.pages.add(boxes[0].page)
            d.outcomes.extend(found)
        if d.outcomes or d.trial or d.product:
            out.append(d)
    return out


def _col(roles: dict[int, str], role: str) -> int:
    return next((i for i, r in roles.items() if r == role), -1)


def _study_fields(d: StudyDraft, roles, text, lexed, col_cells, cues: Cues) -> None:
    for i, role in roles.items():
        t, ms = text[i], lexed[i]
        if role == "agent":
            refs = expand_refs([r for c in col_cells[i] if c is not None for r in c.refs])
            m = _GLUED_REFS.search(t)
            if not refs and m:  # superscript citations glued to the name by a plain text layer
                refs, t = expand_refs([m.group(1).replace(" ", "")]), t[: m.start()]
            d.refs = refs
            d.product = first_canonical(ms, "PRODUCT")
            tm = next((x for x in ms if x.label == "PRODUCT"), None)
            d.target = (tm.attrs.get("target", "") if tm else "") or _targets(ms)
        elif role == "trial":
            d.trial = first_canonical(ms, "TRIAL")
            d.cohort = first_canonical(ms, "COHORT")
            # as printed when malformed (NER's canonical is then empty): the quality stage reports it
            d.nct_id = next((x.canonical or x.text for x in ms if x.label == "REGISTRY_ID"), "")
            if not d.trial:
                rest = t
                for x in sorted(ms, key=lambda x: -x.start):
                    if x.label in ("REGISTRY_ID", "COHORT"):
                        rest = rest[: x.start] + rest[x.end :]
                d.design_word = cues.design_word(rest)
                if not d.design_word and 0 < len(rest.split()) <= 3:
                    d.trial = " ".join(rest.split())  # a code name such as "CTL109"
        elif role == "phase":
            d.phase = first_canonical(ms, "PHASE")
            if not d.design_word:
                d.design_word = cues.design_word(t)
        elif role == "patients":
            d.population = " ".join(re.split(r"\bn\s*=", t, flags=re.I)[0].split()).strip(" ,;")
        elif role == "design":
            d.design = " ".join(t.split())
            d.design_word = d.design_word or cues.design_word(t)
        elif role == "target" and not d.target:
            d.target = _targets(ms) or " ".join(t.split())
    if not d.product:  # the product may be named only in the design ("infusion of Xyz-Cel")
        for i, role in roles.items():
            if role == "design" and (p := first_canonical(lexed[i], "PRODUCT")):
                d.product = p


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


def _patient_rows(d: StudyDraft, text: str, ms: list[Mention], groups: dict[str, str]) -> list[Outcome]:
    n = next((m for m in ms if m.label == "N" and isinstance(m.attrs.get("value"), int)), None)
    if n is None:
        n = _bare_count(text, ms)
    if n is None:
        return []
    d.n = n.attrs["value"]
    out = [_outcome(Reading("N", float(d.n), "patients", snippet=n.text))]
    for m in _GROUP_N.finditer(text[n.end :]):
        label = groups.get(m.group(2).lower(), "")
        if label:
            r = Reading(
                "N", float(m.group(1)), "patients", subgroup=label, snippet=" ".join(m.group().split())
            )
            out.append(_outcome(r))
    return out


def _bare_count(text: str, ms: list[Mention]) -> Mention | None:
    """A patients cell holding only a whole number ("359"): NER read it as a VALUE because the header
    it saw was a trial name (a transposed table, where "Patients" labels the row)."""
    vals = [m for m in ms if m.label == "VALUE"]
    if len(vals) != 1 or text.strip() != vals[0].text.strip():
        return None
    v = vals[0].attrs.get("value")
    if not isinstance(v, float | int) or v != int(v) or v <= 0 or vals[0].attrs.get("unit"):
        return None
    m = vals[0]
    return Mention("N", m.text, str(int(v)), m.start, m.end, attrs={"value": int(v), "cue": "row header"})


def _dose_rows(text: str, ms: list[Mention]) -> list[Outcome]:
    out = []
    for m in ms:
        if m.label != "DOSE":
            continue
        vals, unit = m.attrs.get("values") or [], m.attrs.get("unit", "cells")
        ranged = m.attrs.get("qualifier") == "range" and len(vals) == 2
        for k, v in enumerate(vals):
            q = (">=" if k == 0 else "<=") if ranged else ""
            out.append(_outcome(Reading("DOSE", v, unit, q, snippet=" ".join(m.text.split()))))
    return out


def _outcome(r: Reading) -> Outcome:
    return Outcome(
        doc_id="", study_id="", metric=r.metric, value=r.value, unit=r.unit, source="table",
        arm=r.arm, subgroup=r.subgroup, timepoint_months=r.timepoint, qualifier=r.qualifier, snippet=r.snippet,
    )  # fmt: skip


__all__ = ["column_roles", "read_tables", "norm_key"]
