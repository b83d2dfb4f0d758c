"""A snippet with its entities marked, rendered by spaCy's displaCy in manual mode: the mentions the
run found in the document (mentions.jsonl: products, trials, targets, ids, …) wherever their text
occurs in the snippet, and the value under review itself. displaCy escapes the text; labels are
reduced to letters, digits and underscores before they reach its template."""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path

from markupsafe import Markup

VALUE = "VALUE"
TEMPLATE = '<mark class="entity ent-{label}">{text}<span class="ent-label">{label}</span></mark>'
MAX_TERMS = 2000  # distinct mention texts kept per document


def _label(s: str) -> str:
    return re.sub(r"[^A-Z0-9_]", "", s.upper())[:20] or "ENT"


class Mentions:
    """Mention texts per document, read once from the run's mentions.jsonl (by path and mtime)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cache: dict[tuple[str, str], dict[str, str]] = {}

    def terms(self, out_dir: str, doc_id: str) -> dict[str, str]:
        path = Path(out_dir) / "mentions.jsonl" if out_dir else None
        if path is None or not path.is_file():
            return {}
        key = (str(path), doc_id)
        with self._lock:
            stamp = f"{path.stat().st_mtime_ns}"
            got = self._cache.get(key)
            if got is not None and got.get("\0stamp") == stamp:
                return got
            terms: dict[str, str] = {"\0stamp": stamp}
            with path.open(encoding="utf-8", errors="replace") as f:
                for line in f:
                    try:
                        m = json.loads(line)
                    except ValueError:
                        continue
                    text = str(m.get("text", "")).strip() if isinstance(m, dict) else ""
                    if m.get("doc_id") == doc_id and 2 <= len(text) <= 80 and len(terms) < MAX_TERMS:
                        terms.setdefault(text, _label(str(m.get("label", ""))))
            self._cache[key] = terms
            return terms


def spans(snippet: str, terms: dict[str, str], value: str = "") -> list[dict]:
    """Non-overlapping entity spans: the value first, then mention texts, longest first."""
    taken: list[tuple[int, int]] = []
    out = []
    wanted = [(value, VALUE)] if value else []
    wanted += sorted(
        ((t, lab) for t, lab in terms.items() if not t.startswith("\0")), key=lambda x: -len(x[0])
    )
    for text, label in wanted:
        for m in re.finditer(re.escape(text), snippet):
            a, b = m.span()
            edge = snippet[a - 1 : a] + snippet[b : b + 1]
            if any(ch.isalnum() for ch in edge) or any(a < y and x < b for x, y in taken):
                continue
            taken.append((a, b))
            out.append({"start": a, "end": b, "label": label})
            if label == VALUE:
                break
    return sorted(out, key=lambda s: s["start"])


def render(snippet: str, terms: dict[str, str], value: str = "") -> Markup:
    from spacy import displacy

    doc = {"text": snippet, "ents": spans(snippet, terms, value), "title": None}
    html = displacy.render(
        doc, style="ent", manual=True, page=False, jupyter=False, options={"template": TEMPLATE}
    )
    # displaCy styles its wrapper inline, which the app's CSP refuses: review.css styles it instead
    return Markup(re.sub(r'^(\s*<div class="entities")\s+style="[^"]*"', r"\1", html))
