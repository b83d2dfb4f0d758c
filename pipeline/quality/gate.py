"""The CI gate: `trialex check [OUTPUT] --fail-on error|warning|never`.
Exit 0 when no finding reaches the level, 1 when some do, 2 on usage or I/O errors."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from pipeline.model import SEVERITIES

LEVELS = ("error", "warning", "never")


class GateError(ValueError):
    pass


def _reaching(fail_on: str) -> set[str]:
    if fail_on not in LEVELS:
        raise GateError(f"--fail-on must be one of {', '.join(LEVELS)}, not {fail_on!r}")
    if fail_on == "never":
        return set()
    return set(SEVERITIES[: SEVERITIES.index(fail_on) + 1])  # error; error+warning


def exit_code(findings: pd.DataFrame, fail_on: str = "error") -> int:
    """0 when no open finding reaches `fail_on`, else 1. Findings a curator rejected do not count."""
    levels = _reaching(fail_on)
    if findings is None or findings.empty or not levels:
        return 0
    if "severity" not in findings.columns:
        raise GateError("findings have no 'severity' column")
    live = findings
    if "status" in findings.columns:
        live = findings[~findings["status"].fillna("open").astype(str).isin(["rejected", "accepted"])]
    return int(live["severity"].astype(str).str.strip().str.lower().isin(levels).any())


def check_command(out_dir: str | Path, fail_on: str = "error") -> int:
    """Read OUT_DIR/findings.csv and gate on it; print a one-line summary."""
    try:
        _reaching(fail_on)
    except GateError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    out_dir = Path(out_dir)
    path = out_dir / "findings.csv"
    if not out_dir.is_dir():
        print(f"error: output folder not found: {out_dir}", file=sys.stderr)
        return 2
    if not path.is_file():
        print(f"error: no findings.csv in {out_dir} (run `trialex run` first)", file=sys.stderr)
        return 2
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
        code = exit_code(df, fail_on)
    except (OSError, ValueError, pd.errors.ParserError) as e:
        print(f"error: cannot read {path}: {e}", file=sys.stderr)
        return 2
    counts = df["severity"].value_counts().to_dict() if not df.empty else {}
    summary = ", ".join(f"{counts.get(s, 0)} {s}" for s in SEVERITIES)
    verdict = "FAIL" if code else "ok"
    print(f"{verdict}: {len(df)} findings ({summary}); --fail-on {fail_on}")
    return code
