"""Each stage's tests against that stage returning nothing (`pytest --empty-stage=STAGE`, see
tests/empty_stage.py): per stage, how many of its tests reach the patched entry and how many of
those fail. A test that reaches the empty stage and still passes asserts nothing about its output.

    python -m bench.empty_stage                 # every stage, its own test files
    python -m bench.empty_stage records quality

Writes output/empty-stage/<stage>.json per stage and output/empty-stage/report.md; exit 1 when a
test that reaches an empty stage passes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "output" / "empty-stage"
STAGES = ("ingest", "tables", "ner", "records", "quality", "outputs")
# Slow end-to-end or environment tests left out (a browser, real PDFs in a subprocess pool).
SKIP = ("test_review_browser.py",)


def test_files(stage: str) -> list[str]:
    pattern = "test_outputs*.py" if stage == "outputs" else f"test_{stage}_*.py"
    files = sorted(p for p in (ROOT / "tests").glob(pattern) if p.name not in SKIP)
    if stage == "records":
        files.append(ROOT / "tests" / "test_core_cells.py")
    if stage == "tables":
        files.append(ROOT / "tests" / "test_core_continuation.py")
    if stage == "quality":
        files.append(ROOT / "tests" / "test_core_grim.py")
    if stage == "ingest":
        files.append(ROOT / "tests" / "test_core_hyphens.py")
    return [str(p.relative_to(ROOT)) for p in files]


def run(stage: str) -> dict:
    report = OUT / f"{stage}.json"
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider",
           f"--empty-stage={stage}", f"--empty-stage-report={report}", *test_files(stage)]  # fmt: skip
    subprocess.run(cmd, cwd=ROOT, check=False, stdout=subprocess.DEVNULL)
    return json.loads(report.read_text(encoding="utf-8"))["tests"]


def summary(stage: str, tests: dict) -> tuple[str, list[str]]:
    reached = {k: v for k, v in tests.items() if v.get("reached")}
    failed = [k for k, v in reached.items() if v["outcome"] == "failed"]
    vacuous = [k for k, v in reached.items() if v["outcome"] == "passed"]
    skipped = [k for k, v in reached.items() if v["outcome"] == "skipped"]
    below = sum(1 for v in tests.values() if not v.get("reached"))
    row = f"| {stage} | {len(tests)} | {len(reached)} | {len(failed)} | {len(vacuous)} | {len(skipped)} | {below} |"
    return row, vacuous


def main(argv: list[str] | None = None) -> int:
    stages = (argv if argv is not None else sys.argv[1:]) or list(STAGES)
    OUT.mkdir(parents=True, exist_ok=True)
    lines = ["# Tests against an empty stage", "",
             "| stage | tests | reach the stage | fail | pass anyway | skipped | below the entry |",
             "|---|---:|---:|---:|---:|---:|---:|"]  # fmt: skip
    vacuous_all: list[str] = []
    for stage in stages:
        row, vacuous = summary(stage, run(stage))
        lines.append(row)
        vacuous_all += [f"{stage}: {t}" for t in vacuous]
        print(row, flush=True)
    lines += ["", "'below the entry': tests of a helper the entry calls; they never see its output.", ""]
    lines += ["## Passing with the stage empty", "", *(f"- {t}" for t in vacuous_all or ["none"])]
    (OUT / "report.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    return 1 if vacuous_all else 0


if __name__ == "__main__":
    raise SystemExit(main())
