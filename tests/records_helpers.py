"""NER then records, as the pipeline chains them: records read entities only from doc.mentions, so
record tests run the real Annotator on their hand-built documents first."""

from __future__ import annotations

from collections.abc import Iterable

from pipeline.model import Document, Mention, Outcome, Study
from pipeline.ner import Annotator
from pipeline.records import Builder
from pipeline.rules import Rules


class AnnotatedBuilder:
    def __init__(self, rules: Rules) -> None:
        self.annotator = Annotator(rules)
        self.builder = Builder(rules)
        self.cues = self.builder.cues

    def build(self, doc: Document, extra: Iterable[Mention] = ()) -> tuple[list[Study], list[Outcome]]:
        """Annotate, add hand-made mentions (replacing NER's where they overlap), build records."""
        self.annotator.annotate(doc)
        extra = list(extra)
        keep = [
            m
            for m in doc.mentions
            if not any(m.source == x.source and m.start < x.end and x.start < m.end for x in extra)
        ]
        doc.mentions = keep + extra
        return self.builder.build(doc)

    def cell_mentions(self, text: str) -> list[Mention]:
        """NER's mentions of one table cell (offsets into the cell text)."""
        return [
            Mention(h.label, text[h.start : h.end], h.canonical, h.start, h.end, "table", attrs=h.attrs)
            for h in self.annotator.find(text, header="")
        ]
