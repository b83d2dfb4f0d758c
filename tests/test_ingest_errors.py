"""Bad input gives one specific IngestError (never a traceback); real third-party PDFs ingest."""

from __future__ import annotations

import logging
import re

import pytest
from typer.testing import CliRunner

from pipeline import ingest
from pipeline.cli import app
from tests.conftest import REAL_PDFS
from tests.pdfgen import PdfSpec, paragraph


def _good_pdf(path, password=None):
    spec = PdfSpec()
    paragraph(spec, 72, 100, ["A small document with some text on it.", "And a second line of text."])
    return spec.save(path, password=password)


def _code(path, password=None) -> str:
    with pytest.raises(ingest.IngestError) as e:
        ingest.read(path, password=password)
    return e.value.code


def test_zero_byte_missing_and_not_pdf(tmp_path):
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    assert _code(empty) == "empty"
    assert _code(tmp_path / "nope.pdf") == "missing"
    text = tmp_path / "notes.pdf"
    text.write_text("just some notes, not a PDF at all\n")
    assert _code(text) == "not_pdf"


def test_truncated_and_corrupt(tmp_path):
    data = _good_pdf(tmp_path / "good.pdf").read_bytes()
    cut = tmp_path / "cut.pdf"
    cut.write_bytes(data[: len(data) // 3])
    assert _code(cut) == "truncated"
    garbage = tmp_path / "garbage.pdf"
    garbage.write_bytes(b"%PDF-1.4\n" + b"\x00garbage\xff" * 200 + b"\n%%EOF\n")
    assert _code(garbage) == "corrupt"


def test_encrypted_with_and_without_password(tmp_path):
    path = _good_pdf(tmp_path / "secret.pdf", password="s3cret")
    with pytest.raises(ingest.IngestError) as e:
        ingest.read(path)
    assert e.value.code == "encrypted" and "--password" in str(e.value)
    with pytest.raises(ingest.IngestError) as e:
        ingest.read(path, password="wrong")
    assert e.value.code == "encrypted" and "wrong" in str(e.value)
    doc = ingest.read(path, password="s3cret")
    assert doc.text.startswith("A small document with some text on it.")


def test_no_text_layer(tmp_path):
    spec = PdfSpec()
    spec.rect(50, 50, 500, 700, fill=True)  # a page that is all picture, like a scan
    assert _code(spec.save(tmp_path / "scan.pdf")) == "no_text"


def test_cli_reports_error_without_traceback(tmp_path):
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    res = CliRunner().invoke(app, ["ingest", str(empty)])
    assert res.exit_code == 2
    assert "empty" in res.output and "Traceback" not in res.output


real = pytest.mark.skipif(not REAL_PDFS.is_dir(), reason="shared real-pdfs folder not present")


@real
@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("encrypted-password.pdf", "encrypted"),
        ("truncated-real.pdf", "truncated"),
        ("scanned-no-text-layer.pdf", "no_text"),
        (
            "malformed.pdf",
            "no_text",
        ),  # broken dictionaries around an image scan; its only glyphs lie off the page
    ],
)
def test_real_bad_pdfs(name, code):
    assert _code(REAL_PDFS / name) == code


@real
def test_real_rotated_page_reads_its_vertical_lines():
    doc = ingest.read(REAL_PDFS / "rotated-table.pdf")
    words = [w.text for w in doc.pages[0].words]  # mostly one big table: check every word
    text = " ".join(words)
    assert len(words) > 1000
    assert "These statistics represent the number of firearm background checks" in text
    assert sum(len(w) == 1 and w.isalpha() for w in words) < 0.05 * len(words)


@real
def test_real_invisible_text_layer_is_read():
    doc = ingest.read(REAL_PDFS / "invisible-text-layer.pdf")
    # an OCR layer is drawn invisibly (render mode 3) but is the text of the page
    assert doc.text == "Visible heading line\n\nInvisible OCR text layer"


@real
@pytest.mark.parametrize(
    "name",
    [
        "arxiv-0807.3577.pdf",
        "bmc-hsr-2014.pdf",
        "bmj-rct-smoking-pregnancy.pdf",
        "clinsci-2014.pdf",
        "intpsychogeriatrics-2014.pdf",
        "journal-article-8p.pdf",
        "wang-2008-two-column.pdf",
    ],
)
def test_real_articles_ingest_with_sensible_words(name, caplog):
    caplog.set_level(logging.WARNING)
    doc = ingest.read(REAL_PDFS / name)
    # pdfminer's warnings (bmc-hsr: "Cannot set non-stroke color") must not reach the output
    assert not [r for r in caplog.records if r.name.startswith("pdfminer")]
    words = re.findall(r"[A-Za-z]+", doc.text)
    assert len(words) > 200
    # glued words (the failure of a fixed gap tolerance) show up as very long letter runs
    glued = [w for w in words if len(w) > 22]
    assert len(glued) < 0.005 * len(words), glued[:10]
