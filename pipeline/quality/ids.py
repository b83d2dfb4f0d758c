"""Registry ids: `malformed_id` (printed ids that are not well-formed), `duplicate_id` (one id
printed for two different trials) and `registry_mismatch` (NCT id or phase contradicting
rules/registry.yml)."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from pipeline.model import Document, Finding, Study
from pipeline.quality import numbers
from pipeline.quality.consistency import _page
from pipeline.quality.findings import Evidence, Severities, describe, make


class Registry:
    """Known trials by lower-cased name/alias and by NCT id."""

    def __init__(self, registry: Mapping[str, Any] | None) -> None:
        self.by_name: dict[str, Mapping[str, Any]] = {}
        self.by_nct: dict[str, Mapping[str, Any]] = {}
        for t in (registry or {}).get("trials") or ():
            for name in [t.get("name", "")] + list(t.get("aliases") or ()):
                if name:
                    self.by_name[str(name).lower()] = t
            if t.get("nct_id"):
                self.by_nct[str(t["nct_id"]).upper()] = t

    def find(self, s: Study) -> Mapping[str, Any] | None:
        if s.trial:
            return self.by_name.get(s.trial.lower())
        return self.by_nct.get((s.nct_id or "").upper())

    def canonical(self, trial: str) -> str:
        t = self.by_name.get(trial.lower())
        return str(t["name"]) if t else trial


def malformed_mentions(
    doc: Document, studies: Sequence[Study], pattern: str, sev: Severities
) -> list[Finding]:
    """REGISTRY_ID mentions NER marked malformed. Ids already kept on a study are reported by the
    studies expectation suite instead (same finding id), so they are left out here."""
    on_studies = {" ".join(s.nct_id.split()).upper() for s in studies if s.nct_id}
    ok = re.compile(pattern)
    groups: dict[str, list] = defaultdict(list)
    for m in doc.mentions:
        raw = " ".join(m.text.split())
        bad = m.attrs.get("malformed") or (m.attrs.get("registry") == "NCT" and not ok.match(raw))
        if m.label == "REGISTRY_ID" and bad and raw.upper() not in on_studies:
            groups[raw].append(m)
    out = []
    for raw, ms in groups.items():
        ev = [
            Evidence(m.source, raw, m.source, m.page, m.sentence, str(m.box) if m.box else "") for m in ms[:5]
        ]
        pages = ", ".join(f"p{m.page}" for m in ms)
        msg = f'registry id "{raw}" ({pages}) is not well-formed'
        out.append(make(doc.doc_id, "malformed_id", sev.get("malformed_id"), f"mention|{raw}", msg, ev))
    return out


def duplicate_ids(
    doc: Document, studies: Sequence[Study], registry: Registry, sev: Severities
) -> list[Finding]:
    doc_id = doc.doc_id
    by_id: dict[str, list[Study]] = defaultdict(list)
    for s in studies:
        if s.nct_id and s.trial:
            by_id[s.nct_id.upper()].append(s)
    out = []
    for nct, group in by_id.items():
        trials = list(dict.fromkeys(registry.canonical(s.trial) for s in group))
        if len(trials) < 2:
            continue
        printed = [m for m in doc.mentions if m.label == "REGISTRY_ID" and m.canonical.upper() == nct]
        ev = []
        for s in group:
            source = "table" if "table" in s.sources else "text"
            page = _page(s, "table") or _page(s, "text")
            # where the id is printed for this study: its first unused mention on the study's page
            m = next((m for m in printed if m.source == source and m.page == page), None)
            if m is not None:
                printed.remove(m)
            where = (m.sentence, str(m.box)) if m is not None and m.box else ("", "")
            ev.append(Evidence(s.trial + (f" {s.cohort}" if s.cohort else ""), nct, source, page, *where))
        msg = f"{nct} is printed for {len(trials)} different trials: " + ", ".join(describe(e) for e in ev)
        out.append(
            make(
                doc_id,
                "duplicate_id",
                sev.get("duplicate_id"),
                nct,
                msg,
                ev,
                study_id=";".join(s.study_id for s in group),
                trial=";".join(trials),
                cohort=";".join(dict.fromkeys(s.cohort for s in group if s.cohort)),
                product=group[0].product,
            )
        )
    return out


def registry_mismatches(
    doc_id: str, studies: Sequence[Study], registry: Registry, sev: Severities, aliases: Mapping[str, str]
) -> list[Finding]:
    groups: dict[tuple, list[tuple[Study, list[Evidence]]]] = defaultdict(list)
    for s in studies:
        entry = registry.find(s)
        if not entry:
            continue
        name, ref_nct = str(entry.get("name", "")), str(entry.get("nct_id") or "").upper()
        if (
            ref_nct
            and s.nct_id
            and re.fullmatch(r"NCT\d{8}", s.nct_id.upper())
            and s.nct_id.upper() != ref_nct
        ):
            other = registry.by_nct.get(s.nct_id.upper())
            note = f" (the registry id of {other['name']})" if other and other is not entry else ""
            ev = [
                Evidence(
                    "table" if "table" in s.sources else "text",
                    s.nct_id.upper() + note,
                    "table" if "table" in s.sources else "text",
                    _page(s, "table") or _page(s, "text"),
                ),
                Evidence("registry", ref_nct),
            ]
            groups[(name, "nct", s.nct_id.upper())].append((s, ev))
        ref_phase = numbers.phase(str(entry.get("phase") or ""), aliases)
        for source, printed in (("table", s.phase), ("text", s.phase_text)):
            got = numbers.phase(printed, aliases)
            if ref_phase and got and _level(got) != _level(ref_phase):
                if source == "table" and "table" not in (s.sources or "table"):
                    source = "text"
                ev = [
                    Evidence(source, printed, source, _page(s, source)),
                    Evidence("registry", f"{entry.get('phase')} ({ref_nct})"),
                ]
                groups[(name, "phase", source, got)].append((s, ev))
    out = []
    for key, items in groups.items():
        group = [s for s, _ in items]
        ev = items[0][1]
        what = key[1]
        label = key[0] + (
            " " + "/".join(s.cohort for s in group if s.cohort) if any(s.cohort for s in group) else ""
        )
        msg = f"{label} {what}: {describe(ev[0])} but {describe(ev[1])} [{items[0][0].trial and 'rules/registry.yml'}]"
        out.append(
            make(
                doc_id,
                "registry_mismatch",
                sev.get("registry_mismatch"),
                "|".join(key[:3]),
                msg,
                ev,
                group[0],
                study_id=";".join(s.study_id for s in group),
                cohort=";".join(s.cohort for s in group if s.cohort),
            )
        )
    return out


def _level(phase: str) -> str:
    """Phase without sub-phase letters: 'Ib/II' and 'I/II' are the same design level."""
    return re.sub(r"[ab]", "", phase)
