"""What tables and text say about a study before the two are merged (see assemble.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pipeline.model import Outcome


@dataclass
class StudyDraft:
    source: str  # "table" | "text"
    trial: str = ""
    cohort: str = ""
    product: str = ""
    target: str = ""
    nct_id: str = ""
    phase: str = ""
    n: int | None = None
    stated_n: int | None = None  # the count this source printed, when the study's n came from another
    design: str = ""
    design_word: str = ""  # rwe, retro, pooled, an author name: for ids of studies without a trial name
    author: str = ""  # "park-2018": an author-named study with the year the paper prints
    population: str = ""
    refs: list[str] = field(default_factory=list)
    pages: set[int] = field(default_factory=set)
    outcomes: list[Outcome] = field(default_factory=list)

    def key(self) -> tuple[str, ...]:
        from pipeline.records.cues import norm_key

        if self.trial:
            return ("trial", norm_key(self.trial), self.cohort.lower())
        if self.author:
            return ("author", self.author)
        if self.design_word in ("pooled", "document"):
            return (self.design_word, self.population.lower(), str(self.n or ""))
        return ("anon", self.product, str(self.n or ""))


def expand_refs(refs: tuple[str, ...] | list[str]) -> list[str]:
    """ "5-7" -> 5, 6, 7; "5,6" -> 5, 6 (citation ranges as printed)."""
    out: list[str] = []
    for ref in refs:
        for part in re.split(r"\s*,\s*", str(ref)):
            m = re.fullmatch(r"(\d+)\s*[-–]\s*(\d+)", part)
            if m and 0 <= int(m.group(2)) - int(m.group(1)) <= 50:
                out += [str(i) for i in range(int(m.group(1)), int(m.group(2)) + 1)]
            elif part:
                out.append(part)
    return out
