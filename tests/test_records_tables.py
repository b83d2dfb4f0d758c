"""Stage 3 from tables: column roles by header meaning, outcome-cell parsing, dose rows."""

from __future__ import annotations

import pytest

from pipeline.model import Block, Box, Cell, Document, Mention, Table
from pipeline.records.cells import parse_cell
from pipeline.records.from_tables import column_roles
from tests.records_helpers import AnnotatedBuilder


@pytest.fixture(scope="module")
def builder(rules):
    return AnnotatedBuilder(rules)


def cell(builder, text, groups=None):
    ms = builder.cell_mentions(text)
    return [
        (r.metric, r.value, r.unit, r.qualifier, r.arm, r.subgroup, r.timepoint)
        for r in parse_cell(text, ms, builder.cues, groups or {})
    ]


def table(rows, table_id="Table 9", page=4):
    cells = [
        Cell(r, c, t, Box(page, 40 + 80 * c, 100 + 40 * r, 110 + 80 * c, 130 + 40 * r))
        for r, row in enumerate(rows)
        for c, t in enumerate(row)
    ]
    return Table(table_id, f"{table_id}. Studies.", len(rows), len(rows[0]), cells, 1, [page])


def run(builder, *tables):
    doc = Document("d", "d.pdf")
    doc.tables = list(tables)
    return builder.build(doc)


def test_simple_cell(builder):
    assert cell(builder, "ORR: 75.8%\nmPFS: 8.8m\nmOS: not reached") == [
        ("ORR", 75.8, "%", "", "", "", None),
        ("PFS_MEDIAN", 8.8, "months", "", "", "", None),
        ("OS_MEDIAN", None, "months", "NR", "", "", None),
    ]


def test_timepoint_header_applies_to_rates_only(builder):
    got = cell(builder, "At 36 months PFS: 47.5% OS: 62.9% mPFS: 34.9m")
    assert got == [
        ("PFS_RATE", 47.5, "%", "", "", "", 36.0),
        ("OS_RATE", 62.9, "%", "", "", "", 36.0),
        ("PFS_MEDIAN", 34.9, "months", "", "", "", None),
    ]


def test_arms_from_vs(builder):
    got = cell(builder, "Ide-Cel vs Control PFS: 13.3 vs 4.4m ORR: 71 vs 42%")
    assert got == [
        ("PFS_MEDIAN", 13.3, "months", "", "", "", None),
        ("PFS_MEDIAN", 4.4, "months", "", "control", "", None),
        ("ORR", 71.0, "%", "", "", "", None),
        ("ORR", 42.0, "%", "", "control", "", None),
    ]


def test_control_named_first_flips_arms(builder):
    got = cell(builder, "Control vs Cilta-Cel ORR: 40 vs 85%")
    assert [(v, arm) for _, v, _, _, arm, _, _ in got] == [(40.0, "control"), (85.0, "")]


def test_subgroups_and_nested_timepoints(builder):
    text = "At 6 months: PFS: HR (64%) SR (81%) mPFS: HR(10.9m) SR(19.5m) At 12 months: MRD-neg: HR(50%)"
    assert cell(builder, text) == [
        ("PFS_RATE", 64.0, "%", "", "", "high-risk", 6.0),
        ("PFS_RATE", 81.0, "%", "", "", "standard-risk", 6.0),
        ("PFS_MEDIAN", 10.9, "months", "", "", "high-risk", None),
        ("PFS_MEDIAN", 19.5, "months", "", "", "standard-risk", None),
        ("MRD_NEG", 50.0, "%", "", "", "high-risk", 12.0),
    ]


def test_row_defined_subgroup_initials(builder):
    got = cell(builder, "ORR: EM (40%) NE (70%)", {"em": "extramedullary", "ne": "non-extramedullary"})
    assert [(v, g) for _, v, _, _, _, g, _ in got] == [(40.0, "extramedullary"), (70.0, "non-extramedullary")]


def test_value_before_metric_and_adverse_events(builder):
    assert cell(builder, "ORR: 87.1, with 77.4% CR") == [
        ("ORR", 87.1, "%", "", "", "", None),
        ("CR", 77.4, "%", "", "", "", None),
    ]
    assert cell(builder, "≥grade 3 CRS 6.5%\nneurotoxicity 1.6%") == [
        ("CRS_G3", 6.5, "%", "", "", "", None),
        ("NT_G3", 1.6, "%", "", "", "", None),
    ]
    assert cell(builder, "OS (12m): 73%") == [("OS_RATE", 73.0, "%", "", "", "", 12.0)]


def test_misprinted_label_is_matched_fuzzily(builder):
    assert cell(builder, "mRoR: not reached")[0][:4] == ("DOR_MEDIAN", None, "months", "NR")


def test_column_roles_by_meaning_not_position(builder):
    header = ["Outcomes", "Study", "Product", "No. of patients", "Dose", "Safety", "ORR (%)"]
    roles = column_roles(header, builder.cues)
    assert roles == {
        0: "outcomes",
        1: "trial",
        2: "agent",
        3: "patients",
        4: "dose",
        5: "adverse",
        6: "metric:ORR",
    }


ROWS = [
    ["Trial", "Outcomes", "Agent", "Patients", "Design"],
    [
        "LUMMICAR-2 Cohort A NCT03915184",
        "ORR: 90%\nmPFS: 12.1m",
        "Zevor-cel",
        "n=20",
        "1.5-3x10^8 CAR-T cells",
    ],
    ["", "CR: 40%", "", "", ""],  # the row continued past a rule
]


def test_table_rows_to_records(builder):
    studies, outcomes = run(builder, table(ROWS))
    assert [(s.study_id, s.trial, s.cohort, s.nct_id, s.n, s.sources) for s in studies] == [
        ("lummicar-2/a", "LUMMICAR-2", "A", "NCT03915184", 20, "table")
    ]
    got = sorted((o.metric, o.value, o.qualifier, o.n) for o in outcomes)
    assert got == [
        ("CR", 40.0, "", 20),
        ("DOSE", 150000000.0, ">=", 20),
        ("DOSE", 300000000.0, "<=", 20),
        ("N", 20.0, "", 20),
        ("ORR", 90.0, "", 20),
        ("PFS_MEDIAN", 12.1, "", 20),
    ]
    orr = next(o for o in outcomes if o.metric == "ORR")
    assert (orr.table_id, orr.page, orr.bbox, orr.source) == (
        "Table 9",
        4,
        "120.0,140.0,190.0,170.0",
        "table",
    )


def test_transposed_table(builder):
    rows = [list(r) for r in zip(*ROWS[:2], strict=True)]  # trials in columns, roles in rows
    studies, outcomes = run(builder, table(rows))
    assert [s.trial for s in studies] == ["LUMMICAR-2"]
    assert sorted(o.metric for o in outcomes if o.metric not in ("DOSE", "N")) == ["ORR", "PFS_MEDIAN"]


def test_metric_columns(builder):
    rows = [["Trial", "N", "ORR (%)", "mPFS (months)"], ["EVOLVE-1", "97", "95", "34.9"]]
    _, outcomes = run(builder, table(rows))
    got = sorted((o.metric, o.value, o.unit) for o in outcomes if o.metric != "N")
    assert got == [("ORR", 95.0, "%"), ("PFS_MEDIAN", 34.9, "months")]


def test_dose_list_and_per_kg(builder):
    rows = [
        ["Trial", "Design", "Outcomes"],
        ["ALPHA-1", "followed by GC012F (1, 2, or 3x10^5 CAR-T cells/kg)", "ORR: 93%"],
    ]
    _, outcomes = run(builder, table(rows))
    doses = [(o.value, o.unit, o.qualifier) for o in outcomes if o.metric == "DOSE"]
    assert doses == [(100000.0, "cells/kg", ""), (200000.0, "cells/kg", ""), (300000.0, "cells/kg", "")]


def test_table_without_outcome_columns_is_ignored(builder):
    ignored = table([["Antigen", "Expression"], ["BCMA", "95%"]], table_id="Table 8")
    read = table([["Study", "N", "ORR, %"], ["PIPIT-2", "40", "55"]], table_id="Table 9")
    _, outcomes = run(builder, ignored, read)
    assert [(o.table_id, o.metric, o.value) for o in outcomes if o.metric != "N"] == [
        ("Table 9", "ORR", 55.0)
    ]
    assert not any(o.table_id == "Table 8" for o in outcomes)


def test_odd_inputs_do_not_crash(builder):
    """Ragged grids, cells without boxes, mentions without attrs: records come out, nothing raises."""
    odd = Table(
        "Table 2",
        "",
        3,
        3,
        [Cell(0, 0, "Trial"), Cell(0, 2, "Outcomes"), Cell(1, 0, "OMEGA-1"), Cell(1, 2, "ORR: 50%")],
    )
    empty = Table("Table 3", "", 0, 0, [])
    doc = Document("d", "d.pdf")
    doc.tables = [odd, empty]
    odd_mentions = [
        Mention("N", "n=5", "5", 0, 3, source="text"),
        Mention("TIMEPOINT", "x", "x", 0, 1, source="text"),
    ]
    doc.add_block(Block("paragraph", "n=5 and OMEGA-1 had an ORR of 50%.", Box(1, 0, 0, 10, 10)))
    studies, outcomes = builder.build(doc, extra=odd_mentions)
    assert [s.study_id for s in studies] == ["omega-1"]
    assert sorted((o.source, o.metric, o.value) for o in outcomes) == [
        ("table", "ORR", 50.0),
        ("text", "ORR", 50.0),
    ]
    assert next(o for o in outcomes if o.source == "table").bbox == ""  # no box to give


def test_arm_abbreviations_defined_in_the_row(builder):
    rows = [
        ["Trial", "Patients", "Outcomes"],
        [
            "OMEGA-4",
            "randomized to Cilta-Cel (CC) or to standard therapy (ST) n= 419",
            "ORR(CC): 84.6%\nORR(ST): 67.3%",
        ],
    ]
    _, outcomes = run(builder, table(rows))
    assert sorted((o.value, o.arm) for o in outcomes if o.metric == "ORR") == [(67.3, "control"), (84.6, "")]


def test_one_trial_name_in_two_rows_is_two_studies(builder):
    rows = [
        ["Trial", "Patients", "Outcomes"],
        ["KAPPA-1 NCT04182581", "n=29", "ORR: 93%"],
        ["KAPPA-1 NCT04935580", "n= 22", "ORR: 100%"],
    ]
    studies, outcomes = run(builder, table(rows))
    assert sorted((s.study_id, s.nct_id, s.n) for s in studies) == [
        ("kappa-1/n22", "NCT04935580", 22),
        ("kappa-1/n29", "NCT04182581", 29),
    ]
    assert sorted((o.study_id, o.value) for o in outcomes if o.metric == "ORR") == [
        ("kappa-1/n22", 100.0),
        ("kappa-1/n29", 93.0),
    ]


def test_rows_that_name_no_study_are_subgroups_of_one_study(builder):
    # a single trial's table: the first column holds characteristics, never trial names
    rows = [
        ["Group", "Patients", "ORR"],
        ["Age under 60 years", "n=37", "41%"],
        ["Age 60 years or older", "n=23", "35%"],
        ["Prior transplant", "n=18", "28%"],
    ]
    studies, outcomes = run(builder, table(rows))
    assert len(studies) == 1 and not studies[0].trial
    got = sorted((o.subgroup, o.value) for o in outcomes if o.metric == "ORR")
    assert got == [("Age 60 years or older", 35.0), ("Age under 60 years", 41.0), ("Prior transplant", 28.0)]


def test_rows_naming_trials_stay_studies_of_their_own(builder):
    rows = [["Trial", "Patients", "ORR"], ["KESTREL-4", "n=37", "41%"], ["MARLIN-2", "n=23", "35%"]]
    studies, _ = run(builder, table(rows))
    assert sorted(s.trial for s in studies) == ["KESTREL-4", "MARLIN-2"]
