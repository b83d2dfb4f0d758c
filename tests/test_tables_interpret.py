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


def test_arms_as_rows_trial_cell_spanning_its_arms(builder, tmp_path):
    rows = [
        ["Trial", "Arm", "n", "CR (%)", "Median PFS, mo (95% CI)", "18-mo PFS (%)"],
        ["OSPREY-3", "Zelvotamab-CHP", "211", "64.2", "NR", "58.1"],
        ["", "R-CHP", "208", "51.7", "19.4 (15.2–23.9)", "44.6"],
        ["WREN-5", "Dulbotamab + X", "97", "37.5", "8.3 (6.1–10.2)", "29.8"],
        ["", "Investigator's choice", "95", "12.1", "3.9 (2.8–4.6)", "9.9"],
    ]
    path = table_pdf(tmp_path / "arms-rows.pdf", "Table 3. Invented randomised trials (one row per arm).",
                     rows, merged={(2, 0), (4, 0)})  # fmt: skip
    _, studies, outcomes = read(builder, path)
    assert rows_of(outcomes) == {
        ("OSPREY-3", "", False, "N", None, 211.0, "", "patients"),
        ("OSPREY-3", "", False, "CR", None, 64.2, "", "%"),
        ("OSPREY-3", "", False, "PFS_MEDIAN", None, None, "NR", "months"),
        ("OSPREY-3", "", False, "PFS_RATE", 18.0, 58.1, "", "%"),
        ("OSPREY-3", "control", False, "N", None, 208.0, "", "patients"),
        ("OSPREY-3", "control", False, "CR", None, 51.7, "", "%"),
        ("OSPREY-3", "control", False, "PFS_MEDIAN", None, 19.4, "", "months"),
        ("OSPREY-3", "control", False, "PFS_RATE", 18.0, 44.6, "", "%"),
        ("WREN-5", "", False, "N", None, 97.0, "", "patients"),
        ("WREN-5", "", False, "CR", None, 37.5, "", "%"),
        ("WREN-5", "", False, "PFS_MEDIAN", None, 8.3, "", "months"),
        ("WREN-5", "", False, "PFS_RATE", 18.0, 29.8, "", "%"),
        ("WREN-5", "control", False, "N", None, 95.0, "", "patients"),
        ("WREN-5", "control", False, "CR", None, 12.1, "", "%"),
        ("WREN-5", "control", False, "PFS_MEDIAN", None, 3.9, "", "months"),
        ("WREN-5", "control", False, "PFS_RATE", 18.0, 9.9, "", "%"),
    }
    assert sorted(s.trial for s in studies) == ["OSPREY-3", "WREN-5"]  # one study per trial, arms inside


def test_arms_as_columns_in_trial_blocks(builder, tmp_path):
    rows = [
        ["Trial", "Outcome", "Experimental arm", "Comparator arm"],
        ["PIPIT-8 NCT01234567 Phase III", "Treatment (n)", "Corvutamab (n=318)", "Docetaxel (n=316)"],
        ["", "Median PFS, months", "11.7 (9.8–13.1)", "4.6 (3.9–5.5)"],
        ["", "2-year OS, %", "47.3", "31.6"],
        ["", "ORR, %", "41.9", "—"],
        ["THRUSH-1 NCT07654321 Phase II", "Treatment (n)", "Varlotamab (n=122)", "Placebo (n=61)"],
        ["", "CR, %", "17.2", "3.3"],
        ["", "Median OS, months", "NR (21.4–NE)", "14.8 (11.0–18.3)"],
    ]
    merged = {(2, 0), (3, 0), (4, 0), (6, 0), (7, 0)}
    path = table_pdf(tmp_path / "arms-cols.pdf", "Table 4. Invented trials by arm.", rows, merged=merged)
    _, _, outcomes = read(builder, path)
    assert rows_of(outcomes) == {
        ("PIPIT-8", "", False, "N", None, 318.0, "", "patients"),
        ("PIPIT-8", "control", False, "N", None, 316.0, "", "patients"),
        ("PIPIT-8", "", False, "PFS_MEDIAN", None, 11.7, "", "months"),
        ("PIPIT-8", "control", False, "PFS_MEDIAN", None, 4.6, "", "months"),
        ("PIPIT-8", "", False, "OS_RATE", 24.0, 47.3, "", "%"),
        ("PIPIT-8", "control", False, "OS_RATE", 24.0, 31.6, "", "%"),
        ("PIPIT-8", "", False, "ORR", None, 41.9, "", "%"),
        ("THRUSH-1", "", False, "N", None, 122.0, "", "patients"),
        ("THRUSH-1", "control", False, "N", None, 61.0, "", "patients"),
        ("THRUSH-1", "", False, "CR", None, 17.2, "", "%"),
        ("THRUSH-1", "control", False, "CR", None, 3.3, "", "%"),
        ("THRUSH-1", "", False, "OS_MEDIAN", None, None, "NR", "months"),
        ("THRUSH-1", "control", False, "OS_MEDIAN", None, 14.8, "", "months"),
    }


def test_transposed_table_studies_across_columns(builder, tmp_path):
    rows = [
        ["", "GANNET-2 [4]", "AUKLET-6 [7]", "Okonkwo et al. [9]"],
        ["Agent", "Varlotamab", "Zelvotamab", "Varlotamab"],
        ["Registry", "NCT02468135", "NCT03579246", "—"],
        ["Patients, n", "143", "87", "52"],
        ["ORR, %", "58.0", "44", "61.5"],
        ["Median DOR, months", "13.2", "NR", "9.1"],
        ["Grade ≥3 TEAEs, %", "38.5", "52", "27.0"],
    ]
    path = table_pdf(
        tmp_path / "transposed.pdf", "Table 5. Invented single-arm studies (studies in columns).", rows
    )
    _, _, outcomes = read(builder, path)
    got = {(o.trial or o.product, o.metric, o.value, o.qualifier) for o in outcomes}
    assert got == {
        ("GANNET-2", "N", 143.0, ""), ("GANNET-2", "ORR", 58.0, ""), ("GANNET-2", "DOR_MEDIAN", 13.2, ""),
        ("AUKLET-6", "N", 87.0, ""), ("AUKLET-6", "ORR", 44.0, ""), ("AUKLET-6", "DOR_MEDIAN", None, "NR"),
        ("varlotamab", "N", 52.0, ""), ("varlotamab", "ORR", 61.5, ""), ("varlotamab", "DOR_MEDIAN", 9.1, ""),
    }  # fmt: skip


def test_pooled_and_author_year_tables(builder, tmp_path):
    rows = [
        ["Subgroup", "Studies", "Patients, n", "ORR, % (95% CI)", "I², %"],
        ["All studies", "9", "517", "63 (55–70)", "71"],
        ["Older than 65 years", "4", "198", "57 (46–67)", "42"],
    ]
    path = table_pdf(
        tmp_path / "pooled.pdf", "Table 6. Pooled response rates by subgroup (random effects).", rows
    )
    _, studies, outcomes = read(builder, path)
    got = {(o.subgroup, o.metric, o.value) for o in outcomes}
    assert got == {
        ("All studies", "N", 517.0), ("All studies", "ORR", 63.0),
        ("Older than 65 years", "N", 198.0), ("Older than 65 years", "ORR", 57.0),
    }  # fmt: skip
    assert all("pooled" in o.study_id for o in outcomes)
    rows = [
        ["Study", "n", "CR, k/n (%)", "Median FU, mo"],
        ["Okafor 2017", "36", "22/36 (61%)", "15.5"],
        ["Lindqvist 2021", "58", "41/58 (71%)", "22.0"],
    ]
    path = table_pdf(tmp_path / "authors.pdf", "Table 7. Outcomes of included studies.", rows)
    _, studies, outcomes = read(builder, path)
    assert {(o.n, o.metric, o.value, o.unit) for o in outcomes} == {
        (36, "N", 36.0, "patients"), (36, "CR", 61.0, "%"), (36, "FOLLOWUP_MEDIAN", 15.5, "months"),
        (58, "N", 58.0, "patients"), (58, "CR", 71.0, "%"), (58, "FOLLOWUP_MEDIAN", 22.0, "months"),
    }  # fmt: skip
    assert all(o.trial == "" for o in outcomes)  # an author-year name is no trial name


def test_baseline_table_gives_only_arm_counts(builder, tmp_path):
    rows = [
        ["Characteristic", "Zelvotamab (N = 244)", "Placebo (N = 121)"],
        ["Age, median (range), yr", "61 (33–80)", "63 (29–84)"],
        ["ECOG 0 — no. (%)", "131 (53.7)", "60 (49.6)"],
        ["Median PFS at entry, months", "4.2", "4.4"],
    ]
    path = table_pdf(tmp_path / "baseline.pdf", "Table 1. Baseline characteristics of the patients.", rows)
    _, _, outcomes = read(builder, path)
    assert {(o.arm, o.metric, o.value) for o in outcomes} == {("", "N", 244.0), ("control", "N", 121.0)}
