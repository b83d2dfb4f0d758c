"""junit.xml for CI dashboards: a test suite per document, a test case per check. A check fails
when it raised a finding whose severity reaches the gate (errors always; warnings under
--fail-on warning); a document that could not be processed is a test error."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from pipeline.outputs.atomic import atomic_write
from pipeline.outputs.record import DocRecord


def failing_severities(fail_on: str) -> set[str]:
    return {"error", "warning"} if fail_on == "warning" else {"error"}


def render(records: list[DocRecord], fail_on: str = "error", checks: list[str] | None = None) -> str:
    failing = failing_severities(fail_on)
    names = sorted(set(checks or []) | {f.get("check", "") for rec in records for f in rec.findings} - {""})
    root = ET.Element("testsuites", name="trialex")
    totals = {"tests": 0, "failures": 0, "errors": 0}
    for rec in records:
        row = rec.row
        suite = ET.SubElement(root, "testsuite", name=rec.doc_id)
        counts = {"tests": 0, "failures": 0, "errors": 0}
        case = ET.SubElement(suite, "testcase", classname=f"trialex.{rec.doc_id}", name="process")
        case.set("time", f"{row.get('timings', {}).get('total', 0.0):.3f}")
        counts["tests"] += 1
        if not rec.ok:
            err = ET.SubElement(
                case, "error", message=f"{row['error']}: {row['error_detail']}", type=row["error"]
            )
            err.text = row["error_detail"]
            counts["errors"] += 1
        else:
            for name in names:
                mine = [f for f in rec.findings if f.get("check") == name]
                case = ET.SubElement(suite, "testcase", classname=f"trialex.{rec.doc_id}", name=name)
                counts["tests"] += 1
                bad = [f for f in mine if f.get("severity") in failing]
                if bad:
                    fail = ET.SubElement(
                        case, "failure", message=f"{len(bad)} finding(s)", type=bad[0]["severity"]
                    )
                    fail.text = "\n".join(_line(f) for f in bad)
                    counts["failures"] += 1
                elif mine:  # below the gate: visible in the dashboard without failing the check
                    ET.SubElement(case, "system-out").text = "\n".join(_line(f) for f in mine)
        for k, v in counts.items():
            suite.set(k, str(v))
            totals[k] += v
    for k, v in totals.items():
        root.set(k, str(v))
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _line(f: dict) -> str:
    subject = " ".join(x for x in (f.get("study_id", ""), f.get("metric", "")) if x)
    return f"[{f.get('severity')}] {subject}: {f.get('message', '')} ({f.get('values', '')})".replace(
        " : ", ": "
    )


def write(
    out: Path, records: list[DocRecord], fail_on: str = "error", checks: list[str] | None = None
) -> Path:
    return atomic_write(out / "junit.xml", render(records, fail_on, checks))
