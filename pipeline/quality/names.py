"""`name_variant`: names printed in a form NER had to normalise (typos, case, near matches),
one finding per printed form, listing every place it occurs."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from pipeline.model import Finding, Mention
from pipeline.quality.findings import Evidence, Severities, make
from pipeline.quality.subjects import Subjects


def _truncations(mentions: Sequence[Mention]) -> set[tuple[str, str]]:
    """(canonical, lower-case form) of the leading words of a name printed whole elsewhere
    ("Zelbacabtagene" in a narrow cell, "zelbacabtagene autoleucel" in the text): not misspelled."""
    out = set()
    for m in mentions:
        if not m.attrs.get("variant"):
            words = m.text.lower().split()
            out.update((m.canonical, " ".join(words[:i])) for i in range(1, len(words)))
    return out


def name_variants(
    doc_id: str, mentions: Sequence[Mention], conf: Mapping[str, Any], sev: Severities,
    subjects: Subjects | None = None,
) -> list[Finding]:  # fmt: skip
    by_label = dict(conf.get("severity_by_label") or {})
    info_min = float(conf.get("info_min_score") or 101)
    groups: dict[tuple[str, str, str], list[Mention]] = defaultdict(list)
    cut = _truncations(mentions)
    skip = set(conf.get("skip_labels") or ())  # e.g. REGISTRY_ID: malformed_id reports those
    for m in mentions:
        raw = " ".join(str(m.attrs.get("raw") or m.text).split())
        if m.attrs.get("variant") and m.label not in skip and (m.canonical, raw.lower()) not in cut:
            groups[(m.label, raw, m.canonical)].append(m)
    out = []
    for (label, raw, canonical), ms in groups.items():
        score = min(float(m.attrs.get("score", m.score)) for m in ms)
        severity = by_label.get(label) or ("info" if score >= info_min else sev.get("name_variant"))
        ev = [
            Evidence(
                m.source, f'"{raw}" -> {canonical}', m.source, m.page, m.sentence, str(m.box) if m.box else ""
            )
            for m in ms[:5]
        ]
        places = ", ".join(f"{m.table_id or m.source} p{m.page}" for m in ms)
        msg = f'{label.lower()} printed "{raw}" ({places}) read as {canonical} (match score {score:.0f})'
        out.append(
            make(
                doc_id,
                "name_variant",
                severity,
                f"{label}|{raw}",
                msg,
                ev,
                trial=canonical
                if label == "TRIAL"
                else (subjects.trial_for_product(canonical) if subjects and label == "PRODUCT" else ""),
                metric=canonical if label == "METRIC" else "",
                product=canonical if label == "PRODUCT" else "",
            )
        )
    return out
