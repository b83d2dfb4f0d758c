"""Records on the development paper. Hand-copied parts of the development paper (Table 1 and the ide-cel section of the text) as the
model objects that ingest and tables produce, so records can be tested without the upstream stages."""

from __future__ import annotations

from pipeline.model import Block, Box, Cell, Document, Span, Table

TABLE1 = [
    ["Agent (ref)", "Trial", "Phase", "Patients", "Design", "Outcomes", "Adverse events"],
    ["Anti-BCMA CAR-T cells, Ide-Cel", "CRB-401 NCT02658929", "I-II", "R/R MM at least 3 prior lines of therapy n=62",
     "Lymphodepletion CT followed by 50, 150, 450 or 800x10^6 BCMA-CAR-T cells",
     "ORR: 75.8%\nCR: 38.7%\nmDoR: 10.3m\nmPFS: 8.8m\nmOS: 34.2m", "≥grade 3 CRS 6.5%\nneurotoxicity 1.6%"],
    ["Anti-BCMA CAR-T cells, Ide-Cel", "KarMMa-1", "II", "R/R MM triple-class refractory n=128",
     "Lymphodepletion CT followed by 50, 150, 450x10^6 BCMA-CAR-T cells",
     "ORR: 73%\nCR: 35%\nmPFS: 8.8m\nmOS: 19.4m\nmDoR: 10.7m\nMRD neg: 26%", "≥grade 3 CRS 6%\nneurotoxicity 3%"],
    ["Anti-BCMA CAR-T cells, Ide-Cel", "KarMMa-3", "III", "R/R MM triple-class refractory n=386",
     "Patients were randomi- zed to receive Ide-Cel or standard treatment",
     "Ide-Cel vs Control\nPFS: 13.3 vs 4.4m\nORR: 71 vs 42%\nCRR: 39 vs 5.5%", "≥grade 3 CRS 5%\nneurotoxicity 3%"],
    ["Anti-BCMA CAR-T cells, Ide-Cel", "KarMMa-2 Cohort 2a NCT03361748", "I", "R/R MM triple-class refractory n=37",
     "Lymphodepletion CT followed by infusion of Ide-Cel (150-450x10^6 CAR-T cells)",
     "ORR: 83.8%\nCR: 82.8%\nmPFS: 11.4m\nmOS: not reached\nmDoR: 15.7m", "≥grade 3 CRS 2.7%\nneurotoxicity 0%"],
    ["Anti-BCMA CAR-T cells, Ide-Cel", "KarMMa-2 Cohort 2c NCT03361748", "I",
     "Newly diagnosed MM patients treated with induction regimen with a partial response n= 31",
     "Lymphodepletion CT followed by infusion of Ide-Cel (150-450x10^6 CAR-T cells)",
     "ORR: 87.1, with 77.4% CR\nMRD neg: 64.3%\nmPFS: not reached\nmOS: not reached\nmRoR: not reached",
     "≥grade 3 CRS 0%\nneurotoxicity 0%"],
    ["Anti-BCMA CAR-T cells, Ide-Cel", "Real World Experience", "none", "R/R MM after 4 prior lines of therapy n= 159",
     "Lymphodepletion CT followed by infusion of Ide-Cel (150-450x10^6 CAR-T cells)",
     "ORR: 84%\nCR: 42%\nPFS: 8.5m\nOS: 12.5m", "≥grade 3 CRS 4%\nneurotoxicity 5%"],
    ["Anti-BCMA CAR-T cells, Ide-Cel", "Real World Experience", "none", "R/R MM after 4-5 prior lines of therapy n= 603",
     "Lymphodepletion CT followed by infusion of Ide-Cel (150-450x10^6 CAR-T cells)",
     "ORR: 71%\nCR: 27%\nVGPR: 53%\nAt 6 months:\nPFS: 62%\nOS: 82%", "≥grade 3 CRS 4%\nneurotoxicity 5%"],
    ["Anti-BCMA CAR-T cells, Ide-Cel", "Real World Experience", "none", "R/R MM after 4-5 prior lines of therapy n= 164",
     "Lymphodepletion CT followed by infusion of Ide-Cel (150-450x10^6 CAR-T cells)",
     "ORR: 82%\nCR: 38%\nVGPR: 23%\nPR: 24%\nmPFS: 11.6m\nOS (12m): 73%", "≥grade 3 CRS 2%\nneurotoxicity 2.5%"],
    ["Anti-BCMA CAR-T cells, Ide-Cel", "Retrospective analysis", "I-II SOC",
     "R/R MM after 4-5 prior lines of therapy n= 74\n52 high-risk\n22 standard-risk",
     "Lymphodepletion CT followed by infusion of Ide-Cel (150-450x10^6 CAR-T cells)",
     "At 6 months:\nPFS: HR (64%) SR (81%)\nOS: HR (80%) SR (90%)\nmPFS: HR(10.9m)\nSR(19.5m)\nAt 12 months:\n"
     "MRD-neg: HR(50%)\nSR(100%)", "≥grade 3 CRS 4%\nneurotoxicity 4%"],
]  # fmt: skip
TABLE1_REFS = ["5-6", "7", "8", "9", "10", "11", "12", "13", "13"]

HEADING = "Idecabtagene violence (Ide-Cel) for treatment of multiple myeloma."
PARAGRAPHS = [
    "Two main series of studies have been carried out in MM using Ide-Cel: CRB-401 study; KarMMa studies. (Table 1) "
    "The phase I CRB-401 study involved 62 R/R MM patients: the median follow-up was 18.1 months and 11 of 62 "
    "patients displayed ongoing responses, while 61% of patients displayed progressive disease. The ORR was 75.8%, "
    "with 64.5% of patients achieving a very good partial response (VGPR) or better and 38.7% achieving a CR; "
    "response rate and depth increased with higher CAR-T cell dose. With a median follow-up of 18 months, the mPFS "
    "and mOS were 88 and 34.2 months, respectively. The decrease of BCMA levels in serum correlates with response "
    "to therapy; greater CAR-T expansion was observed in peripheral and bone marrow compartments in responding "
    "patients compared to nonresponding patients.",
    "The KarMMA-1 study enrolled a total of 140 refractory MM patients: 73% of patients achieved a response (81% at "
    "the final target dose of 450x10^6 CAR-T cells), with 35% of CR and 26% of MRD negativity; the median PFS was "
    "8.8 months (12.2 months at the final target dose of 450x10^6 CAR-T cells), the median OS was 19.4 months (24.8 "
    "months at the final target dose of 450x10^6 CAR-T cells), and the median DOR was 10.7 months (21.5 months for "
    "patients achieving a CR).",
    "Based on these results, FDA approved Ide-Cel for the treatment of RR/MM patients who have received at least 4 "
    "prior lines of therapy.",
    "More recently, the phase III trial KarMMA-3 trial reported the results on 386 R/R MM patients who had received "
    "two to four regimens of previous treatments and who were refractory to the last treatment and who were randomly "
    "assigned in a 2:1 ratio to receive a treatment based either on Ide-Cel or one of five standard treatments. At a "
    "median follow-up of 18.6 months, consistent and significant differences were observed in the group of patients "
    "treated with Ide-Cel compared to standard treatment: mPFS 13.3 vs 4.4 months; ORR 71% vs 42%; CRR 39% vs 5%.",
    "KarMMA-2 is a multicohort, phase II, multicenter trial evaluating the safety and the efficacy of Ide-Cel in MM "
    "patients with clinical high-risk newly diagnosed MM patients: cohorts 2a and 2b evaluated MM patients with early "
    "relapse after frontline autologous HSCT, while cohort 2c evaluated MM patients with inadequate response after "
    "frontline autologous HSCT. 37 patients were enrolled in the cohort 2a with an ORR of 83% (46% of CR), a 12-month "
    "MRD negativity in 70% of patients, a mPFS of 11.4 months and a mOS not reached, and a median DOR of 15.7 months.",
    "In cohort 2c, 31 patients were enrolled, and with a median follow-up of 27.9 months, Ide-Cel induced deep and "
    "durable responses, with an ORR of 87%, with 74% CR, with a 24-month PFS of 83%. At a median follow-up of 39.4 "
    "months, all treated patients were alive, with 9.7% of patients having discontinued due to disease progression. "
    "The ORR was 87%, with 77% of complete responses; the mDOR, mPFS, and mOS were not reached.",
    "The Myeloma CAR T Consortium reported the real-world experience in the treatment of R/R MM patients with "
    "Ide-Cel; 159 patients were evaluated, 75% of whom were considered ineligible for participation in the KarMMa "
    "trial. Grade 3 CRS or neurotoxicity occurred in 3% and 6% of patients, respectively. ORR and CRR was 84% and "
    "42%, respectively; at a median follow-up of 6.1 months, the mPFS was 8.5 months and the mOS was 12.5 months; "
    "patients with previous BCMA-targeted therapy and with high-risk cytogenetics had a shorter PFS and OS in "
    "response to Ide-Cel.",
    "A retrospective analysis on 603 R/R MM patients infused with Ide-Cel reported an ORR of 71%, with 53 VGPR and "
    "27% of CR; 6-month PFS was 62% and OS 82%. The presence of extramedullary disease and a CAR-T cell dose "
    "<400x10^6 cells was associated with a lower CR rate. Grade 3 CRS and neurotoxicity events were observed in 3% "
    "and 4% of cases, respectively.",
    "Another real-world study confirmed these observations.",
    "Pesvolsky et al. have retrospectively analyzed 74 patients with high-risk features (HR-MM), including "
    "del(17p), t(4;14), t(14;16), 1q gain/amplification,",
    "extramedullary disease, plasma cell leukemia and R-ISS stage 3, treated in with Ide-Cel in a single cancer "
    "center. For the HR-MM, the overall response rate was 85%, with 51% achieving a CR; the 6-month PFS for the "
    "HR-MM group was 64%, compared to 81% for the standard-risk group (SR-MM); the 6-month OS was 80% for HR-MM "
    "group compared to 90% for SR-MM group. mPFS was 10.9 months for HR-MM and 19.5 months for SR-MM.",
]
RESISTANCE_HEADING = "Mechanisms of resistance and relapse in BCMA-targeted CAR-T cell therapy."
FISCHER = (
    "Fischer et al. recently reported a detailed longitudinal analysis of cellular dynamics correlating with "
    "response, resistance, and/or toxicity in 27 heavily pretreated R/R MM patients undergoing treatment with "
    "Ide-Cel (10 CR, 6 VGPR/PR, and 11PD). Evaluation of CAR-T cell dynamics post-infusion showed that the peak of "
    "CD3+ CAR-T cells was observed two weeks post-infusion."
)


def table1() -> Table:
    cells = []
    for r, row in enumerate(TABLE1):
        for c, text in enumerate(row):
            box = Box(3, 50 + 70 * c, 100 + 50 * r, 115 + 70 * c, 145 + 50 * r)
            refs = [TABLE1_REFS[r - 1]] if r and c == 0 else []
            cells.append(Cell(r, c, text, box, refs))
    return Table(
        "Table 1", "Table 1. Clinical studies in MM involving Ide-Cel.", len(TABLE1), 7, cells, 1, [3]
    )


def add_text(doc: Document, kind: str, text: str, page: int) -> None:
    """A body block with one span per word on fake lines of 80 characters (boxes are not checked)."""
    spans = []
    for i, word in enumerate(text.split(" ")):
        start = len(" ".join(text.split(" ")[:i])) + (1 if i else 0)
        line, col = divmod(start, 80)
        spans.append(
            Span(
                start,
                start + len(word),
                Box(page, 50 + 3 * col, 200 + 12 * line, 53 + 3 * col + 3 * len(word), 210 + 12 * line),
            )
        )
    doc.add_block(Block(kind, text, Box(page, 50, 200, 300, 700)), spans)


def dev_fixture(with_table: bool = True, with_text: bool = True) -> Document:
    doc = Document("mm-car-t-review-2024", "mm-car-t-review-2024.pdf")
    if with_table:
        doc.tables = [table1()]
    if with_text:
        add_text(doc, "heading", HEADING, 2)
        for p in PARAGRAPHS:
            add_text(doc, "paragraph", p, 2)
        add_text(doc, "heading", RESISTANCE_HEADING, 6)
        add_text(doc, "paragraph", FISCHER, 6)
    return doc


# ---------------------------------------------------------------- accuracy against the shared gold

TABLE_P, TABLE_R, TEXT_P, TEXT_R = 0.95, 0.95, 0.85, 0.80


def _frames(studies, outcomes):
    import dataclasses

    import pandas as pd

    return (
        pd.DataFrame([dataclasses.asdict(o) for o in outcomes]),
        pd.DataFrame([dataclasses.asdict(s) for s in studies]),
    )


def _build(doc, rules):
    from pipeline.ner import Annotator
    from pipeline.records import build

    Annotator(rules).annotate(doc)
    return build(doc, rules)


def _report(tuned_gold, studies, outcomes):
    from pipeline.records.score import score

    out, st = _frames(studies, outcomes)
    return score(tuned_gold, out, st)


def test_fixture_reaches_targets_without_upstream_stages(rules, tuned_gold):
    """Hand-copied Table 1 and ide-cel text through NER and records (no ingest, no table finder)."""
    studies, outcomes = _build(dev_fixture(), rules)
    rep = _report(tuned_gold, studies, outcomes)
    table, text = rep.by_source["table"], rep.by_source["text"]
    assert table.precision >= TABLE_P and table.recall >= TABLE_R, rep.format()
    assert text.precision >= TEXT_P and text.recall >= TEXT_R, rep.format()
    assert rep.unmatched_studies == []


def test_fixture_studies_merge_table_and_text(rules):
    studies, _ = _build(dev_fixture(), rules)
    by_id = {s.study_id: s for s in studies}
    k1 = by_id["karmma-1"]
    assert (k1.n, k1.n_table, k1.n_text, k1.sources) == (128, 128, 140, "table+text")
    assert by_id["karmma-2/2a"].nct_id == "NCT03361748"
    assert by_id["karmma-2/2a"].phase == "I" and by_id["karmma-2/2a"].phase_text == "II"
    assert by_id["crb-401"].phase == "I/II" and by_id["crb-401"].phase_text == "I"
    assert by_id["ide-cel/rwe-159"].sources == "table+text"
    assert by_id["ide-cel/rwe-164"].sources == "table"  # the text gives no numbers for it
    fischer = [s for s in studies if s.n_text == 27]
    assert len(fischer) == 1 and fischer[0].study_id == "ide-cel/fischer-27" and fischer[0].sources == "text"


def test_fixture_provenance(rules):
    _, outcomes = _build(dev_fixture(), rules)
    text = [o for o in outcomes if o.source == "text"]
    assert text and all(o.page in (2, 6) and o.bbox.count(",") == 3 and o.snippet for o in text)
    table = [o for o in outcomes if o.source == "table"]
    assert all(o.table_id == "Table 1" and o.page == 3 for o in table)
    named = next(
        o for o in text if o.metric == "ORR" and o.value == 75.8
    )  # "The ORR was 75.8%" after CRB-401
    cohort = next(o for o in text if o.metric == "N" and o.value == 31)  # "In cohort 2c, 31 patients"
    assert named.confidence < 0.95 and cohort.confidence > named.confidence


def test_dev_paper_table_records(dev_result, tuned_gold):
    rep = _report(tuned_gold, dev_result.studies, dev_result.outcomes)
    c = rep.by_source.get("table")
    assert c is not None and c.precision >= TABLE_P and c.recall >= TABLE_R, rep.format()


def test_dev_paper_text_records(dev_result, tuned_gold):
    rep = _report(tuned_gold, dev_result.studies, dev_result.outcomes)
    c = rep.by_source.get("text")
    assert c is not None and c.precision >= TEXT_P and c.recall >= TEXT_R, rep.format()
