"""The study a table row names: its trial, cohort, registry id, phase, product, target, design and
population, read from the cells of the row's study columns (by their roles)."""

from __future__ import annotations

import re

from pipeline.model import Mention
from pipeline.records.cues import Cues, first_canonical
from pipeline.records.drafts import StudyDraft, expand_refs
from pipeline.records.grid import Slot

_GLUED_REFS = re.compile(r"(?<=[A-Za-z])(\d{1,3}(?:\s*[-–,]\s*\d{1,3})*)\s*$")


_AUTHOR = re.compile(
    r"^(?P<a>[A-Z][A-Za-z'\-]+)(?:\s+(?:et\s+al\.?|and\s+[A-Z][A-Za-z'\-]+))?,?\s*\(?(?P<y>(?:19|20)\d{2})?"
)


_COHORT = re.compile(
    r",\s*(?:(?P<a>[A-Za-z0-9+\-]{1,12})\s+(?:cohort|subcohort|part)|(?:cohort|part)\s+(?P<b>[A-Za-z0-9]{1,6}))\s*$",
    re.I,
)


BRACKETS = re.compile(r"\[[^\]]*\]|\([^)]*\)")


STUDY_ROLES = ("agent", "trial", "registry")


def study_fields(d: StudyDraft, roles: dict[int, str], row: list[Slot], cues: Cues) -> None:
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
    rest = " ".join(BRACKETS.sub(" ", rest).split()).strip(" ,;")
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
    first = (BRACKETS.sub(" ", text).split() or [""])[0].strip(",;")
    if any(m.label == "TARGET" and (first in m.text or m.text in first) for m in ms):
        return ""  # an antigen ("CD19 CAR-T cells")
    return first if re.fullmatch(r"(?=\S*\d)(?=\S*[A-Za-z])[A-Za-z0-9][\w/\-]{1,14}", first) else ""


def _targets(ms: list[Mention]) -> str:
    """The antigens NER found in a cell, as one combination ("BCMA+CD19")."""
    names = {p for m in ms if m.label == "TARGET" for p in m.canonical.split("+")}
    return "+".join(sorted(names))
