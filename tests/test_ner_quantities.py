"""Trial-report quantities (pipeline/ner/quantities.py): allocation counts, arm splits in
parentheses, percentages in words. Invented numbers."""

from __future__ import annotations

import pytest

from pipeline.ner import Annotator


@pytest.fixture(scope="module")
def ann(rules):
    return Annotator(rules)


def counts(ann, text):
    return [(h.attrs["value"], h.attrs.get("cue")) for h in ann.find(text) if h.label == "N"]


def test_allocation_counts(ann):
    text = "Of 455 patients screened, 311 were randomised to valbotamab and 157 to placebo."
    assert counts(ann, text) == [(455, "patients"), (311, "allocated"), (157, "allocated")]
    text = "902 were randomly assigned, 452 to the valbotamab group and 450 to the docetaxel group."
    assert counts(ann, text) == [(902, "randomised"), (452, "allocated"), (450, "allocated")]


def test_a_range_far_from_allocation_is_no_count(ann):
    assert counts(ann, "Doses were escalated from 3 to 9 mg/kg over 12 weeks in 48 patients.") == [
        (48, "patients")
    ]


def test_arm_split_must_add_up(ann):
    text = "the 187 patients with liver metastases (126 valbotamab, 61 placebo)"
    assert counts(ann, text) == [(187, "patients"), (126, "allocated"), (61, "allocated")]
    assert counts(ann, "the 187 patients with liver metastases (126 valbotamab, 62 placebo)") == [
        (187, "patients")
    ]


def test_percentages_in_words(ann):
    hits = [h for h in ann.find("Sixty-three percent of patients responded.") if h.label == "VALUE"]
    assert [(h.attrs["value"], h.attrs["unit"]) for h in hits] == [(63.0, "%")]
