"""No body word of a real paper is an interleaving of two lines: every word of 7 or more letters that
ingest puts in the body is a word pdftotext (poppler) also reads in the same PDF, or a piece of one.
Letters of two lines merged ("AAutuhtohro") or a line's end glued to another line's start
("generuals") make words that are neither.

Both sides are compared after NFKC (ligatures ﬁ, ﬀ) and with accents dropped (pdftotext and TeX
print some as separate glyphs). pdftotext joins words broken at a line end, with or without their
hyphen, so the word lists hold both halves, the joined word and the hyphenated compound's parts.
Run with the shared real PDFs; skipped (and failed under CI by the conftest hook) without them or
without pdftotext (`make e2e-deps` installs poppler-utils)."""

from __future__ import annotations

import re
import shutil
import subprocess
import unicodedata

import pytest

from pipeline import ingest
from tests.conftest import REAL_PDFS

MIN_LETTERS = 7
_TOKEN = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
_BROKEN = re.compile(r"([^\W\d_]+)-$")
_FIRST = re.compile(r"[^\W\d_]+")
# Papers whose body still holds interleaved words, with the defect: the test fails when they are fixed.
KNOWN: dict[str, str] = {}


def _norm(s: str) -> str:
    s = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", s))
    return (
        "".join(ch for ch in s if unicodedata.category(ch) not in ("Mn", "Lm", "Sk"))
        .replace("ı", "i")
        .lower()
    )


def pdftotext_words(text: str) -> set[str]:
    """The words of pdftotext's output: each token, its hyphen parts and its parts joined, and each
    line-end fragment joined to the next line's first word."""
    text = _norm(text)
    out: set[str] = set()
    for t in _TOKEN.findall(text):
        out.add(t.replace("-", ""))
        out.update(t.split("-"))
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    for a, b in zip(lines, lines[1:], strict=False):
        if (m := _BROKEN.search(a)) and (n := _FIRST.match(b)):
            out.add(m.group(1) + n.group(0))
    return out


def interleaved(body: str, words: set[str]) -> list[str]:
    """Body words of MIN_LETTERS or more letters that are neither pdftotext words nor pieces of one
    (a word split by a wide letter gap is another defect, not two lines mixed)."""
    known = " ".join(sorted(words))
    out = set()
    for t in _TOKEN.findall(_norm(re.sub(r"-\s+", "-", body))):  # a compound broken across blocks
        parts = t.split("-")
        if "".join(parts) in words:
            continue
        out.update(p for p in parts if len(p) >= MIN_LETTERS and p not in words and p not in known)
    return sorted(out)


def test_interleaved_words_are_found():
    words = pdftotext_words("The Author(s) of the\nJournal compila-\ntion was indivi-\nduals")
    assert interleaved("AAutuhtohro compilation individuals generuals", words) == ["aautuhtohro", "generuals"]
    assert interleaved("ﬁnally indivi duals", pdftotext_words("finally individuals")) == []
    assert interleaved("the Quinonero-\n\nCandela set", pdftotext_words("QuiñoneroCandela")) == []


def _papers() -> list:
    if not REAL_PDFS.is_dir():
        return [pytest.param(None, marks=pytest.mark.skip(reason="shared real-pdfs folder not present"))]
    out = []
    for p in sorted(REAL_PDFS.glob("*.pdf")):
        marks = [pytest.mark.xfail(strict=True, reason=KNOWN[p.stem])] if p.stem in KNOWN else []
        out.append(pytest.param(p, id=p.stem, marks=marks))
    return out


@pytest.mark.parametrize("pdf", _papers())
def test_no_body_word_interleaves_two_lines(pdf):
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) not installed: make e2e-deps")
    try:
        doc = ingest.read(pdf)
    except ingest.IngestError:
        return  # not ingestible (encrypted, scanned, broken): its error is tested in test_ingest_errors
    out = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True, check=True
    )
    assert any(p.words for p in doc.pages), "an ingestible paper reads to words"  # not vacuous below
    assert interleaved(doc.text, pdftotext_words(out.stdout)) == []
