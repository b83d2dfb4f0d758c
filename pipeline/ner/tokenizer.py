"""The spaCy pipeline: blank English, a tokenizer that keeps hyphenated names and scientific numbers
whole (CAR-T, Xyz-Cel, AlphaMM-3, 4-1BB, 450x10^6, NCT12345678) and splits "n=40", and a rule-based
sentence splitter that survives "et al.", "vs.", "e.g.", decimals and glued citation numbers."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import numpy
import spacy
from spacy.attrs import SENT_START
from spacy.language import Language
from spacy.tokenizer import Tokenizer
from spacy.tokens import Doc
from spacy.util import compile_infix_regex, compile_prefix_regex, compile_suffix_regex

SENTENCE_PIPE = "trialex_sentences"
_PLACEHOLDER = "trialex_placeholder_tokenizer.v1"  # stands in until build_nlp sets the real one
_WORDS = "trialex_words"  # Doc.user_data key of the token texts (`token_texts`)
_END = {".", "!", "?"}
_CITATION = re.compile(r"\d{1,3}(?:[-–,]\d{1,3})*")


@spacy.registry.tokenizers(_PLACEHOLDER)
def _placeholder() -> Any:
    return lambda nlp: Tokenizer(nlp.vocab)  # no special cases: nothing to load


def build_nlp(cfg: Mapping[str, Any]) -> Language:
    """Blank English with the tokenizer below, built once: spaCy's tokenizer loads its thousands of
    special cases when made and again on every change of its affix rules, so it is made here with
    them all (what the default tokenizer with its three rules set in turn gives, one load not four)."""
    tok = cfg.get("tokenizer", {})
    nlp = spacy.blank("en", config={"nlp": {"tokenizer": {"@tokenizers": _PLACEHOLDER}}})
    defaults = nlp.Defaults
    # Drop the two default infixes that cut hyphenated names and "10^6"/"4-1BB" apart; keep the rest.
    infixes = [p for p in defaults.infixes if "-|–|—" not in p and r"[+\-\*^](?=[0-9-])" not in p]
    infixes += [
        r"(?<=[A-Za-z])=(?=\d)|(?<=[A-Za-z])\s?=",  # n=40 -> n = 40
        r"(?<=[A-Za-z0-9])[()\[\]](?=[A-Za-z0-9])",  # mPFS(CC), HR(10.9m)
        r"(?<=[A-Za-z0-9+%)])/(?=[A-Za-z0-9])",  # BCMA/CD19, cells/kg, sCR/CR
        r"(?<=[a-z]{2})\.(?=\d{1,3}(?:[-–,]\d{1,3})*$)",  # "months.7": a citation glued to the period
        r"(?<=[%)])\.(?=\d{1,3}(?:[-–,]\d{1,3})*$)",  # "70.2%.5-6"
    ]
    symbols = [re.escape(s) for s in tok.get("split_symbols", [])]
    prefixes = [
        *symbols,
        *(rf"(?i:{re.escape(p)})(?=\w)" for p in tok.get("split_prefixes", [])),
        *defaults.prefixes,
    ]
    suffixes = [
        rf"(?<=\w)(?i:{re.escape(s)})" for s in sorted(tok.get("split_suffixes", []), key=len, reverse=True)
    ]
    suffixes += [*defaults.suffixes, r"(?<=[A-Z0-9])\.$"]  # "GPRC5D." at a sentence end
    nlp.tokenizer = Tokenizer(
        nlp.vocab,
        rules=defaults.tokenizer_exceptions,
        prefix_search=compile_prefix_regex(prefixes).search,
        suffix_search=compile_suffix_regex(suffixes).search,
        infix_finditer=compile_infix_regex(infixes).finditer,
        token_match=defaults.token_match,
        url_match=defaults.url_match,
    )
    abbreviations = {str(a).lower().rstrip(".") for a in cfg.get("sentences", {}).get("abbreviations", [])}
    nlp.add_pipe(SENTENCE_PIPE, config={"abbreviations": sorted(abbreviations)})
    return nlp


def token_texts(doc: Doc) -> list[str]:
    """The token texts of `doc`, made once per doc for every pass that reads them (the sentence
    splitter, each finder of names.py): a Token object per token and pass cost more than the tests
    made on its text."""
    out = doc.user_data.get(_WORDS)
    if out is None or len(out) != len(doc):
        out = doc.user_data[_WORDS] = [t.text for t in doc]
    return out


@Language.factory(SENTENCE_PIPE, default_config={"abbreviations": []})
def _make_sentencer(nlp: Language, name: str, abbreviations: list[str]) -> SentenceSplitter:
    return SentenceSplitter(set(abbreviations))


class SentenceSplitter:
    """A sentence ends after . ! ? unless the word before is an abbreviation, or the next word starts
    in lower case (a period inside a sentence); citation digits glued after the period stay with it."""

    def __init__(self, abbreviations: set[str]) -> None:
        self.abbreviations = abbreviations

    def __call__(self, doc: Doc) -> Doc:
        n = len(doc)
        words = token_texts(doc)
        starts = [-1] * n  # spaCy's SENT_START: 1 starts a sentence, -1 does not
        if n:
            starts[0] = 1
        i = 0
        while i < n - 1:
            text = words[i]
            ends = text in _END or (len(text) > 1 and text[-1] in "!?")
            if ends and text == "." and i > 0 and words[i - 1].lower().rstrip(".") in self.abbreviations:
                ends = False
            if ends:
                j = i + 1
                # "disease.5-6 The ORR": citation numbers glued to the period, before the next capital,
                # belong to this sentence ("disease. 7 patients": a count that opens the next one)
                glued = not doc[i].whitespace_
                while glued and j < n - 1 and _CITATION.fullmatch(words[j]) and words[j + 1][:1].isupper():
                    glued = not doc[j].whitespace_
                    j += 1
                nxt = words[j]
                if j < n and (nxt[:1].isupper() or nxt[:1].isdigit() or nxt[:1] in "(["):
                    starts[j] = 1
                i = j
                continue
            i += 1
        # One array write: setting Token.is_sent_start token by token re-scans the whole doc for
        # parse annotation on every assignment (quadratic in the block length).
        doc.from_array([SENT_START], numpy.array(starts, dtype="int32").astype("uint64").reshape(-1, 1))
        return doc
