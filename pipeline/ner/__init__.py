"""Stage 2: rule-based NER. Public: `Annotator(rules)` (builds the spaCy pipeline and matchers once),
`Annotator.annotate(doc) -> list[Mention]` (fills doc.mentions from body blocks and every table cell,
and doc.sentences), `Annotator.find(text) -> list[Hit]` (one string, for tests and other stages),
`show(path, password) -> str` (mentions as JSON lines, `trialex ner PDF`).

Labels and attrs follow the Mention contract (brief, Appendix A). Domain knowledge comes from rules/
(products, targets, trials, registry, metrics, ner, patterns); nothing here names a product or trial.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from pipeline.model import Document, Mention, enclosing
from pipeline.ner.context import ContextFinder
from pipeline.ner.document import DocumentNames
from pipeline.ner.hits import Hit, resolve
from pipeline.ner.names import NameFinder
from pipeline.ner.quantities import QuantityFinder
from pipeline.ner.tokenizer import build_nlp
from pipeline.ner.values import ValueFinder, parse_number, parse_scientific
from pipeline.ner.vocab import RulesError, Vocabulary
from pipeline.rules import Rules

__all__ = ["Annotator", "Hit", "RulesError", "mention_json", "parse_number", "parse_scientific", "show"]

NAMES = frozenset({"PRODUCT", "TARGET", "TRIAL", "METRIC", "ARM"})
LAYERS = (set(NAMES), {"DOSE", "TIMEPOINT", "N", "VALUE"}, {"PHASE"}, {"COHORT"}, {"REGISTRY_ID"})


class Annotator:
    def __init__(self, rules: Rules) -> None:
        self.rules = rules
        cfg = rules.get("ner") or {}
        if not isinstance(cfg, dict):
            raise RulesError("rules/ner.yml must be a mapping")
        self.nlp = build_nlp(cfg)
        self.vocab = Vocabulary(rules, cfg)
        joiners = (rules.get("targets") or {}).get("combination_joiners") or ["/", "+", "-", "and", "&"]
        self.names = NameFinder(self.nlp, self.vocab, rules.get("patterns") or [], cfg, joiners)
        self.values = ValueFinder(cfg)
        self.context = ContextFinder(cfg)
        self.doc_names = DocumentNames(cfg, self.vocab)
        self.quantities = QuantityFinder(cfg, (cfg.get("values") or {}).get("number_words") or {})

    # -- one string ---------------------------------------------------------------------------------
    def find(self, text: str, header: str = "") -> list[Hit]:
        """Every hit in one string; `header` is the column header when the string is a table cell."""
        return self._hits(text, self.nlp(text), header)[0]

    def _hits(
        self, text: str, sdoc: Any, header: str | None = None
    ) -> tuple[list[Hit], list[tuple[int, int]]]:
        hits = self.names.find(sdoc) + self.values.find(text) + self.context.find(text)
        hits += self.quantities.find(text)  # allocation counts, arm splits, percentages in words
        if header is not None:
            hits += self.context.phase_cell(text, header) + self.values.cell(text, header)
        hits = resolve(hits, LAYERS, NAMES)
        hits = sorted(hits + _counts_before_metrics(text, hits), key=lambda h: (h.start, h.end, h.label))
        hits = _cohorts_or_counts(hits)
        ids = [h for h in hits if h.label == "REGISTRY_ID"]
        hits = [
            h
            for h in hits
            if h.label == "REGISTRY_ID" or not any(h.start < r.end and r.start < h.end for r in ids)
        ]
        return hits, [(s.start_char, s.end_char) for s in sdoc.sents]

    # -- a document ---------------------------------------------------------------------------------
    def annotate(self, doc: Document) -> list[Mention]:
        mentions: list[Mention] = []
        doc.sentences = []
        self.names.forget()
        squashed: dict[str, str] = {}  # a sentence is squashed once, not once per mention in it

        def squash(text: str) -> str:
            if text not in squashed:
                squashed[text] = _squash(text)
            return squashed[text]

        blocks = [b for b in doc.blocks if b.text]
        for block, sdoc in zip(blocks, self.nlp.pipe(b.text for b in blocks), strict=True):
            hits, sents = self._hits(block.text, sdoc)
            doc.sentences += [(block.start + s, block.start + e) for s, e in sents]
            for h in hits:
                start, end = block.start + h.start, block.start + h.end
                box = enclosing(doc.locate(start, end))
                s0, s1 = next(((s, e) for s, e in sents if s <= h.start < e), (0, len(block.text)))
                mentions.append(
                    Mention(
                        h.label,
                        block.text[h.start : h.end],
                        h.canonical,
                        start,
                        end,
                        "text",
                        box.page if box else block.box.page,
                        box or block.box,
                        squash(block.text[s0:s1]),
                        score=float(h.attrs.get("score", 100.0)),
                        attrs=h.attrs,
                    )
                )
        for table in doc.tables:
            header = table.header()
            # the row's label (first column) also heads a cell: in a transposed table (trials in
            # columns) "Patients" or "Phase" labels the row, and the column header is a trial name
            labels = {
                c.row: c.text for c in table.cells if c.col == 0 and not any(ch.isdigit() for ch in c.text)
            }
            cells = [c for c in table.cells if c.text.strip()]
            for cell, sdoc in zip(cells, self.nlp.pipe(c.text for c in cells), strict=True):
                col_header = (
                    header[cell.col] if cell.row >= table.header_rows and cell.col < len(header) else None
                )
                if col_header is not None and cell.col > 0 and labels.get(cell.row):
                    col_header = f"{col_header} {labels[cell.row]}"
                hits, _ = self._hits(cell.text, sdoc, col_header)
                page = cell.box.page if cell.box else (table.pages[0] if table.pages else 0)
                for h in hits:
                    mentions.append(
                        Mention(
                            h.label,
                            cell.text[h.start : h.end],
                            h.canonical,
                            h.start,
                            h.end,
                            "table",
                            page,
                            cell.box,
                            squash(cell.text),
                            table_id=table.table_id,
                            row=cell.row,
                            col=cell.col,
                            score=float(h.attrs.get("score", 100.0)),
                            attrs=h.attrs,
                        )
                    )
        # names the paper defines or gives a trial's role, tagged wherever they occur
        mentions = self.doc_names.apply(doc, mentions)
        doc.mentions = mentions
        return mentions


# A bare whole number right before a metric name ("53 VGPR", "(10 CR, 6 VGPR/PR)") is a count of
# patients with that outcome; anything glued to it (a letter, hyphen, decimal, exponent) makes it
# part of another token.
_BARE_COUNT = re.compile(r"(?<![\w.,/%^·-])(?P<num>\d{1,4})\s+$")


def _counts_before_metrics(text: str, hits: list[Hit]) -> list[Hit]:
    out = []
    for h in hits:
        if h.label != "METRIC":
            continue
        m = _BARE_COUNT.search(text, max(0, h.start - 8), h.start)
        if m and not any(o.start < m.end("num") and m.start("num") < o.end for o in hits):
            value = float(m.group("num"))
            attrs = {"value": value, "unit": "", "qualifier": "", "count": True}
            out.append(Hit("VALUE", m.start("num"), m.end("num"), f"{value:g}", attrs))
    return out


def _cohorts_or_counts(hits: list[Hit]) -> list[Hit]:
    """A number that is both a cohort label and a patient count: "cohort 2, 31 patients" (a label
    only listed after a comma yields to the count) vs "cohorts 1 and 2 enrolled adults" (the count
    reading of a label is dropped)."""

    def overlaps(a: Hit, b: Hit) -> bool:
        return a.start < b.end and b.start < a.end

    counts = [h for h in hits if h.label == "N"]
    hits = [
        h
        for h in hits
        if not (h.label == "COHORT" and h.attrs.get("comma") and any(overlaps(h, n) for n in counts))
    ]
    cohorts = [h for h in hits if h.label == "COHORT"]
    return [h for h in hits if not (h.label == "N" and any(overlaps(h, c) for c in cohorts))]


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def mention_json(m: Mention) -> dict[str, Any]:
    """One line of mentions.jsonl."""
    return {
        "label": m.label,
        "text": m.text,
        "canonical": m.canonical,
        "start": m.start,
        "end": m.end,
        "source": m.source,
        "page": m.page,
        "bbox": str(m.box) if m.box else "",
        "sentence": m.sentence,
        "table_id": m.table_id,
        "row": m.row,
        "col": m.col,
        "score": m.score,
        "attrs": m.attrs,
    }


def show(path: str | Path, password: str | None = None) -> str:
    from pipeline import ingest, tables
    from pipeline.rules import load

    doc = ingest.read(path, password=password)
    tables.extract(doc)
    mentions = Annotator(load()).annotate(doc)
    return "\n".join(json.dumps(mention_json(m), ensure_ascii=False) for m in mentions)
