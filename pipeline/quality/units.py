"""`unit_mismatch`: a product's dose given in cells in one place and in cells/kg in another
(`unit_mismatches`); a dose column's header unit contradicted by the text or the cell (`header_units`)."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from pipeline.model import Document, Finding, Outcome, outcome_id
from pipeline.quality.findings import Evidence, Severities, describe, make
from pipeline.quality.subjects import Subjects, key


def unit_mismatches(
    doc_id: str, outcomes: Sequence[Outcome], conf: Mapping[str, Any], sev: Severities
) -> list[Finding]:
    """Within one study (`scope: study`, a trial and its cohorts) or across a product's studies
    (`scope: product`: children dosed per kg and adults flat are different quantities, so off by
    default)."""
    units = set(conf.get("dose_units") or ("cells", "cells/kg"))
    per_study = (conf.get("scope") or "study") == "study"
    by: dict[tuple[str, str], dict[str, Outcome]] = defaultdict(dict)
    for o in outcomes:
        if o.metric == "DOSE" and o.product and o.unit in units:
            by[(o.product, (o.trial or o.study_id) if per_study else "")].setdefault(o.unit, o)
            # one dose level printed in both units is a slip whichever studies print it
            by[(o.product, f"level {o.value:g}")].setdefault(o.unit, o)
    printed: dict[tuple[str, float, str], list[str]] = defaultdict(list)  # every study printing a level so
    for o in outcomes:
        if o.metric == "DOSE" and o.product and o.unit in units and o.value is not None:
            label = " ".join(x for x in (o.trial or o.study_id, o.cohort) if x)
            if label not in printed[(o.product, o.value, o.unit)]:
                printed[(o.product, o.value, o.unit)].append(label)
    out = []
    for (product, scope), first in by.items():
        scopes = {o.trial or o.study_id for o in first.values()}
        if len(first) < 2 or (scope.startswith("level ") and per_study and len(scopes) < 2):
            continue  # a level printed in both units within one study is that study's finding
        ev = [
            Evidence(
                f"{o.source} {o.unit}", f"{o.value:.3g}", o.source, o.page, o.snippet, o.bbox, outcome_id(o)
            )
            for o in first.values()
        ]
        msg = f"{product} dose given in {' and '.join(first)}: " + " vs ".join(
            f"{describe(e)} [{o.study_id}]" for e, o in zip(ev, first.values(), strict=True)
        )
        # the same level in each unit wherever the paper prints it (a per-kg dose printed flat in
        # every row of a table names every row)
        msg += "".join(
            f"; {o.value:.3g} {u} printed for {', '.join(printed[(product, o.value, u)])}"
            for u, o in first.items()
            if o.value is not None and len(printed[(product, o.value, u)]) > 1
        )
        out.append(
            make(
                doc_id,
                "unit_mismatch",
                sev.get("unit_mismatch"),
                f"{product}|{scope}|DOSE" if scope else f"{product}|DOSE",
                msg,
                ev,
                metric="DOSE",
                product=product,
                study_id=";".join(dict.fromkeys(o.study_id for o in first.values())),
            )
        )
    return out


_NUM = r"(\d+(?:\.\d+)?)"


def _unit_key(u: str, aliases: Mapping[str, str]) -> str:
    u = re.sub(r"\s+", "", u).replace("μ", "µ").lower()
    return aliases.get(u, u)


def header_units(
    doc: Document, subjects: Subjects, conf: Mapping[str, Any], sev: Severities, check: str
) -> list[Finding]:
    """A dose column headed with one unit ("Dose (mg)") whose cell's number the text (or the cell
    itself) gives with another unit for the same study ("150 µg/kg"): same number, different unit."""
    header_re = re.compile(str(conf.get("dose_header") or r"(?i)\bdose\b"))
    units = [str(u) for u in conf.get("units") or ("mg", "mg/kg", "µg/kg", "mg/m2", "cells", "cells/kg")]
    aliases = {_unit_key(k, {}): _unit_key(v, {}) for k, v in (conf.get("unit_aliases") or {}).items()}
    alt = "|".join(sorted((re.escape(u).replace("/", r"\s*/\s*") for u in units), key=len, reverse=True))
    alt = alt.replace("µ", "[µμu]")
    in_text = re.compile(rf"{_NUM}\s*({alt})(?![A-Za-z])")
    said: dict[tuple[str, float], list[tuple[str, int, int]]] = defaultdict(list)  # (study, value) -> units
    for m in in_text.finditer(doc.text):
        who = subjects.of_text(m.start())
        if who.name:
            said[(key(who.name), float(m.group(1)))].append(
                (_unit_key(m.group(2), aliases), m.start(), m.end())
            )
    out = []
    for t in doc.tables:
        for col, head in enumerate(t.header()):
            hu = re.search(rf"\(\s*({alt})\s*\)|,\s*({alt})\s*$", head) if header_re.search(head) else None
            if not hu:
                continue
            unit = _unit_key(hu.group(1) or hu.group(2), aliases)
            for c in t.cells:
                if c.col != col or c.row < t.header_rows:
                    continue
                num = re.match(rf"\s*{_NUM}", c.text)
                if not num:
                    continue
                value = float(num.group(1))
                who = subjects.of_cell(t.table_id, c.row, col, c.text)
                own = in_text.match(c.text.strip())
                others = (
                    [(_unit_key(own.group(2), aliases), -1, -1)]
                    if own
                    else said.get((key(who.name), value), [])
                )
                other = next((o for o in others if o[0] != unit), None)
                if other is None:
                    continue
                page = c.box.page if c.box else (t.pages[0] if t.pages else 0)
                ev = [
                    Evidence(
                        f"table ({head})",
                        f"{num.group(1)} {unit}",
                        "table",
                        page,
                        c.text,
                        str(c.box) if c.box else "",
                    )
                ]
                if other[1] >= 0:
                    boxes = doc.locate(other[1], other[2])
                    snippet = doc.text[max(0, other[1] - 60) : other[2] + 20]
                    ev.append(
                        Evidence(
                            "text",
                            f"{num.group(1)} {other[0]}",
                            "text",
                            doc.page_of(other[1]),
                            " ".join(snippet.split()),
                            str(boxes[0]) if boxes else "",
                        )
                    )
                where = "the text" if other[1] >= 0 else "the cell"
                msg = f'{who.name or t.table_id}: {t.table_id} column "{head}" reads {num.group(1)} {unit}, {where} gives {num.group(1)} {other[0]}'
                out.append(make(doc.doc_id, check, sev.get(check), f"header|{t.table_id}|{c.row}|{col}", msg, ev,
                                metric="DOSE", trial=who.name, product=who.product))  # fmt: skip
    return out
