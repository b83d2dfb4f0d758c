"""Glyphs the PDF gives no Unicode for, which pdfminer prints as "(cid:N)": resolved from the font's
own glyph names (its encoding's /Differences: `minus`, `copyright`, `prime`, `uni2212`, TeX names
such as `circlecopyrt`), so that "b = −0.12" keeps its sign. What stays unresolved is counted for the
document's warnings, never passed on as "(cid:N)" text.
"""

from __future__ import annotations

import re

from pdfminer.encodingdb import name2unicode
from pdfminer.pdftypes import resolve1
from pdfminer.psparser import PSLiteral

_CID = re.compile(r"^\(cid:(\d+)\)$")
_DUP = re.compile(rb"dup (\d+) ?/([^\s/]+) put")
# glyph names of TeX and math fonts the Adobe glyph list lacks
_EXTRA = {
    "prime": "′",
    "dprime": "″",
    "circlecopyrt": "©",
    "minusplus": "∓",
    "periodcentered": "·",
    "lessequal": "≤",
    "greaterequal": "≥",
    "greatermuch": "≫",
    "lessmuch": "≪",
    "angbracketleft": "⟨",
    "angbracketright": "⟩",
    "equivalence": "≡",
    "radical": "√",
    "approxequal": "≈",
    "proportional": "∝",
}


def _name(x: object) -> str:
    return x.name if isinstance(x, PSLiteral) else str(x)


def _differences(page_obj) -> dict[str, dict[int, str]]:
    """Per font name (BaseFont): character code -> glyph name, from the page's fonts' encodings."""
    out: dict[str, dict[int, str]] = {}
    fonts = resolve1((page_obj.resources or {}).get("Font")) or {}
    for ref in fonts.values():
        font = resolve1(ref)
        if not isinstance(font, dict):
            continue
        codes = _builtin(font)
        enc = resolve1(font.get("Encoding"))
        diffs = resolve1(enc.get("Differences")) if isinstance(enc, dict) else None
        if not isinstance(diffs, list):
            diffs = []
        code = 0
        for item in diffs:
            item = resolve1(item)
            if isinstance(item, int):
                code = item
            else:
                codes[code] = _name(item)
                code += 1
        if codes:
            out[_name(font.get("BaseFont", ""))] = codes
    return out


def _builtin(font: dict) -> dict[int, str]:
    """The built-in encoding of an embedded Type 1 font program ("dup 2 /multiply put" in its
    clear-text part): TeX fonts name their glyphs there and nowhere else."""
    desc = resolve1(font.get("FontDescriptor"))
    stream = resolve1(desc.get("FontFile")) if isinstance(desc, dict) else None
    if stream is None or not hasattr(stream, "get_data"):
        return {}
    n = resolve1(stream.get("Length1")) or 0
    head = stream.get_data()[: n or 65536]
    return {int(code): name.decode("latin-1") for code, name in _DUP.findall(head)}


def _unicode(glyph: str) -> str:
    if glyph in _EXTRA:
        return _EXTRA[glyph]
    try:
        return name2unicode(glyph)
    except (KeyError, ValueError, OverflowError):
        return ""


def resolve(chars: list[dict], page_obj) -> int:
    """Replace "(cid:N)" glyph texts in `chars` (in place) by the Unicode of the font's glyph name;
    returns how many stay unresolved (their text becomes U+FFFD, the replacement character)."""
    table: dict[str, dict[int, str]] | None = None
    missing = 0
    for c in chars:
        m = _CID.match(c["text"])
        if not m:
            continue
        if table is None:
            try:
                table = _differences(page_obj)
            except Exception:  # noqa: BLE001 - a broken font dictionary: nothing to resolve from
                table = {}
        glyph = table.get(c["fontname"], {}).get(int(m.group(1)), "")
        text = _unicode(glyph) if glyph else ""
        if not text:
            missing += 1
        c["text"] = text or "\ufffd"
    return missing
