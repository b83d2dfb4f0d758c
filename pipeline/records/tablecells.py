"""What a header path or a row label says a number is, and the readings of one value cell.

A label ("Median PFS, mo (95% CI)", "24-mo PFS (%)", "Grade ≥3 CRS / ICANS", "Dose (mg)", "Patients, n")
gives a `Meaning`: a column role (rules/records.yml `columns`), the metrics it names (rules/metrics.yml
phrases; under a grade cue, the grade ≥3 event names), its timepoint and the unit it prints. A value
cell is read by the value grammar (pipeline.ner.values.read_cell) and takes its metric from its column's
meaning, else from its row's; a cell naming metrics itself ("ORR 52%; CR 39%") is read as a run of
metric-value segments (cells.parse_cell), the same reading sentences get."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pipeline.model import Mention, Outcome
from pipeline.ner.values import CellValue, mass_doses, read_cell
from pipeline.records.cells import Reading, finish, parse_cell
from pipeline.records.cues import Cues
from pipeline.records.grid import Slot

_CI = re.compile(r"\(?\s*95\s*%\s*CI\s*\)?", re.I)
_MASS = re.compile(r"\(\s*(mg/kg|mg/m2|mg/m²|mg|µg/kg|μg/kg|µg|μg|g)\s*\)")
_PCT = re.compile(r"%|\bpercent")
_MONTHS = re.compile(r"\b(?:mo|mos|months?)\b", re.I)
_N_LABEL = re.compile(r"(?:^|[\s,(])(?:n|N|no\.)\s*\)?\s*$")
_MEDIAN = re.compile(r"\bmedian\b", re.I)
_ARM_N = re.compile(r"[(\[]\s*[Nn]\s*=\s*\d[\d,]*\s*[)\]]")


@dataclass
class Meaning:
    role: str = ""  # a rules/records.yml column role, "metric", "dose", "nonschema", or ""
    metrics: list[str] = field(default_factory=list)
    timepoint: float | None = None
    unit: str = ""  # the unit the label prints
    grade3: bool = False

    @property
    def metric(self) -> str:
        return self.metrics[0] if self.metrics else ""


def label_meaning(text: str, cues: Cues) -> Meaning:
    tc = cues.table
    t = " ".join(text.split())
    if not t or tc is None:
        return Meaning()
    if tc.nonschema_re.search(t):
        return Meaning("nonschema")
    grade3 = bool(tc.grade_re.search(t))
    found: list[tuple[int, int, str]] = []
    if grade3:  # event names first: "CRS grade ≥3" is no CR
        found = [(m.start(), m.end(), code) for rx, code in tc.events for m in rx.finditer(t)]
    for m in tc.metric_re.finditer(t):
        if not any(s < m.end() and m.start() < e for s, e, _ in found):
            found.append((m.start(), m.end(), tc.metric_of[int((m.lastgroup or "m0")[1:])]))
    codes: list[str] = []
    for _, _, code in sorted(found):
        if _MEDIAN.search(t) and code in cues.median_of:
            code = cues.median_of[code]
        if code not in codes:
            codes.append(code)
    tps = tc.values.timepoints(t)
    bare = _CI.sub(" ", t)
    for h in sorted(tps, key=lambda h: -h.start):
        bare = bare[: h.start] + bare[h.end :] if h.end <= len(bare) else bare
    mass = _MASS.search(t)
    unit = "%" if _PCT.search(bare) else "months" if _MONTHS.search(bare) else mass.group(1) if mass else ""
    role = column_role(_ARM_N.sub(" ", t), cues)  # "Drug A (N = 306)": an arm's size, no count column
    if codes:
        role = "metric"
    elif role == "design" and (mass or re.search(r"\bdos(?:e|es|ing)\b", t, re.I)):
        role = "dose"
    elif not role and _N_LABEL.search(t):
        role = "patients"
    elif not role and grade3:
        role = "adverse"
    tp = tps[0].attrs.get("months") if tps else None
    return Meaning(role, codes, tp, unit, grade3)


def column_role(text: str, cues: Cues) -> str:
    """The role whose header word (rules/records.yml `columns`) the label holds, longest word first."""
    h = " ".join(text.lower().split())
    best, best_len = "", 0
    for role, words in cues.column_words.items():
        for w in words:
            w = str(w).lower()
            if len(w) > best_len and re.search(rf"(?<![a-z0-9]){re.escape(w)}(?![a-z0-9])", h):
                best, best_len = role, len(w)
    return best


def _value_mention(text: str, value: float | None, unit: str, qualifier: str) -> Mention:
    return Mention(
        "VALUE", text, "", 0, len(text), attrs={"value": value, "unit": unit, "qualifier": qualifier}
    )


def reading(metric: str, cv: CellValue, k: int, label: Meaning, text: str, cues: Cues) -> Reading | None:
    """The k-th value of a read cell as `metric`, units from the cell, else the label, else the metric."""
    unit = cv.unit or label.unit
    if unit not in ("%", "months", "patients", ""):
        unit = ""
    r = finish(metric, _value_mention(text, cv.values[k], unit, cv.qualifier), cues, label.timepoint)
    if r is not None:
        r.snippet = " ".join(text.split())
    return r


def cell_readings(slot: Slot, col: Meaning, row: Meaning, cues: Cues) -> list[Reading]:
    """Readings of one value cell under its column's and its row's meanings."""
    if "nonschema" in (col.role, row.role) or not slot.text.strip():
        return []
    label = col if col.metrics else row
    if any(m.label == "METRIC" for m in slot.mentions) or (label.grade3 or col.role == "adverse"):
        out = parse_cell(slot.text, slot.mentions, cues, {})
        if label.grade3 or col.role in ("adverse", "outcomes"):
            out += grade3_events(slot.text, cues, out)
        if out:
            for r in out:
                if r.timepoint is None and label.timepoint is not None and r.unit == "%":
                    r.timepoint = label.timepoint
            return out
    if not label.metrics:
        return []
    if len(label.metrics) > 1 and "/" in slot.text:  # "4% / 3%" under "CRS / ICANS"
        parts = [read_cell(p) for p in slot.text.split("/")]
        if len(parts) == len(label.metrics):
            out = []
            for code, cv in zip(label.metrics, parts, strict=True):
                r = reading(code, cv, 0, label, slot.text, cues) if cv and cv.kind in ("one", "nr") else None
                out += [r] if r else []
            return out
    cv = read_cell(slot.text)
    if cv is None or cv.kind not in ("one", "nr", "percent", "count"):
        return []
    r = reading(label.metric, cv, 0, label, slot.text, cues)
    return [r] if r else []


_EVENT_VALUE = re.compile(r"(?P<v>\d+(?:\.\d+)?)\s*%")


def grade3_events(text: str, cues: Cues, taken: list[Reading]) -> list[Reading]:
    """ "CRS 9% NT 17%", "CRS / ICANS 2% / 5%" under a grade ≥3 header: event names in order, then
    their values in the same order; names NER already read as metrics are left to them."""
    tc = cues.table
    if tc is None:
        return []
    names = sorted((m.start(), code) for rx, code in tc.events for m in rx.finditer(text))
    names = [n for i, n in enumerate(names) if i == 0 or n[0] != names[i - 1][0]]
    values = list(_EVENT_VALUE.finditer(text))
    have = {r.metric for r in taken}
    if not names or len(names) != len(values) or have & {c for _, c in names}:
        return []
    out = []
    for (_, code), v in zip(names, values, strict=True):
        out.append(Reading(code, float(v.group("v")), "%", snippet=" ".join(text.split()),
                           start=v.start(), end=v.end()))  # fmt: skip
    return out


def dose_readings(slot: Slot, label: Meaning) -> list[Reading]:
    """A dose cell under a header printing the unit ("Dose (mg)"): one row per printed level, a range
    as its two bounds (>=, <=)."""
    snippet = " ".join(slot.text.split())
    printed = mass_doses(slot.text)
    if printed:  # the cell prints its unit: "28 µg/day (9 µg/day in week 1)"
        return [Reading("DOSE", v, unit, q, snippet=snippet) for v, unit, q in printed]
    cv = read_cell(slot.text)
    if cv is None or cv.kind == "nr" or not label.unit:
        return []
    if cv.kind == "range":
        lo, hi = cv.values
        return [Reading("DOSE", lo, label.unit, ">=", snippet=snippet),
                Reading("DOSE", hi, label.unit, "<=", snippet=snippet)]  # fmt: skip
    if cv.kind in ("one", "list"):
        return [Reading("DOSE", v, label.unit, cv.qualifier, snippet=snippet) for v in cv.values]
    return []


def count_readings(slot: Slot) -> list[tuple[int, str]]:
    """Patient counts of a cell: "30", "49b", "271 vs 134" (the second the comparator's)."""
    ns = [m for m in slot.mentions if m.label == "N" and isinstance(m.attrs.get("value"), int)]
    if ns:
        return [(int(ns[0].attrs["value"]), "")]
    cv = read_cell(slot.text)
    if cv is None or cv.kind not in ("one", "pair", "count") or cv.unit == "%":
        return []
    vals = [v for v in cv.values if v is not None and v == int(v) and v > 0]
    if len(vals) != len(cv.values):
        return []
    return [(int(v), "" if k == 0 else "control") for k, v in enumerate(vals)]


def outcome_of(r: Reading, s: Slot | None = None) -> Outcome:
    o = Outcome(
        doc_id="", study_id="", metric=r.metric, value=r.value, unit=r.unit, source="table",
        arm=r.arm, subgroup=r.subgroup, timepoint_months=r.timepoint, qualifier=r.qualifier, snippet=r.snippet,
    )  # fmt: skip
    box = s.box_at(r.start) if s is not None else None
    if box is not None:
        o.page, o.bbox = box.page, str(box)
    o.n = r.n
    return o
