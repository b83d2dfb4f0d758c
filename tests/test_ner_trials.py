"""Names a paper defines for itself: trial names by their role, abbreviations learnt per document,
registry ids beyond NCT. Every name here is invented and appears in no rule file."""

from __future__ import annotations

import shutil

import pytest

from pipeline.model import Block, Box, Cell, Document, Table
from pipeline.ner import Annotator
from pipeline.ner.abbrev import definitions
from pipeline.rules import DEFAULT_DIR, load


@pytest.fixture(scope="module")
def bare(tmp_path_factory):
    """Rules that list no product and no trial: every name below must come from its context."""
    root = tmp_path_factory.mktemp("rules")
    for name in ("ner.yml", "patterns.jsonl", "metrics.yml", "targets.yml"):
        shutil.copy(DEFAULT_DIR / name, root / name)
    (root / "products.yml").write_text("products: []\n")
    (root / "registry.yml").write_text("trials: []\n")
    (root / "trials.yml").write_text("trials: []\n")
    return Annotator(load(root))


def _doc(*blocks: tuple[str, str], tables: list[Table] | None = None) -> Document:
    doc = Document("t", "t.pdf")
    for i, (kind, text) in enumerate(blocks):
        doc.add_block(Block(kind, text, Box(1, 50, 50 + 20 * i, 500, 65 + 20 * i)))
    doc.tables = tables or []
    return doc


def _trials(doc: Document, source: str = "text") -> list[tuple[str, str]]:
    return [(m.text, m.canonical) for m in doc.mentions if m.label == "TRIAL" and m.source == source]


def test_schwartz_hearst_definitions_and_drug_abbreviations():
    got = {(d.short, d.long) for d in definitions("We gave kestrelimab deruxolin (K-DXl) or best care (BC).")}
    assert got == {("K-DXl", "kestrelimab deruxolin"), ("BC", "best care")}
    got = {(d.short, d.long) for d in definitions("the arm of valbotamab plus R-CHQ (Valbo-R-CHQ) was")}
    assert got == {("Valbo-R-CHQ", "valbotamab plus R-CHQ")}
    assert definitions("randomised (n = 173) to either arm (95% CI)") == []


def test_trial_names_by_role_in_text_and_headings(bare):
    doc = _doc(
        ("heading", "3.1. Valbotamab after chemotherapy: OSPREY"),
        ("paragraph", "OSPREY (NCT09876543) was a phase III trial of valbotamab in 173 patients."),
        ("paragraph", "In the randomised phase 3 HARRIER-Lung07 trial, the ORR was 41.2%."),
        ("paragraph", "In OSPREY, the ORR was 38.5% and HARRIER-Lung07 reported a CR rate of 9.1%."),
        ("paragraph", "QUILLON was a randomised, open-label, phase 2 study of kestrelimab."),
        ("paragraph", "The phase II study and the HER2-low trials and CAR-T studies are not names."),
    )
    bare.annotate(doc)
    names = _trials(doc)
    assert ("OSPREY", "OSPREY") in names and names.count(("OSPREY", "OSPREY")) == 3
    assert names.count(("HARRIER-Lung07", "HARRIER-Lung07")) == 2
    assert ("QUILLON", "QUILLON") in names
    assert not {n for n, _ in names} & {"II", "HER2-low", "CAR-T", "The"}
    evidence = next(m.attrs["evidence"] for m in doc.mentions if m.text == "OSPREY")
    assert set(evidence) == {"heading", "registry", "description"}


def test_trial_column_multiword_name_and_glued_citation(bare):
    table = Table("Table 1", "Trials", n_rows=3, n_cols=2, pages=[2])
    table.cells = [
        Cell(0, 0, "Trial", Box(2, 10, 10, 90, 20)),
        Cell(0, 1, "ORR, %", Box(2, 90, 10, 150, 20)),
        Cell(1, 0, "TALON NHL-3 NCT01928374 Phase II [12]", Box(2, 10, 20, 90, 30)),
        Cell(1, 1, "52.4", Box(2, 90, 20, 150, 30)),
        Cell(2, 0, "MERLIN8", Box(2, 10, 30, 90, 40)),
        Cell(2, 1, "47.0", Box(2, 90, 30, 150, 40)),
    ]
    doc = _doc(
        ("paragraph", "TALON NHL-3 enrolled 173 patients; MERLIN (ISRCTN12345678) enrolled 88."),
        tables=[table],
    )
    bare.annotate(doc)
    assert _trials(doc, "table") == [("TALON NHL-3", "TALON NHL-3"), ("MERLIN", "MERLIN")]
    glued = next(m for m in doc.mentions if m.source == "table" and m.text == "MERLIN")
    assert glued.attrs["glued_ref"] == "8"
    assert ("TALON NHL-3", "TALON NHL-3") in _trials(doc)
    # no value or count is read inside the name
    inside = [m for m in doc.mentions if m.source == "text" and m.start < 11 and m.label in ("VALUE", "N")]
    assert inside == []


def test_transposed_table_names_its_trials_by_the_registry_row(bare):
    table = Table("Table 2", "Single-arm studies", n_rows=3, n_cols=3, pages=[2])
    table.cells = [
        Cell(0, 0, "", Box(2, 10, 10, 90, 20)),
        Cell(0, 1, "PELICAN [8]", Box(2, 90, 10, 150, 20)),
        Cell(0, 2, "Goldfinch et al. [9]", Box(2, 150, 10, 210, 20)),
        Cell(1, 0, "Registry", Box(2, 10, 20, 90, 30)),
        Cell(1, 1, "NCT05550001", Box(2, 90, 20, 150, 30)),
        Cell(1, 2, "—", Box(2, 150, 20, 210, 30)),
        Cell(2, 0, "ORR, %", Box(2, 10, 30, 90, 40)),
        Cell(2, 1, "61.0", Box(2, 90, 30, 150, 40)),
        Cell(2, 2, "55.0", Box(2, 150, 30, 210, 40)),
    ]
    doc = _doc(("paragraph", "Results of PELICAN were reported at a congress."), tables=[table])
    bare.annotate(doc)
    assert _trials(doc, "table") == [("PELICAN", "PELICAN")]
    assert _trials(doc) == [("PELICAN", "PELICAN")]


def test_defined_abbreviations_name_products_and_control_arms(bare):
    doc = _doc(
        ("paragraph", "Patients received kestrelimab deruxolin (K-DXl) or investigator's choice (ICC)."),
        ("paragraph", "The ORR was 47.5% with K-DXl and 20.1% with ICC; Kestrelimab deruxolin was safe."),
    )
    bare.annotate(doc)
    products = [(m.text, m.canonical) for m in doc.mentions if m.label == "PRODUCT"]
    assert ("K-DXl", "K-DXl") in products
    assert ("Kestrelimab deruxolin", "K-DXl") in products
    assert ("kestrelimab", "kestrelimab") not in products  # the long form is one product
    arms = [(m.text, m.canonical) for m in doc.mentions if m.label == "ARM" and m.text == "ICC"]
    assert arms == [("ICC", "control"), ("ICC", "control")]


@pytest.mark.parametrize(
    "printed,canonical",
    [
        ("2019-001234-56", "2019-001234-56"),
        ("ISRCTN87654321", "ISRCTN87654321"),
        ("jRCT2031210123", "jRCT2031210123"),
        ("ACTRN12619000123456", "ACTRN12619000123456"),
        ("CTRI/2020/05/025123", "CTRI/2020/05/025123"),
    ],
)
def test_registry_ids_beyond_nct(bare, printed, canonical):
    hits = [h for h in bare.find(f"The trial ({printed}) enrolled 40 patients.") if h.label == "REGISTRY_ID"]
    assert [(h.canonical, h.attrs["malformed"]) for h in hits] == [(canonical, False)]
