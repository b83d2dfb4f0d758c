"""An outcomes cell into records: "ORR: 70.2%", "mOS: not reached", "At 24 months PFS: 45.0%",
"Xyz-Cel vs Control PFS: 12.5 vs 4.1m", "At 6 months: PFS: HR (60%) SR (80%)", "ORR: 85.2, with 70.4% CR".

A cell is a run of `METRIC value…` segments; timepoint headers ("At 6 months:") hold until the next
header, a leading "A vs B" fixes which side of every "x vs y" is the comparator, and a short label
right before a value ("HR (64%)") names a subgroup."""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.model import Mention
from pipeline.records.cues import Cues

MEDIANS = ("PFS_MEDIAN", "OS_MEDIAN", "DOR_MEDIAN", "EFS_MEDIAN", "FOLLOWUP_MEDIAN")
_LABEL_ARM = re.compile(r"\s*\(\s*([A-Za-z][A-Za-z0-9\-]{0,9})\s*\)")
_ABBR_BEFORE = re.compile(r"(?P<abbr>[A-Za-z][A-Za-z0-9\-]{0,9})\s*\(?\s*$")


@dataclass
class Reading:
    """One number read from a cell or sentence, before it is tied to a study."""

    metric: str
    value: float | None
    unit: str
    qualifier: str = ""
    arm: str = ""
    subgroup: str = ""
    timepoint: float | None = None
    snippet: str = ""
    start: int = 0  # offsets of the value in the parsed string
    end: int = 0
    n: int | None = None  # the count of the value's own population (a table note's subgroup)


def finish(metric: str, value: Mention, cues: Cues, timepoint: float | None) -> Reading | None:
    """Unit defaults, median/rate codes and timepoints, shared by cells and sentences; None when the
    value cannot be that metric: a duration for a rate with no median code ("median EFS was 8.3
    months": the schema has no EFS median) or a percentage for a median."""
    unit = value.attrs.get("unit") or ""
    qual = value.attrs.get("qualifier") or ""
    if qual == "NR" or unit == "months":
        metric = cues.median_of.get(metric, metric)  # "PFS: 8.5m" and "OS not reached" are medians
    if unit == "months" and cues.metric_units.get(metric) == "%":
        return None
    if unit == "%" and metric in MEDIANS:
        return None
    if metric in MEDIANS:
        unit = "months"
    if not unit:
        unit = cues.metric_units.get(metric, "")
    tp = timepoint if unit == "%" and metric not in MEDIANS else None
    return Reading(
        metric, value.attrs.get("value"), unit, qual, timepoint=tp, start=value.start, end=value.end
    )


def subgroup_label(abbr: str, cues: Cues, local: dict[str, str]) -> str:
    """A printed subgroup name or abbreviation -> its label: the row's own definitions first
    ("40 high-risk" defines HR), then rules/records.yml subgroups."""
    key = abbr.strip().lower()
    return local.get(key) or cues.subgroups.get(key, "")


def parse_cell(
    text: str,
    mentions: list[Mention],
    cues: Cues,
    local_groups: dict[str, str],
    local_arms: dict[str, str] | None = None,
) -> list[Reading]:
    toks = sorted(
        (m for m in mentions if m.label in ("METRIC", "VALUE", "TIMEPOINT", "ARM")), key=lambda m: m.start
    )
    out: list[Reading] = []
    header_tp: float | None = None
    control_first = False
    segs: list[tuple[Mention, float | None, list[Mention]]] = []  # metric, its timepoint, its values
    for i, t in enumerate(toks):
        if t.label == "TIMEPOINT":
            prev = toks[i - 1] if i else None
            if prev is not None and prev.label == "METRIC" and t.start - prev.end <= 2 and segs:
                segs[-1] = (segs[-1][0], t.attrs.get("months"), segs[-1][2])  # "OS (12m): 73%"
            else:
                header_tp = t.attrs.get("months")
        elif t.label == "METRIC":
            tp = None
            if i + 1 < len(toks) and toks[i + 1].label == "TIMEPOINT" and toks[i + 1].start - t.end <= 2:
                tp = None  # set when the timepoint token is reached
            elif i and toks[i - 1].label == "TIMEPOINT" and t.start - toks[i - 1].end <= 1:
                tp = toks[i - 1].attrs.get("months")  # "12-month PFS"
            segs.append((t, tp if tp is not None else header_tp, []))
        elif t.label == "ARM" and t.canonical == "vs" and not segs:
            left = text[: t.start].lower()
            control_first = any(re.search(rf"\b{re.escape(w)}\b", left) for w in cues.control_words)
        elif t.label == "VALUE" and segs:
            segs[-1][2].append(t)
    # "ORR: 85.2, with 70.4% CR": a metric without values takes the last value of the segment before
    for k in range(1, len(segs)):
        metric, tp, vals = segs[k]
        prev_vals = segs[k - 1][2]
        if not vals and len(prev_vals) >= 2 and prev_vals[-1].end <= metric.start:
            gap = text[prev_vals[-2].end : prev_vals[-1].start].lower()
            if "vs" not in gap and "(" not in text[prev_vals[-1].start - 2 : prev_vals[-1].start]:
                vals.append(prev_vals.pop())
    for metric, tp, vals in segs:
        prev_end = metric.end
        label = _LABEL_ARM.match(text[metric.end :])  # "ORR(ST): 60.5%" with ST defined in the row
        label_arm = (local_arms or {}).get(label.group(1).lower()) if label else None
        if cues.mean_re.search(text[max(0, metric.start - 16) : metric.start]):
            continue  # "mean follow-up 7.8 years": a mean is not the median the code stands for
        for j, v in enumerate(vals):
            r = finish(metric.canonical, v, cues, tp)
            if r is None:
                continue
            if label_arm is not None:
                r.arm = label_arm
            gap = text[prev_end : v.start]
            if j and re.search(r"\b(?:vs\.?|versus)\s*$", text[vals[j - 1].end : v.start].strip(), re.I):
                r.arm = "" if control_first else "control"
            elif control_first and len(vals) > 1 and j == 0:
                r.arm = "control"
            m = _ABBR_BEFORE.search(gap.rstrip(" :"))
            if m and "(" in gap or (m and j):
                r.subgroup = subgroup_label(m.group("abbr"), cues, local_groups)
            lo, hi = min(metric.start, vals[0].start), max(metric.end, vals[-1].end)
            hi += text[hi : hi + 1] == ")"
            r.snippet = " ".join(text[lo:hi].split())
            out.append(r)
            prev_end = v.end
    return out
