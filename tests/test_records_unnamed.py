"""Studies without a product name or introduced mid-paragraph (records/unnamed.py, from_text.py,
studies.py): antigens + modality labels, introducing phrases, a product named only by its code, a
text product that a table prints as a trial. Every name and number is invented; the antigens are
public symbols."""

from __future__ import annotations

import shutil

import pytest

from pipeline.model import Box, Cell, Table
from pipeline.rules import DEFAULT_DIR, load
from tests.records_helpers import AnnotatedBuilder
from tests.test_records_studies import bare, doc_of  # noqa: F401  (fixture)


def _studies(builder, *blocks, tables=None):
    studies, outcomes = builder.build(doc_of(*blocks, tables=tables))
    values = {(o.product, o.n, o.metric, o.value) for o in outcomes if o.metric != "N"}
    return sorted((s.product, s.n) for s in studies), values


def test_an_unnamed_product_is_labelled_by_its_antigens_and_modality(bare):  # noqa: F811
    got, values = _studies(
        bare,
        ("paragraph", "Relapse after cell therapy is frequent. A recent study analysed the outcomes of 58 "
                      "patients relapsing after CD22-directed CAR-T cell therapy; the ORR was 41.4%."),
        ("paragraph", "Okoro et al. reported 23 patients treated with humanized anti-CD20 and anti-CD22 "
                      "CAR-T cells; the ORR was 78.3%."),
        # the same combination printed the other way round keeps the paper's first order
        ("paragraph", "Ibekwe et al. gave anti-CD22 and anti-CD20 CAR-T cells to 31 patients; the CR "
                      "rate was 35.5%."),
    )  # fmt: skip
    assert got == [("cd20+cd22-car-t", 23), ("cd20+cd22-car-t", 31), ("cd22-car-t", 58)]
    assert values == {
        ("cd22-car-t", 58, "ORR", 41.4),
        ("cd20+cd22-car-t", 23, "ORR", 78.3),
        ("cd20+cd22-car-t", 31, "CR", 35.5),
    }


def test_an_antigen_label_replaces_a_product_carried_from_another_paragraph(rules):
    builder = AnnotatedBuilder(rules)
    product = next(p["canonical"] for p in rules["products"]["products"] if p.get("target"))
    got, _ = _studies(
        builder,
        ("paragraph", f"Duarte et al. treated 40 patients with {product}; the ORR was 70%."),
        ("paragraph", "Ngata et al. evaluated 33 patients treated with anti-CD22 CAR-T cells; the ORR "
                      "was 91%."),
    )  # fmt: skip
    assert ("cd22-car-t", 33) in got and (product, 33) not in got


def test_a_study_introduced_past_the_first_sentence_of_its_paragraph(bare):  # noqa: F811
    got, values = _studies(
        bare,
        ("paragraph", "Faleolo et al. have evaluated the safety of QX4417 CAR-T cells made in two days. "
                      "A phase I study evaluated 15 patients. The ORR was 80%. An updated report of this "
                      "study showed the results of the first 46 enrolled patients; the ORR was 91.3%."),
        ("paragraph", "Tupou and coworkers described a clinical trial of a CD20-directed construct. In "
                      "this phase I study, 12 patients received RB-88 CAR-T cells; the ORR was 75%."),
    )  # fmt: skip
    assert got == [("QX4417", 15), ("QX4417", 46), ("RB-88", 12)]
    assert {("QX4417", 15, "ORR", 80.0), ("QX4417", 46, "ORR", 91.3), ("RB-88", 12, "ORR", 75.0)} <= values


def test_a_report_on_a_named_trial_stays_the_trials(bare):  # noqa: F811
    studies, outcomes = bare.build(
        doc_of(
            (
                "paragraph",
                "OSPREY (NCT09876543) was a phase Ib/II trial of QX4417 CAR-T cells. A first "
                "report on these studies evaluated 97 patients; the ORR was 97.9%.",
            ),
        )  # fmt: skip
    )
    assert [(s.study_id, s.n) for s in studies] == [("osprey", 97)]
    assert {(o.study_id, o.metric, o.value) for o in outcomes} == {
        ("osprey", "N", 97),
        ("osprey", "ORR", 97.9),
    }


@pytest.fixture(scope="module")
def coded(tmp_path_factory):
    """Rules whose one product has an INN, a short name and a development code."""
    root = tmp_path_factory.mktemp("rules")
    for path in DEFAULT_DIR.iterdir():
        if path.is_file():
            shutil.copy(path, root / path.name)
    (root / "products.yml").write_text(
        "products:\n  - canonical: zelo-cel\n    inn: zelocabtagene autoleucel\n    target: CD22\n"
        "    codes: [ZX-2231]\n"
    )
    return AnnotatedBuilder(load(root))


def test_a_product_named_only_by_its_code_is_reported_by_the_code(coded):
    only_code, _ = _studies(
        coded, ("paragraph", "Moana et al. treated 14 patients with ZX-2231; the ORR was 86%.")
    )
    assert only_code == [("ZX-2231", 14)]
    both, _ = _studies(
        coded,
        ("paragraph", "Moana et al. treated 14 patients with ZX-2231 (zelocabtagene autoleucel); the ORR "
                      "was 86%."),
    )  # fmt: skip
    assert both == [("zelo-cel", 14)]


def _agents_table() -> Table:
    t = Table("Table 3", "Clinical studies of CAR-T cells", n_rows=3, n_cols=4, pages=[4])
    cells = [
        ("Agent", "Trial", "Patients", "ORR, %"),
        ("Anti-CD20 CAR-T and anti-CD22 CAR-T", "ChiCTR-OIC-19054321", "27", "85"),
        ("Anti-CD22 CAR-T cells", "XR12 NCT09871234", "10", "60"),
    ]
    t.cells = [
        Cell(r, c, text, Box(4, 10 + 80 * c, 10 + 10 * r, 90 + 80 * c, 20 + 10 * r))
        for r, row in enumerate(cells)
        for c, text in enumerate(row)
    ]
    return t


def test_table_rows_without_a_product_and_a_text_product_printed_as_a_table_trial(bare):  # noqa: F811
    studies, outcomes = bare.build(
        doc_of(
            ("paragraph", "Afa et al. evaluated XR-12 CAR-T cells in 10 patients; the CR rate was 40%."),
            tables=[_agents_table()],
        )
    )
    got = sorted((s.trial, s.product, s.n) for s in studies)
    assert got == [("", "cd20+cd22-car-t", 27), ("XR12", "cd22-car-t", 10)]  # the table row's product
    xr = {(o.source, o.metric, o.value) for o in outcomes if o.trial == "XR12" and o.metric != "N"}
    assert xr == {("table", "ORR", 60.0), ("text", "CR", 40.0)}


def test_a_paragraph_opening_on_a_bare_count_goes_on_with_the_previous_study(rules):
    builder = AnnotatedBuilder(rules)
    product = next(p["canonical"] for p in rules["products"]["products"] if p.get("target"))
    studies, outcomes = builder.build(
        doc_of(
            ("paragraph", f"Vaipulu et al. treated 64 patients with {product}; the ORR was 59.4%."),
            ("paragraph", "Among 17 patients with bulky disease, the ORR was 41.2%."),
            # more patients than that study had: not its part
            ("paragraph", "Pooling registries, 640 patients had an ORR of 50.5%."),
        )
    )
    assert [(s.product, s.n) for s in studies][:1] == [(product, 64)]
    orr = {(o.n, o.subgroup != "", o.value) for o in outcomes if o.metric == "ORR" and o.n == 64}
    assert orr == {(64, False, 59.4), (64, True, 41.2)}
    assert not any(o.value == 50.5 and o.n == 64 for o in outcomes)


def test_a_design_introduced_cohort_is_not_the_trial_it_compares_with(bare):  # noqa: F811
    studies, outcomes = bare.build(
        doc_of(
            (
                "paragraph",
                "OSPREY (NCT09876543) was a phase II trial of QX4417 CAR-T cells in 173 patients; "
                "the ORR was 38.7%. A retrospective cohort included 88 patients who received "
                "QX4417 CAR-T cells outside trials, many of whom would not have been eligible for "
                "OSPREY. In this cohort the ORR was 44.3%.",
            ),
        )  # fmt: skip
    )
    got = {(s.trial, s.n) for s in studies}
    assert got == {("OSPREY", 173), ("", 88)}
    orr = {(o.trial, o.n, o.value) for o in outcomes if o.metric == "ORR"}
    assert orr == {("OSPREY", 173, 38.7), ("", 88, 44.3)}


def test_a_cohort_named_after_the_paragraph_topic_keeps_the_next_values(bare):  # noqa: F811
    _, outcomes = bare.build(
        doc_of(
            (
                "paragraph",
                "QX4417 was developed in the phase I/II KX40021 study (NCT09876541). In the FL "
                "cohort of KX40021, 71 patients received QX4417. The ORR was 77.5%.",
            ),
        )  # fmt: skip
    )
    assert {(o.trial, o.cohort, o.value) for o in outcomes if o.metric == "ORR"} == {("KX40021", "FL", 77.5)}


def test_a_registry_id_printed_where_the_sentence_refers_back_is_the_studys(bare):  # noqa: F811
    studies, _ = bare.build(
        doc_of(
            (
                "paragraph",
                "Tavita et al. gave CD22-directed CAR-T cells to 18 patients. In this phase I "
                "study (NCT 09876512) the cells were fully human. The ORR was 83.3%.",
            ),
        )  # fmt: skip
    )
    assert [(s.product, s.n, s.nct_id) for s in studies] == [("cd22-car-t", 18, "NCT09876512")]


def test_a_paragraph_referring_back_to_this_study_opens_no_study(rules):
    builder = AnnotatedBuilder(rules)
    product = next(p["canonical"] for p in rules["products"]["products"] if p.get("target"))
    studies, _ = builder.build(
        doc_of(
            ("paragraph", f"Vaipulu et al. treated 64 patients with {product}; the ORR was 59.4%."),
            ("paragraph", "Importantly, in this study, a gene loss was seen in 37 of 168 patients screened."),
        )
    )
    assert [(s.product, s.n) for s in studies] == [(product, 64)]


def test_a_text_study_and_a_table_row_with_two_counts_but_the_same_values_are_one_study(bare):  # noqa: F811
    table = Table("Table 2", "Clinical studies of CAR-T cells", n_rows=2, n_cols=5, pages=[4])
    cells = [("Agent", "Patients", "ORR, %", "CR, %", "CRS grade ≥3, %"),
             ("Anti-CD20 CAR-T and anti-CD22 CAR-T", "24", "87", "29", "8")]  # fmt: skip
    table.cells = [
        Cell(r, c, text, Box(4, 10 + 80 * c, 10 + 10 * r, 90 + 80 * c, 20 + 10 * r))
        for r, row in enumerate(cells)
        for c, text in enumerate(row)
    ]
    studies, outcomes = bare.build(
        doc_of(
            (
                "paragraph",
                "Leota et al. treated 23 patients with anti-CD20 and anti-CD22 CAR-T cells; the ORR "
                "was 87% and the CR rate 29%.",
            ),
            tables=[table],
        )  # fmt: skip
    )
    assert [(s.product, s.n_table) for s in studies] == [("cd20+cd22-car-t", 24)]
    n_rows = sorted((o.source, o.value) for o in outcomes if o.metric == "N")
    assert n_rows == [("table", 24.0), ("text", 23.0)]


def test_a_bispecific_construct_printed_as_one_word_keeps_its_printed_name(bare):  # noqa: F811
    got, values = _studies(
        bare,
        ("paragraph", "Halvorsen et al. reported the bispecific CD319-CD38 autologous CAR-T cells in 17 "
                      "patients; the ORR was 64.7%."),
        ("paragraph", "Mbeki et al. gave anti-CD38 and anti-CD22 CAR-T cells to 29 patients; the CR rate "
                      "was 41.4%."),
    )  # fmt: skip
    # the alias the paper prints stays in the name (not the canonical symbol SLAMF7)
    assert got == [("cd319-cd38", 17), ("cd38+cd22-car-t", 29)]
    assert ("cd319-cd38", 17, "ORR", 64.7) in values
