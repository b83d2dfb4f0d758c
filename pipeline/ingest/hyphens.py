"""Line-end hyphens decided by evidence, in this order:

1. the document's own vocabulary: the pair printed elsewhere with a hyphen (keep) or joined (join);
   then the rules' product and trial names, the same way (a name with inner capitals joins);
2. shape: digits, a single letter, capitals inside the left part or a capital starting the right part
   mean a compound or code (GPRC5D-specific, G-secretase, MRD-negative, anti-BCMA, 4-1BB): keep.
   Two all-capital parts (a heading) join when the joined word is English;
3. a general English word list (the frequency list pyspellchecker ships; `english`): a common joined
   word joins (posi-tioning); a combining form (equi-, immuno-, micro-, ...) joins; two common words
   (follow-up, all-treated) or a common word after a long part that joined makes no word
   (transposon-based) keep their hyphen; anything else was the typesetter's and goes.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Collection
from functools import lru_cache
from importlib import resources

_COMMON = 1000  # corpus count of a common English word
_JOINED = 200  # ... of a joined word accepted as English
_LONG = 4  # letters: a left part this long that joins into no word is a word of its own
_COMBINING = frozenset(
    [
        "equi",
        "multi",
        "poly",
        "mono",
        "semi",
        "pseudo",
        "hyper",
        "hypo",
        "micro",
        "macro",
        "nano",
        "neuro",
        "immuno",
        "cardio",
        "hemato",
        "haemato",
        "onco",
        "radio",
        "chemo",
        "thermo",
        "electro",
        "photo",
        "hydro",
        "inter",
        "intra",
        "trans",
        "super",
        "supra",
        "counter",
        "peri",
        "endo",
        "exo",
        "extra",
        "ultra",
        "iso",
        "hetero",
        "homo",
    ]
)
_WORD = re.compile(r"[^\W_]+")


@lru_cache(maxsize=1)
def english() -> dict[str, int]:
    """Lower-case English words and their counts in pyspellchecker's frequency list (read once)."""
    path = resources.files("spellchecker").joinpath("resources/en.json.gz")
    with path.open("rb") as fh, gzip.open(fh) as gz:
        return json.load(gz)


def keep_hyphen(left: str, right: str, vocab: set[str], names: Collection[str] = frozenset()) -> bool:
    """Whether `left` (ending in "-") and `right`, the next line's first word, keep their hyphen;
    `vocab` holds the document's words as printed inside lines (lower case), `names` the words of
    the rules' product and trial names (lower case, `pipeline.rules.name_words`)."""
    stem = left[:-1]
    lm = re.search(r"[^\W_]+$", stem)
    rm = _WORD.match(right)
    if not lm or not rm:
        return True  # a symbol on either side
    lpart, rpart = lm.group(0), rm.group(0)
    lw, rw = lpart.lower(), rpart.lower()
    joined, hyphened = lw + rw, f"{lw}-{rw}"
    if (hyphened in vocab or f"{stem.lower()}-{rw}" in vocab) != (joined in vocab):
        return joined not in vocab  # the paper spells it one way elsewhere
    if (hyphened in names or f"{stem.lower()}-{rw}" in names) != (joined in names):
        return joined not in names  # a known name spelt one way (Xyz-/Tor of "XyzTor" joins)
    words = english()
    if (
        lpart.isalpha()
        and rpart.isalpha()
        and lpart.isupper()
        and rpart.isupper()
        and min(len(lpart), len(rpart)) > 2
    ):
        return joined not in words  # UNIVER-SAL: a heading set in capitals
    if any(ch.isdigit() for ch in lpart + rpart[:1]) or len(lpart) == 1:
        return True
    if any(ch.isupper() for ch in lpart[1:]) or not rpart[0].islower():
        return True  # an acronym or code before the hyphen, a capital after it
    if words.get(joined, 0) >= _JOINED or lw in _COMBINING:
        return False
    if len(lw) >= _LONG and len(rw) >= _LONG and lw in vocab and rw in vocab and joined not in words:
        return True  # both halves are words the paper uses on their own (lenalidomide-refractory)
    common_r = words.get(rw, 0) >= _COMMON
    if common_r and words.get(lw, 0) >= _COMMON and len(lw) > 1:
        return True  # two words: follow-up, all-treated
    return common_r and len(lw) >= _LONG and joined not in words and len(rw) > 2
