"""Table interpretation from the table's own structure, one generated PDF per layout (invented studies,
products and numbers): every value takes its meaning from its column's header path, its row's label
and its own text, whatever the layout."""

from __future__ import annotations

import pytest

from pipeline.ner.values import read_cell
from tests.records_helpers import AnnotatedBuilder
from tests.tablepdf import read, rows_of, table_pdf


@pytest.fixture(scope="module")
def builder(rules):
    return AnnotatedBuilder(rules)


def test_value_grammar_of_cells():
    got = {t: (v.kind, v.values, v.unit, v.qualifier) if v else None for t in [
        "31.4 (26.2–38.0)", "NR (12.1–NE)", "NE", "—", "–", "17/64 (27%)", "17/64", "52ᵃ", "36b",
        "0.3–410", "3/9/30", "210 vs 105", "9.4 mo", "<0.01"] if (v := read_cell(t)) or True}  # fmt: skip
    assert got == {
        "31.4 (26.2–38.0)": ("one", [31.4], "", ""),
        "NR (12.1–NE)": ("nr", [None], "", "NR"),
        "NE": None,
        "—": None,
        "–": None,
        "17/64 (27%)": ("percent", [27.0], "%", ""),
        "17/64": ("count", [17.0], "patients", ""),
        "52ᵃ": ("one", [52.0], "", ""),
        "36b": ("one", [36.0], "", ""),
        "0.3–410": ("range", [0.3, 410.0], "", ""),
        "3/9/30": ("list", [3.0, 9.0, 30.0], "", ""),
        "210 vs 105": ("pair", [210.0, 105.0], "", ""),
        "9.4 mo": ("one", [9.4], "months", ""),
        "<0.01": ("one", [0.01], "", "<"),
    }
    assert read_cell("17/64 (27%)").count == 17 and read_cell("17/64 (27%)").denominator == 64


def test_studies_as_rows_with_multi_metric_cells(builder, tmp_path):
    rows = [
        ["Study", "Agent", "n", "Dose (mg)", "Efficacy", "Durability", "Median FU\n(mo)", "Grade ≥3"],
        ["HERON-7", "Valbotamab", "173", "0.5–240", "ORR 61% CR 33%", "mDoR 9.4 mo", "14.2", "CRS 9% NT 17%"],
        ["KESTREL-4", "Corvutamab", "88", "2/8/45", "ORR 47%; CR 21%", "24-month PFS 38%", "11.6",
         "CRS / ICANS 2% / 5%"],
    ]  # fmt: skip
    path = table_pdf(tmp_path / "rows.pdf", "Table 1. Invented single-arm studies.", rows)
    _, _, outcomes = read(builder, path)
    assert rows_of(outcomes) == {
        ("HERON-7", "", False, "N", None, 173.0, "", "patients"),
        ("HERON-7", "", False, "DOSE", None, 0.5, ">=", "mg"),
        ("HERON-7", "", False, "DOSE", None, 240.0, "<=", "mg"),
        ("HERON-7", "", False, "ORR", None, 61.0, "", "%"),
        ("HERON-7", "", False, "CR", None, 33.0, "", "%"),
        ("HERON-7", "", False, "DOR_MEDIAN", None, 9.4, "", "months"),
        ("HERON-7", "", False, "FOLLOWUP_MEDIAN", None, 14.2, "", "months"),
        ("HERON-7", "", False, "CRS_G3", None, 9.0, "", "%"),
        ("HERON-7", "", False, "NT_G3", None, 17.0, "", "%"),
        ("KESTREL-4", "", False, "N", None, 88.0, "", "patients"),
        ("KESTREL-4", "", False, "DOSE", None, 2.0, "", "mg"),
        ("KESTREL-4", "", False, "DOSE", None, 8.0, "", "mg"),
        ("KESTREL-4", "", False, "DOSE", None, 45.0, "", "mg"),
        ("KESTREL-4", "", False, "ORR", None, 47.0, "", "%"),
        ("KESTREL-4", "", False, "CR", None, 21.0, "", "%"),
        ("KESTREL-4", "", False, "PFS_RATE", 24.0, 38.0, "", "%"),
        ("KESTREL-4", "", False, "FOLLOWUP_MEDIAN", None, 11.6, "", "months"),
        ("KESTREL-4", "", False, "CRS_G3", None, 2.0, "", "%"),
        ("KESTREL-4", "", False, "NT_G3", None, 5.0, "", "%"),
    }
    orr = next(o for o in outcomes if o.metric == "ORR" and o.value == 47.0)
    assert orr.page == 1 and orr.table_id == "Table 1" and orr.bbox


def test_metric_columns_with_value_forms(builder, tmp_path):
    rows = [
        ["Trial", "n", "ORR, %", "CR/CRi, k/n (%)", "Median PFS, mo (95% CI)", "12-mo OS (%)", "HR (95% CI)"],
        ["PLOVER-2", "64", "52ᵃ", "17/64 (27%)", "31.4 (26.2–38.0)", "—", "0.61 (0.44–0.83)"],
        ["TERN-11", "41", "–", "9/41 (22%)", "NR (12.1–NE)", "71", "0.72 (0.50–1.04)"],
    ]
    path = table_pdf(tmp_path / "cols.pdf", "Table 2. Invented trials.", rows)
    _, _, outcomes = read(builder, path)
    assert rows_of(outcomes) == {
        ("PLOVER-2", "", False, "N", None, 64.0, "", "patients"),
        ("PLOVER-2", "", False, "ORR", None, 52.0, "", "%"),
        ("PLOVER-2", "", False, "CR", None, 27.0, "", "%"),
        ("PLOVER-2", "", False, "PFS_MEDIAN", None, 31.4, "", "months"),
        ("TERN-11", "", False, "N", None, 41.0, "", "patients"),
        ("TERN-11", "", False, "CR", None, 22.0, "", "%"),
        ("TERN-11", "", False, "PFS_MEDIAN", None, None, "NR", "months"),
        ("TERN-11", "", False, "OS_RATE", 12.0, 71.0, "", "%"),
    }
