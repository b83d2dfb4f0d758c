"""The partial-gold scorer (tests of records on the tuned half): partial-gold scoping, content matching of studies, multisets, tolerance, CLI."""

from __future__ import annotations

import pandas as pd
import pytest

from pipeline.records.score import norm_subgroup, score

COLS = "doc_id,trial,cohort,product,nct_id,n,arm,subgroup,metric,timepoint_months,value,qualifier,unit,source,table_id,snippet,study_key"
GOLD = """\
d,ALPHA-1,,x-cel,,62,,,ORR,,75.8,,%,table,Table 1,,alpha-1
d,ALPHA-1,,x-cel,,62,,,DOSE,,50000000,,cells,table,Table 1,,alpha-1
d,ALPHA-1,,x-cel,,62,,,DOSE,,50000000,,cells,table,Table 1,,alpha-1
d,ALPHA-1,,x-cel,,62,,,OS_MEDIAN,,,NR,months,text,,,alpha-1
d,,,x-cel,,74,,,N,,74,,patients,table,Table 1,,x-cel/hr-74
d,,,x-cel,,74,,450x10^6 dose,PFS_RATE,6,64,,%,table,Table 1,,x-cel/hr-74
"""


@pytest.fixture()
def gold(tmp_path):
    d = tmp_path / "gold"
    d.mkdir()
    (d / "seed-outcomes.csv").write_text(COLS + "\n" + GOLD)
    return d


def pred(rows):
    keys = [
        "study_id",
        "trial",
        "cohort",
        "product",
        "n",
        "arm",
        "subgroup",
        "metric",
        "timepoint_months",
        "value",
        "qualifier",
        "source",
    ]
    return pd.DataFrame([dict(zip(keys, r, strict=True), doc_id="d") for r in rows])


def test_content_matching_and_partial_gold_scope(gold):
    rep = score(
        gold,
        pred(
            [
                ("alpha-1", "AlphA 1", "", "x-cel", "62", "", "", "ORR", "", "75.80000001", "", "table"),
                ("alpha-1", "AlphA 1", "", "x-cel", "62", "", "", "DOSE", "", "5e7", "", "table"),
                ("alpha-1", "AlphA 1", "", "x-cel", "62", "", "", "OS_MEDIAN", "", "", "NR", "text"),
                ("alpha-1", "AlphA 1", "", "x-cel", "62", "", "", "CR", "", "40", "", "text"),  # not in gold
                ("x-cel/retro-74", "", "", "x-cel", "74", "", "", "N", "", "74", "", "table"),
                ("x-cel/retro-74", "", "", "x-cel", "74", "", "450x10^6", "PFS_RATE", "6", "64", "", "table"),
                (
                    "beta-2",
                    "BETA-2",
                    "",
                    "y-cel",
                    "20",
                    "",
                    "",
                    "ORR",
                    "",
                    "90",
                    "",
                    "table",
                ),  # study not in gold
            ]
        ),
    )
    assert (rep.total.tp, rep.total.fp, rep.total.fn) == (5, 1, 1)  # beta-2 is out of scope
    assert [(m["metric"], m["value"]) for m in rep.misses] == [("DOSE", 50000000.0)]  # multiset: one of two
    assert rep.by_source["text"].precision == 0.5 and rep.by_source["table"].recall == 0.8
    assert rep.unmatched_studies == []


def test_key_fields_must_agree(gold):
    rep = score(
        gold,
        pred(
            [
                (
                    "a",
                    "ALPHA-1",
                    "",
                    "x-cel",
                    "62",
                    "control",
                    "",
                    "ORR",
                    "",
                    "75.8",
                    "",
                    "table",
                ),  # wrong arm
                ("a", "ALPHA-1", "", "x-cel", "62", "", "", "ORR", "", "75.8", "", "text"),  # wrong source
                (
                    "z",
                    "",
                    "",
                    "x-cel",
                    "74",
                    "",
                    "450x10^6 dose",
                    "PFS_RATE",
                    "12",
                    "64",
                    "",
                    "table",
                ),  # timepoint
                ("z", "", "", "x-cel", "74", "", "", "N", "", "74", "NR", "table"),  # qualifier
            ]
        ),
    )
    assert rep.total.tp == 0 and rep.total.fp == 4 and rep.total.fn == 6


def test_trial_less_studies_need_same_product_and_n(gold):
    rep = score(gold, pred([("z", "", "", "y-cel", "74", "", "", "N", "", "74", "", "table")]))
    assert rep.total.fp == 0 and rep.total.tp == 0 and "x-cel/hr-74" in rep.unmatched_studies


def test_subgroup_normalisation():
    assert norm_subgroup("450x10^6 dose") == norm_subgroup("450x10^6") == "450x106"
    assert norm_subgroup("CR patients") == norm_subgroup("cr") and norm_subgroup("High-risk") == "highrisk"
