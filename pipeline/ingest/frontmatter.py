"""Front matter and furniture told by role, not by position: received/accepted dates, "cite this as"
lines, correspondence and e-mail lines, licence and copyright text, DOI and journal citation lines,
publisher boilerplate, and (on the first page) affiliation blocks. Such blocks go to the document's
side list (`Document.dropped`, kind "front"), not the body.

A block is judged by how it opens (`_OPENS`: these lines start with their role), by the boilerplate
it holds when it is short (`_HOLDS`), and, on the first page only, by the shape of an affiliation
(an institution word or a postcode, commas, no sentence).
"""

from __future__ import annotations

import re

_DATE = r"(?:on\s+)?(?:\d{1,2}(?:st|nd|rd|th)?\s+[A-Z][a-z]+\.?,?\s+\d{4}|[A-Z][a-z]+\.?\s+\d{1,2},?\s+\d{4}|\d{4}-\d\d-\d\d|\d{1,2}[./]\d{1,2}[./]\d{2,4})"
_OPENS = re.compile(
    r"^[\W\d]{0,3}(?:"
    rf"(?:received|accepted|revised|published(?:\s+online)?|submitted|available\s+online|first\s+published)"
    rf"(?:\s+(?:for\s+publication|in\s+revised\s+form))?\s*[:;]?\s*{_DATE}"
    r"|article\s+history\b|(?:academic\s+)?editor\s*:"
    r"|cite\s+this(?:\s+article)?(?:\s+as)?\s*:|citation\s*:|to\s+cite\s+this\b"
    r"|correspondence\b|corresponding\s+author|address\s+(?:for\s+)?correspondence|reprint\s+requests"
    r"|e-?mail(?:\s+address(?:es)?)?\s*:"
    r"|doi\s*:?\s*10\.\d|https?://(?:dx\.)?doi\.org/"
    r"|arxiv\s*(?:e-?print)?\s*:"
    r"|full\s+list\s+of\s+author\s+information"
    r"|copyright\b|©|\(c\)\s*(?:\d{4}|the\s+author)"
    r"|see\s+rights\s+and\s+reprints|subscribe\s*:|additional\s+material\s+is\s+published"
    r"|online\s+at\s+\S+\.\w"
    r"|(?:\d{4}\s+)?(?:\d+(?:st|nd|rd|th)\s+)?(?:IEEE\s+|ACM\s+)?international\s+conference\b|proceedings\s+of\b"
    r"|[A-Z][\w.&' -]{2,60}\(\d{4}\),?\s*\d+\s*[,:(]"  # a journal citation: "Journal (2014) 126, 305"
    r")",
    re.I,
)
_HOLDS = re.compile(
    r"creative\s+commons|open\s+access\s+article|licensee\b|all\s+rights\s+reserved|permits\s+unrestricted"
    r"|\bISBN\b|\bISSN\b|\$\d+\.\d\d|\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b|\b(?:BMJ|JAMA|Lancet)\s+\d{4};\s*\d+",
    re.I,
)
_HOLDS_FIRST = re.compile(r"\bdoi\s*:?\s*10\.\d{4,}/\S+$|commercial\s+re-?use|\bpermissions\b", re.I)
_REFERENCE = re.compile(r"^(?:\[\d{1,3}\]|\d{1,3}\.?\s+[A-Z][\w'’-]+,?\s+[A-Z]{1,3}\b)")  # a reference entry
_PLACE = re.compile(
    r"\b(?:University|Universit[äéy]|Institute|Institut|Department|Dept\.|School|Hospital|Centre|Center"
    r"|College|Faculty|Laboratory|Division|Clinic|Foundation|Trust)\b"
    r"|\b[A-Z]{0,2}-?\d{4,5}\s+[A-Z][a-zäöüé]+"  # a postcode and town
)
_SENTENCE = re.compile(r"[a-z]{2,}[.!?]\s+[A-Z][a-z]")
_SHORT = 60  # words: boilerplate found inside a block only in blocks this short
_AFFILIATION = 30  # words


def is_front(text: str, page: int, first_page: int = 1) -> bool:
    """Whether a body block with `text` on `page` is front matter or furniture."""
    t = text.strip()
    if not t:
        return False
    if _REFERENCE.match(t):
        return False
    if _OPENS.match(t):
        return True
    n = len(t.split())
    if n <= _SHORT and (_HOLDS.search(t) or (page == first_page and _HOLDS_FIRST.search(t))):
        return True
    if page != first_page or n > _AFFILIATION or _SENTENCE.search(t):
        return False
    return bool(_PLACE.search(t)) and "," in t and (not t.endswith(".") or n <= 12)
