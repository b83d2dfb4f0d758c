"""Ingest accuracy on the development paper, against the seed text (a reading aid of the same paper).

Normalisation for the sentence comparison: lowercase, keep only [a-z0-9]. The seed was extracted by
another tool: it breaks lines mid-word with hyphens ("4-\\n1BB", "long-\\nterm"), glues citation
numbers to words ("fashion.1"), writes exponents flat ("450x106") and lost symbols and Greek letters
("Grade 3" for "Grade ≥3", "CD3 or CD3" for "CD3ζ or CD3γ"). Dropping everything but letters and
digits removes those artefacts on both sides while a missing, split or reordered sentence still
fails. Citation digits glued to punctuation are removed from the seed first, then sentences are cut
after a full stop followed by a capital or a digit.
"""

from __future__ import annotations

import re

import pytest

from tests.conftest import SEED_TEXT

# hand-made: the seed's running lines, and the first body line after each table (the tables sit
# between a "Table N." caption line and these lines in the seed)
RUNNING = re.compile(r"mjhid\.org|Pag\. \d+ / \d+")
AFTER_TABLE = (
    "extramedullary disease, plasma cell leukemia and R-ISS",
    "clinical studies defined as CARTITUDE have assessed",
    "received CTL109 following salvage high-dose",
)


def _norm(s: str) -> str:
    return re.sub(r"[^a-z0-9]", "", s.lower())


def seed_sentences() -> list[str]:
    lines, in_table = [], False
    for ln in SEED_TEXT.read_text(encoding="utf-8").splitlines():
        s = ln.strip()
        if not s or RUNNING.search(s):
            continue
        if re.match(r"Table \d+\.", s):
            in_table = True
        elif in_table and any(s.startswith(a) for a in AFTER_TABLE):
            in_table = False
        if not in_table:
            lines.append(s)
    text = " ".join(lines)
    # citation digits glued after a word's punctuation ("group.14 mPFS", "patients.5-7 11%")
    text = re.sub(r"(?<=[A-Za-z%)\]])([.,;:])\d+(?:[-,]\d+)*(?=\s)", r"\1", text)
    # ... and after a number ending a sentence ("at day +60.50 Two", "10-5.20 Based"): a decimal
    # is not followed by a capital starting the next sentence
    text = re.sub(r"(?<=\d)\.\d+(?:[-,]\d+)*(?=\s+[A-Z])", ".", text)
    parts = re.split(r"(?<=[.!?])\s+(?=[A-Z(\d])", text)
    return [p for p in (_norm(p) for p in parts) if len(p) >= 15]


@pytest.fixture(scope="module")
def body(dev_doc) -> str:
    return dev_doc.text


def test_body_sentences_intact_and_in_order(body):
    if not SEED_TEXT.is_file():
        pytest.skip("seed text not present")
    sentences = seed_sentences()
    assert len(sentences) > 200
    norm = _norm(body)
    pos, in_order, missing = 0, 0, []
    for s in sentences:
        i = norm.find(s, pos)
        if i >= 0:
            in_order += 1
            pos = i + len(s)
        else:
            missing.append(s)
    coverage = in_order / len(sentences)
    assert coverage >= 0.99, (coverage, missing[:5])


def test_no_running_lines_in_body(body, dev_doc):
    assert "www.mjhid.org" not in body
    assert "Pag." not in body
    assert "Mediterr J Hematol Infect Dis 2024; 16; e2024077" not in body
    running = [b for b in dev_doc.dropped if b.kind != "front"]
    assert {b.kind for b in running} == {"header", "footer"} and len(
        running
    ) == 30  # journal line, page no., URL x 10
    # the first page's journal/DOI line is front matter: kept aside, out of the body
    front = [b for b in dev_doc.dropped if b.kind == "front"]
    assert [b.box.page for b in front] == [1] and "doi:" in front[0].text and front[0].text not in body


def test_hyphens(body):
    for word in ("cancer", "hematological", "antigen receptors", "expressed", "unrestricted", "response"):
        assert word in body
    assert not re.search(r"\b(can-cer|hematologi-cal|ex-pressed|un-restricted)\b", body)
    assert not re.search(r"[a-z]- [a-z]", body.replace("lenti- or", ""))  # a dangling line-end hyphen
    for real in (
        "CAR-T",
        "anti-BCMA",
        "4-1BB",
        "Ide-Cel",
        "KarMMa-3",
        "long-term",
        "γ" if "γ" in body else "CAR-T",
    ):
        assert real in body


def test_citations_split_off_and_exponents(body, dev_doc):
    assert "fashion.1" not in body and "Ide-Cel5-6" not in body
    assert not re.search(r"[a-z]{3,}[.,;)]\d+ [A-Z]", body)  # "disease.5 The" would be a glued marker
    assert "450x10^6" in body and "10^-5" in body and "0.75x10^6" in body
    assert "CD3ζ" in body and "naïve" in body
    block = next(b for b in dev_doc.blocks if "The ORR was 75.8%" in b.text)
    assert {"5", "6"} <= set(block.refs)
    word = next(w for p in dev_doc.pages for w in p.words if w.text == "cells/Kg).")
    assert word.refs == ("17", "18")


def test_headings_and_captions(dev_doc):
    blocks = dev_doc.blocks
    texts = [b.text for b in blocks]
    i = texts.index("CARTITUDE-1.")
    assert blocks[i].kind == "heading" and texts[i + 1].startswith("The CARTITUDE, phase I/II study")
    i = texts.index("Idecabtagene violence (Ide-Cel) for treatment of multiple myeloma.")
    assert blocks[i].kind == "heading" and texts[i + 1].startswith("Two main series of studies")
    captions = [b.text for b in blocks if b.kind == "caption"]
    assert [c[:8] for c in captions] == ["Table 1.", "Table 2.", "Table 3."]
    assert blocks[0].kind == "title" and blocks[0].text.endswith("Multiple Myeloma")
    assert all(p.columns == 2 for p in dev_doc.pages)


def test_offsets_map_back_to_pages(dev_doc):
    i = dev_doc.text.index("The ORR was 75.8%")
    boxes = dev_doc.locate(i, i + len("The ORR was 75.8%"))
    assert boxes and boxes[0].page == 2 and boxes[0].x1 < 300  # left column of page 2
    assert dev_doc.page_of(dev_doc.text.index("Conclusions.")) == 10
