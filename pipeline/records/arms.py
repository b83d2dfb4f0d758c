"""Which arm of a randomised comparison a sentence's value belongs to.

Clinical prose names the investigational arm first and the comparator second:
"9.6 months with A and 6.4 months with B", "A versus B (9.6 vs 6.4 months)", "57% and 31%,
respectively", "49% in the A group, as compared with 40% in the B group". Two values of one metric
joined by such a comparison (and not told apart by a subgroup, cohort or timepoint) are the two arms;
the later one is the comparator (`arm = control`) unless the arm phrase after the first value names a
comparator word ("placebo", "chemotherapy alone", rules/records.yml `arms`) and the second's does not.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

# Text between two values of one metric that makes them a comparison (parentheses already removed):
# "with A and", "in the A group and in", "versus", ", as compared with", "and was"
_JOIN = re.compile(
    r"(?:^|\s|,)(?:and|versus|vs\.?|compared\s+(?:with|to)|as\s+compared\s+(?:with|to)|than)\s*"
    r"(?:(?:in|with|for|among|on)\s+)?(?:(?:the|those)\s+)?(?:(?:was|were|is)\s+)?$",
    re.IGNORECASE,
)
_AGAINST = re.compile(r"\b(?:vs\.?|versus|compared\s+(?:with|to)|than)\s", re.IGNORECASE)
_PARENS = re.compile(r"\([^()]*\)|\[[^\[\]]*\]")
_PHRASE_END = re.compile(r"[,;()]|\d|\b(?:and|versus|vs|compared)\b", re.IGNORECASE)
MAX_GAP = 110


def bare(gap: str) -> str:
    """The gap without its parenthesised asides (CIs, hazard ratios, citations)."""
    prev = None
    while prev != gap:
        prev, gap = gap, _PARENS.sub(" ", gap)
    return gap


def compared(gap: str) -> bool:
    """The text between two values of one metric joins them as the two sides of a comparison."""
    g = re.sub(r"\b[A-Za-z][\w-]*\d\w*", "X", bare(gap))  # names with digits ("Z-LM4", "CD19")
    if len(g) > MAX_GAP or re.search(r"\d|;", g) or "respectively" in g.lower():
        return False
    return bool(_JOIN.search(g))


def against(gap: str) -> bool:
    """The gap sets the value after it against the one before it ("versus", "compared with")."""
    return bool(_AGAINST.search(bare(gap) + " "))


def phrase_after(s: str, end: int) -> str:
    """The arm phrase right after a value: "with chemotherapy alone", "in the placebo group"."""
    tail = bare(s[end : end + 120])
    cut = _PHRASE_END.search(tail)
    return (tail[: cut.start()] if cut else tail).strip().lower()


def names_control(phrase: str, words: list[str]) -> bool:
    return any(re.search(rf"(?<![a-z]){re.escape(w)}(?![a-z])", phrase) for w in words)


_RIGHT_BEFORE = re.compile(r"\b(?:vs\.?|versus|compared\s+(?:with|to))\s*$", re.IGNORECASE)


def against_right_before(before: str) -> bool:
    """ "… vs 42%", "…, as compared with 55%": the value right after is the comparator's."""
    return bool(_RIGHT_BEFORE.search(before))


class _Read(Protocol):
    metric_start: int
    start: int
    end: int
    arm: str
    subgroup: str
    timepoint: float | None
    cohort: str


def assign(s: str, readings: Sequence[_Read], control: list[str]) -> None:
    """Arms of a clause's readings: two values of one metric compared ("X with A and Y with B",
    "X and Y, respectively") are (investigational, comparator) in printed order, unless the first
    one's arm phrase names a comparator word and the second's does not."""
    series: dict[int, list[_Read]] = {}
    for r in readings:
        series.setdefault(r.metric_start, []).append(r)
    for rs in series.values():
        rs.sort(key=lambda r: r.start)
        for x, y in zip(rs, rs[1:], strict=False):
            group = (x.subgroup, x.cohort) == (y.subgroup, y.cohort)
            if y.arm == "control" and not group:
                y.arm = ""  # "64% for high-risk, compared to 81% for standard-risk": subgroups, not arms
            if not group or x.timepoint != y.timepoint or len(rs) != 2 or not compared(s[x.end : y.start]):
                continue
            first, second = phrase_after(s, x.end), phrase_after(s, y.end)
            if names_control(first, control) and not names_control(second, control):
                x.arm, y.arm = "control", ""
            else:
                x.arm, y.arm = "", "control"
