"""Studies a document reports on (records/studies.py and NER's document pass together): trials found
by their role with rules that do not list them, author-year studies, pooled estimates, a primary
trial report, the document-level study. Every name and number is invented."""

from __future__ import annotations

import shutil

import pytest

from pipeline.model import Block, Box, Cell, Document, Span, Table
from pipeline.records.studies import is_name
from pipeline.rules import DEFAULT_DIR, load
from tests.records_helpers import AnnotatedBuilder


@pytest.fixture(scope="module")
def bare(tmp_path_factory):
    """Rules without any product or trial name."""
    root = tmp_path_factory.mktemp("rules")
    for path in DEFAULT_DIR.iterdir():
        if path.is_file():
            shutil.copy(path, root / path.name)
    (root / "products.yml").write_text("products: []\n")
    (root / "registry.yml").write_text("trials: []\n")
    (root / "trials.yml").write_text("trials: []\n")
    return AnnotatedBuilder(load(root))


def doc_of(*blocks: tuple[str, str], tables: list[Table] | None = None) -> Document:
    doc = Document("d", "d.pdf")
    for i, (kind, text) in enumerate(blocks):
        spans, pos = [], 0
        for word in text.split(" "):
            box = Box(1, 60 + pos % 300, 100 + 20 * i, 64 + pos % 300 + len(word), 110 + 20 * i)
            spans.append(Span(pos, pos + len(word), box))
            pos += len(word) + 1
        doc.add_block(Block(kind, text, Box(1, 50, 90 + 20 * i, 300, 115 + 20 * i)), spans)
    doc.tables = tables or []
    return doc


def test_trials_named_by_context_become_studies_without_a_rule_entry(bare):
    studies, outcomes = bare.build(
        doc_of(
            ("heading", "3.1. Valbotamab after chemotherapy: OSPREY"),
            ("paragraph", "OSPREY (NCT09876543) was a phase III trial of valbotamab in 173 patients."),
            ("paragraph", "In OSPREY, the ORR was 38.5% and the median PFS was 7.4 months."),
            (
                "paragraph",
                "In the randomised phase 3 HARRIER-Lung07 trial, 212 patients had an ORR of 41.2%.",
            ),
            ("paragraph", "HARRIER-Lung07 will report survival later."),
        )
    )
    by_id = {s.study_id: s for s in studies}
    assert set(by_id) == {"osprey", "harrier-lung07"}
    assert by_id["osprey"].nct_id == "NCT09876543" and by_id["osprey"].n == 173
    got = {(o.study_id, o.metric, o.value) for o in outcomes if o.metric != "N"}
    assert got == {("osprey", "ORR", 38.5), ("osprey", "PFS_MEDIAN", 7.4), ("harrier-lung07", "ORR", 41.2)}


def test_author_named_study_takes_the_printed_year_and_its_product(bare):
    table = Table("Table 1", "Included studies", n_rows=2, n_cols=2, pages=[2])
    table.cells = [
        Cell(0, 0, "Study", Box(2, 10, 10, 90, 20)),
        Cell(0, 1, "Country", Box(2, 90, 10, 150, 20)),
        Cell(1, 0, "Quenby 2017 [4]", Box(2, 10, 20, 90, 30)),
        Cell(1, 1, "Norway", Box(2, 90, 20, 150, 30)),
    ]
    studies, outcomes = bare.build(
        doc_of(
            ("paragraph", "Quenby et al.[4] treated 23 adults with XQ7 and reported a CR rate of 61%."),
            tables=[table],
        )
    )
    assert [(s.study_id, s.trial, s.product, s.n) for s in studies] == [("quenby-2017", "", "XQ7", 23)]
    assert {(o.metric, o.value) for o in outcomes} == {("N", 23.0), ("CR", 61.0)}


def test_pooled_table_rows_are_pooled_studies_with_their_population(bare):
    table = Table("Table 3", "Pooled response rates by subgroup (random-effects model).", 3, 3, pages=[4])
    table.cells = [
        Cell(0, 0, "Subgroup", Box(4, 10, 10, 90, 20)),
        Cell(0, 1, "Patients, n", Box(4, 90, 10, 150, 20)),
        Cell(0, 2, "ORR, %", Box(4, 150, 10, 200, 20)),
        Cell(1, 0, "Older adults", Box(4, 10, 20, 90, 30)),
        Cell(1, 1, "417", Box(4, 90, 20, 150, 30)),
        Cell(1, 2, "63", Box(4, 150, 20, 200, 30)),
        Cell(2, 0, "Children", Box(4, 10, 30, 90, 40)),
        Cell(2, 1, "129", Box(4, 90, 30, 150, 40)),
        Cell(2, 2, "81", Box(4, 150, 30, 200, 40)),
    ]
    studies, outcomes = bare.build(doc_of(("paragraph", "Results are in Table 3."), tables=[table]))
    assert sorted((s.study_id, s.trial, s.product) for s in studies) == [
        ("pooled/children", "", ""),
        ("pooled/older-adults", "", ""),
    ]
    orr = {(o.study_id, o.subgroup, o.value) for o in outcomes if o.metric == "ORR"}
    assert orr == {("pooled/older-adults", "Older adults", 63.0), ("pooled/children", "Children", 81.0)}


def test_primary_report_is_one_study_of_its_title_trial(bare):
    studies, outcomes = bare.build(
        doc_of(
            (
                "title",
                "Valbotamab plus Chemotherapy in Advanced Disease (KINGLET): a Randomised Phase 3 Trial",
            ),
            ("paragraph", "KINGLET was a randomised, open-label, phase 3 trial."),
            ("paragraph", "A total of 488 patients received valbotamab or chemotherapy; the ORR was 44.1%."),
            ("paragraph", "Among 240 patients treated with valbotamab, the median OS was 19.2 months."),
        )
    )
    assert [s.study_id for s in studies] == ["kinglet"]
    assert {(o.metric, o.value) for o in outcomes if o.metric != "N"} == {("ORR", 44.1), ("OS_MEDIAN", 19.2)}


def test_paper_without_a_recognisable_study_keeps_its_numbers_under_the_document(bare):
    studies, outcomes = bare.build(
        doc_of(
            (
                "paragraph",
                "Women were allocated to the exercise group (n=301) or the usual care group (n=305).",
            ),
            ("paragraph", "The median follow-up was 14.5 months and the ORR was 12.5%."),
        )
    )
    assert [(s.study_id, s.trial, s.product, s.n) for s in studies] == [("document", "", "", None)]
    assert studies[0].design == "the paper itself: no study recognised"
    assert {(o.study_id, o.metric, o.value) for o in outcomes} >= {
        ("document", "FOLLOWUP_MEDIAN", 14.5),
        ("document", "ORR", 12.5),
    }


def test_document_study_is_dropped_when_the_paper_has_studies(bare):
    studies, _ = bare.build(
        doc_of(
            ("paragraph", "The follow-up was 14.5 months."),
            ("paragraph", "OSPREY (NCT09876543) enrolled 173 patients; the ORR was 38.5%."),
        )
    )
    assert [s.study_id for s in studies] == ["osprey"]


def test_a_cell_that_is_no_name_is_no_trial():
    assert is_name("PELICAN-2") and is_name("QX40211") and is_name("TALON NHL-3")
    assert not is_name("— —") and not is_name("First-in-human study") and not is_name("Retrospective")


def _two_tables() -> list[Table]:
    """An included-studies table with the product and an efficacy table without it, author-year
    rows, one author-year printed twice in both (two reports of one group, n 23 and 31)."""
    t1 = Table("Table 1", "Characteristics of included studies", n_rows=4, n_cols=4, pages=[2])
    t1.cells = [
        Cell(0, 0, "Study", Box(2, 10, 10, 90, 20)),
        Cell(0, 1, "n", Box(2, 90, 10, 120, 20)),
        Cell(0, 2, "Product", Box(2, 120, 10, 200, 20)),
        Cell(0, 3, "ORR, %", Box(2, 200, 10, 240, 20)),
        Cell(1, 0, "Quenby 2017", Box(2, 10, 20, 90, 30)),
        Cell(1, 1, "23", Box(2, 90, 20, 120, 30)),
        Cell(1, 2, "XQ7", Box(2, 120, 20, 200, 30)),
        Cell(1, 3, "61", Box(2, 200, 20, 240, 30)),
        Cell(2, 0, "Quenby 2017", Box(2, 10, 30, 90, 40)),
        Cell(2, 1, "31", Box(2, 90, 30, 120, 40)),
        Cell(2, 2, "XQ7", Box(2, 120, 30, 200, 40)),
        Cell(2, 3, "58", Box(2, 200, 30, 240, 40)),
        Cell(3, 0, "Laidlow 2019", Box(2, 10, 40, 90, 50)),
        Cell(3, 1, "44", Box(2, 90, 40, 120, 50)),
        Cell(3, 2, "XQ9", Box(2, 120, 40, 200, 50)),
        Cell(3, 3, "47", Box(2, 200, 40, 240, 50)),
    ]
    t2 = Table("Table 2", "Efficacy outcomes", n_rows=3, n_cols=3, pages=[3])
    t2.cells = [
        Cell(0, 0, "Study", Box(3, 10, 10, 90, 20)),
        Cell(0, 1, "n", Box(3, 90, 10, 120, 20)),
        Cell(0, 2, "CR, %", Box(3, 120, 10, 200, 20)),
        Cell(1, 0, "Laidlow 2019", Box(3, 10, 20, 90, 30)),
        Cell(1, 1, "44", Box(3, 90, 20, 120, 30)),
        Cell(1, 2, "36", Box(3, 120, 20, 200, 30)),
        Cell(2, 0, "Quenby 2017", Box(3, 10, 30, 90, 40)),
        Cell(2, 1, "23", Box(3, 90, 30, 120, 40)),
        Cell(2, 2, "52", Box(3, 120, 30, 200, 40)),
    ]
    return [t1, t2]


def test_author_year_rows_of_two_tables_are_one_study_with_the_product(bare):
    studies, outcomes = bare.build(doc_of(("paragraph", "Two tables follow."), tables=_two_tables()))
    got = sorted((s.product, s.n) for s in studies)
    assert got == [("XQ7", 23), ("XQ7", 31), ("XQ9", 44)]
    cr = {(o.product, o.n, o.value) for o in outcomes if o.metric == "CR"}
    assert cr == {("XQ9", 44, 36.0), ("XQ7", 23, 52.0)}
    assert {s.study_id.split("/")[0] for s in studies} == {"quenby-2017", "laidlow-2019"}


def test_a_column_known_only_by_its_count_is_the_study_with_that_count(bare):
    safety = Table("Table 4", "Adverse events", n_rows=3, n_cols=3, pages=[5])
    safety.cells = [
        Cell(0, 0, "Patients treated, n", Box(5, 10, 10, 90, 20)),
        Cell(0, 1, "173", Box(5, 90, 10, 150, 20)),
        Cell(0, 2, "88", Box(5, 150, 10, 210, 20)),
        Cell(1, 0, "ORR, %", Box(5, 10, 20, 90, 30)),
        Cell(1, 1, "38", Box(5, 90, 20, 150, 30)),
        Cell(1, 2, "44", Box(5, 150, 20, 210, 30)),
        Cell(2, 0, "Grade ≥3 CRS, %", Box(5, 10, 30, 90, 40)),
        Cell(2, 1, "4.1", Box(5, 90, 30, 150, 40)),
        Cell(2, 2, "2.2", Box(5, 150, 30, 210, 40)),
    ]
    studies, outcomes = bare.build(
        doc_of(
            ("paragraph", "OSPREY (NCT09876543) enrolled 173 patients and was a phase II trial."),
            ("paragraph", "MERLIN (NCT09876542) enrolled 88 patients and was a phase II trial."),
            tables=[safety],
        )
    )
    assert sorted(s.study_id for s in studies) == ["merlin", "osprey"]
    crs = {(o.study_id, o.value) for o in outcomes if o.metric == "CRS_G3"}
    assert crs == {("osprey", 4.1), ("merlin", 2.2)}


def test_a_printed_trial_cell_with_a_glued_mark_is_the_documents_trial(rules):
    from pipeline.model import Mention
    from pipeline.records.cues import compile_cues
    from pipeline.records.drafts import StudyDraft
    from pipeline.records.studies import settle

    doc = Document("d", "d.pdf", mentions=[Mention("TRIAL", "PELICAN", "PELICAN", 0, 7)])
    drafts = [StudyDraft("table", trial="PELICANb", n=91), StudyDraft("table", trial="KITE12", n=40)]
    settled = settle(doc, drafts, compile_cues(rules))
    assert [(d.trial, d.n) for d in settled] == [("PELICAN", 91), ("KITE12", 40)]


def test_a_text_study_joining_a_table_row_of_another_count_keeps_its_own_count_on_its_rows(rules):
    """Text "41 patients", table row n = 43, same ORR and CR: one study of n 43 (the table's), whose
    text rows still carry the 41 the text printed (a curator matches them against the sentence)."""
    from pipeline.model import Outcome
    from pipeline.records.assemble import merge
    from pipeline.records.cues import compile_cues
    from pipeline.records.drafts import StudyDraft
    from pipeline.records.studies import settle

    def rows(source: str) -> list[Outcome]:
        return [
            Outcome("", "", metric=m, value=v, unit="%", source=source)
            for m, v in (("ORR", 88.0), ("CR", 61.0))
        ]

    text = StudyDraft("text", product="cd7+cd5-car-t", n=41, outcomes=rows("text"))
    table = StudyDraft("table", product="cd7+cd5-car-t", n=43, outcomes=rows("table"))
    doc = Document("d", "d.pdf")
    studies, outcomes = merge("d", settle(doc, [table, text], compile_cues(rules)))
    assert [(s.n, s.n_table) for s in studies] == [(43, 43)]
    assert sorted((o.source, o.n) for o in outcomes) == [
        ("table", 43),
        ("table", 43),
        ("text", 41),
        ("text", 41),
    ]
