"""Stage 2: rule-based NER. Public: `Annotator(rules)` (builds the spaCy pipeline once),
`Annotator.annotate(doc) -> list[Mention]` (fills doc.mentions).
STUB: finds nothing; the real stage replaces it.
"""

from __future__ import annotations

from pipeline.model import Document, Mention
from pipeline.rules import Rules


class Annotator:
    def __init__(self, rules: Rules) -> None:
        self.rules = rules

    def annotate(self, doc: Document) -> list[Mention]:
        doc.mentions = []
        return doc.mentions
