"""Registry ids: `malformed_id` (printed ids that are not well-formed), `duplicate_id` (one id
printed for two different trials) and `registry_mismatch` (NCT id or phase contradicting
rules/registry.yml)."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from pipeline.model import Document, Finding, Mention, Study
from pipeline.quality import numbers
from pipeline.quality.consistency import _page
from pipeline.quality.findings import Evidence, Severities, describe, make
from pipeline.quality.subjects import Subjects
from pipeline.quality.subjects import key as name_key


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


def _registry_ids(doc: Document) -> list[Mention]:
    return [m for m in doc.mentions if m.label == "REGISTRY_ID"]


def _raw(m: Mention) -> str:
    return " ".join(m.text.split())


def _valid(m: Mention, patterns: Mapping[str, str]) -> bool:
    """Well-formed by NER's verdict and by the shape rules/checks.yml gives its registry."""
    if m.attrs.get("malformed"):
        return False
    pat = patterns.get(str(m.attrs.get("registry") or ""))
    return not pat or re.match(pat, _raw(m)) is not None


def malformed_mentions(
    doc: Document, studies: Sequence[Study], subjects: Subjects, conf: Mapping[str, Any], sev: Severities
) -> list[Finding]:
    """REGISTRY_ID mentions that are not well-formed (NER's verdict, or the registry's shape in
    rules/checks.yml: NCT + 8 digits, EudraCT yyyy-nnnnnn-cc, ISRCTN, ChiCTR, jRCT, ACTRN, CTRI),
    one finding per printed form, naming the trial (and product) each is printed for. A form that
    is only spaced out ("NCT 01234567") gets `normalisable_severity`."""
    patterns = dict(conf.get("patterns") or {})
    # ids kept on a study are reported by the studies expectation suite, with the study
    on_studies = {" ".join(s.nct_id.split()).upper() for s in studies if s.nct_id}
    groups: dict[str, list[Mention]] = defaultdict(list)
    for m in _registry_ids(doc):
        if not _valid(m, patterns) and _raw(m).upper() not in on_studies:
            groups[_raw(m)].append(m)
    out = []
    for raw, ms in groups.items():
        who = [subjects.of(m) for m in ms]
        names = list(dict.fromkeys(w.name for w in who if w.name))
        products = list(dict.fromkeys(w.product for w in who if w.product))
        ev = [
            Evidence(m.source, raw, m.source, m.page, m.sentence, str(m.box) if m.box else "") for m in ms[:5]
        ]
        pages = ", ".join(f"p{m.page}" for m in ms)
        pat = patterns.get(str(ms[0].attrs.get("registry") or ""), "")
        squeezed = re.sub(r"[\s_]", "", raw)
        spaced = bool(pat) and squeezed != raw and re.match(pat, squeezed) is not None
        severity = sev.get("malformed_id", "normalisable_severity") if spaced else sev.get("malformed_id")
        # no name printed near it: the studies the records gave this id (read without its spaces)
        kept = [
            st for st in studies if st.nct_id and re.sub(r"[\s_]", "", st.nct_id).upper() == squeezed.upper()
        ]
        kept = kept if not names and not products else []
        products = products or list(dict.fromkeys(st.product for st in kept if st.product))
        owner = f" for {', '.join(names or [st.study_id for st in kept])}" if names or kept else ""
        why = f"reads {squeezed} without spaces" if spaced else "not well-formed"
        msg = f'registry id "{raw}"{owner} ({pages}): {why}'
        out.append(
            make(
                doc.doc_id, "malformed_id", severity, f"mention|{raw}", msg, ev,
                trial=";".join(names), product=";".join(products),
                study_id=";".join(st.study_id for st in kept) or None,
            )
        )  # fmt: skip
    return out


def _printed_ids(
    doc: Document, subjects: Subjects, registry: Registry
) -> dict[str, list[tuple[str, Mention, str]]]:
    """Well-formed id -> [(trial name as printed, mention, product)] wherever it is printed."""
    by: dict[str, list[tuple[str, Mention, str]]] = defaultdict(list)
    for m in _registry_ids(doc):
        if m.attrs.get("malformed") or not m.canonical:
            continue
        who = subjects.of(m)
        if who.name:
            by[m.canonical.upper()].append((registry.canonical(who.name), m, who.product))
    return by


def _distinct(names: Sequence[str]) -> list[str]:
    """Names that are different trials: one spelled as another ("ALPHA 7" / "ALPHA-7"), or one
    the other plus a footnote letter, are the same."""
    out: list[str] = []
    for n in names:
        k = name_key(n)
        if not any(_same(k, name_key(o)) for o in out):
            out.append(n)
    return out


def _same(a: str, b: str) -> bool:
    short, long_ = sorted((a, b), key=len)
    return long_.startswith(short) and len(long_) - len(short) <= 1


def duplicate_mentions(
    doc: Document, subjects: Subjects, registry: Registry, sev: Severities
) -> list[Finding]:
    """One well-formed id printed for two different trials (read from the mentions, so ids the
    records did not keep on a study count too). Same subject as `duplicate_ids`: one finding."""
    out = []
    for nct, items in _printed_ids(doc, subjects, registry).items():
        trials = sorted(_distinct([t for t, _, _ in items]), key=str.lower)
        if len(trials) < 2:
            continue
        ev = [
            Evidence(t, nct, m.source, m.page, m.sentence, str(m.box) if m.box else "") for t, m, _ in items
        ]
        products = list(dict.fromkeys(p for _, _, p in items if p))
        places = ", ".join(f"{t} ({m.table_id or m.source} p{m.page})" for t, m, _ in items)
        msg = f"{nct} is printed for {len(trials)} different trials: {places}"
        out.append(
            make(
                doc.doc_id, "duplicate_id", sev.get("duplicate_id"), nct, msg, ev,
                trial=";".join(trials), product=";".join(products),
            )
        )  # fmt: skip
    return out


def two_ids(
    doc: Document, subjects: Subjects, registry: Registry, sev: Severities, check: str
) -> list[Finding]:
    """One trial printed with two different well-formed ids of the same registry (an id another
    trial also carries is left to `duplicate_id`, which explains it)."""
    printed = _printed_ids(doc, subjects, registry)
    shared = {i for i, items in printed.items() if len(_distinct([t for t, _, _ in items])) > 1}
    by_trial: dict[str, dict[tuple[str, str], list[Mention]]] = defaultdict(lambda: defaultdict(list))
    names: dict[str, str] = {}
    for nct, items in printed.items():
        for t, m, _ in items:
            k = name_key(t)
            names.setdefault(k, t)
            by_trial[k][(str(m.attrs.get("registry") or ""), nct)].append(m)
    out = []
    for k, ids_ in by_trial.items():
        per_registry: dict[str, list[str]] = defaultdict(list)
        for reg, nct in ids_:
            per_registry[reg].append(nct)
        for reg, found in per_registry.items():
            if len(found) < 2 or shared & set(found):
                continue
            ms = [ids_[(reg, n)][0] for n in found]
            ev = [Evidence(m.source, n, m.source, m.page, m.sentence, str(m.box) if m.box else "")
                  for n, m in zip(found, ms, strict=True)]  # fmt: skip
            msg = f"{names[k]} is printed with {len(found)} {reg or 'registry'} ids: " + ", ".join(
                f"{n} ({m.table_id or m.source} p{m.page})" for n, m in zip(found, ms, strict=True)
            )
            subject = f"two|{k}|{reg}"
            out.append(make(doc.doc_id, check, sev.get(check), subject, msg, ev, trial=names[k]))
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
