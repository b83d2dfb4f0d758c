"""GX plans each expectation once per process (`pipeline.quality.plans`) and `Suites.verdict` gives GX
only the columns a suite reads: every suite's results must be GX's own, field for field, on frame
after frame. The reference is plain GX (`ValidationDefinition.run` on the whole prepared frame) in a
process where the seam is not installed; if a GX upgrade changes what the seam relies on, the
comparison (or the version check) fails here."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Invented rows; the frames are validated one after another (the second and later reuse the plans).
_SCRIPT = """
import json, re, sys
import pipeline.quality.plans as plans
if sys.argv[1] == "plain":
    plans.install = lambda: False  # GX as it comes
from pipeline.model import Outcome, Study
from pipeline.quality.expectations import Suites, frame
from pipeline.rules import load

def o(**kw):
    base = dict(doc_id="d", study_id="s1", metric="ORR", value=40.0, unit="%", source="table", page=2)
    return Outcome(**{**base, **kw})

frames = [
    ("outcomes", frame([o(value=131.0), o(n=7.5), o(metric="QQQ_RATE"), o(nct_id="NCT77"),
                        o(value=None, qualifier=""), o(page=0), o()], Outcome)),
    ("outcomes", frame([o(), o(unit="months", metric="PFS_MEDIAN", value=12.5)], Outcome)),
    ("outcomes", frame([o(unit="furlongs"), o(source="figure"), o(timepoint_months=812.0),
                        o(value=-4.0, unit="patients"), o(n=0)], Outcome)),
    ("studies", frame([Study("d", "s1", trial="WREN-3", n=0, sources="table"),
                       Study("d", "s2", nct_id="NCT4471", n=12, sources="text"),
                       Study("d", "s2", n=31, sources="")], Study)),
    ("studies", frame([Study("d", "s9", n=40, sources="table")], Study)),
    ("rows", frame([o(), o(value=7.0)], Outcome)),
    ("rows", frame([o()], Outcome)),
    ("missing", frame([o()], Outcome)),
]
rules = load()
extra = {
    "rows": [{"type": "ExpectTableRowCountToBeBetween", "kwargs": {"min_value": 2}},
             {"type": "ExpectColumnValuesToBeBetween", "kwargs": {"column": "value", "max_value": 10}}],
    "missing": [{"type": "ExpectColumnValuesToNotBeNull", "kwargs": {"column": "no_such_column"}}],
}
suites = Suites(rules.get("expectations"), list(rules.get("metrics")["metrics"]), extra)
out = []
for name, df in frames:
    if sys.argv[1] == "plain":
        run = suites.definitions[name].run(
            batch_parameters={"dataframe": suites.prepare(name, df)},
            result_format={"result_format": "COMPLETE", "return_unexpected_index_query": False},
        )
        results = sorted(run.results, key=lambda r: (r.expectation_config.meta or {}).get("index", 0))
    else:
        results = suites.verdict(name, df).results
    for r in results:
        d = r.to_json_dict()
        d["expectation_config"].pop("id", None)  # a new id per suite built
        if d["exception_info"].get("exception_traceback"):  # the stack differs, the error must not
            d["exception_info"]["exception_traceback"] = d["exception_info"]["exception_message"]
        out.append([name, d])
from pipeline.quality import plans as p
print(json.dumps({"results": out, "supported": p.supported(), "plans": len(p._plans),
                  "expectations": sum(len(e) for e in suites.entries.values()),
                  "read": suites.read}, default=str))
"""


def _run(tmp_path: Path, mode: str) -> dict:
    script = tmp_path / "plans.py"
    script.write_text(_SCRIPT)
    res = subprocess.run(
        [sys.executable, str(script), mode], capture_output=True, text=True, timeout=600, cwd=ROOT
    )
    assert res.returncode == 0, res.stderr[-3000:]
    return json.loads(res.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> tuple[dict, dict]:
    tmp = tmp_path_factory.mktemp("plans")
    return _run(tmp, "plain"), _run(tmp, "planned")


def test_planned_validation_gives_gx_own_results_frame_after_frame(runs):
    plain, planned = runs
    assert planned["supported"], "GX is not the version pipeline/quality/plans.py was read from"
    assert len(plain["results"]) == len(planned["results"]) > 30
    for (name, a), (name2, b) in zip(plain["results"], planned["results"], strict=True):
        assert name == name2
        assert a == b, f"{name}: {a['expectation_config']['type']}"
    failed = {
        (n, r["expectation_config"]["meta"].get("note") or r["expectation_config"]["type"])
        for n, r in planned["results"]
        if not r["success"]
    }
    # the frames do break expectations (so unexpected rows and values were compared) ...
    assert ("outcomes", "percent in [0, 100]") in failed and ("studies", "study ids unique") in failed
    # ... the table-level rule and a column missing from the frame are judged as plain GX judges them
    assert ("missing", "expect_column_values_to_not_be_null") in failed
    assert any(
        n == "missing" and "no_such_column" in json.dumps(r["exception_info"]) for n, r in planned["results"]
    )


def test_each_expectation_is_planned_once_whatever_the_frames(runs):
    _, planned = runs
    # 8 frames of 4 suites, one plan per expectation (a column missing from the frame fails when
    # its metrics are computed, not planned: its plan is kept too)
    assert planned["plans"] == planned["expectations"] > 16


def test_only_a_suite_of_single_column_expectations_is_narrowed_to_its_columns(runs):
    _, planned = runs
    assert planned["read"]["rows"] is None  # a table-level expectation reads the whole frame
    assert planned["read"]["missing"] == ["no_such_column"]
    assert "timepoint_months" in planned["read"]["outcomes"] and "doc_id" not in planned["read"]["outcomes"]
