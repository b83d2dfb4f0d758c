"""junit.xml for CI dashboards: a test suite per document, a test case per check. A check fails
when it raised a finding whose severity reaches the gate (errors always; warnings under
--fail-on warning); a document that could not be processed is a test error.

Streamed: each document keeps only its `cases` (check, severity and one line per finding, taken as
it finishes); the file is written one suite at a time from them, so a batch's findings are never
all in memory."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from pipeline.outputs.atomic import atomic_write
from pipeline.outputs.record import DocRecord

Case = list[str]  # [check, severity, line] of one finding
Suite = tuple[dict[str, Any], list[Case]]  # a document's report row and its cases
_MARK = "@@suites@@"


def failing_severities(fail_on: str) -> set[str]:
    return {"error", "warning"} if fail_on == "warning" else {"error"}


def cases(rec: DocRecord) -> list[Case]:
    """What junit.xml needs of a document's findings."""
    return [[str(f.get("check") or ""), f.get("severity"), _line(f)] for f in rec.findings]


def _suite(row: dict[str, Any], mine: list[Case], names: list[str], failing: set[str]) -> ET.Element:
    doc_id = row["doc_id"]
    suite = ET.Element("testsuite", name=doc_id)
    counts = {"tests": 0, "failures": 0, "errors": 0}
    case = ET.SubElement(suite, "testcase", classname=f"trialex.{doc_id}", name="process")
    case.set("time", f"{row.get('timings', {}).get('total', 0.0):.3f}")
    counts["tests"] += 1
    if row["status"] != "ok":
        err = ET.SubElement(
            case, "error", message=f"{row['error']}: {row['error_detail']}", type=row["error"]
        )
        err.text = row["error_detail"]
        counts["errors"] += 1
    else:
        for name in names:
            found = [c for c in mine if c[0] == name]
            case = ET.SubElement(suite, "testcase", classname=f"trialex.{doc_id}", name=name)
            counts["tests"] += 1
            bad = [c for c in found if c[1] in failing]
            if bad:
                fail = ET.SubElement(case, "failure", message=f"{len(bad)} finding(s)", type=bad[0][1])
                fail.text = "\n".join(c[2] for c in bad)
                counts["failures"] += 1
            elif found:  # below the gate: visible in the dashboard without failing the check
                ET.SubElement(case, "system-out").text = "\n".join(c[2] for c in found)
    for k, v in counts.items():
        suite.set(k, str(v))
    ET.indent(suite, level=1)
    return suite


def _totals(suites: Iterable[Suite], names: list[str], failing: set[str]) -> dict[str, int]:
    totals = {"tests": 0, "failures": 0, "errors": 0}
    for row, mine in suites:
        ok = row["status"] == "ok"
        totals["tests"] += 1 + (len(names) if ok else 0)
        totals["errors"] += not ok
        totals["failures"] += len({c[0] for c in mine if c[1] in failing} & set(names)) if ok else 0
    return totals


def chunks(suites: Callable[[], Iterable[Suite]], fail_on: str = "error", checks: list[str] | None = None):
    """The file in pieces, one suite each; `suites()` is read twice (names and totals, then the suites)."""
    failing = failing_severities(fail_on)
    found: set[str] = set()
    n = 0
    for _, mine in suites():
        found.update(c[0] for c in mine)
        n += 1
    ordered = sorted(set(checks or []) | (found - {""}))
    root = ET.Element("testsuites", name="trialex")
    for k, v in _totals(suites(), ordered, failing).items():
        root.set(k, str(v))
    if not n:
        yield ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
        return
    root.text = _MARK
    head, tail = ET.tostring(root, encoding="unicode", xml_declaration=True).split(_MARK)
    yield head + "\n  "
    for i, (row, mine) in enumerate(suites()):
        yield ("\n  " if i else "") + ET.tostring(_suite(row, mine, ordered, failing), encoding="unicode")
    yield "\n" + tail + "\n"


def render(records: list[DocRecord], fail_on: str = "error", checks: list[str] | None = None) -> str:
    return "".join(chunks(lambda: ((r.row, cases(r)) for r in records), fail_on, checks))


def _line(f: dict) -> str:
    subject = " ".join(x for x in (f.get("study_id", ""), f.get("metric", "")) if x)
    return f"[{f.get('severity')}] {subject}: {f.get('message', '')} ({f.get('values', '')})".replace(
        " : ", ": "
    )


def write(
    out: Path,
    suites: Callable[[], Iterable[Suite]],
    fail_on: str = "error",
    checks: list[str] | None = None,
) -> Path:
    """junit.xml from `suites()`: each document's report row and `cases`, in order."""
    return atomic_write(out / "junit.xml", chunks(suites, fail_on, checks))
