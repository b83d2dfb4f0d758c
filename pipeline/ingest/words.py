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
from operator import itemgetter

from pipeline.model import Box, Word

GAP_RATIO = 0.1  # em; word boundary
SEGMENT_RATIO = 1.0  # em; a wider gap splits a row into segments (columns, table cells)
ROW_RATIO = 0.35  # em; glyph tops closer than this share a row
SMALL = 0.85  # a superscript is at most this fraction of the reference size
RAISE = 0.15  # em; ... and its bottom at least this far above the reference bottom
OVERPRINT = 0.5  # share of the narrower glyph's width two glyphs of one row share: printed over each other
_COLLISIONS = 3  # ... so many times between two fonts: two lines printed over each other

LIGATURES = {"ﬀ": "ff", "ﬃ": "ffi", "ﬄ": "ffl", "ﬁ": "fi", "ﬂ": "fl", "ﬆ": "st", "ﬅ": "st"}
_MINUS = str.maketrans({"−": "-", "–": "-", "—": "-", "‐": "-", "‑": "-"})
_BOLD = re.compile(r"bold|black|heavy|semibold|demi|[-,.]medi(um)?\b|-medi$|[-,]b$", re.I)
_EXPONENT_BASE = re.compile(r"(?:^|[^\d.])10$")
_EXPONENT = re.compile(r"^-?\d{1,3}$")
_CITATION = re.compile(r"^\d{1,4}(?:[,\-]\d{1,4})*,?$")
_RANGE_MAX = 30  # "1-4" expands to 1,2,3,4; wider ranges are kept as their two ends
_X0, _TOP = itemgetter("x0"), itemgetter("top")
# A row whose smallest glyph is larger than SMALL x (its largest + this) holds no superscript whatever
# its reference size (a size rounded to 0.1 exceeds the size by at most 0.05)
_ROUNDING = 0.06


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

    __slots__ = ("_nums", "_sizes", "_strs")

    def __init__(self) -> None:
        self._strs: dict[str, str] = {}
        self._nums: dict[float, float] = {}
        self._sizes: dict[float, float] = {}  # a glyph size -> its word size (rounded, shared)

    def text(self, s: str) -> str:
        return self._strs.setdefault(s, s)

    def num(self, x: float) -> float:
        # Only true floats: an int coordinate must stay an int; -0.0 equals 0.0 but prints
        # differently; NaN equals nothing and would only grow the table.
        if type(x) is not float or x == 0.0 or x != x:
            return x
        return self._nums.setdefault(x, x)

    def size(self, x: float) -> float:
        """`num(round(x, 2))`, looked up: a document prints a handful of sizes. Only true nonzero
        floats are looked up (an int size, equal to its float, must stay an int; -0.0 stays -0.0)."""
        if type(x) is not float or x == 0.0 or x != x:
            return self.num(round(x, 2))
        out = self._sizes.get(x)
        if out is None:
            out = self._sizes[x] = self.num(round(x, 2))
        return out


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
    chars.sort(key=_TOP)
    groups: list[list[dict]] = []
    top0 = size0 = 0.0
    for c in chars:  # (plain comparisons instead of max(): this loop runs once per glyph)
        size = c["size"]
        if groups and c["top"] - top0 <= ROW_RATIO * (size0 if size0 >= size else size):
            groups[-1].append(c)
        else:
            groups.append([c])
            top0, size0 = c["top"], c["size"]
    groups = [layer for g in groups for layer in _overprinted(g)]
    groups = _merge_small_rows(groups)
    _rehome_markers(groups)
    out = []
    for g in groups:
        g.sort(key=_X0)
        g = _dedupe(g)
        sizes = [c["size"] for c in g]
        big = max(sizes)
        plain = min(sizes) > SMALL * (big + _ROUNDING)  # no superscript: no reference to measure
        words = []
        for seg in _segments(g):
            words += _words(seg, page_no, (big, 0.0) if plain else _reference(seg, g, big), pool)
        if words:
            out.append(words)
    return out


def _collides(a: dict, b: dict) -> bool:
    """Two different letters or digits of different fonts or sizes sharing most of the narrower one's
    width (an accent printed over its letter is neither; the same glyph printed twice is a duplicate,
    `_dedupe`'s)."""
    return (
        a["text"] != b["text"]
        and (a["fontname"] != b["fontname"] or a["size"] != b["size"])
        and min(a["x1"], b["x1"]) - max(a["x0"], b["x0"])
        > OVERPRINT * min(a["x1"] - a["x0"], b["x1"] - b["x0"])
        and a["text"].isalnum()
        and b["text"].isalnum()
    )


def _overprinted(row: list[dict]) -> list[list[dict]]:
    """A row holding two lines printed over each other at nearly the same baseline (a stamped
    licence line over a running footer), told apart by font and size: glyphs of one font collide
    with glyphs of the other all along the stretch they share, which text set on one line never
    does (an accent or a marker collides once or twice). Each font that collides with the row's
    main font at least `_COLLISIONS` times becomes a row of its own; the rest stays."""
    if len(row) < 2 * _COLLISIONS:
        return [row]
    xs = sorted(row, key=_X0)
    # (neighbours of one font and size never collide: most pairs are ruled out before the call)
    hits = sum(
        1
        for a, b in zip(xs, xs[1:], strict=False)
        if (a["size"] != b["size"] or a["fontname"] != b["fontname"]) and _collides(a, b)
    )
    if hits < _COLLISIONS:
        return [row]
    weight = Counter((c["fontname"], c["size"]) for c in row)
    main = max(weight, key=lambda k: (weight[k], k))
    by_key: dict[tuple[str, float], list[dict]] = {}
    for c in xs:
        by_key.setdefault((c["fontname"], c["size"]), []).append(c)
    own = by_key.pop(main)
    apart: list[dict] = []
    for cs in by_key.values():
        n = sum(1 for c in cs for m in own if _collides(c, m))
        (apart if n >= _COLLISIONS else own).extend(cs)
    if not apart:
        return [row]
    return sorted([own, apart], key=lambda g: min(c["top"] for c in g))


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
        big = max([c["size"] for c in prev])
        if max([c["size"] for c in g]) >= SMALL * big or min([c["top"] for c in g]) >= max(
            [c["bottom"] for c in prev]
        ):
            out.append(g)
            continue
        g.sort(key=_X0)
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
        sizes = [c["size"] for c in g]
        big = max(sizes)
        if min(sizes) >= SMALL * big:
            continue  # no small glyph: nothing to move (`rows` sorts the row)
        g.sort(key=_X0)
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
    raised_any = False  # whether `cur` holds a superscript glyph
    prev: dict | None = None
    for c in seg:
        if c["text"].isspace():
            if cur:
                _flush(cur, sups, words, page_no, pool) if raised_any else words.append(
                    _plain(cur, page_no, pool)
                )
            cur, sups, prev, raised_any = [], [], None, False
            continue
        size = c["size"]
        if prev is not None:
            p_size = prev["size"]
            if c["x0"] - prev["x1"] > GAP_RATIO * (p_size if p_size <= size else size):
                _flush(cur, sups, words, page_no, pool) if raised_any else words.append(
                    _plain(cur, page_no, pool)
                )
                cur, sups, raised_any = [], [], False
        cur.append(c)
        sup = size <= small and ref_bottom - c["bottom"] >= raised
        sups.append(sup)
        raised_any = raised_any or sup
        prev = c
    if cur:
        _flush(cur, sups, words, page_no, pool) if raised_any else words.append(_plain(cur, page_no, pool))
    return words


def _plain(chars: list[dict], page_no: int, pool: Pool) -> Word:
    """The word of glyphs none of which is a superscript (`_flush`'s common case)."""
    return _word(
        "".join([LIGATURES.get(c["text"], c["text"]) for c in chars]), chars, chars, (), page_no, pool
    )


def _flush(chars: list[dict], sups: list[bool], words: list[Word], page_no: int, pool: Pool) -> None:
    """One word from its glyphs; `sups` tells which of them are superscript."""
    k = _marker_letters(chars, sups)
    if k:  # a note's letter raised before the word it labels ("ᵃAdjusted for age"): a word of its own
        _flush(chars[:k], sups[:k], words, page_no, pool)
        chars, sups = chars[k:], sups[k:]
    if not any(sups):
        words.append(_plain(chars, page_no, pool))
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


def _marker_letters(chars: list[dict], sups: list[bool]) -> int:
    """How many raised lower-case letters (one or two) open the word before a letter set on the
    line: a footnote marker glued to the note's first word."""
    if not sups[0]:
        return 0
    k = 1
    while k < len(sups) and sups[k]:
        k += 1
    if k > 2 or k == len(chars) or not chars[k]["text"].isalpha():
        return 0
    return k if all(c["text"].isalpha() and c["text"].islower() for c in chars[:k]) else 0


def _box(chars: list[dict], page_no: int, pool: Pool) -> Box:
    num = pool.num
    if len(chars) == 1:
        c = chars[0]
        return Box(page_no, num(c["x0"]), num(c["top"]), num(c["x1"]), num(c["bottom"]))
    return Box(
        page_no,
        num(min([c["x0"] for c in chars])),
        num(min([c["top"] for c in chars])),
        num(max([c["x1"] for c in chars])),
        num(max([c["bottom"] for c in chars])),
    )


def _word(
    text: str, chars: list[dict], body: list[dict], refs: tuple[str, ...], page_no: int, pool: Pool
) -> Word:
    """A Word spanning `chars`; size, font and weight from its `body` (non-superscript) glyphs."""
    font = body[0]["fontname"]
    if len(body) == 1:
        size, bold = body[0]["size"], is_bold(font)
    else:
        size = max([c["size"] for c in body])
        fonts = [c["fontname"] for c in body]
        # one font (the common case): bold or not as that font is; else bold by majority
        bold = is_bold(font) if fonts.count(font) == len(fonts) else sum(map(is_bold, fonts)) * 2 > len(body)
    return Word(
        text=pool.text(text),
        box=_box(chars, page_no, pool),
        size=pool.size(size),
        font=pool.text(_family(font)),
        bold=bold,
        refs=refs,
    )


@lru_cache(maxsize=1024)
def _family(fontname: str) -> str:
    """The font name without its subset prefix ("ABCDEF+Times-Bold" -> "Times-Bold")."""
    return fontname.split("+")[-1]
