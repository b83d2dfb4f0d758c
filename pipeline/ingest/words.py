"""Characters -> rows of words, with superscripts told apart.

Word boundaries come from the gap between glyphs relative to the font size, not from space
characters: pdfTeX and other producers write none, and a fixed tolerance glues words on tight
justified lines. Measured on four producers, gaps inside words are <= 0.05 em and gaps between words
>= 0.14 em, so a word ends at a gap above `GAP_RATIO` em.

A superscript is a glyph clearly smaller than the text it follows and raised above its baseline.
Digits in superscript after "10" are exponents (`450x10^6`); other superscript numbers, ranges and
lists are citation markers, moved to `Word.refs`; anything else (ordinals, "+", letters) stays inline.

A long document holds hundreds of thousands of words whose texts, font names, sizes and line
tops/bottoms repeat; a `Pool` shared by the pages of one document stores each distinct value once.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache

from pipeline.model import Box, Word

GAP_RATIO = 0.1  # em; word boundary
SEGMENT_RATIO = 1.0  # em; a wider gap splits a row into segments (columns, table cells)
ROW_RATIO = 0.35  # em; glyph tops closer than this share a row
SMALL = 0.85  # a superscript is at most this fraction of the reference size
RAISE = 0.15  # em; ... and its bottom at least this far above the reference bottom

LIGATURES = {"ﬀ": "ff", "ﬃ": "ffi", "ﬄ": "ffl", "ﬁ": "fi", "ﬂ": "fl", "ﬆ": "st", "ﬅ": "st"}
_MINUS = str.maketrans({"−": "-", "–": "-", "—": "-", "‐": "-", "‑": "-"})
_BOLD = re.compile(r"bold|black|heavy|semibold|demi|[-,.]medi(um)?\b|-medi$|[-,]b$", re.I)
_EXPONENT_BASE = re.compile(r"(?:^|[^\d.])10$")
_EXPONENT = re.compile(r"^-?\d{1,3}$")
_CITATION = re.compile(r"^\d{1,4}(?:[,\-]\d{1,4})*,?$")
_RANGE_MAX = 30  # "1-4" expands to 1,2,3,4; wider ranges are kept as their two ends


@dataclass(slots=True)
class _Piece:
    sup: bool
    chars: list[dict] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(LIGATURES.get(c["text"], c["text"]) for c in self.chars)


class Pool:
    """One shared object per distinct word text, font name and coordinate of one document.

    Equal values become the same object, so nothing printed or compared changes; only memory does
    (a 300-page file: ~360k words, each with a text, a font and five numbers). Built per document
    and dropped when it is read: the words keep the shared objects, the lookup tables go."""

    __slots__ = ("_nums", "_strs")

    def __init__(self) -> None:
        self._strs: dict[str, str] = {}
        self._nums: dict[float, float] = {}

    def text(self, s: str) -> str:
        return self._strs.setdefault(s, s)

    def num(self, x: float) -> float:
        # Only true floats: an int coordinate must stay an int; -0.0 equals 0.0 but prints
        # differently; NaN equals nothing and would only grow the table.
        if type(x) is not float or x == 0.0 or x != x:
            return x
        return self._nums.setdefault(x, x)


@lru_cache(maxsize=1024)  # a document uses a handful of fonts; asked once per word
def is_bold(fontname: str) -> bool:
    return bool(_BOLD.search(fontname.split("+")[-1]))


def expand_refs(printed: str) -> list[str]:
    """Citation numbers of a printed marker: "5-6" -> ["5", "6"], "1,3-5" -> ["1", "3", "4", "5"]."""
    out: list[str] = []
    for part in printed.strip(",").split(","):
        if "-" in part:
            lo, _, hi = part.partition("-")
            a, b = int(lo), int(hi)
            out += [str(n) for n in range(a, b + 1)] if 0 < b - a <= _RANGE_MAX else [lo, hi]
        elif part:
            out.append(part)
    return out


def rows(
    chars: list[dict], page_no: int, width: float, height: float, pool: Pool | None = None
) -> list[list[Word]]:
    """Upright, on-page glyphs grouped into rows (top to bottom) of words (left to right).
    Pass the document's `pool` so that pages share repeated values."""
    pool = pool if pool is not None else Pool()
    chars = [
        c
        for c in chars
        if c.get("upright", True)
        and c["text"]
        and c["x1"] > 0
        and c["x0"] < width
        and c["bottom"] > 0
        and c["top"] < height
    ]
    chars.sort(key=lambda c: c["top"])
    groups: list[list[dict]] = []
    top0 = size0 = 0.0
    for c in chars:  # (plain comparisons instead of max(): this loop runs once per glyph)
        size = c["size"]
        if groups and c["top"] - top0 <= ROW_RATIO * (size0 if size0 >= size else size):
            groups[-1].append(c)
        else:
            groups.append([c])
            top0, size0 = c["top"], c["size"]
    groups = _merge_small_rows(groups)
    _rehome_markers(groups)
    out = []
    for g in groups:
        g.sort(key=lambda c: c["x0"])
        g = _dedupe(g)
        big = max([c["size"] for c in g])
        words = []
        for seg in _segments(g):
            words += _words(seg, page_no, _reference(seg, g, big), pool)
        if words:
            out.append(words)
    return out


def rotated_rows(chars: list[dict], page_no: int, pool: Pool | None = None) -> list[list[Word]]:
    """Rows of words set vertically (a page turned on its side): pdfplumber reads each vertical
    line; lines are ordered across the page in reading direction."""
    from pdfplumber.utils import extract_words

    pool = pool if pool is not None else Pool()
    chars = [c for c in chars if not c.get("upright", True) and c["text"]]
    if not chars:
        return []
    found = extract_words(chars, return_chars=True)
    for w in found:
        w["size"], w["fontname"] = w["chars"][0]["size"], w["chars"][0]["fontname"]
    ttb = sum(w.get("direction") == "ttb" for w in found) * 2 >= len(found)
    found.sort(key=lambda w: w["x0"], reverse=not ttb)
    groups: list[list[dict]] = []
    for w in found:  # one vertical line: x0 within a fraction of the size of the line's first word
        if groups and abs(w["x0"] - groups[-1][0]["x0"]) <= ROW_RATIO * w["size"]:
            groups[-1].append(w)
        else:
            groups.append([w])
    out = []
    for g in groups:
        ws = sorted(g, key=(lambda w: w["top"]) if ttb else (lambda w: -w["bottom"]))
        out.append(
            [
                Word(
                    pool.text("".join(LIGATURES.get(ch, ch) for ch in w["text"])),
                    _make_box(page_no, w["x0"], w["top"], w["x1"], w["bottom"], pool),
                    size=pool.num(round(w["size"], 2)),
                    font=pool.text(w["fontname"].split("+")[-1]),
                    bold=is_bold(w["fontname"]),
                )
                for w in ws
            ]
        )
    return out


def _merge_small_rows(groups: list[list[dict]]) -> list[list[dict]]:
    """Lowered small glyphs (subscripts) start their own row by `top`; give them back to the row of
    larger glyphs they overlap vertically and follow (or precede) without a gap. Small text standing
    apart (a sidebar set smaller beside the body) keeps its own rows: merging by height alone would
    interleave close lines of two columns letter by letter."""
    out: list[list[dict]] = []
    for g in groups:
        prev = out[-1] if out else None
        if prev is None:
            out.append(g)
            continue
        big = max(c["size"] for c in prev)
        if max(c["size"] for c in g) >= SMALL * big or min(c["top"] for c in g) >= max(
            c["bottom"] for c in prev
        ):
            out.append(g)
            continue
        g.sort(key=lambda c: c["x0"])
        kept: list[dict] = []
        for seg in _segments(g):
            if _touches(seg, prev):
                prev.extend(seg)
            else:
                kept += seg
        if kept:
            out.append(kept)
    return out


def _touches(seg: list[dict], row: list[dict]) -> bool:
    """Whether glyphs `seg` sit right after or before a glyph of `row` that they overlap vertically,
    with no such glyph above or below them (a line of the same column, not a subscript)."""
    x0, x1 = seg[0]["x0"], seg[-1]["x1"]
    top, bottom = min(c["top"] for c in seg), max(c["bottom"] for c in seg)
    touch = False
    for c in row:
        if c["top"] < bottom and top < c["bottom"]:
            if c["x0"] < x1 - 0.5 and x0 + 0.5 < c["x1"]:
                return False
            near = GAP_RATIO * 3 * c["size"]
            touch = touch or -0.5 <= x0 - c["x1"] <= near or -0.5 <= c["x0"] - x1 <= near
    return touch


def _rehome_markers(groups: list[list[dict]]) -> None:
    """A raised marker whose top is nearer a neighbouring column's line than its own lands in the
    wrong row; move small glyphs standing apart in their row to the adjacent row whose text they
    follow without a gap."""
    for i, g in enumerate(groups):
        big = max(c["size"] for c in g)
        g.sort(key=lambda c: c["x0"])
        for seg in _segments(g):
            if max(c["size"] for c in seg) >= SMALL * big or len(seg) == len(g):
                continue
            x0 = seg[0]["x0"]
            top, bottom = min(c["top"] for c in seg), max(c["bottom"] for c in seg)
            for j in (i - 1, i + 1):
                if not 0 <= j < len(groups):
                    continue
                if any(
                    -0.5 <= x0 - c["x1"] <= GAP_RATIO * 3 * c["size"]
                    and c["top"] < bottom
                    and top < c["bottom"]
                    for c in groups[j]
                ):
                    ids = {id(c) for c in seg}
                    g[:] = [c for c in g if id(c) not in ids]
                    groups[j].extend(seg)
                    break
    groups[:] = [g for g in groups if g]


def _dedupe(row: list[dict]) -> list[dict]:
    """A row (sorted by x0) without the second print of fake-bold glyphs: the same character drawn
    again a fraction of its width to the side ("MMeeaann" for "Mean")."""
    out = [row[0]]
    for c in row[1:]:
        last = out[-1]
        if (
            c["text"] == last["text"]
            and c["x0"] - last["x0"] < 0.3 * (last["x1"] - last["x0"])
            and abs(c["top"] - last["top"]) < 0.2 * last["size"]
        ):
            continue
        out.append(c)
    return out


def _segments(row: list[dict]) -> list[list[dict]]:
    if not row:
        return []
    segs: list[list[dict]] = [[row[0]]]
    last = row[0]
    for c in row[1:]:
        a, b = last["size"], c["size"]
        if c["x0"] - last["x1"] > SEGMENT_RATIO * (a if a >= b else b):
            segs.append([c])
        else:
            segs[-1].append(c)
        last = c
    return segs


def _reference(seg: list[dict], row: list[dict], big: float) -> tuple[float, float]:
    """(size, bottom) of the body text a superscript is measured against: the segment's largest
    common size; the row's when the segment holds only small glyphs (a marker after a wide gap).
    `big` is the row's largest size."""
    src = seg
    if max([c["size"] for c in seg]) < SMALL * big:
        src = row
    sizes = Counter([round(c["size"], 1) for c in src if not c["text"].isspace()])
    if not sizes:
        return big, max(c["bottom"] for c in row)
    size = max(sizes, key=lambda s: (sizes[s], s))
    bottoms = sorted(c["bottom"] for c in src if abs(c["size"] - size) < 0.15)
    return size, bottoms[len(bottoms) // 2]


def _words(seg: list[dict], page_no: int, ref: tuple[float, float], pool: Pool) -> list[Word]:
    ref_size, ref_bottom = ref
    small, raised = SMALL * ref_size, RAISE * ref_size
    words: list[Word] = []
    cur: list[dict] = []
    sups: list[bool] = []
    prev: dict | None = None
    for c in seg:
        if c["text"].isspace():
            if cur:
                _flush(cur, sups, words, page_no, pool)
            cur, sups, prev = [], [], None
            continue
        size = c["size"]
        if prev is not None:
            p_size = prev["size"]
            if c["x0"] - prev["x1"] > GAP_RATIO * (p_size if p_size <= size else size):
                _flush(cur, sups, words, page_no, pool)
                cur, sups = [], []
        cur.append(c)
        sups.append(size <= small and ref_bottom - c["bottom"] >= raised)
        prev = c
    if cur:
        _flush(cur, sups, words, page_no, pool)
    return words


def _flush(chars: list[dict], sups: list[bool], words: list[Word], page_no: int, pool: Pool) -> None:
    """One word from its glyphs; `sups` tells which of them are superscript."""
    if not any(sups):  # the common case, kept free of the per-piece bookkeeping below
        words.append(
            _word(
                "".join([LIGATURES.get(c["text"], c["text"]) for c in chars]), chars, chars, (), page_no, pool
            )
        )
        return
    pieces: list[_Piece] = []
    for c, sup in zip(chars, sups, strict=True):
        if not pieces or pieces[-1].sup != sup:
            pieces.append(_Piece(sup))
        pieces[-1].chars.append(c)
    text, refs = "", []
    for p in pieces:
        t = p.text
        if not p.sup:
            text += t
            continue
        t = t.translate(_MINUS)
        if text and _EXPONENT_BASE.search(text) and _EXPONENT.match(t):
            text += "^" + t
        elif _CITATION.match(t):
            refs += expand_refs(t)
        else:
            text += t
    if not text and words:  # a marker standing apart belongs to the word before it
        last = words[-1]
        last.refs = (*last.refs, *refs)
        last.box = last.box.union(_box(chars, page_no, pool))
        return
    if not text:
        text = "".join(p.text for p in pieces)
    body = [c for c, sup in zip(chars, sups, strict=True) if not sup] or chars
    words.append(_word(text, chars, body, tuple(refs), page_no, pool))


def _make_box(page_no: int, x0: float, top: float, x1: float, bottom: float, pool: Pool) -> Box:
    num = pool.num
    return Box(page_no, num(x0), num(top), num(x1), num(bottom))


def _box(chars: list[dict], page_no: int, pool: Pool) -> Box:
    if len(chars) == 1:
        c = chars[0]
        return _make_box(page_no, c["x0"], c["top"], c["x1"], c["bottom"], pool)
    return _make_box(
        page_no,
        min([c["x0"] for c in chars]),
        min([c["top"] for c in chars]),
        max([c["x1"] for c in chars]),
        max([c["bottom"] for c in chars]),
        pool,
    )


def _word(
    text: str, chars: list[dict], body: list[dict], refs: tuple[str, ...], page_no: int, pool: Pool
) -> Word:
    """A Word spanning `chars`; size, font and weight from its `body` (non-superscript) glyphs."""
    n_bold = sum(map(is_bold, [c["fontname"] for c in body]))
    return Word(
        text=pool.text(text),
        box=_box(chars, page_no, pool),
        size=pool.num(round(max([c["size"] for c in body]), 2)),
        font=pool.text(body[0]["fontname"].split("+")[-1]),
        bold=n_bold * 2 > len(body),
        refs=refs,
    )
