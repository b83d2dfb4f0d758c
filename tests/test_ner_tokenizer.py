"""build_nlp makes its tokenizer once, with every affix rule: the same tokens and sentences as spaCy's
default English tokenizer given the same rules one after the other (the way it was built before)."""

from __future__ import annotations

import spacy

from pipeline.ner.tokenizer import SENTENCE_PIPE, build_nlp

TEXTS = [
    "In the phase 2 KESTREL-4 study (NCT01234567), n=173 patients received valbotamab 450x10^6 cells.",
    "Don't stop: the ORR was 61.2% (95% CI, 52-70) vs. 40% e.g. in U.S. sites; see https://example.org/a?b=1.",
    "CAR-T, Xyz-Cel and AlphaMM-3 target BCMA/CD19; 4-1BB co-stimulation :) mPFS(CC) was 12.1m.",
    "Smith et al. reported sCR/CR in 10 CR, 6 VGPR/PR at months.7 and 70.2%.5-6 The next one.",
    "Patients (n = 40) had a median of 3.5 prior lines—range 1–9—and 2 mg/kg q2w dosing ($12,000).",
    "GPRC5D. It's the U.K.'s first-in-human trial!? Yes... 'quoted' \"double\" [bracketed] {braced}",
]


def _stepwise(cfg: dict) -> spacy.language.Language:
    """The pipeline as it was built before: the default tokenizer, then its three rules set in turn."""
    fresh = build_nlp(cfg)
    nlp = spacy.blank("en")
    nlp.tokenizer.infix_finditer = fresh.tokenizer.infix_finditer  # the same compiled rules
    nlp.tokenizer.prefix_search = fresh.tokenizer.prefix_search
    nlp.tokenizer.suffix_search = fresh.tokenizer.suffix_search
    nlp.add_pipe(SENTENCE_PIPE, config={"abbreviations": sorted(fresh.get_pipe(SENTENCE_PIPE).abbreviations)})
    return nlp


def test_the_tokenizer_made_once_splits_as_the_default_one_with_the_same_rules(rules):
    cfg = rules.get("ner") or {}
    fresh, stepwise = build_nlp(cfg), _stepwise(cfg)
    assert fresh.tokenizer.rules == spacy.blank("en").tokenizer.rules  # every English special case
    for text in TEXTS:
        a, b = fresh(text), stepwise(text)
        assert [t.text for t in a] == [t.text for t in b], text
        assert [s.text for s in a.sents] == [s.text for s in b.sents], text
    assert [t.text for t in fresh("n=40")] == ["n", "=", "40"]  # the rules of rules/ner.yml are in
    assert [t.text for t in fresh("don't")] == ["do", "n't"]  # and the English special cases
