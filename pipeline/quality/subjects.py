"""Whom a mention is about: the trial (or study label) and product a printed id, name or number
belongs to, read from mentions alone — the table row's label cell and PRODUCT mentions, the column
header of a transposed table, the name printed just before it in the sentence ("ALPHA-7 (NCT…)",
"ALPHA-7 ClinicalTrials.gov number, NCT…"), else the document's only trial."""

from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from pipeline.model import Document, Mention, Study, Table

# a trial-like name: capitalised, with a second capital or a digit (ALPHA-7, GO12345, Kestrel-4)
_NAME = re.compile(
    r"\b(?:[A-Z]{2,}[A-Za-z0-9]*\s(?!NCT|ISRCTN|ChiCTR|ACTRN|CTRI)[A-Z]{2,}[-–]?\d+[A-Za-z]?\b"
    r"|[A-Z][A-Za-z0-9]*(?:[-–][A-Za-z0-9]+)*)"
)
_ROMAN = re.compile(r"^(?:I{1,3}|IV|V|I{1,3}[ab]|Ib|IIb)$")
_STOP_RE = [re.compile(r"^(?:NCT|ISRCTN|ChiCTR|ACTRN|CTRI|jRCT|Eudra)|^\d")]  # registry ids, numbers
_FIELD = re.compile(
    r"(?i)\s*(?:trials?|stud(?:y|ies)|cohorts?|registry(?: ids?)?|nct(?: ids?)?|agent|design|phase|population)\s*"
)
_NOT_KEY = re.compile(r"[^a-z0-9]")
_LABEL_HEADER = re.compile(r"(?i)\b(?:trials?|stud(?:y|ies)|cohorts?|registry)\b")


def key(s: str) -> str:
    return _NOT_KEY.sub("", s.lower())


def trial_like(token: str, stop: frozenset[str]) -> bool:
    if token.lower() in stop or _ROMAN.match(token) or len(token) < 3 or _STOP_RE[0].search(token):
        return False
    caps = sum(ch.isupper() for ch in token)
    return caps >= 2 or any(ch.isdigit() for ch in token)


def _names(text: str, stop: frozenset[str]) -> list[re.Match[str]]:
    return [m for m in _NAME.finditer(text) if trial_like(m.group(0).split()[0], stop)]


def last_name(text: str, stop: frozenset[str]) -> str:
    """The last trial-like name in `text` (the words printed before an id)."""
    names = _names(text, stop)
    return names[-1].group(0) if names else ""


@dataclass(frozen=True)
class Subject:
    name: str  # the trial or study label as printed ("" when none was found)
    product: str  # canonical product ("" when none)
    where: str  # "Table 1 row 3", "text p4"


class Subjects:
    """Attribution of mentions to the trial/product they belong to, for one document."""

    def __init__(self, doc: Document, studies: Sequence[Study], stop: Sequence[str] = ()) -> None:
        self.doc = doc
        # words that name something else (a product, target, metric, arm) are never a trial's name
        other = {m.text.lower() for m in doc.mentions if m.label not in ("TRIAL", "REGISTRY_ID", "COHORT")}
        self.stop = frozenset(s.lower() for s in stop) | frozenset(other)
        self.tables = {t.table_id: t for t in doc.tables}
        # the document's only trial (a primary report): every study names it, NER saw no other
        trials = Counter(s.trial for s in studies)
        trials.update(m.canonical for m in doc.mentions if m.label == "TRIAL")
        only = next(iter(trials)) if len(trials) == 1 else ""
        self.only_trial = only if re.search(r"[A-Za-z]{2}", only) else ""
        self.product_of = {key(s.trial): s.product for s in studies if s.trial and s.product}
        self.trial_of_product: dict[str, set[str]] = {}
        for s in studies:
            if s.trial and s.product:
                self.trial_of_product.setdefault(key(s.product), set()).add(s.trial)
        self.by_row: dict[tuple[str, int], list[Mention]] = {}
        for m in doc.mentions:
            if m.source == "table":
                self.by_row.setdefault((m.table_id, m.row), []).append(m)
        self.text_mentions = sorted((m for m in doc.mentions if m.source != "table"), key=lambda m: m.start)
        self.text_starts = [m.start for m in self.text_mentions]

    def of(self, m: Mention) -> Subject:
        if m.source == "table":
            return self.of_cell(m.table_id, m.row, m.col, m.sentence or "", m.start)
        return self.of_text(m.start, m.page, strict=m.label == "REGISTRY_ID")

    def trial_for_product(self, product: str) -> str:
        trials = self.trial_of_product.get(key(product)) or set()
        return next(iter(trials)) if len(trials) == 1 else (self.only_trial if not trials else "")

    def of_cell(self, table_id: str, row: int, col: int, cell: str, start: int = 0) -> Subject:
        """Who a table cell (or the text at `start` in it) is about."""
        t = self.tables.get(table_id)
        row_ms = self.by_row.get((table_id, row), [])
        where = f"{table_id} row {row}"
        products = [p.canonical for p in row_ms if p.label == "PRODUCT"]
        product = products[0] if products else ""
        own = last_name(cell[:start], self.stop) if 0 < start <= len(cell) else ""
        if own:
            return Subject(own, product, where)
        trials = [x for x in row_ms if x.label == "TRIAL"]
        if trials:
            return Subject(trials[0].canonical, product, where)
        if t is not None:
            name = _row_label(t, row, col, self.stop)
            first = t.grid()[row][0].strip() if row < t.n_rows else ""
            if not name and (_FIELD.fullmatch(first) or first.lower() in self.stop):
                name = _column_label(t, row, col, self.stop)  # a field row: studies as columns
            if name:
                return Subject(name, product or self.product_of.get(key(name), ""), where)
        return Subject(self.only_trial, product, where)

    def of_text(self, start: int, page: int = 0, strict: bool = False) -> Subject:
        """Who the body text at offset `start` is about: the trial named last before it in its
        sentence (a TRIAL mention or a trial-like name), its sentence's product."""
        i = bisect.bisect_right(self.doc.sentences, (start, len(self.doc.text))) - 1
        s_lo, s_hi = self.doc.sentences[i] if i >= 0 else (0, len(self.doc.text))
        sent = [x for x in self._text_mentions(s_lo, s_hi)]
        lo = max(s_lo, start - 160)
        found = [(x.end, x.canonical) for x in sent if x.label == "TRIAL" and x.end <= start]
        if strict:
            # a name printed just before (no number, closing bracket or clause between): "ALPHA-7
            # (NCT…)", "ALPHA-7 study (NCT…)", "ALPHA-7 ClinicalTrials.gov number, NCT…"
            near = self.doc.text[max(s_lo, start - 60) : start]
            near = re.split(r"[);]", near)[-1]
            names = _names(near, self.stop)
            if names and not re.search(r"(?<![A-Za-z])\d", near[names[-1].end() :]):
                found.append((start - len(near) + names[-1].end(), names[-1].group(0)))
        else:  # a number: the trial its sentence names last before it
            found += [(lo + n.end(), n.group(0)) for n in _names(self.doc.text[lo:start], self.stop)]
        found = [f for f in found if f[0] >= lo]
        name = max(found)[1] if found else self.only_trial
        prods = [p for p in sent if p.label == "PRODUCT"]
        before = [p for p in prods if p.start < start]
        product = (before[-1] if before else prods[0]).canonical if prods else ""
        return Subject(name, product or self.product_of.get(key(name), ""), f"text p{page}")

    def _text_mentions(self, lo: int, hi: int) -> list[Mention]:
        i = bisect.bisect_left(self.text_starts, lo)
        out = []
        while i < len(self.text_mentions) and self.text_mentions[i].start < hi:
            out.append(self.text_mentions[i])
            i += 1
        return out


def _row_label(t: Table, row: int, col: int, stop: frozenset[str]) -> str:
    """The row's label cell (the first column headed trial/study/cohort, else the first column),
    up to its first comma ("ALPHA-7, cohort B" -> "ALPHA-7"); rows of a merged label cell inherit
    the label above."""
    header = t.header()
    label_col = next((i for i, h in enumerate(header) if _LABEL_HEADER.search(h)), 0)
    if label_col == col:
        return ""
    grid = t.grid()
    for r in range(row, t.header_rows - 1, -1):
        text = grid[r][label_col].strip() if r < len(grid) else ""
        if _FIELD.fullmatch(text) or text.lower() in stop:
            return ""  # a field name: the table is transposed (studies as columns)
        if text:
            head = text.split(",")[0].strip()
            name = last_name(head, stop) or (head if re.search(r"[A-Za-z]{2}", head) else "")
            return name if r >= t.header_rows else ""
    return ""


def _column_label(t: Table, row: int, col: int, stop: frozenset[str]) -> str:
    """A transposed table's column label (studies as columns): the first trial-like name above
    the cell in its column."""
    grid = t.grid()
    for r in range(0, min(row, len(grid))):
        name = last_name(grid[r][col], stop) if col < len(grid[r]) else ""
        if name:
            return name
    return ""
