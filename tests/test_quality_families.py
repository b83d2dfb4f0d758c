"""Check families run from rules/checks.yml, and the mention-level checks (ids of every registry,
misspellings against the paper's own spellings, k/n (x%) in cells and sentences, dose units, the
same study twice) on generated documents with invented names and numbers."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from pipeline.model import Outcome, Study, outcome_id
from pipeline.quality import Checker
from pipeline.quality.families import FAMILIES, instances
from pipeline.quality.findings import Severities
from pipeline.rules import Rules
from tests.quality_docs import add_table, cell_mention, mention, text_doc

GX_FREE = ("value_out_of_range",)  # the GX suites are tested in test_quality_gx.py


def checker(rules: Rules, **extra_checks) -> Checker:
    """A checker of rules/ with entries added to (or replaced in) checks.yml, GX suites off."""
    conf = dict(rules["checks"])
    checks = {k: v for k, v in conf["checks"].items() if k not in GX_FREE}
    checks.update(extra_checks)
    data = {**rules.data, "checks": {**conf, "checks": checks}}
    return Checker(replace(rules, data=data))


def o(metric, value, source="table", study="k4", unit="%", **kw) -> Outcome:
    return Outcome("d", study, metric, value, unit, source, trial="KESTREL-4", page=3, **kw)


# --- families from configuration -------------------------------------------------------------------
def test_check_added_only_in_rules_runs(rules):
    """A new entry of an existing family (logic) with its own metric pair finds what it describes,
    with the entry's severity; without the entry nothing is found."""
    outs = [o("MRD_NEG", 64), o("CR", 52), o("ORR", 70)]
    doc = text_doc(["Nothing to see."])
    assert [f for f in checker(rules).check(doc, [], outs) if f.check == "logic"] == []
    pair = {"family": "logic", "emits": "logic", "severity": "warning",
            "rules": [{"rule": "mrd_negative_above_cr", "lower": "MRD_NEG", "upper": "CR"}]}  # fmt: skip
    found = [f for f in checker(rules, mrd_within_cr=pair).check(doc, [], outs) if f.check == "logic"]
    assert [(f.metric, f.severity) for f in found] == [("MRD_NEG", "warning")]
    assert "MRD_NEG 64 > CR 52" in found[0].message
    off = checker(rules, mrd_within_cr={**pair, "enabled": False}).check(doc, [], outs)
    assert [f for f in off if f.check == "logic"] == []


def test_unknown_family_or_logic_kind_is_a_rules_error(rules):
    with pytest.raises(ValueError, match="unknown family 'logik'"):
        instances({"x": {"family": "logik", "severity": "error"}})
    with pytest.raises(ValueError, match="unknown kind"):
        checker(
            rules, y={"family": "logic", "severity": "error", "rules": [{"rule": "z", "kind": "sideways"}]}
        )


def test_every_registered_family_has_an_entry_in_checks_yml(rules):
    ran = {inst.conf.get("family", inst.name) for _, inst in instances(rules["checks"]["checks"])}
    assert set(FAMILIES) <= ran


# --- logic relations from rules ----------------------------------------------------------------------
def test_logic_relations_of_rules(rules):
    c = checker(rules)
    doc = text_doc(["Nothing."])
    outs = [
        o("N", 142, arm="control"),
        o("N", 151, arm="control", subgroup="female"),  # subgroup above its arm
        o("PFS_RATE", 61.0, timepoint_months=12),
        o("OS_RATE", 57.5, timepoint_months=12),  # PFS above OS at one landmark
        o("OS_RATE", 49.0, timepoint_months=12, arm="control"),
        o("OS_RATE", 52.3, timepoint_months=24, arm="control"),  # a survival curve rising
    ]
    got = {(f.metric, f.study_id) for f in c.check(doc, [], outs) if f.check == "logic"}
    assert got == {("N", "k4"), ("PFS_RATE", "k4"), ("OS_RATE", "k4")}
    quiet = [o("N", 142, arm="control"), o("N", 88, arm="control", subgroup="female"),
             o("PFS_RATE", 57.4, timepoint_months=12), o("OS_RATE", 57.5, timepoint_months=12)]  # fmt: skip
    assert [f for f in c.check(doc, [], quiet) if f.check == "logic"] == []


def test_event_median_beyond_its_follow_up(rules):
    c = checker(rules)
    doc = text_doc(["Nothing."])
    outs = [o("PFS_MEDIAN", 17.3, "text", unit="months"), o("FOLLOWUP_MEDIAN", 8.1, "text", unit="months")]
    fs = [f for f in c.check(doc, [], outs) if f.check == "logic"]
    assert [(f.metric, f.severity) for f in fs] == [("PFS_MEDIAN", "error")]
    # the evidence is structured, each item linked to its outcome
    assert [e.outcome_id for e in fs[0].evidence] == [outcome_id(outs[0]), outcome_id(outs[1])]
    assert fs[0].outcome_ids == f"{outcome_id(outs[0])};{outcome_id(outs[1])}"
    near = [o("PFS_MEDIAN", 9.7, "text", unit="months"), o("FOLLOWUP_MEDIAN", 8.1, "text", unit="months")]
    assert [f for f in c.check(doc, [], near) if f.check == "logic"] == []  # Kaplan-Meier medians may


# --- registry ids ------------------------------------------------------------------------------------------
def _ids_doc():
    doc = text_doc([
        "KESTREL-4 (NCT0612345) randomised 173 patients to valbotamab. OSPREY-2 (NCT05512346) was a phase II study.",
        "HARRIER-9 (NCT05512346) enrolled 61 patients. The trial is registered with ISRCTN 1234567 as well.",
    ])  # fmt: skip
    for text, canon, malformed, reg in (("NCT0612345", "", True, "NCT"), ("NCT05512346", "NCT05512346", False, "NCT"),
                                        ("ISRCTN 1234567", "", False, "ISRCTN")):  # fmt: skip
        for nth in range(doc.text.count(text)):
            mention(doc, "REGISTRY_ID", text, canon, nth, registry=reg, malformed=malformed)
    t = add_table(doc, "Table 1", [["Study", "Registry", "n"], ["KESTREL-4, cohort A", "NCT06123457", "90"],
                                   ["KESTREL-4, cohort B", "NCT06123457", "83"], ["KESTREL-4, cohort C", "NCT06129999", "40"]])  # fmt: skip
    for r in (1, 2, 3):
        text = t.cell(r, 1).text
        cell_mention(doc, t, r, 1, "REGISTRY_ID", text, text, registry="NCT", malformed=False)
    return doc


def test_registry_ids_named_by_their_trial(rules):
    fs = checker(rules).check(_ids_doc(), [], [])
    malformed = {f.values.split(":", 1)[1].split(" | ")[0]: f for f in fs if f.check == "malformed_id"}
    # 7 digits after NCT; an ISRCTN id one digit short (shape from rules/checks.yml)
    assert set(malformed) == {"NCT0612345", "ISRCTN 1234567"}
    assert malformed["NCT0612345"].trial == "KESTREL-4" and malformed["NCT0612345"].severity == "error"
    dup = [f for f in fs if f.check == "duplicate_id"]
    by_trial = {f.trial: f for f in dup}
    # one id for two trials (cohorts of one trial sharing an id are fine)
    assert by_trial["HARRIER-9;OSPREY-2"].values == "OSPREY-2:NCT05512346 | HARRIER-9:NCT05512346"
    # one trial with two ids of the same registry
    assert "NCT06123457" in by_trial["KESTREL-4"].message and "NCT06129999" in by_trial["KESTREL-4"].message
    assert len(dup) == 2


# --- misspellings against the paper's own spellings ----------------------------------------------------
def test_misspelled_names_found_against_the_papers_spellings(rules):
    doc = text_doc([
        "Valbotamab was given to 173 patients in KESTREL NHL-4. Valbotamab doubled the response rate.",
        "In KESTREL NHL-4 valbotamab was well tolerated. Responses to valbotamab lasted.",
        "The safety of valbotamib was acceptable in KESTREL-NHL4. Anti-PD-L1 and anti-PD-1 drugs differ.",
        "The KESTREL NHL-4 results hold for anti-PD-1 drugs. They hold for anti-PD-1 drugs too.",
    ])  # fmt: skip
    for nth in range(4):
        mention(doc, "PRODUCT", ["Valbotamab", "Valbotamab", "valbotamab", "valbotamab"][nth], "valbo-mab",
                nth=[0, 1, 0, 1][nth])  # fmt: skip
    fs = [f for f in checker(rules).check(doc, [], []) if f.check == "name_variant"]
    got = {f.evidence[0].value: f for f in fs}
    assert set(got) == {"valbotamib", "KESTREL-NHL4"}
    v = got["valbotamib"]
    assert v.product == "valbo-mab" and "valbotamab" in {e.value.lower() for e in v.evidence[1:]}
    assert v.evidence[0].page == 4 and v.evidence[0].snippet  # where each spelling occurs
    assert got["KESTREL-NHL4"].trial == "KESTREL NHL-4" and got["KESTREL-NHL4"].severity == "warning"


# --- k/n (x%) in cells and sentences -------------------------------------------------------------------
def test_ratio_percentages_in_cells_and_text(rules):
    doc = text_doc(["In OSPREY-2, 23 of 57 patients (41.4%) responded. In HARRIER-9, 20/61 (32.8%) did."])
    t = add_table(
        doc, "Table 2", [["Study", "CR, k/n (%)"], ["KESTREL-4", "17/45 (41%)"], ["OSPREY-2", "18/45 (40%)"]]
    )
    fs = [f for f in checker(rules).check(doc, [], []) if f.check == "grim"]
    assert {(f.trial, f.evidence[0].source) for f in fs} == {("KESTREL-4", "table"), ("OSPREY-2", "text")}
    cell = next(f for f in fs if f.trial == "KESTREL-4")
    assert cell.evidence[0].value == "17/45 (41%)" and cell.evidence[1].value == "37.8%"
    assert cell.evidence[0].bbox == str(t.cell(1, 1).box) and cell.severity == "error"


# --- dose units ------------------------------------------------------------------------------------------
def test_dose_column_unit_against_the_text(rules):
    doc = text_doc(["In KESTREL-4, 173 patients received valbotamab at 120 µg/ kg every 3 weeks."])
    add_table(
        doc, "Table 1", [["Study", "Dose (mg)", "n"], ["KESTREL-4", "120", "173"], ["OSPREY-2", "60", "57"]]
    )
    fs = [f for f in checker(rules).check(doc, [], []) if f.check == "unit_mismatch"]
    assert [(f.trial, f.metric, [e.value for e in f.evidence]) for f in fs] == [
        ("KESTREL-4", "DOSE", ["120 mg", "120 µg/kg"])
    ]


# --- the same study twice ---------------------------------------------------------------------------------
def test_same_author_year_twice_with_different_n(rules):
    doc = text_doc(["Nothing."])
    rows = [["Study [ref]", "n", "Product"], ["Lindqvist 2019 [4]", "61", "Valbotamab"],
            ["Okafor 2018 [5]", "33", "Valbotamab"], ["Okafor 2021 [6]", "48", "Valbotamab"],
            ["Lindqvist 2019 [9]", "66", "Valbotamab"]]  # fmt: skip
    t = add_table(doc, "Table 1", rows)
    for r in range(1, 5):
        cell_mention(doc, t, r, 2, "PRODUCT", "Valbotamab", "valbo-mab")
    fs = [f for f in checker(rules).check(doc, [], []) if f.check == "duplicate_id"]
    assert [(f.study_id, f.product, f.metric) for f in fs] == [("Lindqvist 2019", "valbo-mab", "N")]
    assert [e.value for e in fs[0].evidence] == ["n=61", "n=66"]


# --- evidence as data -------------------------------------------------------------------------------------
def test_review_reads_the_evidence_structure_not_the_packed_columns():
    from pipeline.review.store import Item, parts

    ev = [{"label": "table CR", "value": "82.8%", "source": "table", "page": 3, "snippet": "CR 82.8",
           "bbox": "1.0,2.0,3.0,4.0", "outcome_id": "o-1"}, {"label": "n", "value": "37", "source": "text",
           "page": 4, "snippet": "", "bbox": "", "outcome_id": ""}]  # fmt: skip
    item = Item(values="garbled | text", row={"evidence": json.dumps(ev)})
    got = parts(item)
    assert [(p.source, p.value, p.page, p.bbox, p.label) for p in got] == [
        ("table", "82.8%", 3, (1.0, 2.0, 3.0, 4.0), "CR"),
        ("text", "37", 4, None, "n"),
    ]


def test_severities_of_an_entry_override_the_check_it_emits():
    sev = Severities({"grim": {"severity": "error"}})
    assert sev.get("grim") == "error" and sev.get("nothing") == "error"
    (fam, inst), *_ = instances(
        {"grim": {"severity": "error"}, "g2": {"family": "grim", "severity": "info"}}
    )[1:]
    assert inst.emits == "grim" and inst.sev.get("grim") == "info" and fam is FAMILIES["grim"]


def test_study_records_unused():
    assert Study("d", "s").study_id == "s"  # the families read records only through Context


def test_a_named_other_analysis_stays_quiet(rules):
    """quiet_when_one_agrees (rules/checks.yml): several text values (an updated analysis, an
    as-treated population), one equal to the table's: no finding."""
    outs = [o("ORR", 71.6, "text"), o("ORR", 94.2, "text", subgroup=""), o("ORR", 71.6)]
    doc = text_doc(["Nothing."])
    tt = dict(rules["checks"]["checks"]["text_table_mismatch"])
    quiet = checker(rules).check(doc, [], outs)
    assert [f for f in quiet if f.check == "text_table_mismatch"] == []
    loud = checker(rules, text_table_mismatch={**tt, "quiet_when_one_agrees": False}).check(doc, [], outs)
    assert [f.severity for f in loud if f.check == "text_table_mismatch"] == ["warning"]
    # a plain contradiction stays an error
    bad = [o("ORR", 71.6, "text"), o("ORR", 76.1)]
    assert [f.severity for f in checker(rules).check(doc, [], bad) if f.check == "text_table_mismatch"] == [
        "error"
    ]


def test_percentage_with_the_n_of_its_group_in_the_same_clause(rules):
    doc = text_doc([
        "In this subgroup, the response rate was 58.3% in the valbotamab group (n = 83) and 41.2% in the "
        "placebo group (n = 85). Overall 60.2% in the valbotamab group (n = 83) responded."
    ])  # fmt: skip
    fs = [f for f in checker(rules).check(doc, [], []) if f.check == "grim"]
    # 58.3% of 83: 48/83 = 57.8%, 49/83 = 59.0%; 41.2% = 35/85 and 60.2% = 50/83 are fine
    assert [(f.evidence[0].value, f.evidence[1].value) for f in fs] == [
        ("58.3% in the valbotamab group (n = 83)", "83")
    ]


def test_per_kg_and_flat_doses_of_different_studies_are_not_a_unit_error(rules):
    outs = [
        Outcome("d", "a", "DOSE", 2e6, "cells/kg", "table", product="zel-cel", trial="KESTREL-4"),
        Outcome("d", "b", "DOSE", 4e8, "cells", "table", product="zel-cel", trial="OSPREY-2"),
    ]
    doc = text_doc(["Nothing."])
    assert [f for f in checker(rules).check(doc, [], outs) if f.check == "unit_mismatch"] == []
    same = [outs[0], replace(outs[1], study_id="a", trial="KESTREL-4", value=2e6, source="text")]
    fs = [f for f in checker(rules).check(doc, [], same) if f.check == "unit_mismatch"]
    assert [(f.product, f.metric) for f in fs] == [("zel-cel", "DOSE")]


def test_an_odd_whole_cohort_n_in_the_text(rules):
    """The text says 317 once and 304 elsewhere; the table 304: the 317 is flagged. A far larger
    n (all screened) or a labelled population is not."""
    doc = text_doc(["Nothing."])
    st = [Study("d", "k4", trial="KESTREL-4")]
    outs = [o("N", 304, "table", unit="patients"), o("N", 304, "text", unit="patients"),
            o("N", 317, "text", unit="patients")]  # fmt: skip
    fs = [f for f in checker(rules).check(doc, st, outs) if f.check == "n_mismatch"]
    assert [(f.trial, [e.value for e in f.evidence]) for f in fs] == [("KESTREL-4", ["304", "317", "304"])]
    quiet = outs[:2] + [
        o("N", 688, "text", unit="patients"),
        o("N", 301, "text", unit="patients", subgroup="safety"),
    ]
    assert [f for f in checker(rules).check(doc, st, quiet) if f.check == "n_mismatch"] == []


def test_a_subgroup_as_large_as_all_arms_is_the_trial_not_a_subgroup(rules):
    doc = text_doc(["Nothing."])
    arms = [o("N", 215, unit="patients"), o("N", 209, arm="control", unit="patients")]
    total = arms + [o("N", 424, subgroup="all randomised", unit="patients")]
    assert [f for f in checker(rules).check(doc, [], total) if f.check == "logic"] == []
    men = arms + [o("N", 226, arm="control", subgroup="men", unit="patients")]
    assert [f.metric for f in checker(rules).check(doc, [], men) if f.check == "logic"] == ["N"]


def test_a_misprinted_outcome_label_in_a_table_names_its_rows_trial(rules):
    doc = text_doc(["Nothing."])
    t = add_table(
        doc, "Table 1", [["Study", "Outcomes"], ["OSPREY-2", "ORR: 71%"], ["KESTREL-4", "mDRO: 12.1 m"]]
    )
    cell_mention(doc, t, 2, 1, "METRIC", "mDRO", "DOR_MEDIAN", variant=True, score=80)
    fs = [f for f in checker(rules).check(doc, [], []) if f.check == "name_variant"]
    assert [(f.trial, f.metric, f.severity) for f in fs] == [("KESTREL-4", "DOR_MEDIAN", "info")]


def test_scr_above_a_cr_printed_as_the_category_alone_is_quiet(rules):
    doc = text_doc(["Nothing."])
    parts = [o("SCR", 41), o("CR", 17), o("VGPR", 22), o("PR", 12), o("ORR", 92)]  # 41+17+22+12 = 92
    assert [f for f in checker(rules).check(doc, [], parts) if f.check == "logic"] == []
    cumulative = [o("SCR", 41), o("CR", 17), o("ORR", 92)]
    assert [f.metric for f in checker(rules).check(doc, [], cumulative) if f.check == "logic"] == ["SCR"]


def test_ids_in_a_transposed_table_are_named_by_their_column(rules):
    doc = text_doc(["Nothing."])
    t = add_table(
        doc, "Table 2", [["", "KESTREL-4 [3]", "OSPREY-2 [5]"], ["Registry", "NCT0612345", "NCT05512346"]]
    )
    cell_mention(doc, t, 1, 1, "REGISTRY_ID", "NCT0612345", "", registry="NCT", malformed=True)
    u = add_table(
        doc, "Table 3", [["Agent", "Trial"], ["zel-cel", "HARRIER-9 NCT05599999"], ["zel-cel", "NCT0559999"]]
    )
    cell_mention(doc, u, 2, 1, "REGISTRY_ID", "NCT0559999", "", registry="NCT", malformed=True)
    fs = {
        f.values.split(" | ")[0]: f.trial
        for f in checker(rules).check(doc, [], [])
        if f.check == "malformed_id"
    }
    # the second id's row names no trial: it does not inherit the name printed in the row above
    assert fs == {"table:NCT0612345": "KESTREL-4", "table:NCT0559999": ""}


def test_a_spaced_id_with_no_name_near_it_is_named_by_the_study_it_was_kept_on(rules):
    doc = text_doc(["In this phase I study (NCT 09876512) the cells were fully human."])
    mention(doc, "REGISTRY_ID", "NCT 09876512", "NCT09876512", registry="NCT")
    study = Study("d", "cd22-car-t/study-18", product="cd22-car-t", nct_id="NCT09876512", n=18)
    found = [f for f in checker(rules).check(doc, [study], []) if f.check == "malformed_id"]
    assert [(f.study_id, f.product, f.severity) for f in found] == [
        ("cd22-car-t/study-18", "cd22-car-t", "info")
    ]
    assert "for cd22-car-t/study-18" in found[0].message


def test_scr_above_cr_quiet_when_the_other_source_completes_the_partition(rules):
    """A table row gives sCR 38, CR 17 and ORR 91; the text of the same study gives the same sCR and
    CR with VGPR and PR adding up to the ORR: CR is the category alone, in both sources."""
    table = [o("SCR", 38), o("CR", 17), o("ORR", 91)]
    text = [
        o("SCR", 38, "text"),
        o("CR", 17, "text"),
        o("VGPR", 24, "text"),
        o("PR", 12, "text"),
        o("ORR", 91, "text"),
    ]
    doc = text_doc(["x"])
    assert [f for f in checker(rules).check(doc, [], table + text) if f.check == "logic"] == []
    # the text of another analysis (other sCR) does not complete the table's
    other = [
        o("SCR", 45, "text"),
        o("CR", 17, "text"),
        o("VGPR", 17, "text"),
        o("PR", 12, "text"),
        o("ORR", 91, "text"),
    ]
    found = [f for f in checker(rules).check(doc, [], table + other) if f.check == "logic"]
    assert [(f.metric, f.sources) for f in found] == [("SCR", "table | table")]
