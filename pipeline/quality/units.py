"""`unit_mismatch`: a product's dose given in cells in one place and in cells/kg in another."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from pipeline.model import Finding, Outcome
from pipeline.quality.findings import Evidence, Severities, describe, make


def unit_mismatches(
    doc_id: str, outcomes: Sequence[Outcome], conf: Mapping[str, Any], sev: Severities
) -> list[Finding]:
    units = set(conf.get("dose_units") or ("cells", "cells/kg"))
    by: dict[str, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        if o.metric == "DOSE" and o.product and o.unit in units:
            by[o.product].append(o)
    out = []
    for product, doses in by.items():
        # one study's dose in both units, or one level printed in both: a flat dose in one study
        # and a per-kg dose in another (adults and children) are different quantities, no error
        pair = next(
            (
                (a, b)
                for a in doses
                for b in doses
                if a.unit < b.unit and (a.study_id == b.study_id or a.value == b.value)
            ),
            None,
        )
        if pair is None:
            continue
        first = {o.unit: o for o in pair}
        ev = [
            Evidence(f"{o.source} {o.unit}", f"{o.value:.3g}", o.source, o.page, o.snippet, o.bbox)
            for o in first.values()
        ]
        msg = f"{product} dose given in {' and '.join(first)}: " + " vs ".join(
            f"{describe(e)} [{o.study_id}]" for e, o in zip(ev, first.values(), strict=True)
        )
        out.append(
            make(
                doc_id,
                "unit_mismatch",
                sev.get("unit_mismatch"),
                f"{product}|DOSE",
                msg,
                ev,
                metric="DOSE",
                product=product,
                study_id=";".join(dict.fromkeys(o.study_id for o in first.values())),
            )
        )
    return out
