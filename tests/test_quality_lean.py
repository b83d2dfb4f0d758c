"""A process that imports Great Expectations after `quality.lean.lean()` (the run's validator) leaves
SQLAlchemy out and runs none of scipy.stats or altair, yet every expectation of rules/expectations.yml
still finds the row that breaks it, the Data Docs are written, and the expectations that do use scipy
(a divergence) still get it, loaded on first use."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Invented rows, each breaking one expectation of rules/expectations.yml; its index is its row number.
_LEAN = """
import json, sys
from pathlib import Path
from pipeline.quality.lean import lean
lean()
import pandas as pd
from pipeline import quality
from pipeline.model import Outcome, Study
from pipeline.quality.expectations import frame
from pipeline.rules import load

def o(**kw):
    base = dict(doc_id="d", study_id="s1", metric="ORR", value=40.0, unit="%", source="table", page=2)
    return Outcome(**{**base, **kw})

outcomes = [
    o(value=131.0),                                  # 0 percent above 100
    o(metric="PFS_MEDIAN", value=930.0, unit="months"),  # 1 months above 600
    o(timepoint_months=812.0),                       # 2 timepoint above 600 months
    o(n=0),                                          # 3 n not positive
    o(n=7.5),                                        # 4 n not whole
    o(metric="ORR", value=-4.0, unit="patients"),    # 5 a negative count of patients
    o(metric="QQQ_RATE"),                            # 6 metric outside the vocabulary
    o(unit="furlongs"),                              # 7 unit outside the vocabulary
    o(source="figure"),                              # 8 neither text nor table
    o(nct_id="NCT77"),                               # 9 malformed registry id
    o(page=0),                                       # 10 no page
    o(value=None, qualifier=""),                     # 11 no value, not "not reached"
    o(),                                             # 12 breaks nothing
]
studies = [
    Study("d", "s1", trial="WREN-3", n=0, sources="table"),           # 0 n not positive
    Study("d", "s2", nct_id="NCT4471", n=12, sources="text"),          # 1 malformed registry id
    Study("d", "s3", n=30, sources="table"),                           # 2 id used twice ...
    Study("d", "s3", n=31, sources="table"),                           # 3 ... (both rows)
    Study("d", "s4", nct_id="NCT04471122", n=9, sources=""),           # 4 no sources
]
rules = load()
suites = quality.suites(rules)
found = []
for name, rows, kind in (("outcomes", outcomes, Outcome), ("studies", studies, Study)):
    found += [[f.suite, f.note, f.row] for f in suites.failures(name, frame(rows, kind))]
no_findings = pd.DataFrame(columns=["finding_id", "doc_id", "check", "severity", "message"])
index = quality.data_docs(frame(studies, Study), frame(outcomes, Outcome), no_findings, Path(sys.argv[1]),
                          rules=rules, suites=suites)
loaded = {m: m in sys.modules and sys.modules[m] is not None for m in
          ("sqlalchemy", "scipy.stats._stats_py", "altair.vegalite")}
from great_expectations.expectations.core import expect_column_kl_divergence_to_be_less_than as kl
divergence = float(kl.stats.entropy([0.5, 0.5], [0.9, 0.1]))  # scipy.stats, loaded now
print(json.dumps({"found": sorted(found), "loaded": loaded, "index": str(index),
                  "divergence": divergence, "stats_loaded": "scipy.stats._stats_py" in sys.modules}))
"""


def test_a_lean_validator_finds_every_expectations_failures_without_sqlalchemy_scipy_or_altair(tmp_path):
    script = tmp_path / "lean.py"
    script.write_text(_LEAN)
    res = subprocess.run(
        [sys.executable, str(script), str(tmp_path)], capture_output=True, text=True, timeout=600, cwd=ROOT
    )
    assert res.returncode == 0, res.stderr[-3000:]
    state = json.loads(res.stdout.strip().splitlines()[-1])
    expected_outcomes = [
        (0, "percent in [0, 100]"),
        (1, "months in [0, 600]"),
        (2, "timepoint in [0, 600] months"),
        (3, "n a positive integer"),
        (4, "n a whole number"),
        (5, "patient counts positive"),
        (6, "metric in the vocabulary"),
        (7, "unit in the vocabulary"),
        (8, "source text or table"),
        (9, "registry id well-formed"),
        (10, "provenance: page present"),
        (11, "value present unless not reached"),
    ]
    expected_studies = [
        (0, "n a positive integer"),
        (1, "registry id well-formed"),
        (2, "study ids unique"),
        (3, "study ids unique"),
        (4, "provenance: sources present"),
    ]
    expected = [["outcomes", note, row] for row, note in expected_outcomes]
    expected += [["studies", note, row] for row, note in expected_studies]
    assert state["found"] == sorted(expected)
    assert Path(state["index"]).is_file() and "outcomes" in Path(state["index"]).read_text()
    # none of them was imported (run) while validating and writing the docs ...
    assert state["loaded"] == {"sqlalchemy": False, "scipy.stats._stats_py": False, "altair.vegalite": False}
    # ... and scipy.stats is there when an expectation's code uses it
    assert state["stats_loaded"]
    assert math.isclose(state["divergence"], 0.5 * math.log(0.5 / 0.9) + 0.5 * math.log(0.5 / 0.1))
