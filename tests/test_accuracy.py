"""`make accuracy`: the shared scoring rules on small invented frames, and the ratchet on the corpus."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from pipeline.evaluate.accuracy import CORPUS, check_floors, raise_floors, read_floors
from pipeline.evaluate.score import score_findings, score_outcomes, score_studies

OUT_COLS = "study_id trial cohort product n arm subgroup metric timepoint_months value qualifier source"


def frame(cols: str, rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame([dict(zip(cols.split(), r, strict=True)) for r in rows])


def gold(rows: list[tuple]) -> pd.DataFrame:
    return frame(OUT_COLS.replace("study_id", "study_key"), rows)


G = gold(
    [
        ("zeta-7", "ZETA-7", "Cohort B", "velu-cel", "41", "", "", "ORR", "", "61.3", "", "table"),
        ("zeta-7", "ZETA-7", "B", "velu-cel", "41", "", "prior SCT", "CR", "", "20", "", "text"),
        ("zeta-7", "ZETA-7", "B", "velu-cel", "41", "", "", "OS_MEDIAN", "", "", "NR", "text"),
        ("zeta-7", "ZETA-7", "B", "velu-cel", "40", "control", "", "PFS_RATE", "12", "33.3", "", "text"),
        ("holm-2019", "", "", "velu-cel", "22", "", "", "CR", "", "50", "", "text"),
        ("pooled", "", "", "", "300", "", "adults", "CR", "", "71", "", "text"),
    ]
)


def test_outcome_rules_tolerances_subgroup_presence_arm_and_cohort_prefix():
    pred = frame(
        OUT_COLS,
        [
            ("z7/b", "Zeta 7", "b", "velu-cel", "41", "", "", "ORR", "", "61.35", "", "table"),  # within .051
            ("z7/b", "ZETA-7", "cohort b", "velu-cel", "", "", "SCT subset", "CR", "", "20", "", "text"),
            ("z7/b", "ZETA-7", "B", "velu-cel", "", "", "", "OS_MEDIAN", "", "", "NR", "text"),
            ("z7/b", "ZETA-7", "B", "velu-cel", "", "Control", "", "PFS_RATE", "12.004", "33.3", "", "text"),
            ("velu-cel/holm", "", "", "Velu-Cel", "22", "", "", "CR", "", "50.0", "", "text"),
            ("x/pooled-1", "", "", "", "", "", "all", "CR", "", "71", "", "text"),
        ],
    )
    s = score_outcomes(G, pred, pd.DataFrame())
    assert (s.by_source["table"].found, s.by_source["text"].found) == (1, 5)
    assert s.by_source["text"].precision == 1.0 and s.by_source["text"].recall == 1.0


def test_outcome_near_misses_do_not_match():
    pred = frame(
        OUT_COLS,
        [
            ("z7/b", "ZETA-7", "B", "velu-cel", "", "", "", "ORR", "", "61.4", "", "table"),  # .1 off
            ("z7/b", "ZETA-7", "B", "velu-cel", "", "", "", "CR", "", "20", "", "text"),  # no subgroup
            ("z7/a", "ZETA-7", "A", "velu-cel", "", "", "", "OS_MEDIAN", "", "", "NR", "text"),  # cohort
            ("z7/b", "ZETA-7", "B", "velu-cel", "", "", "", "PFS_RATE", "12", "33.3", "", "text"),  # arm
            ("velu-cel/holm", "", "", "velu-cel", "23", "", "", "CR", "", "50", "", "text"),  # n
            ("study/x", "", "", "", "", "", "all", "CR", "", "71", "", "text"),  # not pooled
        ],
    )
    s = score_outcomes(G, pred, pd.DataFrame())
    assert s.by_source["table"].found == 0 and s.by_source["text"].found == 0
    assert s.by_source["text"].predicted == 5 and s.by_source["text"].gold == 5


def test_pooled_by_design_and_one_to_one():
    pred = frame(
        OUT_COLS,
        [
            ("meta/all", "", "", "", "", "", "adults", "CR", "", "71", "", "text"),
            ("meta/all", "", "", "", "", "", "adults", "CR", "", "71", "", "text"),  # twice: one match
        ],
    )
    studies = frame("study_id design", [("meta/all", "pooled estimate")])
    s = score_outcomes(G, pred, studies)
    assert s.by_source["text"].found == 1 and s.by_source["text"].predicted == 2


def test_studies_found_and_spurious():
    gs = frame(
        "study_key trial cohort product n_table n_text",
        [("zeta-7", "ZETA-7", "B", "velu-cel", "41", "41"), ("holm-2019", "", "", "velu-cel", "22", "")],
    )
    ps = frame(
        "study_id trial cohort product n design",
        [
            ("a", "Zeta-7", "Cohort B", "", "", ""),
            ("b", "", "", "velu-cel", "22", ""),
            ("c", "", "", "x", "", ""),
        ],
    )
    s = score_studies(gs, gold([]), ps)
    assert (s.found, s.gold, s.spurious, s.predicted) == (2, 2, 1, 3) and s.spurious_ids == ["c"]


def test_findings_compatible_checks_names_metrics_and_traps():
    g = frame(
        "finding_key check trial product metric is_error",
        [
            ("E1", "text_table_mismatch", "ZETA-7", "velu-cel", "CR", "yes"),
            ("E2", "duplicate_id", "", "oxi-mab", "", "yes"),
            ("E3", "logic", "ZETA-7", "", "PFS_RATE", "yes"),
            ("T1", "text_table_mismatch", "ZETA-7", "", "ORR", "no"),
            ("M1", "misc", "ZETA-7", "", "", "yes"),
        ],
    )
    p = frame(
        "check trial product study_id metric values message",
        [
            ("n_mismatch", "Zeta 7", "", "", "CR", "", ""),  # compatible check: E1
            ("registry_mismatch", "", "", "", "", "", "NCT… printed for Oxi-Mab twice"),  # E2 by message
            ("logic", "ZETA-7", "", "", "OS_RATE", "", ""),  # metric differs: not E3
            ("text_table_mismatch", "ZETA-7", "", "", "ORR", "", ""),  # the trap
        ],
    )
    s = score_findings(g, p)
    assert (s.found, s.gold, s.traps_flagged, s.traps) == (2, 3, 1, 1)
    assert s.missed == ["E3"] and s.unmatched == 1


def test_floors_ratchet_both_ways():
    floors = {"p": {"table_f1": 0.5, "traps_flagged": 1}}
    assert check_floors({"p": {"table_f1": 0.5, "traps_flagged": 1}}, floors) == []
    bad = check_floors({"p": {"table_f1": 0.49, "traps_flagged": 2}}, floors)
    assert len(bad) == 2 and "below the floor" in bad[0] and "above the ceiling" in bad[1]
    assert check_floors({}, floors) == [
        "p table_f1: not measured (floor 0.5)",
        "p traps_flagged: not measured (floor 1)",
    ]
    raised = raise_floors(floors, {"p": {"table_f1": 0.4, "traps_flagged": 0}, "q": {"text_f1": 0.3}})
    assert raised == {"p": {"table_f1": 0.5, "traps_flagged": 0}, "q": {"text_f1": 0.3}}


def test_accuracy_ratchet(gold_dir, tmp_path):
    """Every paper of ../shared/corpus scored against its gold: no figure below its committed floor."""
    from pipeline.evaluate.accuracy import all_figures, run_corpus, score_corpus

    if not CORPUS.is_dir():
        pytest.skip("shared corpus not present")
    floors = read_floors()
    assert floors, "tests/floors/accuracy.json is missing"
    scores = score_corpus(gold_dir, run_corpus(CORPUS, tmp_path, jobs=1))
    assert {s.doc_id for s in scores} >= set(floors)
    assert check_floors(all_figures(scores), floors) == []


def test_score_command_one_paper_folder(tmp_path, capsys):
    from pipeline.evaluate.accuracy import score_command

    g = tmp_path / "paper-x"
    g.mkdir()
    G.assign(doc_id="paper-x").to_csv(g / "outcomes.csv", index=False)
    out = tmp_path / "out"
    out.mkdir()
    rows = [("z7/b", "ZETA-7", "B", "velu-cel", "41", "", "", "ORR", "", "61.3", "", "table")]
    frame(OUT_COLS, rows).assign(doc_id="paper-x").to_csv(out / "outcomes.csv", index=False)
    assert score_command(g, out, details=True) == 0
    text = capsys.readouterr().out
    assert re.search(r"paper-x +1.00 +1.00 +1.00", text) and "miss text: ZETA-7 B prior SCT CR" in text
    assert score_command(g, tmp_path / "missing") == 2


def test_any_study_diagnostic_leaves_the_study_out():
    pred = frame(OUT_COLS, [("other", "OMEGA-2", "", "", "", "", "", "ORR", "", "61.3", "", "table")])
    assert score_outcomes(G, pred, pd.DataFrame()).by_source["table"].found == 0
    assert score_outcomes(G, pred, pd.DataFrame(), any_study=True).by_source["table"].found == 1
