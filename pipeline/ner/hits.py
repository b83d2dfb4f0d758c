"""The finder's unit of work: a labelled stretch of one string (body block or table cell)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# When two hits overlap, the higher rank wins (then the longer one): a dose list or a timepoint
# owns its numbers, a vocabulary name beats a generic shape.
RANK = {
    "REGISTRY_ID": 9,
    "DOSE": 8,
    "TIMEPOINT": 7,
    "N": 6,
    "VALUE": 5,
    "PHASE": 5,
    "COHORT": 5,
    "TRIAL": 4,
    "PRODUCT": 4,
    "TARGET": 3,
    "METRIC": 3,
    "ARM": 2,
}


@dataclass
class Hit:
    label: str
    start: int
    end: int
    canonical: str
    attrs: dict[str, Any] = field(default_factory=dict)
    rank: int = -1  # tie-break inside a label: vocabulary 2, fuzzy 1, generic 0

    def key(self) -> tuple[int, int, int]:
        return (RANK.get(self.label, 0), self.rank, self.end - self.start)

    def name_key(self) -> tuple[int, int, int]:
        """Among names, a vocabulary entry beats a fuzzy one beats a generic shape, whatever the label."""
        return (self.rank, self.end - self.start, RANK.get(self.label, 0))


def resolve(hits: list[Hit], layers: tuple[set[str], ...], names: frozenset[str] = frozenset()) -> list[Hit]:
    """Drop overlapping hits inside each layer (a set of labels), best first; layers may overlap
    each other (a METRIC beside a VALUE, a TIMEPOINT beside a METRIC)."""
    out: list[Hit] = []
    for layer in layers:
        taken: list[Hit] = []
        key = Hit.name_key if layer & names else Hit.key
        for h in sorted((h for h in hits if h.label in layer), key=key, reverse=True):
            if all(h.end <= t.start or h.start >= t.end for t in taken):
                taken.append(h)
        out.extend(taken)
    return sorted(out, key=lambda h: (h.start, h.end, h.label))
