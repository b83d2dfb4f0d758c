"""text_table_mismatch conventions: within one named data cut the paper prints one number (an
abstract's value against the table's value of the same cut is a contradiction, even when another
sentence agrees), and a subgroup named by a threshold in a sentence ("50% or more") is the table's
threshold row ("≥50%"). Invented names and numbers only."""

from __future__ import annotations

from dataclasses import replace

from pipeline.model import Outcome
from pipeline.quality.consistency import text_table_values, threshold
from pipeline.quality.findings import Severities


def _o(value, source, analysis="", subgroup="", arm="") -> Outcome:
    return Outcome("d", "heron-5", "OS_MEDIAN", value, "months", source, trial="HERON-5", page=2,
                   analysis=analysis, subgroup=subgroup, arm=arm)  # fmt: skip


def _checks(rules) -> Severities:
    return Severities(rules["checks"]["checks"])


def test_a_value_differing_from_the_table_in_its_own_named_cut(rules):
    outs = [
        _o(31.6, "text", "final analysis"),  # the abstract
        _o(30.6, "text", "final analysis"),  # the results agree with the table
        _o(30.6, "table", "final analysis"),
        _o(None, "table", "interim analysis"),
    ]
    fs = text_table_values("d", outs, _checks(rules))
    assert [(f.severity, f.values) for f in fs] == [("error", "text:31.6 | table:30.6")]


def test_values_of_two_named_cuts_stay_quiet(rules):
    outs = [_o(19.2, "text", "interim analysis"), _o(30.6, "text", "final analysis"),
            _o(19.2, "table", "interim analysis"), _o(30.6, "table", "final analysis")]  # fmt: skip
    assert text_table_values("d", outs, _checks(rules)) == []


def test_a_threshold_subgroup_of_a_sentence_is_the_tables_row(rules):
    assert threshold("a marker score of 50% or more") == threshold("≥50%") == "≥50%"
    assert threshold("less than 1%") == "<1%" and threshold("1–49%") == threshold("1 to 49%")
    outs = [
        _o(33.4, "text", subgroup="marker score of 50% or more"),
        _o(34.3, "table", subgroup="≥50%"),
        _o(21.5, "text", subgroup="marker score less than 1%"),
        _o(21.5, "table", subgroup="<1%"),
        _o(25.0, "table", subgroup="1–49%"),
    ]
    fs = text_table_values("d", outs, _checks(rules))
    assert [f.values for f in fs] == ["text:33.4 | table:34.3"]
    assert "50% or more" in fs[0].message


# --- n_mismatch between two tables ----------------------------------------------------------------
def _n(value, table_id, snippet=None) -> Outcome:
    return Outcome("d", "lark-19", "N", value, "patients", "table", product="zelva-cel", table_id=table_id,
                   snippet=str(value) if snippet is None else snippet, page=2)  # fmt: skip


def _n_findings(
    rules, paragraph, caption2="Table 2. Outcomes of the included studies.", mark="", text_ns=(23,)
):
    from pipeline.model import Study
    from pipeline.quality.consistency import n_mismatch
    from tests.quality_docs import add_table, text_doc

    doc = text_doc([paragraph])
    add_table(doc, "Table 1", [["Study", "n"], ["Lark 2019", "23"]]).caption = "Table 1. Included studies."
    add_table(doc, "Table 2", [["Study", "n"], ["Lark 2019", f"27{mark}"]]).caption = caption2
    study = Study("d", "lark-19", product="zelva-cel", n=23)
    texts = [
        Outcome("d", "lark-19", "N", n, "patients", "text", product="zelva-cel", page=4, snippet=paragraph)
        for n in text_ns
    ]
    outs = [_n(23, "Table 1"), _n(27, "Table 2", f"27{mark}"), *texts]
    return [f for f in n_mismatch("d", [study], outs, _checks(rules), doc) if "tables" in f.message]


def test_two_tables_with_different_n_and_the_text_siding_with_one(rules):
    (f,) = _n_findings(rules, "Lark et al. treated 23 adults with zelva-cel.")
    assert f.severity == "warning" and f.values.startswith("Table 1:23 | Table 2:27")


def test_two_tables_n_quiet_when_a_population_is_named(rules):
    assert _n_findings(rules, "Lark et al. treated 23 adults; 27 were in the safety population.") == []
    assert (
        _n_findings(rules, "Lark et al. treated 23 adults.", "Table 2. Adverse events (safety populations).")
        == []
    )
    assert _n_findings(rules, "Lark et al. treated 23 adults.", mark="b") == []  # a footnote defines it
    assert (
        _n_findings(rules, "Lark et al. treated 23 adults and 27 were followed.", text_ns=(23, 27)) == []
    )  # the text gives both


# --- GRIM with the denominator a caption states; a table row's own n ------------------------------
def test_caption_stating_the_denominator_checks_mrd_with_the_rows_n(rules):
    from pipeline.quality.grim import GrimCheck

    conf = rules["checks"]["checks"]["grim"]
    outs = [
        Outcome(
            "d", "wren-7", "MRD_NEG", 62, "%", "table", table_id="Table 4", n=23, page=5
        ),  # 14/23=60.9, 15/23=65.2
        Outcome("d", "wren-7", "CR", 82, "%", "table", table_id="Table 4", n=17, page=5),  # 14/17=82.4
        Outcome("d", "wren-7", "N", 23, "patients", "table", table_id="Table 3", n=23, page=4),
    ]
    captions = {"Table 4": "Table 4. Responses. Percentages are of treated patients."}
    g = GrimCheck(conf, _checks(rules))
    fs = g.outcomes("d", [], outs, captions)
    assert [(f.metric, f.values) for f in fs] == [("MRD_NEG", "table MRD_NEG:62% | n:23")]
    assert g.outcomes("d", [], outs, {"Table 4": "Table 4. Responses."}) == []  # MRD of evaluable patients


# --- "respectively" over listed subgroups, against the table's sub-study rows ---------------------
def test_listed_subgroups_pair_by_position_with_the_tables_rows(rules):
    sent = "The pooled ORR in younger and older cohorts were 64% (95% CI 58–70) and 52% (95% CI 47–61), respectively."
    outs = [
        Outcome(
            "d", "pooled", "ORR", 64, "%", "text", subgroup="younger and older cohorts", snippet=sent, page=4
        ),
        Outcome(
            "d", "pooled", "ORR", 52, "%", "text", subgroup="younger and older cohorts", snippet=sent, page=4
        ),
        Outcome(
            "d", "pooled/younger", "ORR", 64, "%", "table", subgroup="Younger", table_id="Table 3", page=5
        ),
        Outcome("d", "pooled/older", "ORR", 55, "%", "table", subgroup="Older", table_id="Table 3", page=5),
    ]
    fs = text_table_values("d", outs, _checks(rules))
    assert [(f.values, f.severity) for f in fs] == [("text:52 | table:55", "error")]
    outs[0], outs[1] = replace(outs[0], subgroup="all cohorts"), replace(outs[1], subgroup="all cohorts")
    assert text_table_values("d", outs, _checks(rules)) == []  # no list: nothing to pair


def test_a_percentage_of_the_other_sources_n_is_a_warning(rules):
    from pipeline.quality.grim import GrimCheck

    conf = rules["checks"]["checks"]["grim"]
    outs = [
        Outcome("d", "finch-3", "N", 20, "patients", "table", table_id="Table 2", n=20, page=4),
        Outcome("d", "finch-3", "N", 19, "patients", "text", n=19, page=5),
        Outcome("d", "finch-3", "SCR", 73.7, "%", "table", table_id="Table 2", n=20, page=4),  # 14/19
        # an arm read on a survival rate of a sentence makes no randomised study
        Outcome("d", "finch-3", "PFS_RATE", 61.0, "%", "text", arm="control", timepoint_months=12, page=5),
    ]
    (f,) = GrimCheck(conf, _checks(rules)).outcomes("d", [], outs)
    assert f.severity == "warning" and "k/19" in f.message
    assert GrimCheck({**conf, "other_n_severity": ""}, _checks(rules)).outcomes("d", [], outs) == []
    armed = [
        *outs,
        Outcome("d", "finch-3", "ORR", 40.0, "%", "table", table_id="Table 2", arm="control", page=4),
    ]
    assert GrimCheck(conf, _checks(rules)).outcomes("d", [], armed) == []  # randomised: n is both arms'


def test_a_subset_in_one_source_above_the_whole_in_the_other(rules):
    from pipeline.quality.logic import LogicCheck

    conf = rules["checks"]["checks"]["logic"]
    outs = [
        Outcome("d", "finch-3", "SCR", 85, "%", "table", table_id="Table 2", page=4),
        Outcome("d", "finch-3", "ORR", 95, "%", "table", table_id="Table 2", page=4),
        Outcome("d", "finch-3", "CR", 81, "%", "text", page=5),
    ]
    fs = LogicCheck(conf, _checks(rules)).run("d", outs)
    assert [(f.metric, f.severity) for f in fs] == [("SCR", "warning")]
    outs[2] = replace(outs[2], value=88)
    assert LogicCheck(conf, _checks(rules)).run("d", outs) == []


def test_a_dose_unit_slip_names_every_study_printing_that_level(rules):
    from pipeline.quality.units import unit_mismatches

    def dose(unit, trial, cohort="", source="table"):
        return Outcome("d", f"{trial}/{cohort}".lower(), "DOSE", 650000, unit, source, trial=trial, cohort=cohort,
                       product="pelto-cel", page=3)  # fmt: skip

    outs = [dose("cells/kg", "SWIFT-1", source="text"), dose("cells", "SWIFT-1"), dose("cells", "SWIFT-2", "A"),
            dose("cells", "SWIFT-2", "B"), dose("cells", "SWIFT-5")]  # fmt: skip
    conf = rules["checks"]["checks"]["unit_mismatch"]
    (f,) = unit_mismatches("d", outs, conf, _checks(rules))
    assert "6.5e+05 cells printed for SWIFT-1, SWIFT-2 A, SWIFT-2 B, SWIFT-5" in f.message


def test_categories_above_the_largest_total_within_rounding_are_info(rules):
    from pipeline.quality.logic import LogicCheck

    conf = rules["checks"]["checks"]["logic"]

    def o(metric, value):
        return Outcome("d", "egret-2", metric, value, "%", "text", page=6)

    outs = [o("ORR", 48), o("ORR", 64), o("VGPR", 41.6), o("CR", 23)]  # 64.6 > 64, the larger total
    (f,) = LogicCheck(conf, _checks(rules)).run("d", outs)
    assert f.severity == "info" and "64.6 > ORR 64" in f.message and f.metric == "ORR"
    outs[3] = o("CR", 30)  # 71.6: beyond rounding
    (f,) = LogicCheck(conf, _checks(rules)).run("d", outs)
    assert f.severity == "warning"
    outs[3] = o("CR", 22)  # 63.6: fits
    assert LogicCheck(conf, _checks(rules)).run("d", outs) == []


def test_an_enrolled_or_all_arms_population_is_no_subgroup_above_its_arm(rules):
    from pipeline.quality.logic import LogicCheck

    conf = rules["checks"]["checks"]["logic"]

    def n(value, subgroup="", source="text"):
        return Outcome("d", "plover-6", "N", value, "patients", source, subgroup=subgroup, page=3)

    quiet = [n(88), n(131, "enrolled"), n(240, "the marker-positive cohort (both arms)")]
    assert LogicCheck(conf, _checks(rules)).run("d", quiet) == []
    (f,) = LogicCheck(conf, _checks(rules)).run("d", [n(88), n(93, "women")])
    assert f.metric == "N" and "93 > its arm n 88" in f.message
