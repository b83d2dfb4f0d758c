"""What a curator may type as a corrected value: one number in the metric's unit, optionally with a
qualifier (">=12", "≤ 5 months"), or "NR" (not reached, not reported). Anything else is refused with a
reason, never stored half-read ("37,5" is not 37, "1e309" is not a number)."""

from __future__ import annotations

import re
from collections.abc import Mapping

MAX_VALUE_CHARS = 64
_NUMBER = re.compile(r"(?P<q>>=|<=|≥|≤|>|<|~)?\s*(?P<n>\d+(?:\.\d+)?|\.\d+)\s*(?P<u>.*)", re.DOTALL)
_QUAL = {"≥": ">=", "≤": "<="}
# words a curator may write after the number, per unit of rules/metrics.yml
UNIT_WORDS = {
    "%": {"%", "percent", "pct"},
    "months": {"months", "month", "mo", "mos", "mo.", "m"},
    "patients": {"patients", "patient", "pts", "pt"},
    "cells": {"cells"},
}
_WHOLE = {"patients"}


class CorrectionError(ValueError):
    """A corrected value that cannot be stored, with the reason for the curator."""


def metric_units(metrics: Mapping[str, object] | None) -> dict[str, str]:
    """{metric: unit} from the `metrics` mapping of rules/metrics.yml."""
    out: dict[str, str] = {}
    for name, spec in (metrics or {}).items():
        if isinstance(spec, Mapping) and isinstance(spec.get("unit"), str):
            out[str(name)] = spec["unit"]
    return out


def correction(raw: str, unit: str = "") -> str:
    """The corrected value normalised ("≥ 12 months" -> ">=12"), or CorrectionError saying why not."""
    s = raw.strip()
    if not s:
        raise CorrectionError("a correction needs the corrected value")
    if len(s) > MAX_VALUE_CHARS:
        raise CorrectionError(f"a corrected value has at most {MAX_VALUE_CHARS} characters")
    if s.upper() in ("NR", "NOT REACHED"):
        return "NR"  # not reached (a time) or not reported
    example = f"e.g. {'42' if unit in _WHOLE else '37.5'}{'' if unit in ('', '%') else ' '}{unit}"
    m = _NUMBER.fullmatch(s)
    if not m:
        raise CorrectionError(f"{s!r} is not a number; type one number in the metric's unit ({example})")
    rest = m["u"].strip()
    if rest[:1] in (",", ".") or re.match(r"[eE][+-]?\d", rest) or re.search(r"\d", rest):
        raise CorrectionError(
            f"{s!r} is not one plain number: use a point for decimals, no thousands separator and no "
            f"exponent ({example})"
        )
    if rest and rest.lower() not in UNIT_WORDS.get(unit, {unit.lower()} if unit else set()):
        raise CorrectionError(f"{rest!r} is not the unit of this metric ({unit or 'no unit'}; {example})")
    number = float(m["n"])  # finite: digits and one point only (range checks are the quality stage's)
    if unit in _WHOLE and not number.is_integer():
        raise CorrectionError(f"a number of {unit} is a whole number, not {m['n']}")
    q = m["q"] or ""
    return f"{_QUAL.get(q, q)}{m['n']}"
