"""Stage 3: studies and outcomes with provenance. Public: `build(doc, rules) -> (studies, outcomes)`,
`Builder(rules)` (compiles the cues once; `Builder.build(doc)`), and `score` (pipeline.records.score).

Tables (from_tables) and sentences (from_text) each yield study drafts with their readings; assemble
merges them into one study per trial+cohort (product+n without a trial name).

Records find no entities themselves: they read NER's `doc.mentions` (the sentence's span of body
text, or a cell's table_id/row/col) and only decide what the mentions mean together."""

from __future__ import annotations

from pipeline.model import Document, Outcome, Study
from pipeline.records.assemble import merge
from pipeline.records.cues import compile_cues
from pipeline.records.from_tables import read_tables
from pipeline.records.from_text import read_text
from pipeline.records.studies import settle
from pipeline.rules import Rules


class Builder:
    def __init__(self, rules: Rules) -> None:
        self.cues = compile_cues(rules)

    def build(self, doc: Document) -> tuple[list[Study], list[Outcome]]:
        drafts = read_tables(doc, self.cues)
        drafts += read_text(doc, self.cues, table_drafts=drafts)
        return merge(doc.doc_id, settle(doc, drafts, self.cues))


def build(doc: Document, rules: Rules) -> tuple[list[Study], list[Outcome]]:
    return Builder(rules).build(doc)
