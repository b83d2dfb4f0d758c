"""Which of many printed names a sentence may hold, without trying every name's pattern on it.

A table's trial column can give a name per row (hundreds in a long supplement); trying each name's
pattern on each sentence costs names x sentences, which grows with the square of the paper. A name's
pattern (`from_text._name_re`) starts at a word boundary with the name's first run of letters and
digits, case-insensitively: the index keeps the names by that first run, and a sentence is looked up
at each place such a run can start. The names it returns are exactly those whose pattern can match,
in the order given; each is then matched by its own pattern as before.
"""

from __future__ import annotations

import re
import string
from collections import defaultdict

# characters a case-insensitive pattern of ASCII letters also matches, folded to what they match
_FOLD = str.maketrans(
    {**{u: u.lower() for u in string.ascii_uppercase}, "İ": "i", "ı": "i", "ſ": "s", "K": "k"}
)
_FIRST = re.compile(r"[A-Za-z0-9]+")
_START = re.compile(r"(?<![A-Za-z0-9])[A-Za-z0-9İıſK]")  # where a name's pattern can start


class NameIndex:
    def __init__(self, names: list[str]) -> None:
        self.order = {n: i for i, n in enumerate(names)}
        self.by_first: dict[str, list[str]] = defaultdict(list)
        for n in names:
            first = _FIRST.search(n)
            self.by_first[first.group().lower() if first else ""].append(n)
        self.lengths = sorted({len(k) for k in self.by_first})

    def candidates(self, s: str) -> list[str]:
        """The names whose first run of letters and digits is printed in `s` where a word starts."""
        if "" in self.by_first:  # a name without letters or digits: its pattern may match anywhere
            return list(self.order)
        folded = s.translate(_FOLD)
        found: set[str] = set()
        for m in _START.finditer(s):
            i = m.start()
            for n in self.lengths:
                found.update(self.by_first.get(folded[i : i + n], ()))
        return sorted(found, key=self.order.__getitem__)
