"""Registry-id checks from their contracts (pipeline.quality.ids), on invented ids and trials:
`malformed_id` reports each printed form that is not well-formed (once per form, naming who it is
printed for; an id that is only spaced out is milder), `duplicate_id` one id printed for two different
trials (spellings of one name are one trial), `two_ids` one trial printed with two ids of one registry,
`registry_mismatch` an NCT id or phase contradicting the registry (sub-phase letters do not count).
Attribution of a mention to a trial is stubbed: it is another module's contract."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from pipeline.model import Box, Document, Mention, Study
from pipeline.quality import ids
from pipeline.quality.findings import Severities
from pipeline.quality.subjects import Subject

SEV = Severities(
    {
        "malformed_id": {"severity": "error", "normalisable_severity": "info"},
        "duplicate_id": {"severity": "warning"},
        "two_ids": {"severity": "info"},
        "registry_mismatch": {"severity": "error"},
    }
)
CONF = {"patterns": {"nct": r"^NCT\d{8}$", "isrctn": r"^ISRCTN\d{8}$"}}


@dataclass
class Who:
    """Stub attribution: mention text offset -> (trial, product)."""

    by_start: dict[int, tuple[str, str]]

    def of(self, m: Mention) -> Subject:
        name, product = self.by_start.get(m.start, ("", ""))
        return Subject(name, product, "")


def rid(text, start, page=1, registry="nct", malformed=False, canonical=None, source="text"):
    attrs = {"registry": registry, **({"malformed": True} if malformed else {})}
    canon = canonical if canonical is not None else "".join(text.split()).upper()
    return Mention("REGISTRY_ID", text, canon, start, start + len(text), source, page,
                   Box(page, 10, 10, 60, 20), f"sentence with {text}", attrs=attrs)  # fmt: skip


def doc(*mentions) -> Document:
    d = Document("d1", "plover.pdf", "")
    d.mentions = list(mentions)
    return d


# --- malformed_id ------------------------------------------------------------------------------
def test_well_formed_ids_give_no_finding_and_malformed_ones_one_per_printed_form():
    d = doc(rid("NCT01234567", 0), rid("NCT0123456", 40, page=3), rid("NCT0123456", 90, page=5),
            rid("ISRCTN1234", 140, registry="isrctn"))  # fmt: skip
    fs = ids.malformed_mentions(d, [], Who({}), CONF, SEV)
    assert sorted(f.values.split(" | ")[0].split(":")[-1] for f in fs) == ["ISRCTN1234", "NCT0123456"]
    (seven,) = [f for f in fs if "NCT0123456" in f.message]
    assert "p3, p5" in seven.message and "not well-formed" in seven.message
    assert (seven.check, seven.severity) == ("malformed_id", "error") and len(seven.evidence) == 2


def test_ner_verdict_counts_even_when_the_shape_matches_and_a_shape_counts_without_ner():
    d = doc(rid("NCT01234567", 0, malformed=True), rid("NCT7654321X", 30))
    assert len(ids.malformed_mentions(d, [], Who({}), CONF, SEV)) == 2
    assert ids.malformed_mentions(doc(rid("NCT7654321X", 0)), [], Who({}), {}, SEV) == []  # no shape known


def test_an_id_only_spaced_out_is_milder_and_says_how_it_reads():
    (f,) = ids.malformed_mentions(doc(rid("NCT 01234567", 0)), [], Who({}), CONF, SEV)
    assert f.severity == "info" and "reads NCT01234567 without spaces" in f.message
    (f,) = ids.malformed_mentions(doc(rid("NCT 0123456", 0)), [], Who({}), CONF, SEV)  # spaced and short
    assert f.severity == "error" and "not well-formed" in f.message


def test_an_id_kept_on_a_study_is_left_to_the_studies_suite():
    st = [Study("d1", "s1", trial="KESTREL-4", nct_id="NCT 0123456")]
    assert ids.malformed_mentions(doc(rid("NCT 0123456", 0)), st, Who({}), CONF, SEV) == []
    assert len(ids.malformed_mentions(doc(rid("NCT 0123457", 0)), st, Who({}), CONF, SEV)) == 1


def test_malformed_finding_names_the_trials_and_products_it_is_printed_for():
    d = doc(rid("NCT0123456", 0), rid("NCT0123456", 50), rid("NCT0123456", 99))
    who = Who({0: ("KESTREL-4", "valbotamab"), 50: ("KESTREL-4", "valbotamab"), 99: ("", "")})
    (f,) = ids.malformed_mentions(d, [], who, CONF, SEV)
    assert (f.trial, f.product) == ("KESTREL-4", "valbotamab") and "for KESTREL-4" in f.message


def test_unnamed_malformed_id_takes_the_study_that_carries_it_without_spaces():
    st = [Study("d1", "s7", product="valbotamab", nct_id="NCT0123456"), Study("d1", "s8", nct_id="NCT9")]
    (f,) = ids.malformed_mentions(doc(rid("NCT 0123456", 0)), st, Who({}), CONF, SEV)
    assert (f.study_id, f.product) == ("s7", "valbotamab") and "for s7" in f.message


def test_evidence_of_a_form_printed_many_times_is_capped_at_five():
    d = doc(*[rid("NCT0123456", 20 * i, page=i + 1) for i in range(7)])
    (f,) = ids.malformed_mentions(d, [], Who({}), CONF, SEV)
    assert len(f.evidence) == 5 and "p7" in f.message


# --- duplicate_id from mentions --------------------------------------------------------------------
REG = ids.Registry({"trials": [{"name": "KESTREL-4", "aliases": ["Kestrel four"], "nct_id": "NCT01112223",
                                "phase": "II"}, {"name": "PLOVER-2", "nct_id": "NCT04445556", "phase": "Ib/II"}]})  # fmt: skip


def test_one_id_printed_for_two_trials_is_one_duplicate_finding():
    d = doc(rid("NCT05550001", 0), rid("NCT05550001", 60, page=4), rid("NCT05550001", 120))
    who = Who({0: ("TERN-1", "ardelimab"), 60: ("GULL-9", ""), 120: ("TERN-1", "ardelimab")})
    (f,) = ids.duplicate_mentions(d, who, REG, SEV)
    assert (f.check, f.severity, f.trial, f.product) == (
        "duplicate_id",
        "warning",
        "GULL-9;TERN-1",
        "ardelimab",
    )
    assert "2 different trials" in f.message and "p4" in f.message and len(f.evidence) == 3


@pytest.mark.parametrize(("a", "b"), [("TERN-1", "TERN 1"), ("TERN-1", "tern1"), ("TERN-1", "TERN-1a"),
                                      ("Kestrel four", "KESTREL-4")])  # fmt: skip
def test_spellings_of_one_trial_are_no_duplicate(a, b):
    d = doc(rid("NCT05550001", 0), rid("NCT05550001", 60))
    assert ids.duplicate_mentions(d, Who({0: (a, ""), 60: (b, "")}), REG, SEV) == []


def test_malformed_and_unattributed_mentions_are_not_duplicates():
    d = doc(rid("NCT05550001", 0), rid("NCT05550001", 60, malformed=True), rid("NCT05550001", 90))
    assert ids.duplicate_mentions(d, Who({0: ("TERN-1", ""), 60: ("GULL-9", "")}), REG, SEV) == []
    d = doc(rid("NCT05550001", 0), rid("NCT05550001", 60, canonical=""))
    assert ids.duplicate_mentions(d, Who({0: ("TERN-1", ""), 60: ("GULL-9", "")}), REG, SEV) == []


# --- two_ids ------------------------------------------------------------------------------------
def test_one_trial_with_two_ids_of_one_registry():
    d = doc(
        rid("NCT05550001", 0), rid("NCT05550002", 60, page=2), rid("ISRCTN12345678", 99, registry="isrctn")
    )
    who = Who({0: ("TERN-1", ""), 60: ("TERN 1", ""), 99: ("TERN-1", "")})
    (f,) = ids.two_ids(d, who, REG, SEV, "two_ids")
    assert (f.check, f.severity, f.trial) == ("two_ids", "info", "TERN-1")
    assert "2 nct ids" in f.message and "NCT05550001" in f.message and "NCT05550002" in f.message
    assert [e.value for e in f.evidence] == ["NCT05550001", "NCT05550002"]
    assert all(e.bbox == str(Box(e.page, 10, 10, 60, 20)) for e in f.evidence)


def test_two_ids_of_different_registries_or_an_id_shared_with_another_trial_are_not_two_ids():
    d = doc(rid("NCT05550001", 0), rid("ISRCTN12345678", 60, registry="isrctn"))
    assert ids.two_ids(d, Who({0: ("TERN-1", ""), 60: ("TERN-1", "")}), REG, SEV, "two_ids") == []
    d = doc(rid("NCT05550001", 0), rid("NCT05550002", 60), rid("NCT05550002", 90))
    who = Who({0: ("TERN-1", ""), 60: ("TERN-1", ""), 90: ("GULL-9", "")})
    assert ids.two_ids(d, who, REG, SEV, "two_ids") == []
    assert len(ids.duplicate_mentions(d, who, REG, SEV)) == 1  # explained there


# --- duplicate_id from studies -----------------------------------------------------------------------
def test_studies_of_two_trials_sharing_an_id():
    st = [Study("d1", "s1", trial="TERN-1", cohort="A", nct_id="nct05550001", product="ardelimab",
                sources="table", pages="table:3"),
          Study("d1", "s2", trial="GULL-9", nct_id="NCT05550001", sources="text", pages="text:5"),
          Study("d1", "s3", trial="TERN-1", nct_id="NCT05550009")]  # fmt: skip
    d = doc(rid("NCT05550001", 0, page=3, source="table"), rid("NCT05550001", 40, page=5))
    (f,) = ids.duplicate_ids(d, st, REG, SEV)
    assert (f.check, f.study_id, f.trial, f.cohort, f.product) == ("duplicate_id", "s1;s2", "TERN-1;GULL-9",
                                                                  "A", "ardelimab")  # fmt: skip
    assert [(e.label, e.source, e.page) for e in f.evidence] == [
        ("TERN-1 A", "table", 3),
        ("GULL-9", "text", 5),
    ]
    assert all(e.snippet for e in f.evidence)  # where the id is printed on the study's page


def test_studies_of_one_trial_by_registry_alias_share_an_id_rightly():
    st = [Study("d1", "s1", trial="KESTREL-4", nct_id="NCT05550001"),
          Study("d1", "s2", trial="Kestrel four", nct_id="NCT05550001"),
          Study("d1", "s3", nct_id="NCT05550001")]  # fmt: skip
    assert ids.duplicate_ids(doc(), st, REG, SEV) == []


# --- registry_mismatch -------------------------------------------------------------------------------
def test_registry_nct_mismatch_names_whose_id_it_is():
    st = [Study("d1", "s1", trial="kestrel-4", nct_id="NCT04445556", sources="table", pages="table:2")]
    (f,) = ids.registry_mismatches("d1", st, REG, SEV, {})
    assert f.check == "registry_mismatch" and "nct" in f.message and "PLOVER-2" in f.message
    assert [(e.value, e.page) for e in f.evidence][1] == ("NCT01112223", 0)
    assert f.evidence[0].page == 2 and f.evidence[0].source == "table"


@pytest.mark.parametrize(
    ("nct", "mismatch"),
    [
        ("NCT01112223", False),
        ("nct01112223", False),
        ("NCT01112224", True),
        ("NCT0111222", False),
        ("", False),
    ],
)
def test_registry_nct_is_compared_only_when_well_formed(nct, mismatch):
    st = [Study("d1", "s1", trial="KESTREL-4", nct_id=nct)]
    assert bool(ids.registry_mismatches("d1", st, REG, SEV, {})) is mismatch


@pytest.mark.parametrize(
    ("trial", "phase", "mismatch"),
    [("KESTREL-4", "II", False), ("KESTREL-4", "Phase 2", False), ("KESTREL-4", "III", True),
     ("PLOVER-2", "I/II", False), ("PLOVER-2", "Ia/IIb", False), ("PLOVER-2", "II", True), ("KESTREL-4", "", False), ("KESTREL-4", "Phase 3", True),
     ("WREN-5", "III", False)],
)  # fmt: skip
def test_registry_phase_mismatch_ignores_sub_phase_letters(trial, phase, mismatch):
    st = [Study("d1", "s1", trial=trial, phase=phase, sources="table")]
    fs = ids.registry_mismatches("d1", st, REG, SEV, {"2": "II", "3": "III"})
    assert bool(fs) is mismatch
    if mismatch:
        assert "phase" in fs[0].message and fs[0].evidence[1].label == "registry"


def test_registry_phase_from_the_text_and_cohorts_of_one_trial_merge():
    st = [Study("d1", "s1", trial="KESTREL-4", cohort="A", phase_text="III", sources="text", pages="text:6"),
          Study("d1", "s2", trial="KESTREL-4", cohort="B", phase_text="III", sources="text")]  # fmt: skip
    (f,) = ids.registry_mismatches("d1", st, REG, SEV, {})
    assert f.study_id == "s1;s2" and f.cohort == "A;B" and f.message.startswith("KESTREL-4 A/B phase")
    assert (f.evidence[0].source, f.evidence[0].page) == ("text", 6)


def test_registry_finds_by_name_case_blind_else_by_nct():
    assert REG.find(Study("d", "s", trial="plover-2"))["name"] == "PLOVER-2"
    assert REG.find(Study("d", "s", nct_id="nct01112223"))["name"] == "KESTREL-4"
    assert REG.find(Study("d", "s", trial="WREN-5", nct_id="NCT01112223")) is None
    assert REG.canonical("kestrel FOUR") == "KESTREL-4" and REG.canonical("WREN-5") == "WREN-5"
    assert ids.Registry(None).find(Study("d", "s", trial="KESTREL-4")) is None


def test_duplicate_trials_are_listed_case_blind():
    d = doc(rid("NCT05550001", 0), rid("NCT05550001", 60))
    (f,) = ids.duplicate_mentions(d, Who({0: ("TERN-1", ""), 60: ("alba-3", "")}), REG, SEV)
    assert f.trial == "alba-3;TERN-1"


def test_duplicate_study_evidence_cites_the_id_printed_on_the_studys_page():
    st = [Study("d1", "s1", trial="TERN-1", nct_id="NCT05550001", sources="table", pages="table:3"),
          Study("d1", "s2", trial="GULL-9", nct_id="NCT05550001", sources="table", pages="table:3")]  # fmt: skip
    other = rid("NCT09990009", 0, page=3, source="table")
    d = doc(
        other, rid("NCT05550001", 40, page=3, source="table"), rid("NCT05550001", 80, page=3, source="table")
    )
    (f,) = ids.duplicate_ids(d, st, REG, SEV)
    assert [e.snippet for e in f.evidence] == ["sentence with NCT05550001"] * 2


def test_registry_phase_evidence_is_on_the_page_of_the_source_that_prints_it():
    st = [
        Study("d1", "s1", trial="KESTREL-4", phase_text="III", sources="table;text", pages="table:2; text:6")
    ]
    (f,) = ids.registry_mismatches("d1", st, REG, SEV, {})
    assert (f.evidence[0].source, f.evidence[0].page) == ("text", 6)


def test_registry_nct_evidence_of_a_text_study_is_on_its_text_page():
    st = [Study("d1", "s1", trial="KESTREL-4", nct_id="NCT09990009", sources="text", pages="text:5; 8")]
    (f,) = ids.registry_mismatches("d1", st, REG, SEV, {})
    assert (f.evidence[0].source, f.evidence[0].page) == ("text", 5)


def test_a_duplicate_id_names_the_cohorts_of_its_studies():
    st = [Study("d1", "s1", trial="TERN-1", cohort="A", nct_id="NCT05550001"),
          Study("d1", "s2", trial="GULL-9", cohort="B2", nct_id="NCT05550001"),
          Study("d1", "s3", trial="GULL-9", cohort="B2", nct_id="NCT05550001")]  # fmt: skip
    (f,) = ids.duplicate_ids(doc(), st, REG, SEV)
    assert (f.trial, f.cohort) == ("TERN-1;GULL-9", "A;B2")


def test_a_study_missing_from_the_registry_does_not_stop_the_next_ones_check():
    st = [Study("d1", "s0", trial="ALBA-77", nct_id="NCT05550001"),
          Study("d1", "s1", trial="KESTREL-4", nct_id="NCT09990009", sources="text", pages="text:5")]  # fmt: skip
    (f,) = ids.registry_mismatches("d1", st, REG, SEV, {})
    assert (f.doc_id, f.study_id) == ("d1", "s1")
