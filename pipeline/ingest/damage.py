"""Partial loss that pdfminer passes over quietly: a page whose compressed content stream is damaged
(pdfminer salvages what it can and only logs "Data-loss while decompressing"), and a page whose text
layer is far smaller than its neighbours'. Each becomes a warning of the document, never a silent ok.
"""

from __future__ import annotations

import zlib
from statistics import median
from typing import Any

from pdfminer.ascii85 import ascii85decode, asciihexdecode
from pdfminer.pdftypes import resolve1

_FLATE = {"FlateDecode", "Fl"}
_TEXT = {
    "ASCII85Decode": ascii85decode,
    "A85": ascii85decode,
    "ASCIIHexDecode": asciihexdecode,
    "AHx": asciihexdecode,
}
_THIN = 0.02  # a page with less text than this share of its neighbours' (median) ...
_NEIGHBOUR_TEXT = 1000  # ... when they hold at least this many characters
_REACH = 2  # pages on each side compared


def damaged_streams(page_obj) -> int:
    """How many of the page's Flate-compressed content streams do not decompress cleanly. Call it
    before the page is parsed (pdfminer drops a stream's raw bytes once it has decoded them)."""
    streams = resolve1(page_obj.attrs.get("Contents"))
    streams = streams if isinstance(streams, list) else [streams]
    bad = 0
    for ref in streams:
        s = resolve1(ref)
        raw = getattr(s, "rawdata", None)
        names = [getattr(f, "name", f) for f, _ in _filters(s)]
        if raw is None or not any(n in _FLATE for n in names):
            continue
        if s.decipher:
            raw = s.decipher(s.objid, s.genno, raw, s.attrs)
        try:
            for name in names:  # text encodings first (reportlab writes ASCII85 over Flate)
                if name in _FLATE:
                    zlib.decompress(raw)
                    break
                if name not in _TEXT:
                    break  # a filter not ours to undo: no judgement
                raw = _TEXT[name](raw)
        except (zlib.error, ValueError):
            bad += 1
    return bad


def _filters(stream) -> list[tuple[Any, Any]]:
    try:
        return stream.get_filters()
    except Exception:  # noqa: BLE001 - a malformed filter entry: not ours to judge here
        return []


def thin_pages(chars: list[int]) -> list[int]:
    """Indexes of pages whose character count is far below that of the pages around them."""
    out = []
    for i, n in enumerate(chars):
        around = chars[max(0, i - _REACH) : i] + chars[i + 1 : i + 1 + _REACH]
        if around and (m := median(around)) >= _NEIGHBOUR_TEXT and n < _THIN * m:
            out.append(i)
    return out
