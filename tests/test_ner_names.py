"""Names: vocabulary, reported near misses, generic shapes, registry ids, tokenizer, sentences, tables."""

from __future__ import annotations

import shutil

import pytest
import yaml

from pipeline.model import Block, Box, Cell, Document, Span, Table
from pipeline.ner import Annotator, RulesError
from pipeline.rules import DEFAULT_DIR, load


@pytest.fixture(scope="module")
def ann(rules):
    return Annotator(rules)


@pytest.fixture(scope="module")
def bare(tmp_path_factory):
    """Rules that list no product, target or trial: only the generic shapes can find names."""
    root = tmp_path_factory.mktemp("rules")
    for name in ("ner.yml", "patterns.jsonl", "metrics.yml"):
        shutil.copy(DEFAULT_DIR / name, root / name)
    (root / "products.yml").write_text("products: []\n")
    (root / "registry.yml").write_text("trials: []\n")
    return Annotator(load(root))


def labelled(ann, text, label=None):
    return [
        (h.label, text[h.start : h.end], h.canonical)
        for h in ann.find(text)
        if label is None or h.label == label
    ]


def test_tokenizer_keeps_names_whole_and_splits_n(ann):
    words = [t.text for t in ann.nlp("CAR-T Ide-Cel NCT03361748 450x10^6 4-1BB KarMMa-3 n=62 anti-BCMA")]
    assert words == [
        "CAR-T",
        "Ide-Cel",
        "NCT03361748",
        "450x10^6",
        "4-1BB",
        "KarMMa-3",
        "n",
        "=",
        "62",
        "anti-",
        "BCMA",
    ]


def test_sentences_survive_abbreviations_decimals_and_citations(ann):
    text = (
        "Pesvolsky et al. have analyzed 74 patients vs. 52 controls, e.g. high-risk ones. "
        "The ORR was 75.8%.5-6 With a median follow-up of 18 months, the mPFS was 8.8 months."
    )
    sents = [s.text for s in ann.nlp(text).sents]
    assert sents == [
        "Pesvolsky et al. have analyzed 74 patients vs. 52 controls, e.g. high-risk ones.",
        "The ORR was 75.8%.5-6",
        "With a median follow-up of 18 months, the mPFS was 8.8 months.",
    ]


def test_vocabulary_names(ann):
    text = "Abecma (idecabtagene vicleucel, bb2121) and Carvykti in the CARTITUDE-4 trial targeting BCMA"
    assert labelled(ann, text) == [
        ("PRODUCT", "Abecma", "ide-cel"),
        ("PRODUCT", "idecabtagene vicleucel", "ide-cel"),
        ("PRODUCT", "bb2121", "ide-cel"),
        ("PRODUCT", "Carvykti", "cilta-cel"),
        ("TRIAL", "CARTITUDE-4", "CARTITUDE-4"),
        ("TARGET", "BCMA", "BCMA"),
    ]


def test_product_carries_its_target(ann):
    (hit,) = [h for h in ann.find("treated with cilta-cel") if h.label == "PRODUCT"]
    assert hit.attrs == {"target": "BCMA", "generic": False}


@pytest.mark.parametrize(
    ("text", "label", "canonical", "raw"),
    [
        ("Idecabtagene violence (Ide-Cel) for treatment", "PRODUCT", "ide-cel", "Idecabtagene violence"),
        ("outcomes for Cita-Cel in", "PRODUCT", "cilta-cel", "Cita-Cel"),
        ("treated with Celta-Cel after", "PRODUCT", "cilta-cel", "Celta-Cel"),
        ("undergoing Ide-Cell CAR-T cell therapy", "PRODUCT", "ide-cel", "Ide-Cell"),
        ("in the CERTITUDE-1 trial", "TRIAL", "CARTITUDE-1", "CERTITUDE-1"),
        ("The KarMMA-1 study enrolled", "TRIAL", "KarMMa-1", "KarMMA-1"),
        ("efficacy of BMCA CAR-T cell therapy", "TARGET", "BCMA", "BMCA"),
        ("such as GPRCD5, may", "TARGET", "GPRC5D", "GPRCD5"),
        ("mRoR: not reached", "METRIC", "DOR_MEDIAN", "mRoR"),
    ],
)
def test_near_misses_are_normalised_and_reported(ann, text, label, canonical, raw):
    hits = [h for h in ann.find(text) if h.attrs.get("variant")]
    assert [(h.label, h.canonical, h.attrs["raw"], text[h.start : h.end]) for h in hits] == [
        (label, canonical, raw, raw)
    ]
    assert 0 < hits[0].attrs["score"] < 100


def test_no_false_variants_on_ordinary_words(ann):
    text = (
        "Cells were counted; violence, certitude and control-cell ratios. KarMMa-2 is not KarMMa-3. "
        "CD28 and 4-1BB domains; soluble BCMA (sBCMA) and tACE levels; the MDR gene."
    )
    hits = ann.find(text)
    assert [h for h in hits if h.attrs.get("variant")] == []
    assert [h.canonical for h in hits if h.label == "TRIAL"] == ["KarMMa-2", "KarMMa-3"]  # found, as printed


def test_line_break_hyphen_is_not_a_variant(ann):
    (hit,) = [h for h in ann.find("ineligible for the Kar-MMa trial") if h.label == "TRIAL"]
    assert (hit.canonical, hit.attrs.get("variant", False), hit.attrs["hyphenation"]) == (
        "KarMMa-1",
        False,
        True,
    )


def test_generic_patterns_without_vocabulary(bare):
    text = "talquetamab in MonumenTAL-1 (NCT03399799) and elranatamab, MagnetisMM-3; LINKER-MM1 of REGN5458"
    assert labelled(bare, text) == [
        ("PRODUCT", "talquetamab", "talquetamab"),
        ("TRIAL", "MonumenTAL-1", "MonumenTAL-1"),
        ("REGISTRY_ID", "NCT03399799", "NCT03399799"),
        ("PRODUCT", "elranatamab", "elranatamab"),
        ("TRIAL", "MagnetisMM-3", "MagnetisMM-3"),
        ("TRIAL", "LINKER-MM1", "LINKER-MM1"),
        ("PRODUCT", "REGN5458", "REGN5458"),
    ]
    assert all(h.attrs.get("generic") for h in bare.find(text) if h.label in ("PRODUCT", "TRIAL"))


def test_generic_inn_stems_and_code_names(bare):
    text = "zevorcabtagene autoleucel (Zevor-Cel), tisagenlecleucel, BMS-986393, CT103A and ALLO-715 in 2024"
    assert labelled(bare, text, "PRODUCT") == [
        ("PRODUCT", "zevorcabtagene autoleucel", "zevorcabtagene autoleucel"),
        ("PRODUCT", "Zevor-Cel", "zevor-cel"),
        ("PRODUCT", "tisagenlecleucel", "tisagenlecleucel"),
        ("PRODUCT", "BMS-986393", "BMS-986393"),
        ("PRODUCT", "CT103A", "CT103A"),
        ("PRODUCT", "ALLO-715", "ALLO-715"),
    ]


def test_code_name_followed_by_study_is_a_trial(bare):
    assert labelled(bare, "The XYZ-401 study enrolled", "TRIAL") == [("TRIAL", "XYZ-401", "XYZ-401")]


def test_not_trials_and_gene_names_are_not_generic_names(bare):
    text = "during COVID-19, IL-15 and CD138 and CD319 were measured in the HERON-7 trial"
    assert labelled(bare, text) == [("TRIAL", "HERON-7", "HERON-7")]  # the generic shape finds trials


@pytest.mark.parametrize(
    ("text", "canonical", "malformed", "variant", "registry"),
    [
        ("(NCT03361748).", "NCT03361748", False, False, "NCT"),
        ("GC012F NCT0423&011", "", True, False, "NCT"),
        ("phase I study (NCT 03502577) fully", "NCT03502577", False, True, "NCT"),
        ("NCT0361748 is short", "", True, False, "NCT"),
        ("ChiCTR-OIC- 17011272", "ChiCTR-OIC-17011272", False, False, "ChiCTR"),
        ("EudraCT 2019-001234-56", "2019-001234-56", False, False, "EudraCT"),
        ("ISRCTN12345678", "ISRCTN12345678", False, False, "ISRCTN"),
    ],
)
def test_registry_ids(ann, text, canonical, malformed, variant, registry):
    (hit,) = [h for h in ann.find(text) if h.label == "REGISTRY_ID"]
    assert (
        hit.canonical,
        hit.attrs["malformed"],
        hit.attrs.get("variant", False),
        hit.attrs["registry"],
    ) == (
        canonical,
        malformed,
        variant,
        registry,
    )


def test_targets_and_combinations(ann):
    text = "anti-GPRC5D/BCMA bispecific CAR-T; CS1-BCMA cells; CD19 and BCMA dual; B-cell maturation antigen"
    assert labelled(ann, text, "TARGET") == [
        ("TARGET", "GPRC5D/BCMA", "BCMA+GPRC5D"),
        ("TARGET", "CS1-BCMA", "BCMA+SLAMF7"),
        ("TARGET", "CD19 and BCMA", "BCMA+CD19"),
        ("TARGET", "B-cell maturation antigen", "BCMA"),
    ]


def test_metrics_phase_cohort_arm(ann):
    text = (
        "In the phase II CARTITUDE-2 study, cohorts A and B had an overall response rate of 95%, "
        "a median PFS vs standard of care; grade 3 CRS and MRD negativity. Phase 1b/2 data."
    )
    hits = ann.find(text)
    got = {
        (h.label, text[h.start : h.end], h.canonical)
        for h in hits
        if h.label in ("METRIC", "PHASE", "COHORT", "ARM")
    }
    assert got == {
        ("PHASE", "phase II", "II"),
        ("COHORT", "A", "A"),
        ("COHORT", "B", "B"),
        ("METRIC", "overall response rate", "ORR"),
        ("METRIC", "median PFS", "PFS_MEDIAN"),
        ("ARM", "vs", "vs"),
        ("ARM", "standard of care", "control"),
        ("METRIC", "grade 3 CRS", "CRS_G3"),
        ("METRIC", "MRD negativity", "MRD_NEG"),
        ("PHASE", "Phase 1b/2", "Ib/II"),
    }


def _doc_with(text: str) -> Document:
    doc = Document("t", "t.pdf")
    words, spans, x = text.split(" "), [], 50.0
    pos = 0
    for w in words:
        spans.append(Span(pos, pos + len(w), Box(2, x, 100, x + 5 * len(w), 110)))
        pos += len(w) + 1
        x += 5 * len(w) + 3
    doc.add_block(Block("paragraph", "Introduction text here.", Box(1, 50, 50, 300, 60)))
    doc.add_block(Block("paragraph", text, Box(2, 50, 100, 500, 110)), spans)
    return doc


def test_annotate_document_offsets_boxes_sentences_and_tables(ann):
    doc = _doc_with("The ORR was 75.8%. CRB-401 used Ide-Cel.")
    table = Table("Table 1", "Clinical studies", n_rows=2, n_cols=3, pages=[3])
    table.cells = [
        Cell(0, 0, "Trial", Box(3, 10, 10, 60, 20)),
        Cell(0, 1, "Phase", Box(3, 60, 10, 90, 20)),
        Cell(0, 2, "Outcomes", Box(3, 90, 10, 200, 20)),
        Cell(1, 0, "KarMMa-2 Cohort 2a NCT03361748", Box(3, 10, 20, 60, 40)),
        Cell(1, 1, "I-II", Box(3, 60, 20, 90, 40)),
        Cell(1, 2, "ORR: 83.8%\nmOS: not reached", Box(3, 90, 20, 200, 40)),
    ]
    doc.tables = [table]
    mentions = ann.annotate(doc)
    assert doc.mentions is mentions
    assert [doc.text[s:e] for s, e in doc.sentences] == [
        "Introduction text here.",
        "The ORR was 75.8%.",
        "CRB-401 used Ide-Cel.",
    ]
    body = [m for m in mentions if m.source == "text"]
    assert [(m.label, m.text, m.canonical) for m in body] == [
        ("METRIC", "ORR", "ORR"),
        ("VALUE", "75.8%", "75.8"),
        ("TRIAL", "CRB-401", "CRB-401"),
        ("PRODUCT", "Ide-Cel", "ide-cel"),
    ]
    value = body[1]
    assert doc.text[value.start : value.end] == "75.8%"
    assert (value.page, value.sentence) == (2, "The ORR was 75.8%.")
    assert value.box == Box(2, 104, 100, 134, 110)  # the word "75.8%." (fourth word: 50 + 3 * 18)
    cells = [(m.label, m.text, m.canonical, m.row, m.col) for m in mentions if m.source == "table"]
    assert cells == [
        ("TRIAL", "KarMMa-2", "KarMMa-2", 1, 0),
        ("COHORT", "2a", "2a", 1, 0),
        ("REGISTRY_ID", "NCT03361748", "NCT03361748", 1, 0),
        ("PHASE", "I-II", "I/II", 1, 1),
        ("METRIC", "ORR", "ORR", 1, 2),
        ("VALUE", "83.8%", "83.8", 1, 2),
        ("METRIC", "mOS", "OS_MEDIAN", 1, 2),
        ("VALUE", "not reached", "NR", 1, 2),
    ]
    phase = next(m for m in mentions if m.label == "PHASE")
    assert (phase.table_id, phase.page, phase.box, phase.attrs["printed"]) == (
        "Table 1",
        3,
        Box(3, 60, 20, 90, 40),
        "I-II",
    )


def test_bad_rules_raise_clear_errors(tmp_path):
    shutil.copytree(DEFAULT_DIR, tmp_path / "r")
    (tmp_path / "r" / "products.yml").write_text(yaml.safe_dump({"products": [{"inn": "x"}]}))
    with pytest.raises(RulesError, match="products.yml.*canonical"):
        Annotator(load(tmp_path / "r"))
    (tmp_path / "r" / "products.yml").write_text("products: []\n")
    (tmp_path / "r" / "patterns.jsonl").write_text('{"label": "PRODUCT"}\n')
    with pytest.raises(RulesError, match="patterns.jsonl line 1"):
        Annotator(load(tmp_path / "r"))


def test_a_count_after_a_period_and_a_space_opens_the_next_sentence(ann):
    text = "Cells were made with a human scFv. 9 patients were treated.4 Responses lasted."
    sents = [s.text for s in ann.nlp(text).sents]
    assert sents == ["Cells were made with a human scFv.", "9 patients were treated.4", "Responses lasted."]
