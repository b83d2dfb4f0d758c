"""Printed-number arithmetic shared by the checks: rounding as printed, truncation, phases."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

from pipeline.quality.findings import decimals


def round_half_up(x: float, d: int) -> float:
    q = 10**d
    return math.floor(x * q + 0.5 + 1e-9) / q


def truncate(x: float, d: int) -> float:
    q = 10**d
    return math.floor(x * q + 1e-9) / q


def compare(a: float, b: float, slack: float = 0.0) -> str:
    """'same' when the less precise printed value is the other rounded to its decimals,
    'truncated' when it is only the other cut off, else 'different'."""
    da, db = decimals(a), decimals(b)
    coarse, fine = (a, b) if da <= db else (b, a)
    d = min(da, db)
    if abs(round_half_up(fine, d) - coarse) <= slack + 1e-9:
        return "same"
    if abs(truncate(fine, d) - coarse) <= slack + 1e-9:
        return "truncated"
    return "different"


_ROMAN = {"I", "II", "III", "IV", "IA", "IB", "IIA", "IIB"}


def phase(text: str, aliases: Mapping[str, str] | None = None) -> str:
    """Canonical phase: 'I-II', 'Phase 1/2', 'I/II' -> 'I/II'; 'none', '' -> ''."""
    aliases = {str(k).lower(): str(v) for k, v in (aliases or {}).items()}
    t = re.sub(r"(?i)\bphases?\b", " ", text or "").strip()
    parts = [p.strip() for p in re.split(r"\s*(?:[-/,&–]|\band\b)\s*", t) if p.strip()]
    out = []
    for p in parts:
        p = aliases.get(p.lower(), p)
        if p.upper() not in _ROMAN:
            return ""  # not a phase ('none', 'SOC', 'retrospective'): nothing to compare
        out.append(p[:-1].upper() + p[-1].lower() if p[-1] in "abAB" else p.upper())
    return "/".join(out)
