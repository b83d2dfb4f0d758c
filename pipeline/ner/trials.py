"""Trial names found by the role the paper gives them, not by a list (rules/ner.yml `trials`):

- in apposition to a registry id: "NAME (NCT01234567)", "NCT01234567 (NAME)", a cell "NAME NCT…";
- before a trial word: "the NAME trial", "the phase 3 NAME study";
- as the subject of a trial description: "NAME was a randomised phase 3 trial", "(NAME): a … Trial";
- after the colon of a section heading: "3.2. Drug X after drug Y: NAME-01 and NAME-02";
- at the start of a cell in a table column headed "Trial"/"Study".

A name is one to three name-shaped words (two capitals, or a capital and a digit: KESTREL,
ORBIT-Lung04, ZEPHyR-07, HALCYON NHL-2), none of them a known product, antigen or metric, a
roman numeral or a registry id. Citation digits glued to a name ("NAME8" beside "NAME") are cut off.
Each candidate keeps the contexts it was found in (its evidence)."""

from __future__ import annotations

import re
import string
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*")
_ROMAN = re.compile(r"^(?:I{1,3}|IV|VI{0,3}|IX|X)[abAB]?$")
_OPEN = re.compile(r"\s*\(\s*")
_CLOSE = re.compile(r"\s*\)")


def _back_over(text: str, end: int, chars: str = "") -> int:
    """Where the run of white space (and `chars`) ending at `end` starts: text[:end].rstrip() without
    copying the text before it."""
    while end > 0 and (text[end - 1].isspace() or text[end - 1] in chars):
        end -= 1
    return end


def _broken_before(text: str, start: int) -> bool:
    """A letter, a hyphen and white space right before `start`: a word broken at the line end."""
    i = _back_over(text, start)
    return i < start and i >= 2 and text[i - 1] == "-" and text[i - 2] in string.ascii_letters


@dataclass
class Candidate:
    name: str
    evidence: set[str] = field(default_factory=set)


class TrialFinder:
    def __init__(
        self, cfg: Mapping[str, Any], known: Iterable[str], registry_re: list[re.Pattern[str]]
    ) -> None:
        words = [str(w).lower() for w in cfg.get("words", ["trial", "study", "trials", "studies"])]
        self.words = set(words)
        self.headers = [str(h).lower() for h in cfg.get("headers", ["trial", "study"])]
        self.not_names = {str(x).lower() for x in cfg.get("not_names", [])}
        self.max_words = int(cfg.get("max_words", 3))
        self.known = {k.lower() for k in known}  # products, antigens, metrics: never trial names
        self.registry = registry_re
        w = "|".join(re.escape(x) for x in words)
        self.description_at = re.compile(  # matched at a position (pattern.match(text, pos))
            rf"\s*(?:\([^()]{{0,40}}\))?\s*\)?\s*(?::\s*|,\s*|\s+(?:was|is|were|are)\s+)(?:an?|the)\s+[^.;]{{0,90}}?\b(?:{w})\b",
            re.IGNORECASE,
        )
        self.re_word_after = re.compile(rf"^\s+(?:{w})\b", re.IGNORECASE)

    # -- name shapes --------------------------------------------------------------------------------
    def name_shaped(self, token: str) -> bool:
        if len(token) < 3 or token.islower():  # most words of a text: no capital, no name
            return False
        uppers = sum(c.isupper() for c in token)
        digits = any(c.isdigit() for c in token)
        low = token.lower()
        if len(token) < 3 or not token[0].isalnum() or not (uppers >= 2 or (uppers and digits)):
            return False
        if _ROMAN.match(token) or token.isdigit() or low in self.not_names or low in self.known:
            return False
        if any(rx.fullmatch(token) for rx in self.registry):
            return False
        # "HER2-low", "BCMA-directed": a known name with word affixes is that name (not "NHL-3")
        parts = token.split("-")
        named = [p for p in parts if p.lower() in self.known or p.lower() in self.not_names]
        return not (named and all(p in named or p.islower() for p in parts))

    def _tokens(self, text: str) -> list[re.Match[str]]:
        return list(_TOKEN.finditer(text))

    def _name_before(
        self, text: str, end: int, toks: list[re.Match[str]] | None = None
    ) -> tuple[int, str] | None:
        """The name-shaped words ending right at `end` (only spaces between them). `toks`: the
        tokens of the whole text, when the caller has them: tokenising the text before each place
        again costs the square of a long block."""
        toks = self._tokens(text[:end]) if toks is None else toks
        last = bisect_right(toks, end, key=lambda t: t.end())  # the tokens ending by `end`
        if last < len(toks) and toks[last].start() < end:  # a token runs across `end`: cut it there
            toks = self._tokens(text[:end])
            last = len(toks)
        taken: list[re.Match[str]] = []
        pos = end
        for k in range(last - 1, -1, -1):  # backwards from `end`
            t = toks[k]
            if text[t.end() : pos].strip() or not self.name_shaped(t.group()) or len(taken) >= self.max_words:
                break
            if _broken_before(text, t.start()):
                return None  # "MIR- ANTE": the end of a word broken at the line end
            taken.insert(0, t)
            pos = t.start()
        if not taken:
            return None
        return taken[0].start(), text[taken[0].start() : taken[-1].end()]

    def _name_at(self, text: str, start: int) -> tuple[int, str] | None:
        """The name-shaped words starting at `start` (only spaces between them)."""
        taken: list[re.Match[str]] = []
        pos = start
        for t in _TOKEN.finditer(text, start):
            if (
                text[pos : t.start()].strip()
                or not self.name_shaped(t.group())
                or len(taken) >= self.max_words
            ):
                break
            taken.append(t)
            pos = t.end()
        if not taken:
            return None
        return taken[-1].end(), text[taken[0].start() : taken[-1].end()]

    # -- contexts -----------------------------------------------------------------------------------
    def in_text(self, text: str, ids: list[tuple[int, int]], heading: bool = False) -> list[tuple[str, str]]:
        """(name, context) pairs of one block; `ids` are the registry-id spans NER found in it."""
        out: list[tuple[str, str]] = []
        toks = self._tokens(text)  # once per block; positions are searched in place, never sliced off
        for a, b in ids:
            got = self._name_before(text, _back_over(text, a, " (,"), toks)
            if got:
                out.append((got[1], "registry"))
            after = _OPEN.match(text, b)
            if after:
                got2 = self._name_at(text, after.end())
                if got2 and _CLOSE.match(text, got2[0]):
                    out.append((got2[1], "registry"))
        for t in toks:
            if t.group().lower() in self.words:
                got = self._name_before(text, _back_over(text, t.start()), toks)
                if got:
                    out.append((got[1], "trial word"))
        for t in toks:
            if t.start() > 0 and text[t.start() - 1] not in " (\n":
                continue
            got = self._name_at(text, t.start())
            if got and self.description_at.match(text, got[0]):
                out.append((got[1], "description"))
        if heading and ":" in text:
            tail = text.rsplit(":", 1)[1]
            pieces = [p.strip() for p in re.split(r",|\band\b|&|\bvs\.?\b|\bversus\b", tail)]
            for p in pieces:
                got = self._name_at(p, 0)
                strong = sum(c.isupper() for c in p) >= 3 or any(c.isdigit() for c in p)
                if p and got and got[1] == p and strong:
                    out.append((p, "heading"))
        return out

    def in_cell(self, text: str, header: str) -> list[tuple[str, str]]:
        """The name opening a cell of a trial column ("NAME NCT… Phase III [10]", "NAME, FL cohort")."""
        h = header.lower()
        if not any(re.search(rf"(?<![a-z]){re.escape(w)}(?![a-z])", h) for w in self.headers):
            return []
        got = self._name_at(text, len(text) - len(text.lstrip()))
        return [(got[1], "table")] if got else []


def collect(pairs: Iterable[tuple[str, str]]) -> dict[str, Candidate]:
    """Candidates by name; a name with glued citation digits or a footnote letter ("NAME8", "NAMEa")
    folds into the bare name when the paper also prints that ("NAME")."""
    out: dict[str, Candidate] = {}
    for name, ctx in pairs:
        out.setdefault(name, Candidate(name)).evidence.add(ctx)
    for name in list(out):
        m = re.fullmatch(r"(.*[A-Za-z])\d{1,3}", name) or re.fullmatch(r"(.*[A-Z0-9])[a-e]", name)
        if m and m.group(1) in out and name in out:
            out[m.group(1)].evidence |= out.pop(name).evidence
    return out
