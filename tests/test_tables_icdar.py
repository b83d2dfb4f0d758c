"""Ratchet on the ICDAR 2013 table competition (EU half, ../shared/icdar2013-eu): a few of its documents
run in process, scored by the benchmark's own code, against tests/floors/tables.json. The whole
benchmark (27 documents) is too slow for the suite: `make tables-bench` runs it and fails below floor."""

from __future__ import annotations

import pytest

from bench import icdar

QUICK = "icdar2013_eu_quick"


def test_icdar_quick_documents_hold_their_floors():
    if not (icdar.ICDAR / "run.py").is_file():
        pytest.skip(f"{icdar.ICDAR} absent: the ICDAR 2013 ratchet needs the shared benchmark data")
    floors = icdar.load_floors()[QUICK]
    figures = icdar.score_in_process(floors["docs"])
    assert not icdar.below(figures, floors), figures


def test_floors_only_rise(tmp_path, monkeypatch):
    path = tmp_path / "tables.json"
    monkeypatch.setattr(icdar, "FLOORS", path)
    icdar.raise_floors("k", {"adj_f1": 0.8123, "det_recall": 0.9})
    kept = icdar.raise_floors("k", {"adj_f1": 0.7, "det_recall": 0.95})
    assert kept == {"adj_f1": 0.812, "det_recall": 0.95}
    assert icdar.below({"adj_f1": 0.811, "det_recall": 0.96}, kept) == ["adj_f1 0.811 < floor 0.812"]
