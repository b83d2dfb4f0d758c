"""Values of one sentence that name several cohorts, each value to its cohort:

1. a cohort cue right after a value ("85% in cohort A and 73.7% in cohort B"), or after a list of
   values it then holds for ("85% and 60% in cohort A and 70% and 50% in cohort B");
2. cohorts listed before as many values ("In cohorts A and B, the CR rates were 60% and 50%");
3. cohorts interleaved with values, each value to the cue before it ("cohort A, ORR 85%; cohort B, 70%");
4. lists of values, then the cohorts and "respectively" ("the ORR was 61%, 34% and 23%, and the median
   PFS 10.3, 6.1 and 3.9 months in the A, B and C cohorts, respectively"): each list by position.
Nothing is assigned when the counts do not line up: the sentence then stays with its study."""

from __future__ import annotations

import re

from pipeline.model import Mention

# "85% in cohort A", "85% (cohort A)": the gap holds a preposition and the cohort keyword
_FOLLOWS = re.compile(
    r"^\s*[(,]?\s*(?:in|for|among|of|within)?\s*(?:the\s+)?[A-Za-z-]{3,12}\s+$", re.IGNORECASE
)
LIST_GAP = re.compile(r"^\s*(?:,|and|or|,\s*and|,\s*or)\s*$", re.IGNORECASE)


def cohort_of_values(s: str, ms: list[Mention]) -> dict[int, str]:
    """id(VALUE mention) -> cohort label, for sentences naming two or more cohorts."""
    cohorts = [m for m in ms if m.label == "COHORT"]
    values = [m for m in ms if m.label == "VALUE"]
    if len({c.canonical for c in cohorts}) < 2 or not values:
        return {}
    follows: dict[int, str] = {}
    run: list[Mention] = []  # values listed together ("85% and 60%") share the cue after the last one
    for v in values:
        if not (run and LIST_GAP.match(s[run[-1].end : v.start])):
            run = []
        run.append(v)
        c = next((c for c in cohorts if c.start >= v.end), None)
        if c is not None and _FOLLOWS.match(s[v.end : c.start]):
            follows |= {id(x): c.canonical for x in run}
    if set(follows.values()) == {c.canonical for c in cohorts}:
        return follows
    resp = _respectively(s, values, cohorts)
    if resp:
        return resp
    if cohorts[-1].end <= values[0].start and len(values) == len(cohorts):
        return {id(v): c.canonical for v, c in zip(values, cohorts, strict=True)}
    if cohorts[0].end <= values[0].start:
        out: dict[int, str] = {}
        for v in values:
            out[id(v)] = [c for c in cohorts if c.end <= v.start][-1].canonical
        every = {c.canonical for c in cohorts}
        return out if set(out.values()) == every else {}
    return {}


def _respectively(s: str, values: list[Mention], cohorts: list[Mention]) -> dict[int, str]:
    """Rule 4: a list of as many values as the cohorts listed after it (or after a later list of values
    with none between), "respectively" following those cohorts, paired by position. A sentence may
    hold several such statements ("PFS of 75% and 70% in cohorts A and B, respectively, and OS of …")."""
    out: dict[int, str] = {}
    lists = runs(values, s, LIST_GAP)
    for i, run in enumerate(lists):
        for later in lists[i:]:
            nxt = next((v.start for v in values if v.start >= later[-1].end), len(s))
            listed = [c for c in cohorts if later[-1].end <= c.start < nxt]
            if listed:
                break
        names = list(dict.fromkeys(c.canonical for c in listed))
        if len(names) == len(run) >= 2 and _RESPECTIVELY.search(s[listed[-1].end : nxt]):
            out |= {id(v): c for v, c in zip(run, names, strict=True)}
    return out


_RESPECTIVELY = re.compile(r"\brespectively\b", re.IGNORECASE)


def runs(items: list[Mention], s: str, gap: re.Pattern[str]) -> list[list[Mention]]:
    """Mentions in printed order grouped into lists: one run while only `gap` text lies between them."""
    out: list[list[Mention]] = []
    for it in items:
        if out and gap.match(s[out[-1][-1].end : it.start]):
            out[-1].append(it)
        else:
            out.append([it])
    return out
