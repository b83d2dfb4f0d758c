"""Unit tests of the checks the gold calls `misc`: refs_mismatch, design_phase and dose levels
against rules/registry.yml (registry_mismatch, metric DOSE)."""

from __future__ import annotations

import pytest

from pipeline.model import Box, Cell, Document, Outcome, Study, Table
from pipeline.quality import doses, ids, provenance
from tests.quality_gold import gold_findings, matches


# --- refs ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("table:5,6; text:5,6", {"table": ["5", "6"], "text": ["5", "6"]}),
        ("table:5-6; text:14", {"table": ["5", "6"], "text": ["14"]}),
        ("5,6", {"": ["5", "6"]}),
        ("text:46", {"text": ["46"]}),
        ("", {}),
    ],
)
def test_refs_format(text, parsed):
    assert provenance.by_source(text) == parsed


def test_refs_mismatch_disjoint_only(sev):
    studies = [
        Study("d", "hr", refs="table:13; text:14", pages="table:3; text:2"),
        Study("d", "k3", refs="table:8; text:8,15"),  # one shared: the text adds a reference
        Study("d", "old", refs="13,14"),  # old plain format: sources unknown, nothing to compare
        Study("d", "t", refs="table:13"),  # one source only
    ]
    fs = provenance.refs_mismatches("d", studies, sev)
    assert [(f.check, f.severity, f.study_id, f.values, f.pages) for f in fs] == [
        ("refs_mismatch", "warning", "hr", "table ref:13 | text ref:14", "3 | 2")
    ]


# --- design/phase ----------------------------------------------------------------------------------
def _table(rows: list[list[str]]) -> Table:
    header = ["Agent", "Trial", "Phase", "Patients"]
    cells = [Cell(0, c, h, Box(3, 100 * c, 10, 100 * c + 100, 20)) for c, h in enumerate(header)]
    for r, row in enumerate(rows, start=1):
        for c, text in enumerate(row):
            cells.append(Cell(r, c, text, Box(3, 100 * c, 20 * r + 10, 100 * c + 100, 20 * r + 30)))
    return Table("Table 1", "", len(rows) + 1, 4, cells, pages=[3])


def _n(study: str, row: int) -> Outcome:
    box = f"300.0,{20 * row + 12}.0,390.0,{20 * row + 28}.0"  # inside the Patients cell of the row
    return Outcome("d", study, "N", 74, "patients", "table", table_id="Table 1", page=3, bbox=box)


@pytest.fixture(scope="module")
def design(conf, sev):
    return provenance.DesignPhase(conf["design_phase"], sev, {"1": "I", "2": "II"})


def test_design_phase_from_table_row_label(design):
    doc = Document("d", "d.pdf")
    doc.tables = [
        _table(
            [
                ["X", "Retrospective analysis", "I-II SOC", "n=74"],
                ["X", "Real World Experience", "none", "n=159"],
                ["X", "ALPHA-1", "II", "n=128"],
            ]
        )
    ]
    studies = [
        Study("d", "retro", phase="I/II", pages="table:3"),
        Study("d", "rwe", phase="", pages="table:3"),
        Study("d", "a1", trial="ALPHA-1", phase="II", pages="table:3"),
    ]
    fs = design.run(doc, studies, [_n("retro", 1), _n("rwe", 2), _n("a1", 3)])
    assert [(f.check, f.severity, f.study_id) for f in fs] == [("design_phase", "warning", "retro")]
    assert fs[0].values == 'trial:"Retrospective analysis" | phase:"I-II SOC"' and fs[0].pages == "3 | 3"


def test_design_phase_from_study_fields_and_negative(design):
    doc = Document("d", "d.pdf")
    studies = [
        Study("d", "obs", design="Observational registry cohort", phase_text="II"),
        Study("d", "trial", trial="BETA-2", design="Randomised, open-label", phase="III"),
        Study("d", "rw", design="real-world use", phase="none"),
    ]
    fs = design.run(doc, studies, [])
    assert [(f.study_id, f.values) for f in fs] == [
        ("obs", 'design:"Observational registry cohort" | phase:"II"')
    ]


# --- doses ------------------------------------------------------------------------------------------
REGISTRY = {
    "trials": [
        {
            "name": "ALPHA-1",
            "phase": "II",
            "doses": {"unit": "cells", "levels": ["150x10^6", "300x10^6", "450x10^6"], "source": "S"},
        },
        {"name": "BETA-1", "phase": "I"},
    ]
}


def _dose(study: str, v: float, q: str = "", source: str = "table", unit: str = "cells") -> Outcome:
    return Outcome("d", study, "DOSE", v, unit, source, qualifier=q, page=3, snippet="doses")


def test_dose_level_parsing():
    assert doses.level("150x10^6") == 150e6 and doses.level("0.75x10^6") == 750000.0
    assert doses.level(5e7) == 5e7 and doses.level("many") is None
    assert doses.shown([50e6, 150e6, 450e6]) == "50, 150, 450x10^6"


def test_dose_levels_not_in_registry(sev):
    reg = ids.Registry(REGISTRY)
    studies = [Study("d", "a1", trial="ALPHA-1"), Study("d", "b1", trial="BETA-1")]
    outs = [_dose("a1", 50e6), _dose("a1", 150e6), _dose("a1", 450e6), _dose("b1", 50e6)]
    fs = doses.dose_mismatches("d", studies, outs, reg, sev)
    assert [(f.check, f.severity, f.study_id, f.metric) for f in fs] == [
        ("registry_mismatch", "warning", "a1", "DOSE")
    ]
    assert fs[0].values == "table:50, 150, 450x10^6 | registry:150, 300, 450x10^6"


def test_dose_levels_listed_ranges_within_and_other_units_pass(sev):
    reg = ids.Registry(REGISTRY)
    studies = [Study("d", "a1", trial="ALPHA-1")]
    ok = [
        _dose("a1", 150e6),
        _dose("a1", 300e6, source="text"),
        _dose("a1", 150e6, ">="),
        _dose("a1", 450e6, "<="),
        _dose("a1", 2e6, unit="cells/kg"),  # another unit: not comparable with the listed levels
    ]
    assert doses.dose_mismatches("d", studies, ok, reg, sev) == []
    wide = [_dose("a1", 100e6, ">="), _dose("a1", 450e6, "<=")]
    assert len(doses.dose_mismatches("d", studies, wide, reg, sev)) == 1


def test_registry_file_doses_are_sourced(rules):
    for t in rules["registry"]["trials"]:
        if t.get("doses"):
            assert t["doses"].get("source") and doses.reference(t), t["name"]


# --- gold matching of `misc` rows -----------------------------------------------------------------
def test_misc_gold_rows_match_by_kind(tuned_gold):
    from pipeline.model import Finding

    gold = {g["finding_key"]: g for g in gold_findings(tuned_gold)}
    refs = Finding("F1", "d", "refs_mismatch", "warning", "", study_id="ide-cel/hr-74")
    nct = Finding("F2", "d", "registry_mismatch", "error", "", study_id="karmma-2/2a")
    dose = Finding("F3", "d", "registry_mismatch", "warning", "", study_id="karmma-1", metric="DOSE")
    assert matches(gold["ide-cel/hr-74:refs:misc"], refs)
    assert not matches(gold["ide-cel/hr-74:phase:misc"], refs)
    assert not matches(gold["karmma-2/2a:population:misc"], nct)  # no check for that kind
    assert matches(gold["karmma-1:DOSE:misc"], dose) and not matches(gold["karmma-1:DOSE:misc"], nct)
