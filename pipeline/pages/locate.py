"""Where a value's own characters sit on the page: the run gives a value's line or cell box (or only
its page); the page's characters are read again (pdfium) and the value's characters are found within that
box (else on the page, near its snippet), so the highlight covers "82.8", not "CR: 82.8% (n=37)".

A match must stand alone: "46" is not found inside "146", "4.6" or "46.5"; "II" not inside "III"."""

from __future__ import annotations

import bisect
import functools
import math
import re
import threading
import unicodedata
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, NamedTuple

Box = tuple[float, float, float, float]  # x0, top, x1, bottom in PDF points, origin top-left
PAD = 2.0  # points a character may stick out of the run's box
LINE_GAP = 3.0  # characters whose tops differ by less are on one line
DESCENT = 0.2  # of the em below the baseline (pdfminer's default when a font gives none)
NEAR = 4.0  # points above and below the run's box searched when the value is not inside it


class Char(NamedTuple):
    """A character and its box: a tuple, a page has thousands of them, made in one tight loop."""

    text: str
    box: Box


@dataclass(frozen=True)
class PageChars:
    width: float
    height: float
    chars: tuple[Char, ...]


@dataclass(frozen=True)
class Located:
    """A value on its page: the crop `region`, the run's `context` box, and `boxes`, the value's own
    characters (one box per line it spans). `exact` is False when the characters were not found and
    `boxes` falls back to the context box."""

    page: int
    width: float
    height: float
    region: Box
    context: Box | None
    boxes: tuple[Box, ...]
    exact: bool


@functools.lru_cache(maxsize=4096)  # called per character of a page: the same few hundred glyphs
def _norm(s: str) -> str:
    s = unicodedata.normalize("NFKC", s)
    return s.replace("\u2212", "-").replace("\u2013", "-").replace("\u00b7", ".").lower()


def variants(value: str) -> list[str]:
    """The printed forms a value may have: as given, without quotes or a trailing %, the number in
    its shortest form, with a decimal comma."""
    v = value.strip()
    quoted = re.match(r'^"([^"]+)"', v)  # name findings: '"Valbo-Mab" -> valbotamab'
    if quoted:
        v = quoted.group(1)
    v = re.sub(r"\s*\(.*\)$", "", v).strip() or v  # "II (NCT12345678)"
    out = [v, v.rstrip("%").strip()]
    m = re.fullmatch(r"([<>≤≥~]=?)?\s*(\d+(?:\.\d+)?)\s*%?", v)
    if m:
        num = float(m.group(2))
        short = f"{num:g}" if abs(num) < 1e15 else m.group(2)
        out += [m.group(2), short, short.replace(".", ","), short.replace(".", "·")]
    return [_norm(x) for x in dict.fromkeys(x for x in out if x)]


def _lines(chars: list[Char]) -> list[list[Char]]:
    """Characters grouped into lines (by top), each line left to right, lines top to bottom."""
    lines: list[list[Char]] = []
    line: list[Char] = []
    first = 0.0  # the top of the line's first character
    for c in sorted(chars, key=lambda c: (c.box[1], c.box[0])):
        top = c.box[1]
        if line and abs(first - top) < LINE_GAP:
            line.append(c)
        else:
            line, first = [c], top
            lines.append(line)
    return [sorted(line, key=lambda c: c.box[0]) for line in lines]


def _text(chars: list[Char]) -> tuple[str, list[int]]:
    """The characters as one string (a space where a gap or a line break is) and, per position of
    the string, the index of its character (-1 for inserted spaces)."""
    s: list[str] = []
    idx: list[int] = []
    flat: list[Char] = []
    add, at, keep = s.append, idx.append, flat.append  # once per character of a page: names bound here
    norms: dict[str, str] = {}  # a page has a few dozen distinct characters
    k = 0  # len(flat)
    for line in _lines(chars):
        if k:
            add(" ")
            at(-1)
        prev_x1 = math.inf  # no gap before a line's first character
        for c in line:
            x0, top, x1, bottom = c.box
            h = bottom - top
            if x0 - prev_x1 > 0.15 * (h if h > 1.0 else 1.0):
                add(" ")
                at(-1)
            text = norms.get(c.text)
            if text is None:
                text = norms[c.text] = _norm(c.text) or " "
            if len(text) == 1:
                add(text)
                at(k)
            else:  # a ligature or a compatibility form that NFKC spells with several characters
                s.extend(text)
                idx.extend([k] * len(text))
            keep(c)
            k += 1
            prev_x1 = x1
    chars[:] = flat
    return "".join(s), idx


def _alone(s: str, start: int, end: int, value: str) -> bool:
    before, after = s[start - 1 : start], s[end : end + 2]
    if value[:1].isdigit() and (before.isdigit() or before in ".,"):
        return False
    if value[-1:].isdigit() and (after[:1].isdigit() or (after[:1] in ".," and after[1:2].isdigit())):
        return False
    if value[:1].isalpha() and before.isalpha():
        return False
    return not (value[-1:].isalpha() and after[:1].isalpha())


@dataclass(frozen=True)
class _Text:
    """Characters in reading order, their text (`_text`) and each text position's character."""

    chars: list[Char]
    text: str
    idx: list[int]


def _indexed(chars: list[Char] | tuple[Char, ...]) -> _Text:
    chars = list(chars)
    text, idx = _text(chars)
    return _Text(chars, text, idx)


def find(chars: list[Char], value: str, near: str = "") -> tuple[Box, ...]:
    """Boxes (one per line) of the first standalone occurrence of `value` among `chars`; with `near`
    (a snippet), an occurrence inside the snippet's text is preferred."""
    return _find(_indexed(chars), value, near)


def _find(t: _Text, value: str, near: str = "") -> tuple[Box, ...]:
    text, idx, chars = t.text, t.idx, t.chars
    anchor = -1
    if near:
        probe = " ".join(_norm(near).split())[:60]
        anchor = text.find(probe) if len(probe) >= 8 else -1
    for v in variants(value):
        pattern = " ?".join(re.escape(w) for w in v.split(" "))  # a printed space may be only a gap
        hits = [m.span() for m in re.finditer(pattern, text) if _alone(text, m.start(), m.end(), v)]
        if not hits:
            continue
        start, end = min(hits, key=lambda h: (h[0] < anchor, abs(h[0] - anchor))) if anchor >= 0 else hits[0]
        picked = [chars[i] for i in dict.fromkeys(idx[start:end]) if i >= 0]
        return tuple(_union(line) for line in _lines(picked))
    return ()


def _union(chars: list[Char]) -> Box:
    return (
        min(c.box[0] for c in chars),
        min(c.box[1] for c in chars),
        max(c.box[2] for c in chars),
        max(c.box[3] for c in chars),
    )


def inside(chars: tuple[Char, ...], box: Box) -> list[Char]:
    x0, top, x1, bottom = box
    return [
        c
        for c in chars
        if x0 - PAD <= (c.box[0] + c.box[2]) / 2 <= x1 + PAD
        and top - PAD <= (c.box[1] + c.box[3]) / 2 <= bottom + PAD
    ]


class PageIndex:
    """A page's characters by height (for `inside`) and its whole text, each built on first use: a
    report looks up many values on one page."""

    def __init__(self, pc: PageChars) -> None:
        self.pc = pc
        self._text: _Text | None = None
        self._order: tuple[list[int], list[float]] | None = None

    @property
    def text(self) -> _Text:
        if self._text is None:
            self._text = _indexed(self.pc.chars)
        return self._text

    def inside(self, box: Box) -> list[Char]:
        """`inside(pc.chars, box)`, in the same order, without a pass over the whole page."""
        if self._order is None:
            ys = [(c.box[1] + c.box[3]) / 2 for c in self.pc.chars]
            order = sorted(range(len(ys)), key=ys.__getitem__)
            self._order = order, [ys[i] for i in order]
        order, ys = self._order
        lo, hi = bisect.bisect_left(ys, box[1] - PAD), bisect.bisect_right(ys, box[3] + PAD)
        chars = self.pc.chars
        near = sorted(order[lo:hi])
        return inside(tuple(chars[i] for i in near), box)


def locate_on(
    ix: PageIndex, page: int, value: str, context: Box | None, snippet: str = "", band: float = 90.0
) -> Located:
    """The value's characters within `context` (else anywhere on the page, near `snippet`) and the
    band of page to show around them."""
    pc = ix.pc
    boxes: tuple[Box, ...] = ()
    if value:
        if context is not None:  # within the run's box, else on its line(s) across the page
            x0, top, x1, bottom = context
            boxes = find(ix.inside(context), value) or find(
                ix.inside((0.0, top - NEAR, pc.width, bottom + NEAR)), value, snippet
            )
        else:
            boxes = _find(ix.text, value, snippet)
    exact = bool(boxes)
    if not boxes and context is not None:
        boxes = (context,)
    around = boxes or ((0.0, 0.0, pc.width, min(pc.height, 2 * band)),)
    top = max(0.0, min(b[1] for b in around) - band)
    bottom = min(pc.height, max(b[3] for b in around) + band)
    return Located(page, pc.width, pc.height, (0.0, top, pc.width, bottom), context, boxes, exact)


class Locator:
    """Reads pages' characters with pdfplumber (cached, one reader at a time) and finds values."""

    def __init__(self, cache_size: int = 32) -> None:
        self._lock = threading.Lock()
        self._cache: OrderedDict[tuple[str, int], PageChars] = OrderedDict()
        self._size = cache_size
        self._index: dict[tuple[str, int], PageIndex] = {}  # of the cached pages

    def _indexed(self, path: str, page: int, pc: PageChars) -> PageIndex:
        with self._lock:
            key = (path, page)
            got = self._index.get(key)
            if got is None or got.pc is not pc:
                got = self._index[key] = PageIndex(pc)
            for old in [k for k in self._index if k not in self._cache]:
                del self._index[old]
            return got

    def page(self, path: str, page: int) -> PageChars:
        key = (path, page)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
            got = _read(path, page)
            self._cache[key] = got
            if len(self._cache) > self._size:
                self._cache.popitem(last=False)
            return got

    def locate(
        self, path: str, page: int, value: str, context: Box | None, snippet: str = "", band: float = 90.0
    ) -> Located:
        """`locate_on` the page's characters, read (or cached) here."""
        pc = self.page(path, page)
        return locate_on(self._indexed(path, page, pc), page, value, context, snippet, band)


def _read(path: str, page: int) -> PageChars:
    """The characters of page `page` of the PDF at `path` (`read_chars`)."""
    from pipeline.pages.render import pdfium_page

    with pdfium_page(path, page) as pg:
        return read_chars(pg)


@functools.cache
def _text_calls() -> tuple[Any, ...]:
    """pdfium's per-character calls (unicode, loose box, font size, origin) bound so that each keeps
    the GIL (`ctypes.PyDLL`, the library pypdfium2 loaded) and without `argtypes`: a page is thousands
    of calls of a microsecond, and releasing and taking back the GIL around each, or converting each
    argument through its declared type, cost more than the call (the arguments passed are already
    C-typed: the text page's pointer, an int, pointers made once per page). Only the result types are
    declared. pdfium is not thread-safe: its calls never overlap anyway. Else pypdfium2's own."""
    import ctypes

    import pypdfium2.raw as raw

    names = (
        "FPDFText_GetUnicode",
        "FPDFText_GetLooseCharBox",
        "FPDFText_GetFontSize",
        "FPDFText_GetCharOrigin",
    )
    try:
        from pypdfium2_raw.bindings import _libs

        lib = ctypes.PyDLL(_libs["pdfium"]._name, handle=_libs["pdfium"]._handle)
        calls = []
        for name in names:
            call = lib[name]
            call.restype = getattr(raw, name).restype
            calls.append(call)
        return tuple(calls)
    except (ImportError, KeyError, AttributeError, TypeError, OSError):
        return tuple(getattr(raw, name) for name in names)


def read_chars(pg: Any) -> PageChars:
    """A loaded page's characters with pdfium (a C text layer: a page in milliseconds, where pdfminer
    takes seconds). x from the glyph's advance box; top and bottom from its baseline and font size
    (the em box, as pdfplumber gives it), else from the font's box."""
    import ctypes
    import struct

    import pypdfium2 as pdfium
    import pypdfium2.raw as raw

    width, height = pg.get_size()
    tp = pg.get_textpage()
    try:
        chars = []
        add, new = chars.append, tuple.__new__  # new(Char, ...): a Char without a Python call
        oy, rect = ctypes.c_double(), raw.FS_RECTF()
        p_ox, p_oy, p_rect = ctypes.byref(ctypes.c_double()), ctypes.byref(oy), ctypes.byref(rect)
        unicode, box, font_size, origin = _text_calls()
        ltrb = struct.Struct("4f").unpack_from  # FS_RECTF's four floats at once: left, top, right, bottom
        t = tp.raw  # raw calls in this per-character loop: the helpers' wrapping doubled its time
        texts: dict[int, str] = {}  # code point -> its text, "" to skip: a page has a few dozen glyphs
        for i in range(tp.count_chars()):
            code = unicode(t, i)
            text = texts.get(code)
            if text is None:
                text = chr(code or 32)
                skip = not text.strip() or "\ud800" <= text <= "\udfff"  # blanks; halves of a surrogate pair
                text = texts[code] = "" if skip else text
            if not text:
                continue
            if not box(t, i, p_rect):
                raise pdfium.PdfiumError("Failed to get charbox.")
            x0, y1, x1, y0 = ltrb(rect)
            size = font_size(t, i)
            top, bottom = height - y1, height - y0
            if size > 0 and origin(t, i, p_ox, p_oy):
                em_top = height - oy.value - (1 - DESCENT) * size
                if top - size < em_top < bottom:  # a sane em box (rotated text keeps the font's box)
                    top, bottom = em_top, em_top + size
            add(new(Char, (text, (x0, top, x1, bottom))))
    finally:
        tp.close()
    return PageChars(float(width), float(height), tuple(chars))
