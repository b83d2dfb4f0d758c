"""Abbreviations a document defines: "long form (SF)", found by the Schwartz–Hearst algorithm
(Schwartz & Hearst, PSB 2003), the one scispaCy's AbbreviationDetector implements. A compact version
of our own is kept instead of scispaCy because that library pins its own spaCy and model downloads,
and the pipeline runs offline on a blank spaCy; the algorithm itself is ~40 lines.

`definitions(text)` gives (short, long, start of long, end of short) for each "long (short)" pair
whose short form's characters appear in order in the long form, its first letter starting a word."""

from __future__ import annotations

import re
from dataclasses import dataclass

_PAREN = re.compile(r"\(([^()\[\]]{1,15})\)")
_WORD = re.compile(r"\S+")


@dataclass(frozen=True)
class Definition:
    short: str
    long: str
    start: int  # offset of the long form
    end: int  # offset just after the closing parenthesis


def _valid_short(sf: str) -> bool:
    words = sf.split()
    return (
        2 <= len(sf) <= 15
        and len(words) <= 2
        and sf[0].isalnum()
        and any(c.isalpha() for c in sf)
        and any(c.isupper() for c in sf)
    )


def _best_long(sf: str, candidate: str) -> int | None:
    """Schwartz–Hearst: match the short form's letters and digits right to left in the candidate;
    the first character must start a word. Returns the start offset of the long form in candidate."""
    s, l_ = len(sf) - 1, len(candidate) - 1
    while s >= 0:
        c = sf[s].lower()
        if not c.isalnum():
            s -= 1
            continue
        while l_ >= 0 and (candidate[l_].lower() != c or (s == 0 and l_ > 0 and candidate[l_ - 1].isalnum())):
            l_ -= 1
        if l_ < 0:
            return None
        s -= 1
        l_ -= 1
    return candidate.rfind(" ", 0, l_ + 1) + 1


def _by_segments(sf: str, candidate: str) -> int | None:
    """Drug abbreviations that skip letters ("V-DXt" for "valbotamab dextotecan", "Zel-DXt"): each
    hyphen-separated piece starts a word of the long form, in order, and the last piece one of the
    last two words ("GemOx", "gemcitabine–oxaliplatin"); returns the start offset of the long form."""
    pieces = [p for p in sf.split("-") if p]
    words = list(re.finditer(r"[A-Za-z0-9]+", candidate))
    if len(pieces) < 2 or not words:
        return None
    j, first = len(words) - 1, None
    for k, piece in enumerate(reversed(pieces)):
        while j >= 0 and words[j].group()[0].lower() != piece[0].lower():
            if k == 0 and j < len(words) - 2:
                return None  # the last piece names one of the last two words
            j -= 1
        if j < 0:
            return None
        first = words[j].start()
        j -= 1
    return candidate.rfind(" ", 0, first + 1) + 1 if first is not None else None


def definitions(text: str) -> list[Definition]:
    out = []
    for m in _PAREN.finditer(text):
        sf = m.group(1).strip()
        if not _valid_short(sf):
            continue
        before = text[: m.start()].rstrip()
        words = list(_WORD.finditer(before))
        limit = min(len(sf) + 5, len(sf) * 2)
        window = words[-limit:]
        if not window:
            continue
        # the long form ends at the parenthesis and stays inside one clause
        cut = max((i for i, w in enumerate(window) if re.search(r"[.;:]$", w.group())), default=-1)
        window = window[cut + 1 :]
        if not window:
            continue
        base = window[0].start()
        candidate = before[base:]
        k = _best_long(sf, candidate)
        if k is None:
            k = _by_segments(sf, candidate)
        if k is None:
            continue
        long = candidate[k:].strip(" ,")
        if len(long) <= len(sf) or sf.lower() in long.lower().split():
            continue
        out.append(Definition(sf, long, base + k, m.end()))
    return out
