"""Stage 4: data-quality checks. Public: `Checker(rules)` (built once per worker; GX imported here
only), `Checker.check(doc, studies, outcomes) -> list[Finding]`.
STUB: finds nothing; the real stage replaces it.
"""

from __future__ import annotations

from pipeline.model import Document, Finding, Outcome, Study
from pipeline.rules import Rules


class Checker:
    def __init__(self, rules: Rules) -> None:
        self.rules = rules

    def check(self, doc: Document, studies: list[Study], outcomes: list[Outcome]) -> list[Finding]:
        return []
