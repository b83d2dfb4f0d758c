"""Patients allocated to the arms of a randomised study, as one sentence reports them:

- "A total of 800 patients were randomised to A (n = 402) or B (n = 398)";
- "Of 610 patients, 405 were randomised to A and 205 to B";
- "612 were randomly assigned, 306 to the A group and 306 to the B group";
- a subgroup split: "the cohort of 480 patients with X (320 A, 160 B), in whom median PFS was …".

Each arm's count is an N row of its arm (the first named is the investigational arm, the second the
comparator unless only the first's phrase names a comparator word); the count they add up to is the
N of all randomised patients (a subgroup row, as in shared/schema.md). A split that is not a
randomisation makes the sentence a subgroup: the total, both arms and the values after it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pipeline.model import Mention
from pipeline.records.arms import names_control
from pipeline.records.cues import Cues
from pipeline.records.relations import TextReading

ALL_RANDOMISED = "all randomised"
_RANDOMISED = re.compile(r"\brandomi[sz]|\brandomly\b", re.IGNORECASE)
_ASSIGN = re.compile(r"\b(?:randomi[sz]|randomly|assigned|allocated)", re.IGNORECASE)
_LEAD = re.compile(r"(?:\b(?:in|among|of|for)\s+)?(?:the\s+)?(?P<g>[^,;()\d]{3,60}?)\s+(?:of\s+)?$", re.I)


@dataclass
class Allocation:
    readings: list[TextReading] = field(default_factory=list)
    subgroup: str = ""  # the subgroup the rest of the sentence is about ("" for a randomisation)
    total: int | None = None


def _value(m: Mention) -> int | None:
    v = m.attrs.get("value")
    return int(v) if isinstance(v, (int, float)) and float(v) == int(v) and v > 0 else None


def _reading(m: Mention, arm: str = "", subgroup: str = "") -> TextReading:
    return TextReading(
        "N", float(_value(m) or 0), "patients", arm=arm, subgroup=subgroup,
        start=m.start, end=m.end, metric_start=m.start, metric_end=m.end,
    )  # fmt: skip


def read(s: str, ms: list[Mention], cues: Cues) -> Allocation | None:
    counts = [m for m in ms if m.label == "N" and _value(m) is not None]
    arms = [m for m in counts if m.attrs.get("cue") == "allocated"]
    if len(arms) < 2 and _ASSIGN.search(s):
        arms = [m for m in counts if m.attrs.get("cue") == "n="]  # "to A (n = 402) or B (n = 398)"
    if len(arms) < 2:
        return None
    arms = arms[:2]
    total_n = sum(_value(m) or 0 for m in arms)
    randomised = bool(_RANDOMISED.search(s)) or any(m.attrs.get("cue") == "randomised" for m in counts)
    before = [m for m in counts if m.end <= arms[0].start and m not in arms]
    totals = [
        m
        for m in before
        if _value(m) == total_n or m.attrs.get("cue") == "randomised" or _RANDOMISED.search(m.text)
    ]
    out = Allocation(total=_value(totals[-1]) if totals else None)
    if not randomised:
        anchor = totals[-1] if totals else arms[0]
        out.subgroup = _subgroup(s, anchor, cues) or "subgroup"
    sides = ["", "control"]
    phrases = [_phrase(s, arms, k) for k in range(2)]
    control = cues.control_words + cues.comparator_hints
    if names_control(phrases[0], control) and not names_control(phrases[1], control):
        sides = ["control", ""]
    for m in totals:
        label = f"{out.subgroup} (both arms)" if out.subgroup else ALL_RANDOMISED
        out.readings.append(_reading(m, subgroup=label))
    for m, arm in zip(arms, sides, strict=True):
        out.readings.append(_reading(m, arm=arm, subgroup=out.subgroup))
    return out


def _phrase(s: str, arms: list[Mention], k: int) -> str:
    """The words naming arm k: before "(n = 402)", after "306 to the A group"."""
    m = arms[k]
    if m.attrs.get("cue") == "n=":
        lo = arms[k - 1].end if k else max(0, m.start - 60)
        return s[lo : m.start].lower()
    hi = arms[k + 1].start if k + 1 < len(arms) else min(len(s), m.end + 60)
    return s[m.end : hi].lower()


def _subgroup(s: str, anchor: Mention, cues: Cues) -> str:
    """The trait of a split's patients: "with brain metastases" after the count, else the words
    before it ("the hormone receptor-positive cohort of 494 patients")."""
    after = cues.subset_re.match(s[anchor.end :]) or re.match(
        r"^\s*(?:patients\s+)?(?:with|who\s+had)\s+(?P<g>[^,;()\d]{3,50}?)\s*(?:\(|,|$)", s[anchor.end :]
    )
    if after:
        label = " ".join(after.group("g").split())
        return cues.subgroups.get(label.lower(), label)
    lead = _LEAD.search(s[: anchor.start])
    return " ".join(lead.group("g").split()) if lead else ""
