"""`code_variant` (pipeline/quality/codes.py): name-shaped tokens NER does not read as names —
codes, antigens named as targets, INN-shaped words, metric abbreviations — found against the paper's
other spellings and rules/. Invented names and numbers only."""

from __future__ import annotations

from dataclasses import replace

from pipeline.model import Outcome, Study
from pipeline.quality import Checker
from pipeline.rules import Rules
from tests.quality_docs import add_table, text_doc


def _variants(rules: Rules, doc, studies=(), outcomes=(), targets=(), **conf) -> dict:
    data = dict(rules.data)
    checks = {k: v for k, v in data["checks"]["checks"].items() if k != "value_out_of_range"}
    checks["code_variant"] = {**checks["code_variant"], **conf}
    data["checks"] = {**data["checks"], "checks": checks}
    if targets:
        data["targets"] = {**data["targets"], "targets": [*data["targets"]["targets"], *targets]}
    found = Checker(replace(rules, data=data)).check(doc, list(studies), list(outcomes))
    return {f.evidence[0].value: f for f in found if f.check == "name_variant"}


def test_a_code_with_a_letter_dropped_beside_the_papers_usual_code(rules):
    doc = text_doc([
        "QRX4471 was given to 64 patients. After QRX-4471, 41 responded. QRX4471 was safe.",
        "Survival was longer after ASCT+QX4471 in one series. QRX4472 and QRY4471 are other products.",
    ])  # fmt: skip
    got = _variants(rules, doc)
    assert set(got) == {"QX4471"}  # a changed digit or letter may be another product: quiet
    f = got["QX4471"]
    assert "QRX" in f.message and f.severity == "warning"
    assert [e.label for e in f.evidence][:2] == ["printed text", "elsewhere text"]
    assert f.evidence[0].page == 4 and "ASCT+QX4471" in f.evidence[0].snippet


def test_an_antigen_named_as_a_target_near_a_known_one(rules):
    doc = text_doc(["Investigators developed anti-KLXR9 CAR-T cells and gave them to 12 patients."])
    add_table(doc, "Table 3", [
        ["Product", "Design", "Dose"],
        ["Anti-CD22 CAR-T", "phase I", "1x10^6 CD2-CAR-T cells/kg"],
        ["Anti-BCMA CAR-T", "phase I", "2x10^6 CD5-CAR-T cells/kg"],
        ["Anti-CD20 CAR-T", "phase I", "anti-CD20 and anti-CD22 CAR-T"],
    ])  # fmt: skip
    got = _variants(rules, doc, targets=[{"canonical": "KLRX9"}])
    # CD5 names no near antigen of its row; CD20 and CD22 are two known antigens
    assert set(got) == {"KLXR9", "CD2"}
    assert "KLRX9" in got["KLXR9"].message and got["KLXR9"].evidence[0].source == "text"
    assert "CD22" in got["CD2"].message and got["CD2"].evidence[0].source == "table"


def test_an_inn_shaped_word_with_letters_swapped_across_a_syllable(rules):
    doc = text_doc([
        "The secretase inhibitor Zorvacagestat was given before the infusion to 14 patients.",
        "Zorvagacestat is an oral agent. Conditioning used bendamustine in every patient.",
    ])  # fmt: skip
    got = _variants(rules, doc, known_inns=["zorvagacestat", "bendamustine"])
    assert set(got) == {"Zorvacagestat"}
    assert got["Zorvacagestat"].product == "zorvagacestat"


def test_a_metric_abbreviation_misprinted_in_a_list_names_the_sentences_study(rules):
    sent = "In the KESTREL-4 study, ORR was 91%, with 24-month PFS, ODS, and DoR not reached."
    doc = text_doc([
        sent,
        "In HARRIER-2, PFS, OS, and CRS were reported; CRS was mild and CRS resolved.",
        "Overall disease stability (ODX) was high; PFS, ODX and OS were long.",
    ])  # fmt: skip
    study = Study("d", "kestrel-4", trial="KESTREL-4", product="valbo-cel")
    out = Outcome("d", "kestrel-4", "ORR", 91, "%", "text", trial="KESTREL-4", page=4, snippet=sent)
    got = _variants(rules, doc, [study], [out])
    assert set(got) == {"ODS"}  # CRS is printed three times, ODX is defined
    f = got["ODS"]
    assert f.trial == "KESTREL-4" and f.product == "valbo-cel" and '"OS"' in f.message


def test_only_the_candidate_words_have_their_places_worked_out(rules, monkeypatch):
    """A hit's place (boxes, snippet) costs a look-up: the INN and antigen passes ask for it only for
    the rare words that pass the other tests, not for every long word a paper prints."""
    from pipeline.quality import codes

    asked: list[str] = []
    place = codes._place
    monkeypatch.setattr(codes, "_place", lambda h: asked.append(h.token) or place(h))
    often = "Conditioning used bendamustine and fludarabine before the anti-KLRX9 CAR-T cells."
    doc = text_doc([
        "The secretase inhibitor Zorvacagestat was given before the infusion to 14 patients.",
        "Zorvagacestat is an oral agent.", *[often] * 30,
    ])  # fmt: skip
    got = _variants(
        rules, doc, known_inns=["zorvagacestat", "bendamustine"], targets=[{"canonical": "KLRX9"}]
    )
    assert set(got) == {"Zorvacagestat"}
    assert set(asked) == {"Zorvacagestat"}
