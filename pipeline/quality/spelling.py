"""`name_variant` from the paper's own spellings: a product, trial or target name printed rarely in
a form one or two letters away from a form the paper prints more often (or rules/ knows), or with
its separators moved ("ALPHA NHL-7" / "ALPHA-NHL7"). Found from the printed words alone, so a
misspelling NER did not recognise ("valbotamib" beside "valbotamab") is found too; each finding
gives both spellings and where each occurs."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rapidfuzz.distance import DamerauLevenshtein

from pipeline.model import Block, Cell, Document, Finding, Study, Table
from pipeline.quality.findings import Evidence, Severities, make
from pipeline.quality.subjects import Subjects, key

_TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-–][A-Za-z0-9]+)*")
_SEP = re.compile(r"[\s\-–]+")
# a trial-like name of up to two words: ALPHA-7, ALPHA NHL-7, Kestrel-4
_PHRASE = re.compile(
    r"\b(?:[A-Z]{2,}[A-Za-z0-9]*\s(?!NCT|ISRCTN|ChiCTR|ACTRN|CTRI)[A-Z]{2,}[-–]?\d+[A-Za-z]?\b"
    r"|[A-Z][A-Za-z0-9]*(?:[-–][A-Za-z0-9]+)*\b)"
)
NAME_LABELS = ("PRODUCT", "TRIAL", "TARGET")


@dataclass
class Place:
    source: str  # "text" or a table id
    page: int
    snippet: str
    bbox: str = ""


@dataclass
class Ref:
    """A spelling the paper (or rules/) vouches for: its label and canonical name."""

    label: str
    canonical: str
    count: int = 0


def _fold(s: str) -> str:
    """A capitalised word folded to lower case at its first letter ("Valbotamab" ~ "valbotamab");
    words with inner capitals ("KarMMA", "ALPHA-7") stay as printed."""
    return s[:1].lower() + s[1:] if len(s) > 1 and s[1].islower() else s


class Hit:
    """One printed token and where: its place, and the sentence or table row it is in (`context`).
    Both are worked out when first asked for: most tokens are only counted."""

    __slots__ = ("_args", "_context", "_place", "_where", "token")

    def __init__(self, token: str, where: Callable[..., tuple[Place, str]], *args: Any) -> None:
        self.token = token
        self._where: Callable[..., tuple[Place, str]] | None = where
        self._args = args
        self._place: Place | None = None
        self._context = ""

    def _resolve(self) -> None:
        if self._where is not None:
            self._place, self._context = self._where(*self._args)
            self._where, self._args = None, ()

    @property
    def place(self) -> Place:
        self._resolve()
        assert self._place is not None
        return self._place

    @property
    def context(self) -> str:
        self._resolve()
        return self._context


def printed(doc: Document, pattern: re.Pattern[str] = _TOKEN, group: int = 0) -> Iterator[Hit]:
    """Every match in the body text (context: its sentence) and in table cells (context: the row)."""
    starts = [a for a, _ in doc.sentences]
    for b in doc.blocks:
        for m in pattern.finditer(b.text):
            yield Hit(m.group(group), _in_text, doc, starts, b, m, group)
    for t in doc.tables:
        rows: dict[int, list[str]] = defaultdict(list)
        for c in t.cells:
            rows[c.row].append(c.text)
        for c in t.cells:
            for m in pattern.finditer(c.text):
                yield Hit(m.group(group), _in_cell, t, c, rows[c.row])


def tokens(doc: Document, pattern: re.Pattern[str] = _TOKEN) -> Iterator[str]:
    """What `printed` finds (whole matches of a `pattern` without groups), as the printed strings
    alone: for counting."""
    for b in doc.blocks:
        yield from pattern.findall(b.text)
    for t in doc.tables:
        for c in t.cells:
            yield from pattern.findall(c.text)


def _in_text(doc: Document, starts: list[int], b: Block, m: re.Match[str], group: int) -> tuple[Place, str]:
    at = b.start + m.start(group)
    i = bisect_right(starts, at) - 1
    lo, hi = doc.sentences[i] if i >= 0 and at < doc.sentences[i][1] else (b.start, b.start + len(b.text))
    boxes = doc.locate(at, b.start + m.end(group))
    snippet = " ".join(b.text[max(0, m.start() - 60) : m.end() + 60].split())
    return Place("text", b.box.page, snippet, str(boxes[0]) if boxes else ""), doc.text[lo:hi]


def _in_cell(t: Table, c: Cell, row: list[str]) -> tuple[Place, str]:
    page = c.box.page if c.box else (t.pages[0] if t.pages else 0)
    return Place(t.table_id, page, c.text, str(c.box) if c.box else ""), " ".join(row)


def _known(doc: Document, rules: Mapping[str, Any]) -> tuple[dict[str, Ref], set[str]]:
    """(folded single-word spelling -> what it names, the spellings rules/ vouches for): the words
    of every PRODUCT/TRIAL/TARGET mention NER read without normalising, and of every name, INN and
    alias in rules/."""
    refs: dict[str, Ref] = {}
    for p in (rules.get("products") or {}).get("products") or ():
        for name in [p.get("inn"), p.get("canonical"), *(p.get("aliases") or ()), *(p.get("brands") or ())]:
            for w in _TOKEN.findall(str(name or "")):
                refs.setdefault(_fold(w), Ref("PRODUCT", str(p.get("canonical"))))
    for src in ("registry", "trials"):
        for t in (rules.get(src) or {}).get("trials") or ():
            for name in [t.get("name"), *(t.get("aliases") or ())]:
                if name and " " not in str(name):
                    refs.setdefault(_fold(str(name)), Ref("TRIAL", str(t.get("name"))))
    for t in (rules.get("targets") or {}).get("targets") or ():
        for name in [t.get("canonical") or t.get("name"), *(t.get("aliases") or ())]:
            if name:
                refs.setdefault(_fold(str(name)), Ref("TARGET", str(t.get("canonical") or t.get("name"))))
    vouched = set(refs)
    for m in doc.mentions:
        if m.label in NAME_LABELS and not m.attrs.get("variant"):
            for w in _TOKEN.findall(m.text):
                refs.setdefault(_fold(w), Ref(m.label, m.canonical))
    return refs, vouched


def _skip(doc: Document, known: Mapping[str, Ref]) -> set[str]:
    """Forms another check reports (NER's normalised variants) or that embed a target's name
    ("anti-TNFR2" beside "anti-TNFR1"): left alone here."""
    out = {
        " ".join(str(m.attrs.get("raw") or m.text).split()).lower()
        for m in doc.mentions
        if m.attrs.get("variant")
    }
    return out | {w.lower() for w, r in known.items() if r.label == "TARGET"}


def misspellings(
    doc: Document, studies: Sequence[Study], subjects: Subjects, rules: Mapping[str, Any],
    conf: Mapping[str, Any], sev: Severities, check: str,
) -> list[Finding]:  # fmt: skip
    min_len = int(conf.get("min_length") or 6)
    max_rare = int(conf.get("max_count") or 2)
    max_edits = int(conf.get("max_edits") or 1)
    ignore = {_fold(w) for w in conf.get("ignore") or ()}
    counts = Counter(_fold(t.replace("–", "-")) for t in tokens(doc))
    known, vouched = _known(doc, rules)
    trial_min = int(conf.get("trial_min_count") or 3)
    stems = tuple(str(x).lower() for x in conf.get("inn_stems") or ())
    for w, n in counts.items():  # names the paper prints often vouch for their spelling
        if n < trial_min:
            continue
        if any(ch.isdigit() for ch in w) and sum(ch.isupper() for ch in w) >= 2:
            known.setdefault(w, Ref("TRIAL", w))
        elif stems and w.lower().endswith(stems):
            known.setdefault(w, Ref("PRODUCT", w))
        else:
            continue
        vouched.add(w)
    for w, ref in known.items():
        ref.count = counts.get(w, 0)
    # where they are printed: the rare forms (each a possible finding) and the known ones (what a
    # finding cites), not every word of a long paper
    places: dict[str, list[Hit]] = defaultdict(list)
    for h in printed(doc):
        form = _fold(h.token.replace("–", "-"))
        if form in known or counts[form] <= max_rare:
            places[form].append(h)
    # known spellings by what a typo of them keeps (length, first letter, digits): comparing every
    # rare word with every known one costs the square of a long paper (a trial name per table row)
    by_len: dict[tuple[int, str, str], list[str]] = defaultdict(list)
    for w in known:
        by_len[_shape(w)].append(w)
    out = _moved_separators(
        doc, subjects, sev, check, {key(w) for w, r in known.items() if r.label == "TARGET"}
    )
    skip = _skip(doc, known) | {f.values.split(":", 1)[-1].split(" | ")[0].lower() for f in out}
    targets = [w.lower() for w, r in known.items() if r.label == "TARGET" and len(w) >= 3]
    unbroken = {w.lower() for w in known} | {w.lower() for w, n in counts.items() if n > max_rare}
    for w, n in counts.items():
        if n > max_rare or len(w) < min_len or w in vouched or w in ignore or w.lower() in skip:
            continue
        if any(t in w.lower() for t in targets) or (_SEP.search(w) and _SEP.sub("", w).lower() in unbroken):
            continue  # a target's name inside; a known word hyphenated at a line break
        best = _nearest(w, by_len, known, counts, max_edits)
        if best is None:
            continue
        out.append(_finding(doc, subjects, w, best, known[best], places, sev, check))
    return out


def _shape(w: str, length: int | None = None) -> tuple[int, str, str]:
    return (len(w) if length is None else length, w[:1].lower(), _digits(w))


def _nearest(
    w: str,
    by_len: Mapping[tuple[int, str, str], list[str]],
    known: Mapping[str, Ref],
    counts: Counter,
    edits: int,
) -> str | None:
    hits = []
    for ln in range(len(w) - edits, len(w) + edits + 1):
        # same first letter, same digits (ALPHA-2 and ALPHA-3 are two trials, not a typo)
        for r in by_len.get(_shape(w, ln), ()):
            if r.lower() == w.lower():
                continue
            if w[: len(r)] == r and len(w) == len(r) + 1 and w[-1].islower() and r.isupper():
                continue  # "ALPHAa": a footnote letter after the name
            if not _long_part_differs(r, w):
                continue  # anti-XY-1 / anti-XY-L1: short parts name different things
            if (
                DamerauLevenshtein.distance(r.lower(), w.lower()) <= edits
                and counts.get(r, 0) + (5 if known[r].count == 0 else 0) > counts[w]
            ):
                hits.append((counts.get(r, 0), r))
    return max(hits)[1] if hits else None


def _long_part_differs(a: str, b: str) -> bool:
    """The spellings split alike at hyphens, and the part that differs has 4+ letters."""
    pa, pb = _SEP.split(a), _SEP.split(b)
    if len(pa) != len(pb):
        return False
    diff = [(x, y) for x, y in zip(pa, pb, strict=True) if x.lower() != y.lower()]
    return all(sum(ch.isalpha() for ch in x) >= 4 for x, _ in diff)


def _digits(s: str) -> str:
    return "".join(ch for ch in s if ch.isdigit())


def _moved_separators(
    doc: Document, subjects: Subjects, sev: Severities, check: str, targets: set[str]
) -> list[Finding]:
    """Trial-like names with digits printed with the same letters and digits as a name the paper
    prints more often, but with hyphens/spaces (or inner capitals) elsewhere: "ALPHA NHL-7" and
    "ALPHA-NHL7". One finding per rarer form."""
    places: dict[str, list[Hit]] = defaultdict(list)
    for h in printed(doc, _PHRASE):
        tok = h.token
        if any(ch.isdigit() for ch in tok) and sum(ch.isupper() for ch in tok) >= 2:
            places[tok].append(h)
    by_key: dict[str, list[str]] = defaultdict(list)
    for form in places:
        by_key[key(form)].append(form)
    out = []
    for k, forms in by_key.items():
        if len(forms) < 2 or k in targets:
            continue
        forms.sort(key=lambda f: -len(places[f]))
        top = forms[0]
        if not _SEP.search(top):
            continue  # "ABC2" / "ABC-2": one word, spelled either way
        for w in forms[1:]:
            if len(places[w]) >= len(places[top]) or _fold(_SEP.sub("|", w)) == _fold(_SEP.sub("|", top)):
                continue
            ref = Ref("TRIAL", top, len(places[top]))
            out.append(_finding(doc, subjects, w, top, ref, places, sev, check))
    return out


def _finding(
    doc: Document, subjects: Subjects, w: str, best: str, ref: Ref, places: Mapping[str, list[Hit]],
    sev: Severities, check: str,
) -> Finding:  # fmt: skip
    # places: printed form (folded for words) -> where it is printed
    bad, good = [h.place for h in places[w]], [h.place for h in places.get(best, [])]
    ev = [
        Evidence(
            f"printed {p.source}", w, "text" if p.source == "text" else "table", p.page, p.snippet, p.bbox
        )
        for p in bad[:3]
    ]
    ev += [
        Evidence(
            f"elsewhere {p.source}",
            best,
            "text" if p.source == "text" else "table",
            p.page,
            p.snippet,
            p.bbox,
        )
        for p in good[:2]
    ]
    abbr = re.search(rf"{re.escape(best)}\s*\(([A-Z][A-Za-z0-9-]{{1,12}})\)", doc.text)
    if (
        abbr and ref.label == "PRODUCT" and ref.canonical == best
    ):  # "zelbatecan (Z-Tx)": the paper's short name
        ref = Ref(ref.label, abbr.group(1), ref.count)
    where_bad = ", ".join(f"{p.source} p{p.page}" for p in bad)
    where_good = ", ".join(dict.fromkeys(f"{p.source} p{p.page}" for p in good)) or "rules/"
    msg = f'{ref.label.lower()} printed "{w}" ({where_bad}); the paper elsewhere prints "{best}" ({where_good}) = {ref.canonical}'
    trial = (
        ref.canonical
        if ref.label == "TRIAL"
        else (subjects.trial_for_product(ref.canonical) if ref.label == "PRODUCT" else "")
    )
    product = ref.canonical if ref.label == "PRODUCT" else ""
    return make(doc.doc_id, check, sev.get(check), f"{ref.label}|{w}", msg, ev, trial=trial, product=product)
