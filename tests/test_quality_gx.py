"""Checker with its GX suites (value_out_of_range, malformed ids, vocabulary), Data Docs, the gate."""

from __future__ import annotations

import sys

import pandas as pd
import pytest

from pipeline.model import Document, Outcome, Study
from pipeline.quality import Checker, data_docs
from pipeline.quality.expectations import RulesError, Suites
from pipeline.quality.gate import check_command, exit_code


@pytest.fixture(scope="module")
def checker(rules):
    return Checker(rules)


def test_gx_imported_lazily():
    import subprocess

    code = "import sys, pipeline.quality; from pipeline.rules import load; pipeline.quality.Checker(load()); print('great_expectations' in sys.modules)"
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert res.stdout.strip() == "False"


def test_suites_flag_out_of_range_and_malformed(checker):
    doc = Document("d", "d.pdf")
    studies = [
        Study("d", "s1", trial="T-1", nct_id="NCT123", n=0, sources="table"),
        Study("d", "s2", trial="T-2", nct_id="NCT12345678", n=40, sources="table"),
        Study("d", "s3", nct_id="ChiCTR-OIC-17011272", n=22, sources="table"),
    ]
    outs = [
        Outcome("d", "s1", "ORR", 120.0, "%", "table", page=3),
        Outcome("d", "s1", "PFS_MEDIAN", 700.0, "months", "text", page=4),
        Outcome("d", "s2", "ORR", 80.0, "%", "table", page=3, n=40),
        Outcome("d", "s2", "OS_MEDIAN", None, "months", "text", qualifier="NR", page=4),
    ]
    fs = checker.check(doc, studies, outs)
    got = {(f.check, f.study_id, f.metric) for f in fs}
    assert ("value_out_of_range", "s1", "ORR") in got
    assert ("value_out_of_range", "s1", "PFS_MEDIAN") in got
    assert ("value_out_of_range", "s1", "") in got  # n = 0 on the study
    assert sum(f.check == "malformed_id" for f in fs) == 1  # the id of s1, once
    assert not any(f.study_id in ("s2", "s3") for f in fs)  # other registries' ids are well-formed too
    orr = next(f for f in fs if f.check == "value_out_of_range" and f.metric == "ORR")
    assert orr.values == "table value:120" and orr.pages == "3" and orr.severity == "error"


def test_suites_vocabulary_and_provenance(checker):
    outs = [Outcome("d", "s", "XYZ", 1.0, "furlongs", "text", page=0)]
    fs = checker.check(Document("d", "d.pdf"), [], outs)
    notes = " ".join(f.message for f in fs if f.check == "expectation")
    assert (
        "metric in the vocabulary" in notes and "unit in the vocabulary" in notes and "page present" in notes
    )


def test_every_failing_row_is_listed_beyond_gx_value_cap():
    # GX lists at most 200 failing values per expectation (but every failing row's index): a
    # document with more failing rows still gets one failure per row, each with its own value.
    spec = {
        "suites": {
            "t": [
                {
                    "type": "ExpectColumnValuesToBeBetween",
                    "kwargs": {"column": "value", "min_value": 0, "max_value": 100},
                    "check": "value_out_of_range",
                },
                {
                    "type": "ExpectColumnValuesToBeBetween",
                    "kwargs": {"column": "n", "min_value": 1, "row_condition": "unit == '%'"},
                    "check": "value_out_of_range",
                },
            ]
        }
    }
    df = pd.DataFrame(
        {
            "value": [float(1000 + i) if i % 2 else 5.0 for i in range(620)],
            "n": [12.0 if i % 3 == 0 else -3.0 for i in range(620)],
            "unit": ["%"] * 310 + ["months"] * 310,
        }
    )
    fails = Suites(spec, []).failures("t", df)
    over = [f for f in fails if f.column == "value"]
    assert len(over) == 310
    assert [f.row for f in over[-2:]] == [617, 619] and [f.value for f in over[-2:]] == [1617.0, 1619.0]
    small_n = [f for f in fails if f.column == "n"]
    assert len(small_n) == 206  # the rows in % but 0, 3, ..., 309
    assert all(f.value == -3.0 and f.row % 3 and f.row < 310 for f in small_n)


def test_bad_expectation_rule_is_a_clear_error():
    with pytest.raises(RulesError, match="unknown expectation type"):
        Suites({"suites": {"o": [{"type": "ExpectNothingAtAll", "kwargs": {}}]}}, [])


def test_empty_inputs(checker):
    assert checker.check(Document("d", "d.pdf"), [], []) == []
    # the same checker on a contradiction: CR above ORR for one study and source
    outs = [Outcome("d", "s1", "CR", 61.0, "%", "table"), Outcome("d", "s1", "ORR", 52.0, "%", "table")]
    found = checker.check(Document("d", "d.pdf"), [Study("d", "s1")], outs)
    assert "logic" in {f.check for f in found if f.metric == "CR"}


def test_data_docs(tmp_path, rules):
    studies = pd.DataFrame([{"doc_id": "d", "study_id": "s1", "nct_id": "NCT1", "n": 10, "sources": "table"}])
    outcomes = pd.DataFrame(
        [
            {
                "doc_id": "d",
                "study_id": "s1",
                "metric": "ORR",
                "value": 120,
                "unit": "%",
                "source": "table",
                "page": 3,
            }
        ]
    )
    findings = pd.DataFrame(
        [
            {
                "finding_id": "F1",
                "doc_id": "d",
                "check": "grim",
                "severity": "error",
                "message": "T-1 CR 82.8% with n=37: no whole k/n gives it",
            }
        ]
    )
    index = data_docs(studies, outcomes, findings, tmp_path, rules)
    assert index == tmp_path / "data_docs" / "index.html" and index.is_file()
    pages = " ".join(p.read_text(errors="ignore") for p in (tmp_path / "data_docs").rglob("*.html"))
    assert "consistency" in pages and "no whole k/n gives it" in pages and "outcomes" in pages


# --- gate ------------------------------------------------------------------------------------------
def test_exit_code_levels():
    df = pd.DataFrame({"severity": ["warning", "info"], "status": ["open", "open"]})
    assert exit_code(df, "error") == 0
    assert exit_code(df, "warning") == 1
    assert exit_code(df, "never") == 0
    assert exit_code(pd.DataFrame({"severity": ["error"], "status": ["rejected"]}), "error") == 0
    assert exit_code(pd.DataFrame(columns=["severity"]), "warning") == 0


def test_check_command(tmp_path, capsys):
    assert check_command(tmp_path / "missing", "error") == 2
    assert check_command(tmp_path, "error") == 2  # no findings.csv
    (tmp_path / "findings.csv").write_text("finding_id,check,severity,status\nF1,grim,error,open\n")
    assert check_command(tmp_path, "bogus") == 2
    assert check_command(tmp_path, "error") == 1
    assert check_command(tmp_path, "never") == 0
    assert "1 error" in capsys.readouterr().out
