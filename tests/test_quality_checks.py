"""Unit tests of the consistency check families on small object lists (no GX involved)."""

from __future__ import annotations

import re

import pytest

from pipeline.model import Box, Document, Mention, Outcome, Study
from pipeline.quality import consistency, ids, names, numbers, units
from pipeline.quality.findings import Evidence, Severities, finding_id, make
from pipeline.quality.grim import GrimCheck, attainable, ratio
from pipeline.quality.logic import LogicCheck
from pipeline.quality.subjects import Subjects


def out(metric, value, source="table", study="s1", unit="%", **kw) -> Outcome:
    page = 3 if source == "table" else 4
    return Outcome("d", study, metric, value, unit, source, page=page, **kw)


# --- numbers ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("a", "b", "verdict"),
    [
        (87, 87.1, "same"),
        (84, 83.8, "same"),
        (83, 83.8, "truncated"),
        (5, 5.5, "truncated"),
        (46, 82.8, "different"),
        (88, 8.8, "different"),
        (3, 4, "different"),
        (12.5, 12.5, "same"),
    ],
)
def test_compare_printed_values(a, b, verdict):
    assert numbers.compare(a, b) == verdict


@pytest.mark.parametrize(
    ("text", "canon"),
    [
        ("I-II", "I/II"),
        ("Phase 1/2", "I/II"),
        ("II", "II"),
        ("Ib/II", "Ib/II"),
        ("none", ""),
        ("SOC", ""),
        ("", ""),
    ],
)
def test_phase_normalisation(text, canon):
    assert numbers.phase(text, {"1": "I", "2": "II"}) == canon


def test_finding_id_ignores_values():
    a = make("d", "grim", "error", "s1|CR", "CR 82.8% with n=37", [Evidence("table CR", "82.8%", "table", 3)])
    b = make("d", "grim", "info", "s1|CR", "CR 83% with n=37", [Evidence("text CR", "83%", "text", 4)])
    assert a.values != b.values and a.message != b.message
    assert a.finding_id == b.finding_id == finding_id("d", "grim", "s1|CR")
    assert re.fullmatch(r"F[0-9a-f]{11}", a.finding_id)
    others = {
        finding_id("d", "grim", "s1|ORR"),
        finding_id("e", "grim", "s1|CR"),
        finding_id("d", "logic", "s1|CR"),
    }
    assert a.finding_id not in others and len(others) == 3


# --- text_table_mismatch ----------------------------------------------------------------------
def test_text_table_contradiction_is_error_with_both_values_and_pages(sev):
    fs = consistency.text_table_values(
        "d", [out("CR", 46, "text"), out("CR", 82.8, "table", table_id="Table 1")], sev
    )
    assert len(fs) == 1
    f = fs[0]
    assert (f.check, f.severity, f.metric) == ("text_table_mismatch", "error", "CR")
    assert f.values == "text:46 | table:82.8" and f.pages == "4 | 3" and f.sources == "text | table"
    assert "46" in f.message and "82.8" in f.message and "p4" in f.message and "p3" in f.message


def test_text_table_truncation_is_info_and_rounding_is_silent(sev):
    assert consistency.text_table_values("d", [out("ORR", 87, "text"), out("ORR", 87.1)], sev) == []
    fs = consistency.text_table_values("d", [out("ORR", 83, "text"), out("ORR", 83.8)], sev)
    assert [f.severity for f in fs] == ["info"]


def test_text_table_two_analyses_is_warning(conf):
    # with quiet_when_one_agrees off (rules/checks.yml has it on: see test_quality_families.py)
    loud = {**conf, "text_table_mismatch": {**conf["text_table_mismatch"], "quiet_when_one_agrees": False}}
    fs = consistency.text_table_values(
        "d", [out("CR", 74, "text"), out("CR", 77, "text"), out("CR", 77.4)], Severities(loud)
    )
    assert [f.severity for f in fs] == ["warning"]
    assert fs[0].values == "text:74 | text:77 | table:77.4"


def test_text_table_different_subgroup_or_arm_not_compared(sev):
    outs = [
        out("ORR", 81, "text", subgroup="450x10^6 dose"),
        out("ORR", 73, "text"),
        out("ORR", 73),
        out("CR", 39, "text", arm=""),
        out("CR", 5, "text", arm="control"),
        out("CR", 39),
    ]
    assert consistency.text_table_values("d", outs, sev) == []


def test_text_table_not_reached_vs_value(sev):
    same = [
        out("OS_MEDIAN", None, "text", unit="months", qualifier="NR"),
        out("OS_MEDIAN", None, unit="months", qualifier="NR"),
    ]
    assert consistency.text_table_values("d", same, sev) == []
    diff = [
        out("OS_MEDIAN", None, "text", unit="months", qualifier="NR"),
        out("OS_MEDIAN", 24.0, unit="months"),
    ]
    assert len(consistency.text_table_values("d", diff, sev)) == 1


def test_phase_text_vs_table_grouped_per_trial(sev):
    studies = [
        Study("d", "t/2a", trial="T-2", cohort="2a", phase="I", phase_text="II", pages="table:3; text:4"),
        Study("d", "t/2c", trial="T-2", cohort="2c", phase="I", phase_text="II", pages="table:3; text:4"),
        Study("d", "u", trial="U-1", phase="I-II", phase_text="I/II"),
    ]
    fs = consistency.text_table_phases("d", studies, sev, {})
    assert len(fs) == 1
    assert fs[0].cohort == "2a;2c" and fs[0].values == "text:II | table:I" and fs[0].pages == "4 | 3"


# --- n_mismatch ------------------------------------------------------------------------------
def test_n_mismatch_positive_and_negative(sev):
    s = [
        Study("d", "s1", trial="T-1", n_text=140, n_table=128),
        Study("d", "s2", trial="T-2", n_text=62, n_table=62),
    ]
    fs = consistency.n_mismatch("d", s, [], sev)
    assert [(f.study_id, f.severity, f.values) for f in fs] == [("s1", "warning", "text:140 | table:128")]


def test_n_mismatch_from_n_outcomes(sev):
    outs = [
        out("N", 140, "text", unit="patients"),
        out("N", 128, unit="patients"),
        out("N", 52, "table", unit="patients", subgroup="high-risk"),
    ]
    fs = consistency.n_mismatch("d", [Study("d", "s1")], outs, sev)
    assert len(fs) == 1 and fs[0].values == "text:140 | table:128"


# --- logic -------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def logic(conf, sev):
    return LogicCheck(conf["logic"], sev)


def test_logic_cr_above_orr(logic):
    fs = logic.run("d", [out("CR", 90), out("ORR", 80)])
    assert [(f.metric, f.severity) for f in fs] == [("CR", "error")]
    assert logic.run("d", [out("CR", 80.4), out("ORR", 80)]) == []  # rounding


def test_logic_categories(logic):
    fs = logic.run("d", [out("CR", 27), out("VGPR", 53), out("ORR", 71)])
    assert [(f.metric, f.severity) for f in fs] == [("VGPR", "warning")]
    fs = logic.run("d", [out("CR", 38), out("VGPR", 23), out("PR", 24), out("ORR", 82)])
    assert [f.metric for f in fs] == ["ORR"]
    # 83 vs 82: within rounding, about the total's printing: info only
    fs = logic.run("d", [out("CR", 38), out("VGPR", 23), out("PR", 22), out("ORR", 82)])
    assert [(f.metric, f.severity) for f in fs] == [("ORR", "info")]


def test_logic_medians(logic):
    outs = [
        out("PFS_MEDIAN", 88, "text", unit="months"),
        out("OS_MEDIAN", 34.2, "text", unit="months"),
        out("FOLLOWUP_MEDIAN", 18, "text", unit="months"),
    ]
    fs = logic.run("d", outs)
    assert len(fs) == 1 and fs[0].metric == "PFS_MEDIAN" and fs[0].severity == "error"
    assert "34.2" in fs[0].values and "18" in fs[0].values
    # Kaplan-Meier medians may exceed the median follow-up
    ok = [
        out("OS_MEDIAN", 12.5, "text", unit="months"),
        out("PFS_MEDIAN", 8.5, "text", unit="months"),
        out("FOLLOWUP_MEDIAN", 6.1, "text", unit="months"),
    ]
    assert logic.run("d", ok) == []


def test_logic_rate_rising_over_time(logic):
    fs = logic.run("d", [out("PFS_RATE", 60, timepoint_months=12), out("PFS_RATE", 70, timepoint_months=24)])
    assert [f.metric for f in fs] == ["PFS_RATE"]
    assert (
        logic.run("d", [out("PFS_RATE", 70, timepoint_months=12), out("PFS_RATE", 60, timepoint_months=24)])
        == []
    )


def test_logic_sources_not_mixed(logic):
    assert (
        logic.run(
            "d",
            [out("PFS_MEDIAN", 88, "text", unit="months"), out("OS_MEDIAN", 34.2, "table", unit="months")],
        )
        == []
    )


# --- grim ----------------------------------------------------------------------------------------
def test_grim_arithmetic():
    assert attainable(82.8, 37) == "different"
    assert attainable(83.8, 37) == "same"
    assert attainable(83, 37) == "truncated"
    assert attainable(2.7, 37) == "same"
    assert ratio(11, 62, 17.7) == "same" and ratio(11, 62, 18.7) == "different"


@pytest.fixture(scope="module")
def grim(conf, sev):
    return GrimCheck(conf["grim"], sev)


def test_grim_outcomes(grim):
    outs = [
        out("N", 37, unit="patients"),
        out("CR", 82.8, n=37),
        out("ORR", 83.8, n=37),
        out("ORR", 83, "text", n=37),
    ]
    fs = grim.outcomes("d", [], outs)
    got = {(f.metric, f.severity) for f in fs}
    assert got == {("CR", "error"), ("ORR", "info")}
    cr = next(f for f in fs if f.metric == "CR")
    assert cr.values == "table CR:82.8% | n:37"


def test_grim_skips_km_rates_mrd_arms_and_other_population(grim):
    outs = [
        out("N", 31, unit="patients"),
        out("MRD_NEG", 64.3, n=31),
        out("PFS_RATE", 83.3, n=31, timepoint_months=12),
        out("CR", 5.5, arm="control", n=386, study="r"),
        out("CR", 39.1, n=386, study="r"),
    ]
    assert grim.outcomes("d", [], outs) == []
    # 35.7% is not k/128 but is 50/140: the row prints the other source's n, a warning only
    s = [Study("d", "s1", n_table=128, n_text=140)]
    (f,) = grim.outcomes("d", s, [out("CR", 35.7, n=128)])
    assert f.severity == "warning" and "k/140" in f.message


def test_grim_subgroup_uses_subgroup_n(grim):
    outs = [
        out("N", 74, unit="patients"),
        out("N", 52, unit="patients", subgroup="high-risk"),
        out("CR", 51, "text", subgroup="high-risk", n=74),
    ]
    fs = grim.outcomes("d", [], outs)
    assert len(fs) == 1 and fs[0].values.endswith("n:52") and fs[0].severity == "info"


def test_grim_text_pairs(grim):
    doc = Document(
        "d",
        "d.pdf",
        text="Ongoing responses in 11 of 62 patients (17.7%). Relapse in 9 of 62 patients (19.5%).",
    )
    fs = grim.text(doc)
    assert len(fs) == 1 and "9 of 62" in fs[0].values and fs[0].severity == "error"


# --- ids -----------------------------------------------------------------------------------------
REGISTRY = {
    "trials": [
        {"name": "ALPHA-1", "aliases": ["ALPHA"], "nct_id": "NCT11111111", "phase": "I", "product": "x"},
        {"name": "ALPHA-2", "aliases": [], "nct_id": "NCT22222222", "phase": "II", "product": "x"},
    ]
}


def test_registry_mismatch_nct_and_phase(sev):
    reg = ids.Registry(REGISTRY)
    studies = [
        Study("d", "a2/a", trial="ALPHA-2", cohort="a", nct_id="NCT11111111", phase="I", sources="table"),
        Study("d", "a2/b", trial="ALPHA-2", cohort="b", nct_id="NCT11111111", phase="I", sources="table"),
        Study("d", "a1", trial="ALPHA-1", nct_id="NCT11111111", phase="I", sources="table"),
    ]
    fs = ids.registry_mismatches("d", studies, reg, sev, {})
    assert len(fs) == 2 and all(f.cohort == "a;b" for f in fs)
    assert {f.values.split(" | ")[1] for f in fs} == {"registry:NCT22222222", "registry:II (NCT22222222)"}
    assert "ALPHA-1" in next(f.values for f in fs if "NCT222" in f.values)  # names the id's owner


def test_registry_phase_subphase_equal(sev):
    reg = ids.Registry({"trials": [{"name": "B-1", "nct_id": "NCT33333333", "phase": "Ib/II"}]})
    assert ids.registry_mismatches("d", [Study("d", "b", trial="B-1", phase="I/II")], reg, sev, {}) == []


def test_duplicate_id(sev):
    reg = ids.Registry(REGISTRY)
    studies = [
        Study("d", "x", trial="X-1", nct_id="NCT12345678", sources="table"),
        Study("d", "y", trial="Y-4", nct_id="NCT12345678", sources="table"),
        Study("d", "a", trial="ALPHA", nct_id="NCT11111111"),
        Study("d", "a1", trial="ALPHA-1", nct_id="NCT11111111"),
    ]
    studies = [
        Study("d", "x", trial="X-1", nct_id="NCT12345678", sources="table", pages="table:3"),
        Study("d", "y", trial="Y-4", nct_id="NCT12345678", sources="table", pages="table:4"),
        *studies[2:],
    ]
    cell = "X-1 NCT12345678"
    printed = [  # where the id is printed, in the table row of each study
        Mention(
            "REGISTRY_ID", "NCT12345678", "NCT12345678", 4, 15, "table", p, Box(p, 10, y, 90, y + 9), cell
        )
        for p, y in ((3, 100), (4, 200))
    ]
    fs = ids.duplicate_ids(Document("d", "d.pdf", mentions=printed), studies, reg, sev)
    assert len(fs) == 1 and fs[0].trial == "X-1;Y-4" and fs[0].severity == "error"
    # the curator sees both places the id is printed
    assert fs[0].bboxes == "p3:10.0,100.0,90.0,109.0 | p4:10.0,200.0,90.0,209.0"
    assert fs[0].snippets == f"{cell} | {cell}"


def test_malformed_id_mentions(sev):
    doc = Document(
        "d",
        "d.pdf",
        mentions=[
            Mention(
                "REGISTRY_ID", "NCT0423&011", "", 0, 11, page=7, attrs={"registry": "NCT", "malformed": True}
            ),
            Mention(
                "REGISTRY_ID",
                "NCT04182581",
                "NCT04182581",
                20,
                31,
                page=7,
                attrs={"registry": "NCT", "malformed": False},
            ),
        ],
    )
    fs = ids.malformed_mentions(doc, [], Subjects(doc, []), {"patterns": {"NCT": r"^NCT\d{8}$"}}, sev)
    assert [(f.check, f.values, f.pages) for f in fs] == [("malformed_id", "text:NCT0423&011", "7")]


# --- names, units ---------------------------------------------------------------------------------
def test_name_variants(conf, sev):
    def m(label, raw, canon, score):
        return Mention(
            label,
            raw,
            canon,
            0,
            1,
            page=4,
            box=Box(4, 1, 2, 3, 4),
            attrs={"variant": True, "raw": raw, "score": score},
        )

    ms = [
        m("TRIAL", "KarMMA-1", "KarMMa-1", 88),
        m("TRIAL", "KarMMA-1", "KarMMa-1", 88),
        m("METRIC", "mRoR", "DOR_MEDIAN", 75),
        m("PRODUCT", "Ide-Cell", "ide-cel", 93),
        Mention("TRIAL", "KarMMa-1", "KarMMa-1", 0, 1),
    ]
    fs = names.name_variants("d", ms, conf["name_variant"], sev)
    got = {(f.trial, f.metric, f.severity) for f in fs}
    assert got == {("KarMMa-1", "", "warning"), ("", "DOR_MEDIAN", "info"), ("", "", "info")}
    assert names.name_variants("d", [Mention("TRIAL", "X-1", "X-1", 0, 1)], conf["name_variant"], sev) == []


def test_unit_mismatch(conf, sev):
    a = out("DOSE", 0.75e6, "text", unit="cells/kg", product="p")
    b = out("DOSE", 450e6, unit="cells", product="p")
    c = out("DOSE", 150e6, unit="cells", product="q")
    fs = units.unit_mismatches("d", [a, b, c], conf["unit_mismatch"], sev)
    assert [(f.product, f.check) for f in fs] == [("p", "unit_mismatch")]
    assert "cells/kg" in fs[0].values and "p4" in fs[0].message and "p3" in fs[0].message


def test_flat_and_per_kg_doses_of_different_studies_are_no_unit_mismatch(conf, sev):
    kids = out("DOSE", 2.5e6, "text", study="p/child-31", unit="cells/kg", product="p")
    adults = out("DOSE", 6e8, "text", study="p/adult-17", unit="cells", product="p")
    assert units.unit_mismatches("d", [kids, adults], conf["unit_mismatch"], sev) == []
    same_level = out("DOSE", 2.5e6, "table", study="p/adult-17", unit="cells", product="p")
    fs = units.unit_mismatches("d", [kids, adults, same_level], conf["unit_mismatch"], sev)
    assert [f.product for f in fs] == ["p"]  # one level printed in both units is still flagged


def test_text_values_of_two_named_data_cuts_agreeing_table_is_no_mismatch(conf):
    from pipeline.quality import consistency

    # quiet_when_one_agrees off, so that only the named data cuts keep the check quiet
    loud = Severities(
        {**conf, "text_table_mismatch": {**conf["text_table_mismatch"], "quiet_when_one_agrees": False}}
    )
    early = out("ORR", 61.5, "text", analysis="primary analysis")
    late = out("ORR", 64.9, "text", analysis="longer follow-up")
    table = out("ORR", 64.9)
    assert consistency.text_table_values("d", [early, late, table], loud) == []
    unnamed = out("ORR", 61.5, "text")
    assert [f.check for f in consistency.text_table_values("d", [unnamed, late, table], loud)] == [
        "text_table_mismatch"
    ]
