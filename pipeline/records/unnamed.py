"""Studies a paper describes by what they are instead of by a product name (shared/gold convention):

- a product the paper names only by its antigens and modality ("anti-CD20 and anti-CD22 CAR-T cells",
  "CD22-directed CAR-T cell therapy") is labelled `<antigens>-<modality>` (`cd20+cd22-car-t`), the
  antigens of one combination always in the order the paper first prints them together;
- a sentence that introduces a study ("A recent study analysed 79 patients", "An updated report …
  showed the results of 70 patients") opens a new study wherever it stands in its paragraph.

The modality phrases, the words allowed between antigens and modality, and the introducing phrases
are rules (rules/records.yml `unnamed_studies`); no product or antigen lives in code."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pipeline.model import Mention

_NEVER = re.compile(r"(?!x)x")


@dataclass(frozen=True)
class Unnamed:
    modalities: tuple[tuple[re.Pattern[str], str], ...] = ()
    joiner: re.Pattern[str] = _NEVER  # text allowed between antigens and their modality
    new_study: re.Pattern[str] = _NEVER  # a phrase that introduces a study ("a phase I study")
    anaphora: re.Pattern[str] = _NEVER  # a phrase that refers back to the study ("this study")

    def label(self, text: str, ms: list[Mention]) -> tuple[str, str]:
        """(`<antigens>-<modality>`, target) of the antigens+modality phrase of `text` with most antigens, antigens
        in printed order; ("", "") when there is none. `ms` are NER's mentions of `text`."""
        targets = sorted((m for m in ms if m.label == "TARGET"), key=lambda m: m.start)
        best: list[str] = []
        kind = printed = ""
        for rx, name in self.modalities:
            for mod in rx.finditer(text):
                chain: list[Mention] = []
                pos = mod.start()
                for m in reversed([m for m in targets if m.end <= pos]):
                    if not self.joiner.fullmatch(text[m.end : pos]):
                        break
                    chain.insert(0, m)
                    pos = m.start
                antigens = list(dict.fromkeys(a for m in chain for a in _printed_order(m)))
                if len(antigens) > len(best):  # the longest chain, else the first
                    best, kind, printed = antigens, name, _construct_name(chain)
        if not best:
            return "", ""
        if printed:  # "bispecific CS9-BCMA CAR-T cells": one construct, named as the paper prints it
            return printed, "+".join(sorted(best))
        return "+".join(a.lower() for a in best) + f"-{kind}", "+".join(sorted(best))

    def is_label(self, product: str) -> bool:
        return any(product.endswith(f"-{name}") and product[: -len(name) - 1] for _, name in self.modalities)


def _construct_name(chain: list[Mention]) -> str:
    """The printed word of a combination written as one hyphenated word ("CS9-BCMA"): the name of one
    bispecific construct, kept as printed (lower case); "" for antigens printed apart ("CD19 and BCMA")."""
    if len(chain) != 1 or not chain[0].attrs.get("combination"):
        return ""
    t = chain[0].text
    return t.lower() if re.fullmatch(r"[A-Za-z0-9]+(?:-[A-Za-z0-9]+)+", t) else ""


def _printed_order(m: Mention) -> list[str]:
    """The antigens of one TARGET mention in the order printed ("CD22/CD20" -> CD22, CD20)."""
    parts = [p for p in m.canonical.split("+") if p]
    low = m.text.lower()
    return sorted(parts, key=lambda p: low.find(p.lower()) if p.lower() in low else len(low))


def document_order(label: str, text: str, unnamed: Unnamed) -> str:
    """A combination label with its antigens in the order the paper first prints them together
    ("CD20 and CD22" before "anti-CD22 and anti-CD20" -> cd20+cd22-car-t)."""
    name = next((n for _, n in unnamed.modalities if label.endswith(f"-{n}")), "")
    head = label[: -len(name) - 1] if name else ""
    if "+" not in head:
        return label
    antigens = head.split("+")
    alt = "|".join(re.escape(a) for a in antigens)
    first = re.compile(
        rf"(?<![A-Za-z0-9])({alt})(?![A-Za-z0-9])[^.;]{{0,40}}?(?<![A-Za-z0-9])({alt})(?![A-Za-z0-9])", re.I
    )
    for m in first.finditer(text):
        a, b = m.group(1).lower(), m.group(2).lower()
        if a != b and len(antigens) == 2:
            return f"{a}+{b}-{name}"
    return label


def build(spec: Mapping[str, Any]) -> Unnamed:
    """rules/records.yml `unnamed_studies`; a regex that does not compile is a rules error."""
    try:
        mods = tuple(
            (re.compile(str(m["pattern"]), re.IGNORECASE), str(m["label"]))
            for m in spec.get("modalities") or []
        )
        joiner = re.compile(str(spec.get("joiner") or _NEVER.pattern), re.IGNORECASE)
        new_study = re.compile(str(spec.get("new_study") or _NEVER.pattern), re.IGNORECASE)
        anaphora = re.compile(str(spec.get("anaphora") or _NEVER.pattern), re.IGNORECASE)
    except (re.error, KeyError, TypeError) as e:
        raise ValueError(f"rules/records.yml unnamed_studies: {e}") from e
    return Unnamed(mods, joiner, new_study, anaphora)
