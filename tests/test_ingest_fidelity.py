"""Reading fidelity: the scorer of bench/fidelity.py on hand-written texts, and the ratchet on the
real PDFs of ../shared/fidelity against the floors committed in tests/floors/fidelity.json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import fidelity

FLOORS = Path(__file__).parent / "floors" / "fidelity.json"
HIGHER = ("recall", "order", "hyphens_right")  # may not drop below the floor
LOWER = ("leaked", "hyphens_wrong")  # may not rise above it


def test_sentences_found_by_letters_and_order_counts_inversions():
    body = "Gamma came third (p<0.01).\n\nAlpha leads; the first 12 rows.\n\nBeta goes second."
    s = fidelity.Score("x")
    refs = ["Alpha leads, the first rows.", "Beta goes second.", "Gamma came third.", "Delta is lost."]
    fidelity.score_sentences(body, refs, s)
    assert (s.sentences, s.found, s.inversions) == (4, 3, 1)
    assert s.missing == ["Delta is lost."]
    assert s.order == pytest.approx(0.5)


def test_furniture_whole_line_and_substring():
    body = "Running Head\n\nText with Accepted: 3 May 2011 inside.\n\nRunning Head and more"
    s = fidelity.Score("x")
    fidelity.score_furniture(body, ["line:Running Head", "line:and more", "Accepted: 3 May 2011", "Gone"], s)
    assert s.leaks == ["line:Running Head", "Accepted: 3 May 2011"]


@pytest.mark.parametrize(
    ("body", "split", "joined", "verdict"),
    [
        ("a reply to it", "re-/ply", "reply", "right"),
        ("a re- ply to it", "re-/ply", "reply", "wrong"),
        ("a re-ply to it", "re-/ply", "reply", "wrong"),
        ("a follow-up visit", "follow-/up", "follow-up", "right"),
        ("a followup visit", "follow-/up", "follow-up", "wrong"),
        ("nothing here", "re-/ply", "reply", "lost"),
    ],
)
def test_hyphen_verdicts(body, split, joined, verdict):
    assert fidelity.hyphen_verdict(body, split, joined) == verdict


@pytest.fixture(scope="module")
def measured() -> dict[str, dict]:
    if not fidelity.REFS.is_dir():
        pytest.skip("../shared/fidelity is absent: the reading-order references live there")
    return {s.paper: s.figures() for s in fidelity.run()}


def test_fidelity_not_below_floors(measured):
    floors = json.loads(FLOORS.read_text(encoding="utf-8"))
    drops = []
    for paper, floor in floors.items():
        got = measured.get(paper)
        if got is None:
            drops.append(f"{paper}: not measured")
            continue
        drops += [f"{paper} {k}: {got[k]} < {floor[k]}" for k in HIGHER if got[k] < floor[k]]
        drops += [f"{paper} {k}: {got[k]} > {floor[k]}" for k in LOWER if got[k] > floor[k]]
    assert not drops, drops
