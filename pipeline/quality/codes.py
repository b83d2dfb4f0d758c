"""`name_variant` for name-shaped tokens NER does not read as names, found against the paper's own
other spellings and rules/ (conventions, each configurable in rules/checks.yml `code_variant`):

- a **code** (capitals and digits, "AB123") printed rarely, one letter more or fewer than a code the
  paper prints more often with the same digits ("AB123" beside "ABC123" / "ABC-123");
- an **antigen named as a target** ("anti-XY47 CAR-T cells", "CD91-CAR-T") that is no antigen the
  rules or the paper know, one edit from an antigen named in the same table row or sentence
  (a CD number: only then, since CD numbers one digit apart are different antigens), or (five
  characters and more) two edits from an antigen of rules/;
- an **INN-shaped word** (ending in an INN stem, long) two edits from a known INN with the same stem
  (letters swapped across a syllable: one edit is the `misspelling` family's);
- a **metric abbreviation** printed once in a list of metric abbreviations ("PFS, QS, and DoR"), one
  edit from a metric abbreviation of rules/metrics.yml and defined nowhere in the paper.

Each finding gives both spellings and where each occurs, and the study of its row or sentence."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from rapidfuzz.distance import DamerauLevenshtein, Levenshtein

from pipeline.model import Document, Finding, Outcome, Study
from pipeline.quality.findings import Evidence, Severities, make
from pipeline.quality.spelling import NAME_LABELS, Hit, printed, tokens
from pipeline.quality.subjects import Subjects, key

_CODE = re.compile(r"\b[A-Z]{2,}[A-Za-z]*-?\d{2,}[A-Za-z]?\b")
_ANTI = re.compile(r"(?i:\banti)[-\s]?([A-Z][A-Za-z]*\d*[A-Za-z]?)\b")
_CAR = re.compile(r"\b([A-Z][A-Za-z]*\d+[A-Za-z]?|[A-Z]{3,}\d*)(?=-?\s*CAR\b)")
_CD = re.compile(r"^CD\d+[a-z]?$")
_ABBR = re.compile(r"\b[A-Z][A-Za-z]{1,4}\b")
_WORD = re.compile(r"\b[A-Za-z][a-z]{9,}\b")


def code_variants(
    doc: Document, studies: Sequence[Study], outcomes: Sequence[Outcome], subjects: Subjects,
    rules: Mapping[str, Any], conf: Mapping[str, Any], sev: Severities, check: str,
) -> list[Finding]:  # fmt: skip
    counts = Counter(map(key, tokens(doc)))
    counts.update(map(key, tokens(doc, _CODE)))
    variants = {key(str(m.attrs.get("raw") or m.text)) for m in doc.mentions if m.attrs.get("variant")}
    names = _names(doc, rules)
    found: list[tuple[str, str, str, list[Hit], str]] = []  # (label, printed, right, hits, canonical)
    found += _codes(doc, counts, names, conf)
    found += _antigens(doc, counts, rules, conf)
    found += _inns(doc, counts, names, conf)
    found += _abbreviations(doc, counts, rules, conf)
    out, seen = [], set()
    for label, bad, good, hits, canonical in found:
        if key(bad) in variants or key(bad) in seen:
            continue  # NER's normalised variants are the name_variant family's
        seen.add(key(bad))
        study = _study_of(hits[0], studies, outcomes)
        out.append(_finding(doc, label, bad, good, canonical, hits, study, subjects, sev, check))
    return out


def _names(doc: Document, rules: Mapping[str, Any]) -> dict[str, tuple[str, str]]:
    """key -> (label, canonical) of every product, code, trial and target rules/ or NER know."""
    out: dict[str, tuple[str, str]] = {}
    for p in (rules.get("products") or {}).get("products") or ():
        for n in [p.get("inn"), p.get("canonical"), *(p.get("codes") or ()), *(p.get("aliases") or ())]:
            for w in str(n or "").split():
                out.setdefault(key(w), ("PRODUCT", str(p.get("canonical"))))
    for m in doc.mentions:
        if m.label in NAME_LABELS and not m.attrs.get("variant"):
            out.setdefault(key(m.text), (m.label, m.canonical))
    return out


def _targets(doc: Document, rules: Mapping[str, Any], conf: Mapping[str, Any]) -> dict[str, str]:
    """key -> canonical of every antigen rules/ (and the check's `other_antigens`) or NER know."""
    out: dict[str, str] = {}
    for t in (rules.get("targets") or {}).get("targets") or ():
        canon = str(t.get("canonical") or t.get("name"))
        for n in [canon, *(t.get("aliases") or ())]:
            out.setdefault(key(str(n)), canon)
    for m in doc.mentions:
        if m.label == "TARGET" and not m.attrs.get("variant"):
            out.setdefault(key(m.text), m.canonical)
    return out


def _place(h: Hit) -> tuple:
    return (h.place.source, h.place.page, h.place.bbox, h.place.snippet)


def _distinct(hits: list[Hit]) -> list[Hit]:
    """The hits at distinct places, first kept, though two patterns found one (a set of the places so
    far: comparing with every hit costs hits x hits). Called only for the keys that pass the other
    tests: a hit's place (its boxes and snippet) is worked out when first asked for."""
    seen: set[tuple] = set()
    out = []
    for h in hits:
        if _place(h) not in seen:
            seen.add(_place(h))
            out.append(h)
    return out


def _codes(
    doc: Document, counts: Counter, names: Mapping[str, tuple[str, str]], conf: Mapping[str, Any]
) -> list[tuple[str, str, str, list[Hit], str]]:
    """A rare code one letter more or fewer than a code printed more often, same digits."""
    max_rare = int(conf.get("max_count") or 2)
    by_key: dict[str, list[Hit]] = defaultdict(list)
    for h in printed(doc, _CODE):
        by_key[key(h.token)].append(h)
    out = []
    by_digits: dict[str, list[str]] = defaultdict(list)  # codes by their digits: not every pair of codes
    for k in by_key:
        by_digits[re.sub(r"\D", "", k)].append(k)
    for k, hits in by_key.items():
        if counts[k] > max_rare or k in names:
            continue
        digits = re.sub(r"\D", "", k)
        for other in by_digits[digits] if len(digits) >= 2 else ():
            ohits = by_key[other]
            if other == k:
                continue
            la, lb = re.sub(r"\d", "", k), re.sub(r"\d", "", other)
            if abs(len(la) - len(lb)) != 1 or Levenshtein.distance(la, lb) != 1:
                continue  # one letter dropped or added (a letter changed may be another product)
            if counts[other] > counts[k] or other in names:
                label, canon = names.get(other, ("PRODUCT", ohits[0].token))
                out.append((label, hits[0].token, ohits[0].token, hits, canon))
                break
    return out


def _antigens(
    doc: Document, counts: Counter, rules: Mapping[str, Any], conf: Mapping[str, Any]
) -> list[tuple[str, str, str, list[Hit], str]]:
    """An antigen named as a target that no one knows, near a known antigen (see the module)."""
    max_rare = int(conf.get("max_count") or 2)
    targets = _targets(doc, rules, conf)
    ruled = {
        key(str(t.get("canonical") or t.get("name")))
        for t in (rules.get("targets") or {}).get("targets") or ()
    }
    other = {key(str(x)) for x in conf.get("other_antigens") or ()}
    far = int(conf.get("antigen_max_edits") or 2)
    by_key: dict[str, list[Hit]] = defaultdict(list)
    for pattern in (_ANTI, _CAR):
        for h in printed(doc, pattern, 1):
            by_key[key(h.token)].append(h)
    out = []
    for k, hits in by_key.items():
        tok = hits[0].token
        if k in targets or k in other or counts[k] > max_rare or not any(ch.isupper() for ch in tok[1:]):
            continue
        hits = _distinct(hits)
        near = [t for t in targets if DamerauLevenshtein.distance(k, t) == 1]
        in_context = [
            t for t in near if any(re.search(rf"(?i)\b{re.escape(targets[t])}\b", h.context) for h in hits)
        ]
        best = in_context[0] if in_context else ""
        if not best and not _CD.match(tok) and len(k) >= 5:
            best = next((t for t in ruled if DamerauLevenshtein.distance(k, t) <= far and t[:2] == k[:2]), "")
        if best:
            out.append(("TARGET", tok, targets[best], hits, targets[best]))
    return out


def _inns(
    doc: Document, counts: Counter, names: Mapping[str, tuple[str, str]], conf: Mapping[str, Any]
) -> list[tuple[str, str, str, list[Hit], str]]:
    """A long INN-shaped word two edits from a known INN of the same stem."""
    stems = tuple(str(x).lower() for x in conf.get("inn_stems") or ())
    known = {str(x).lower(): ("PRODUCT", str(x).lower()) for x in conf.get("known_inns") or ()}
    known.update({k: v for k, v in names.items() if k.endswith(stems) and k.isalpha()})
    max_rare = int(conf.get("max_count") or 2)
    min_len = int(conf.get("inn_min_length") or 10)
    by_key: dict[str, list[Hit]] = defaultdict(list)
    for h in printed(doc, _WORD):
        by_key[h.token.lower()].append(h)
    out = []
    for w, hits in by_key.items():
        stem = next((s for s in stems if w.endswith(s)), "")
        if not stem or len(w) < min_len or w in known or counts[w] > max_rare:
            continue
        hits = _distinct(hits)
        for r, (label, canon) in known.items():
            if r.endswith(stem) and r[0] == w[0] and DamerauLevenshtein.distance(r, w) == 2:
                out.append((label, hits[0].token, r, hits, canon))
                break
    return out


def _abbreviations(
    doc: Document, counts: Counter, rules: Mapping[str, Any], conf: Mapping[str, Any]
) -> list[tuple[str, str, str, list[Hit], str]]:
    """A metric abbreviation misprinted in a list of metric abbreviations (see the module)."""
    abbrs: dict[str, str] = {}
    for metric, spec in ((rules.get("metrics") or {}).get("metrics") or {}).items():
        for s in (spec or {}).get("synonyms") or ():
            s = str(s)
            if 2 <= len(s) <= 5 and s[0].isupper() and " " not in s and s.isalpha():
                abbrs.setdefault(s.upper(), str(metric))
    defined = set(re.findall(r"\(([A-Z][A-Za-z]{1,4})\)", doc.text)) | set(
        re.findall(r"\b([A-Z][A-Za-z]{1,4}) \(", doc.text)
    )
    min_list = int(conf.get("abbreviation_list_min") or 2)
    out = []
    for h in printed(doc, _ABBR):
        tok = h.token
        if (
            tok.upper() in abbrs
            or tok in defined
            or counts[key(tok)] > 1
            or sum(ch.isupper() for ch in tok) < 2
        ):
            continue
        near = [a for a in abbrs if Levenshtein.distance(a, tok.upper()) == 1 and len(a) >= 2]
        if not near:
            continue
        around = h.place.snippet
        i = around.find(tok)
        window = around[max(0, i - 25) : i + len(tok) + 25]
        listed = [a for a in re.findall(r"\b[A-Z][A-Za-z]{1,4}\b", window) if a.upper() in abbrs]
        if len(listed) >= min_list and re.search(
            rf"[,;]\s*{re.escape(tok)}\s*[,;]|[,;]\s*{re.escape(tok)}\s+(?:and|or)\b", window
        ):
            good = min(near, key=lambda a: (len(a) != len(tok) - 1, a))
            out.append(("METRIC", tok, good, [h], good))
    return out


def _study_of(hit: Hit, studies: Sequence[Study], outcomes: Sequence[Outcome]) -> Study | None:
    """The study whose outcomes are printed in the hit's sentence (text) or row (table)."""
    ctx = " ".join(hit.context.split())
    by_id = {s.study_id: s for s in studies}
    for o in outcomes:
        snip = " ".join(o.snippet.split())
        if (
            o.page == hit.place.page
            and len(snip) >= 20
            and (snip in ctx or ctx in snip)
            and o.study_id in by_id
        ):
            return by_id[o.study_id]
    return None


def _finding(
    doc: Document, label: str, bad: str, good: str, canonical: str, hits: list[Hit], study: Study | None,
    subjects: Subjects, sev: Severities, check: str,
) -> Finding:  # fmt: skip
    elsewhere = [h.place for h in printed(doc, re.compile(rf"\b{re.escape(good)}\b"))][:2] if good else []
    ev = [Evidence(f"printed {h.place.source}", bad, "text" if h.place.source == "text" else "table", h.place.page, h.place.snippet, h.place.bbox) for h in hits[:3]]  # fmt: skip
    ev += [Evidence(f"elsewhere {p.source}", good, "text" if p.source == "text" else "table", p.page, p.snippet, p.bbox) for p in elsewhere]  # fmt: skip
    where_bad = ", ".join(f"{h.place.source} p{h.place.page}" for h in hits)
    where_good = ", ".join(dict.fromkeys(f"{p.source} p{p.page}" for p in elsewhere)) or "rules/"
    msg = f'{label.lower()} printed "{bad}" ({where_bad}); the paper elsewhere prints "{good}" ({where_good}) = {canonical}'
    trial = (
        canonical
        if label == "TRIAL"
        else (subjects.trial_for_product(canonical) if label == "PRODUCT" else "")
    )
    return make(
        doc.doc_id, check, sev.get(check), f"{label}|{bad}", msg, ev, study=study,
        trial=trial or (study.trial if study else ""), product=canonical if label == "PRODUCT" else None,
    )  # fmt: skip
