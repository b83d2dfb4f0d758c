"""The document pass of NER: names a paper defines for itself, learnt once per document and then
tagged everywhere in it (body text and table cells):

- abbreviations it defines (abbrev.py): "valbotamab dextotecan (V-DXt)" makes V-DXt a PRODUCT (the
  long form holds a product), "physician's choice (TPC)" an ARM `control` (the long form holds a
  control word); the long form is then the same product;
- trial names by their role (trials.py), which no rule file needs to list.

Every mention added carries `attrs.doc_name` and the contexts that made it (its evidence)."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Mapping
from typing import Any

from pipeline.model import Document, Mention, Table, enclosing
from pipeline.ner.abbrev import definitions
from pipeline.ner.trials import TrialFinder, collect
from pipeline.ner.vocab import Vocabulary

NAME_LABELS = frozenset({"PRODUCT", "TARGET", "TRIAL", "ARM", "METRIC"})
# labels a learnt name replaces when they sit inside it ("1" of "NAME-1" is no value)
INSIDE = frozenset({"VALUE", "N", "COHORT", "PHASE", "TIMEPOINT", "DOSE"})


class DocumentNames:
    def __init__(self, cfg: Mapping[str, Any], vocab: Vocabulary) -> None:
        known = [e.form for e in vocab.entries if e.label in ("PRODUCT", "TARGET", "METRIC")]
        valid = [
            re.compile(str(spec["valid"]).strip("^$")) for spec in (cfg.get("registry_ids") or {}).values()
        ]
        tcfg = cfg.get("trials") or {}
        self.finder = TrialFinder(tcfg, known, valid)
        self.registry_headers = [str(h).lower() for h in tcfg.get("registry_headers", ["registry"])]
        self.vocab_trials = {e.form.lower() for e in vocab.entries if e.label == "TRIAL"}
        name = r"(?P<name>[A-Za-z0-9]+(?:[-/][A-Za-z0-9]+)*)"
        self.product_headers = [str(h).lower() for h in cfg.get("product_headers") or []]
        self.product_frames = [
            re.compile(str(p).replace("{name}", name)) for p in cfg.get("product_context") or []
        ]

    def apply(self, doc: Document, mentions: list[Mention]) -> list[Mention]:
        names = self.abbreviations(doc, mentions)
        for name in self.products_by_context(doc, mentions):
            names.setdefault(
                name, ("PRODUCT", name, {"generic": True, "doc_name": True, "target": "", "context": True})
            )
        for name, c in self.trial_names(doc, mentions, names).items():
            names[name] = ("TRIAL", name, {"generic": True, "doc_name": True, "evidence": sorted(c.evidence)})
        return code_names(retag(doc, mentions, names) if names else mentions)

    # -- abbreviations ------------------------------------------------------------------------------
    def abbreviations(self, doc: Document, mentions: list[Mention]) -> dict[str, tuple[str, str, dict]]:
        text_ms = sorted((m for m in mentions if m.source == "text"), key=lambda m: m.start)
        starts = [m.start for m in text_ms]
        out: dict[str, tuple[str, str, dict]] = {}
        # a short form NER already names (vocabulary, near miss) keeps NER's reading and its report
        tagged = {m.text for m in mentions if m.label in NAME_LABELS}
        for block in doc.blocks:
            for d in definitions(block.text):
                a, b = block.start + d.start, block.start + d.start + len(d.long)
                inside = text_ms[bisect_right(starts, a - 1) : bisect_right(starts, b - 1)]
                inside = [m for m in inside if m.end <= b]
                product = next((m for m in inside if m.label == "PRODUCT"), None)
                control = any(m.label == "ARM" and m.canonical == "control" for m in inside)
                attrs = {"abbreviation": True, "long": d.long, "doc_name": True}
                if d.short in out or d.short in tagged:
                    continue
                if product is not None:
                    known = not product.attrs.get("generic")
                    whole = known and product.end - product.start >= len(d.long) - 1
                    canonical = product.canonical if whole else d.short
                    target = str(product.attrs.get("target") or "")
                    out[d.short] = ("PRODUCT", canonical, {**attrs, "target": target})
                    if not whole:  # the long form is this document's name of the product
                        out.setdefault(
                            d.long, ("PRODUCT", canonical, {**attrs, "target": target, "long_form": True})
                        )
                elif control:
                    out[d.short] = ("ARM", "control", attrs)
        return out

    def products_by_context(self, doc: Document, mentions: list[Mention]) -> list[str]:
        """Names in a product's frame ("treated 15 adults with AB3") or opening a cell of a product
        column, unless NER already names them."""
        tagged = {m.text.lower() for m in mentions if m.label in NAME_LABELS}
        out: list[str] = []
        for block in doc.blocks:
            for rx in self.product_frames:
                for m in rx.finditer(block.text):
                    name = m.group("name")
                    if name.lower() in tagged or name in out or not self._product_shaped(name):
                        continue
                    out.append(name)
        for table in doc.tables:
            header = table.header()
            cols = {
                i for i, h in enumerate(header) if any(w in h.lower().split() for w in self.product_headers)
            }
            for c in table.cells:
                if c.col not in cols or c.row < table.header_rows:
                    continue
                m = re.match(r"\s*([A-Za-z0-9]+(?:[-/][A-Za-z0-9]+)*)(?=\s|$|\()", c.text)
                name = m.group(1) if m else ""
                if name and name.lower() not in tagged and name not in out and self._product_shaped(name):
                    out.append(name)
        return out

    def _product_shaped(self, name: str) -> bool:
        """Letters with digits or two capitals; no piece a known name or a plain word ("CD28-based"),
        no dose ("300x10") and no word glued to a name ("ABCspecific")."""
        letters, digits = any(c.isalpha() for c in name), any(c.isdigit() for c in name)
        if not letters or not (digits or sum(c.isupper() for c in name) >= 2):
            return False
        if re.match(r"\d+(?:\.\d+)?[x×]\d", name) or re.search(r"[a-z]{5,}$", name):
            return False
        pieces = re.split(r"[-/]", name)
        known = self.finder.known | self.finder.not_names
        return not any(p.lower() in known or (p.isalpha() and p.islower() and len(p) >= 3) for p in pieces)

    # -- trial names --------------------------------------------------------------------------------
    def trial_names(self, doc: Document, mentions: list[Mention], learnt: Mapping[str, Any]):
        ids: dict[int, list[tuple[int, int]]] = {}
        for m in mentions:
            if m.source == "text" and m.label == "REGISTRY_ID":
                ids.setdefault(m.start, []).append((m.start, m.end))
        spans = sorted(s for v in ids.values() for s in v)
        pairs: list[tuple[str, str]] = []
        for block in doc.blocks:
            if not block.text:
                continue
            own = [(a - block.start, b - block.start) for a, b in spans if block.start <= a < block.end]
            pairs += self.finder.in_text(block.text, own, heading=_heading(block.kind, block.text))
        for table in doc.tables:
            pairs += self._table_pairs(table, mentions)
        found = collect(pairs)
        cells = "\n".join(c.text for t in doc.tables for c in t.cells)
        learnt_lower = {k.lower() for k in learnt}
        out = {}
        for n, c in found.items():
            if n.lower() in self.vocab_trials or n.lower() in learnt_lower:
                continue
            # a name seen once, only before a trial word, may be the tail of a broken line
            if c.evidence == {"trial word"} and _count(n, doc.text) + _count(n, cells) < 2:
                continue
            out[n] = c
        return out

    def _table_pairs(self, table: Table, mentions: list[Mention]) -> list[tuple[str, str]]:
        header = table.header()
        out: list[tuple[str, str]] = []
        for c in table.cells:
            if c.row >= table.header_rows and c.col < len(header) and c.text.strip():
                out += self.finder.in_cell(c.text, header[c.col])
        # trials in columns: the column of a row labelled "Registry" names its trial in its top cell
        labels = {c.row: c.text.lower() for c in table.cells if c.col == 0}
        for m in mentions:
            if m.source != "table" or m.table_id != table.table_id or m.label != "REGISTRY_ID" or m.col <= 0:
                continue
            if not any(w in labels.get(m.row, "") for w in self.registry_headers):
                continue
            top = sorted((c for c in table.cells if c.col == m.col and c.row < m.row and c.text.strip()),
                         key=lambda c: c.row)  # fmt: skip
            if top:
                got = self.finder._name_at(top[0].text, 0)
                if got:
                    out.append((got[1], "registry"))
        return out


def code_names(mentions: list[Mention]) -> list[Mention]:
    """A product the paper names only by development codes (never by its INN, brand or short name) is
    named by the code it prints most: the paper does not tie it to the INN the rules know."""
    printed: dict[str, list[str]] = {}
    for m in mentions:
        if m.label == "PRODUCT" and not m.attrs.get("doc_name"):
            printed.setdefault(m.canonical, []).append(m.text if m.attrs.get("code") else "")
    for canonical, forms in printed.items():
        if all(forms):
            code = max(dict.fromkeys(forms), key=forms.count)
            for m in mentions:
                if m.label == "PRODUCT" and m.canonical == canonical and not m.attrs.get("doc_name"):
                    m.canonical = code
    return mentions


def _heading(kind: str, text: str) -> bool:
    """A heading, or a short numbered section line whatever kind layout gave it ("4.3 Title: NAME")."""
    numbered = re.match(r"\d{1,2}(?:\.\d{1,2})*\.?\s+[A-Z]", text) and len(text) < 100 and "\n" not in text
    return kind == "heading" or bool(numbered and not text.rstrip().endswith("."))


def _count(name: str, text: str) -> int:
    return len(re.findall(r"(?<![A-Za-z0-9])" + re.escape(name) + r"(?![A-Za-z0-9])", text))


def _pattern(names: Mapping[str, tuple[str, str, dict]]) -> re.Pattern[str]:
    alts = []
    for name in sorted(names, key=len, reverse=True):
        body = r"\s+".join(re.escape(w) for w in name.split())
        long_form = names[name][2].get("long_form")
        alts.append(f"(?i:{body})" if long_form else body)
    return re.compile(
        r"(?<![A-Za-z0-9])(?P<name>" + "|".join(alts) + r")(?P<ref>\d{1,3}|[a-e])?(?![A-Za-z0-9])"
    )


def _lookup(names: Mapping[str, tuple[str, str, dict]], printed: str) -> tuple[str, str, dict] | None:
    key = " ".join(printed.split())
    if key in names:
        return names[key]
    return next((v for k, v in names.items() if k.lower() == key.lower() and v[2].get("long_form")), None)


def _matches(rx: re.Pattern[str], names, text: str) -> list[tuple[int, int, tuple[str, str, dict], str]]:
    out = []
    for m in rx.finditer(text):
        hit = _lookup(names, m.group("name"))
        if hit is None:
            continue
        ref, last = m.group("ref") or "", m.group("name")[-1]
        if ref.isdigit() and not last.isalpha():
            continue  # "NAME-0312": digits after digits are the name's own
        if ref.isalpha() and not (last.isupper() or last.isdigit()):
            continue  # a footnote letter only after a capital or a digit ("NAMEa", "NAME-2b")
        out.append((m.start("name"), m.end("name"), hit, ref))
    return out


def retag(
    doc: Document, mentions: list[Mention], names: Mapping[str, tuple[str, str, dict]]
) -> list[Mention]:
    """Tag every occurrence of the learnt names; drop the name mentions they overlap (and values
    inside them); a vocabulary trial already there is kept."""
    rx = _pattern(names)
    new: list[Mention] = []
    for block in doc.blocks:
        for a, b, (label, canonical, attrs), ref in _matches(rx, names, block.text):
            start, end = block.start + a, block.start + b
            box = enclosing(doc.locate(start, end))
            extra = {"glued_ref": ref} if ref else {}
            new.append(
                Mention(label, doc.text[start:end], canonical, start, end, "text",
                        box.page if box else block.box.page, box or block.box,
                        _sentence(doc, start), attrs={**attrs, **extra})
            )  # fmt: skip
    for table in doc.tables:
        for c in table.cells:
            for a, b, (label, canonical, attrs), ref in _matches(rx, names, c.text):
                extra = {"glued_ref": ref} if ref else {}
                page = c.box.page if c.box else (table.pages[0] if table.pages else 0)
                new.append(
                    Mention(label, c.text[a:b], canonical, a, b, "table", page, c.box,
                            " ".join(c.text.split()), table_id=table.table_id, row=c.row, col=c.col,
                            attrs={**attrs, **extra})
                )  # fmt: skip

    def place(m: Mention) -> tuple:
        return (m.source, m.table_id, m.row, m.col)

    by_place: dict[tuple, list[Mention]] = {}
    for m in mentions:
        by_place.setdefault(place(m), []).append(m)
    keep_new = []
    drop: set[int] = set()
    for n in new:
        here = by_place.get(place(n), [])
        over = [m for m in here if m.start < n.end and n.start < m.end]
        if any(m.label == "TRIAL" and not m.attrs.get("generic") for m in over):
            continue
        if any(m.label == "REGISTRY_ID" for m in over):
            continue
        keep_new.append(n)
        for m in over:
            if m.label in NAME_LABELS or (m.label in INSIDE and n.start <= m.start and m.end <= n.end):
                drop.add(id(m))
    order = {t.table_id: i for i, t in enumerate(doc.tables)}
    out = [m for m in mentions if id(m) not in drop] + keep_new
    return sorted(
        out,
        key=lambda m: (
            order.get(m.table_id, -1) if m.source == "table" else -1,
            m.row,
            m.col,
            m.start,
            m.end,
        ),
    )


def _sentence(doc: Document, start: int) -> str:
    i = bisect_right(doc.sentences, (start, 1 << 62)) - 1
    if 0 <= i < len(doc.sentences) and doc.sentences[i][0] <= start < doc.sentences[i][1]:
        a, b = doc.sentences[i]
        return " ".join(doc.text[a:b].split())
    return ""
