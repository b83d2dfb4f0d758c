"""Shared fixtures: the development paper and the shared folder (gold, real PDFs) when present."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
DEV_PDF = DATA / "mm-car-t-review-2024.pdf"
SHARED = ROOT.parent / "shared"
GOLD = SHARED / "gold"
REAL_PDFS = SHARED / "real-pdfs"
SEED_TEXT = SHARED / "seed" / "review-text.txt"


@pytest.fixture(scope="session")
def rules():
    from pipeline.rules import load

    return load()


@pytest.fixture(scope="session")
def dev_doc():
    """The development paper, ingested once per test session (tables extracted too)."""
    from pipeline import ingest, tables

    doc = ingest.read(DEV_PDF)
    tables.extract(doc)
    return doc


@pytest.fixture(scope="session")
def dev_result(rules):
    """The development paper through every stage, once per test session."""
    from pipeline.process import Pipeline

    return Pipeline(rules).process(DEV_PDF)


@pytest.fixture(scope="session")
def gold_dir() -> Path:
    if not GOLD.is_dir():
        pytest.skip("shared gold folder not present")
    return GOLD


@pytest.fixture(scope="module")
def conf(rules):
    """The check settings of rules/checks.yml."""
    return rules["checks"]["checks"]


@pytest.fixture(scope="module")
def sev(conf):
    from pipeline.quality.findings import Severities

    return Severities(conf)
