"""Stage 3: studies and outcomes. Public: `build(doc, rules) -> (studies, outcomes)`.
STUB: finds nothing; the real stage replaces it.
"""

from __future__ import annotations

from pipeline.model import Document, Outcome, Study
from pipeline.rules import Rules


def build(doc: Document, rules: Rules) -> tuple[list[Study], list[Outcome]]:
    return [], []
