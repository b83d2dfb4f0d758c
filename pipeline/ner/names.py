"""Names in a tokenised string: PRODUCT, TARGET, TRIAL, METRIC and ARM from the vocabularies
(spaCy PhraseMatchers), their near misses (fuzzy, reported as variants), and generic shapes
(rules/patterns.jsonl: INN stems, code names, trial acronyms) for names no rule lists."""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from rapidfuzz import fuzz
from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc

from pipeline.ner.hits import Hit
from pipeline.ner.tokenizer import token_texts
from pipeline.ner.vocab import Entry, RulesError, Vocabulary

VOCAB, FUZZY, GENERIC = 2, 1, 0


class NameFinder:
    def __init__(
        self,
        nlp: Language,
        vocab: Vocabulary,
        patterns: list[Any],
        cfg: Mapping[str, Any],
        joiners: list[str],
    ) -> None:
        self.vocab = vocab
        self.lower = PhraseMatcher(nlp.vocab, attr="LOWER")
        self.orth = PhraseMatcher(nlp.vocab, attr="ORTH")
        self.by_key: dict[str, Entry] = {}
        for i, e in enumerate(vocab.entries):
            key = f"{e.label}:{i}"
            self.by_key[key] = e
            (self.orth if e.case_sensitive else self.lower).add(key, [nlp.make_doc(e.form)])
        self.dehyphenated = {e.form: e for e in vocab.entries if "-" not in e.form and " " not in e.form}
        self.matcher = Matcher(nlp.vocab)
        self.generic: dict[str, str] = {}
        self.needs_context: set[str] = set()  # shapes accepted only before "study"/"trial"
        for i, p in enumerate(patterns or []):
            if not isinstance(p, dict) or "label" not in p or not isinstance(p.get("pattern"), list):
                raise RulesError(f"rules/patterns.jsonl line {i + 1}: needs `label` and a `pattern` list")
            key = f"{p['label']}:{p.get('id', i)}"
            self.generic[key] = p["label"]
            if p.get("needs_trial_context"):
                self.needs_context.add(key)
            try:
                self.matcher.add(key, [p["pattern"]])
            except (ValueError, KeyError) as e:
                raise RulesError(f"rules/patterns.jsonl line {i + 1}: {e}") from e
        self.first_tokens = _first_token_filter(patterns or [])
        gen = cfg.get("generic", {})
        self.not_trials = {str(x).lower() for x in gen.get("not_trials", [])}
        self.trial_context = {str(x).lower() for x in gen.get("trial_context", [])}
        self.not_products = [re.compile(str(x)) for x in gen.get("not_products", [])]
        self.not_products_after = [re.compile(str(x)) for x in gen.get("not_products_after", [])]
        self.joiners = {str(j) for j in joiners}
        # A paper repeats its words: each distinct token text is scored once per document (`forget`
        # between documents keeps the memory flat over a batch and the time per document honest).
        # Only a two-word INN looks at the next word, and only when the token is (almost) its first
        # word, so everything else is memoised on the token text alone.
        self._memo = [
            lru_cache(maxsize=1 << 16)(f)
            for f in (
                lambda text: self.vocab.near_inn(text, None) is not None,
                self._near_word,
                lambda text: self.vocab.near_short(text, "METRIC"),
                lambda text: any(c.isalpha() for c in text),
                self._may_start_pattern,
            )
        ]
        self._inn_possible, self._near_word_once, self._near_metric, self._has_alpha, self._may_start = (
            self._memo
        )

    def forget(self) -> None:
        """Drop the memo of near matches (called at the start of each document)."""
        for f in self._memo:
            f.cache_clear()

    def find(self, doc: Doc) -> list[Hit]:
        hits = self._vocabulary(doc)
        covered = {i for h in hits for i in range(h.start, h.end)}  # token indices here
        hits += self._fuzzy(doc, covered)
        covered = {i for h in hits for i in range(h.start, h.end)}
        hits += self._generic(doc, covered)
        hits = self._combine_targets(doc, hits)
        hits = self._drop_slashed_metrics(doc, hits)
        # token indices -> character offsets
        out = []
        for h in hits:
            span = doc[h.start : h.end]
            out.append(Hit(h.label, span.start_char, span.end_char, h.canonical, h.attrs, h.rank))
        return out

    def _vocabulary(self, doc: Doc) -> list[Hit]:
        out = []
        for key_id, s, e in [*self.lower(doc), *self.orth(doc)]:
            entry = self.by_key[doc.vocab.strings[key_id]]
            attrs = dict(entry.attrs)
            # A trial's capitalisation is part of its name (AlphaMM): another casing is a variant.
            raw = doc[s:e].text if entry.label == "TRIAL" else ""
            if raw and raw not in self.vocab.exact_forms and not raw.isupper():
                attrs.update(variant=True, raw=raw, score=round(fuzz.ratio(raw, entry.form), 1))
            out.append(Hit(entry.label, s, e, entry.canonical, attrs, VOCAB))
        return out

    def _fuzzy(self, doc: Doc, covered: set[int]) -> list[Hit]:
        out: list[Hit] = []
        words = token_texts(doc)  # plain strings: a Token per look-up costs more than the test
        n = len(words)
        i = 0
        while i < n:
            text = words[i]
            if i in covered or not self._has_alpha(text):
                i += 1
                continue
            joined = self.dehyphenated.get(text.replace("-", "")) if "-" in text else None
            if joined is not None:  # "Alpha-MM": a line-break hyphen kept by the text layer, not a variant
                out.append(
                    Hit(
                        joined.label, i, i + 1, joined.canonical, {**joined.attrs, "hyphenation": True}, VOCAB
                    )
                )
                i += 1
                continue
            nxt = words[i + 1] if i + 1 < n and i + 1 not in covered else None
            # spaCy's Token.is_alpha is str.isalpha of the token text
            found = self._near(text, nxt if nxt is not None and nxt.isalpha() else None)
            if found is None and nxt is not None and nxt in self.vocab.metric_followers:
                near = self._near_metric(text)
                found = (near[0], near[1], 1) if near else None
            if found is None:
                i += 1
                continue
            entry, score, width = found
            raw = doc[i : i + width].text
            attrs = {**entry.attrs, "variant": True, "raw": raw, "score": score}
            out.append(Hit(entry.label, i, i + width, entry.canonical, attrs, FUZZY))
            i += width
        return out

    def _near(self, text: str, nxt: str | None) -> tuple[Entry, float, int] | None:
        inn = (
            self.vocab.near_inn(text, nxt)
            if text.isalpha() and len(text) >= self.vocab.min_length and self._inn_possible(text)
            else None
        )
        if inn:
            return inn[0], inn[1], 2 if inn[2] else 1
        return self._near_word_once(text)

    def _near_word(self, text: str) -> tuple[Entry, float, int] | None:
        for label in ("PRODUCT", "TRIAL"):
            near = self.vocab.near(text, label)
            if near:
                return near[0], near[1], 1
        near = self.vocab.near_short(text, "TARGET")
        return (near[0], near[1], 1) if near else None

    def _may_start_pattern(self, text: str) -> bool:
        """Whether a token printed `text` passes `first_tokens` (spaCy's LOWER is str.lower)."""
        return any(
            rx.search(text.lower() if attr == "LOWER" else text) for attr, rx in self.first_tokens or ()
        )

    def _generic(self, doc: Doc, covered: set[int]) -> list[Hit]:
        out: list[Hit] = []
        if self.first_tokens is not None and not any(self._may_start(w) for w in token_texts(doc)):
            return out  # no token can start a pattern: the Matcher would find nothing
        for key_id, s, e in self.matcher(doc):
            if any(i in covered for i in range(s, e)):
                continue
            key = doc.vocab.strings[key_id]
            label = self.generic[key]
            text = doc[s:e].text
            if key in self.needs_context and not (e < len(doc) and doc[e].lower_ in self.trial_context):
                continue
            if any(rx.search(text) for rx in self.vocab.never) or text.lower() in self.not_trials:
                continue
            if label == "PRODUCT" and any(rx.search(text) for rx in self.not_products):
                continue
            after = doc.text[doc[e - 1].idx + len(doc[e - 1]) :][:80]
            if label == "PRODUCT" and any(rx.match(after) for rx in self.not_products_after):
                continue  # "(Digi-Walker SW-200; Yamax, Tokyo)": a device model and its maker
            if (
                label == "PRODUCT"
                and e < len(doc)
                and doc[e].lower_ in self.trial_context
                and any(c.isdigit() for c in text)
            ):
                label = "TRIAL"  # "XYZ-101 study": a code-named trial, not a product
            # INN-shaped names are written lower case; code names as printed
            canonical = text.lower() if label == "PRODUCT" and not any(c.isdigit() for c in text) else text
            attrs = {"generic": True}
            if label == "PRODUCT":
                attrs["target"] = ""
            out.append(Hit(label, s, e, canonical, attrs, GENERIC))
        return out

    @staticmethod
    def _drop_slashed_metrics(doc: Doc, hits: list[Hit]) -> list[Hit]:
        """ "RR/MM", "R/R": a metric-like piece of a slashed word whose other piece is no metric is
        part of another abbreviation; a pair of metrics ("VGPR/PR") stays."""
        metric_at = {i for h in hits if h.label == "METRIC" for i in range(h.start, h.end)}
        words = token_texts(doc)

        def other_piece(i: int) -> bool:  # token i is a word that no metric covers
            return 0 <= i < len(words) and any(c.isalpha() for c in words[i]) and i not in metric_at

        def slashed(h: Hit) -> bool:
            after = h.end < len(words) and words[h.end] == "/" and other_piece(h.end + 1)
            before = h.start > 0 and words[h.start - 1] == "/" and other_piece(h.start - 2)
            return after or before

        return [h for h in hits if h.label != "METRIC" or not slashed(h)]

    def _combine_targets(self, doc: Doc, hits: list[Hit]) -> list[Hit]:
        """ "GPRC5D/BCMA", "CD19 and BCMA" -> one TARGET "BCMA+GPRC5D"; "CS1-BCMA" in one token too."""
        targets = sorted((h for h in hits if h.label == "TARGET"), key=lambda h: h.start)
        words = token_texts(doc)
        drop: set[int] = set()
        combined: list[Hit] = []
        for a, b in zip(targets, targets[1:], strict=False):
            if b.start == a.end + 1 and words[a.end] in self.joiners and id(a) not in drop:
                parts = sorted({a.canonical, b.canonical})
                if len(parts) == 2:
                    drop |= {id(a), id(b)}
                    attrs = {"combination": True, "parts": parts}
                    if a.attrs.get("variant") or b.attrs.get("variant"):
                        attrs.update(
                            {k: v for k, v in (a.attrs | b.attrs).items() if k in ("variant", "raw", "score")}
                        )
                    combined.append(
                        Hit("TARGET", a.start, b.end, "+".join(parts), attrs, min(a.rank, b.rank))
                    )
        covered = {i for h in hits for i in range(h.start, h.end)}
        for i, w in enumerate(words):
            if i in covered or "-" not in w:
                continue
            parts = [self.vocab.target_of.get(p.lower()) for p in w.split("-")]
            if len(parts) > 1 and all(parts):
                uniq = sorted(set(parts))  # type: ignore[arg-type]
                combined.append(
                    Hit("TARGET", i, i + 1, "+".join(uniq), {"combination": True, "parts": uniq}, VOCAB)
                )
        return [h for h in hits if id(h) not in drop] + combined


def _first_token_filter(patterns: list[Any]) -> list[tuple[str, re.Pattern[str]]] | None:
    """(attribute, regex) pairs, one per attribute, that a token must satisfy for any pattern of
    rules/patterns.jsonl to start on it; None (always run the Matcher) unless every pattern starts
    with a plain `{LOWER|TEXT|ORTH: {REGEX: …}}` token (spaCy tests those with re.search)."""
    by_attr: dict[str, list[str]] = {}
    for p in patterns:
        first = p["pattern"][0] if isinstance(p, dict) and p.get("pattern") else None
        if not isinstance(first, dict) or len(first) != 1:
            return None
        ((attr, spec),) = first.items()
        if attr not in ("LOWER", "TEXT", "ORTH") or not isinstance(spec, dict) or list(spec) != ["REGEX"]:
            return None
        by_attr.setdefault("LOWER" if attr == "LOWER" else "TEXT", []).append(str(spec["REGEX"]))
    try:
        return [(a, re.compile("|".join(f"(?:{r})" for r in rs))) for a, rs in by_attr.items()]
    except re.error:
        return None
