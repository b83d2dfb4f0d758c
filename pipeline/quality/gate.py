"""The CI gate: `trialex check [OUTPUT] --fail-on error|warning|never [--allow-failed]`.
Exit 0 when no finding reaches the level, 1 when some do, 2 on usage or I/O errors, 3 when a document
of the run failed (unless --allow-failed): a run that lost documents is never green."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.model import SEVERITIES

if TYPE_CHECKING:  # pandas is imported where a frame is read: a run replayed from its manifest needs none
    import pandas as pd

LEVELS = ("error", "warning", "never")
REVIEWED = ("rejected", "accepted")  # a curator's verdict: such a finding no longer gates
FAILED_DOCUMENTS = 3  # exit code: some document could not be processed


class GateError(ValueError):
    pass


def _reaching(fail_on: str) -> set[str]:
    if fail_on not in LEVELS:
        raise GateError(f"--fail-on must be one of {', '.join(LEVELS)}, not {fail_on!r}")
    if fail_on == "never":
        return set()
    return set(SEVERITIES[: SEVERITIES.index(fail_on) + 1])  # error; error+warning


def live_severities(findings: pd.DataFrame | None) -> set[str]:
    """The severities of the open findings (those a curator rejected or accepted do not count)."""
    if findings is None or findings.empty:
        return set()
    if "severity" not in findings.columns:
        raise GateError("findings have no 'severity' column")
    live = findings
    if "status" in findings.columns:
        live = findings[~findings["status"].fillna("open").astype(str).isin(REVIEWED)]
    return set(live["severity"].astype(str).str.strip().str.lower())


def exit_code(findings: pd.DataFrame, fail_on: str = "error") -> int:
    """0 when no open finding reaches `fail_on`, else 1. Findings a curator rejected do not count."""
    if not _reaching(fail_on):
        return 0
    return code_for(live_severities(findings), fail_on)


def code_for(severities: Iterable[str], fail_on: str, failed: int = 0, allow_failed: bool = False) -> int:
    """The exit code from the severities of the open findings and the number of failed documents."""
    levels = _reaching(fail_on)
    if failed and not allow_failed:
        return FAILED_DOCUMENTS
    return int(bool(levels & set(severities)))


def open_severities(findings: Iterable[Mapping[str, Any]]) -> frozenset[str]:
    """The severities of the findings `exit_code` counts (not rejected or accepted by a curator), as
    `exit_code` reads them: what a batch keeps per document to gate without its findings."""
    return frozenset(
        str(f.get("severity"))
        for f in findings
        if str(f.get("status") if f.get("status") is not None else "open") not in REVIEWED
    )


def run_exit_code(findings: pd.DataFrame, fail_on: str, failed: int = 0, allow_failed: bool = False) -> int:
    """3 when `failed` documents > 0 (unless `allow_failed`), else the findings' `exit_code`."""
    if failed and not allow_failed:
        return FAILED_DOCUMENTS
    return exit_code(findings, fail_on)


def failed_documents(out_dir: Path) -> tuple[int, int]:
    """(failed, total) documents of a run, from its report.json; raises OSError/ValueError."""
    report = json.loads((out_dir / "report.json").read_text(encoding="utf-8"))
    docs = report.get("documents") if isinstance(report, dict) else None
    if not isinstance(docs, list):
        raise ValueError("report.json has no documents list")
    return sum(1 for d in docs if not isinstance(d, dict) or d.get("status") != "ok"), len(docs)


def check_command(
    out_dir: str | Path, fail_on: str = "error", allow_failed: bool = False, github: bool = False
) -> int:
    """Read OUT_DIR/findings.csv (and report.json when present) and gate on them; print a one-line
    summary (with `github`, also annotations and the step summary: `pipeline.quality.github`)."""
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
    import pandas as pd

    failed, total = 0, 0
    try:
        if (out_dir / "report.json").is_file():
            failed, total = failed_documents(out_dir)
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
        code = run_exit_code(df, fail_on, failed, allow_failed)
    except (OSError, ValueError, pd.errors.ParserError) as e:
        print(f"error: cannot read {out_dir}: {e}", file=sys.stderr)
        return 2
    counts = df["severity"].value_counts().to_dict() if not df.empty else {}
    summary = ", ".join(f"{counts.get(s, 0)} {s}" for s in SEVERITIES)
    verdict = "FAIL" if code else "ok"
    docs = f"; {failed} of {total} documents failed" if failed else ""
    note = " (--allow-failed)" if failed and allow_failed else ""
    line = f"{verdict}: {len(df)} findings ({summary}){docs}{note}; --fail-on {fail_on}"
    if github:
        from pipeline.quality import github as gh

        gh.report(out_dir, df, line)
    print(line)
    return code
