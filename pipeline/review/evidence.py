"""What the item page shows of each evidence item: its crop of the page (the band around the
value), the value's own character boxes on it (drawn as an SVG overlay whose viewBox is the crop in
PDF points), and its snippet with entities marked."""

from __future__ import annotations

import math
from dataclasses import dataclass

from markupsafe import Markup

from pipeline.pages.locate import Box, Located, Locator
from pipeline.pages.render import Renderer, RenderError
from pipeline.review.snippets import Mentions, render
from pipeline.review.store import Doc, Part

BAND = 90.0  # points of page shown above and below a highlighted value


@dataclass(frozen=True)
class PartView:
    part: Part
    located: Located | None
    problem: str  # why no crop is shown ("" when there is one)
    snippet: Markup | None

    @property
    def view_box(self) -> str:
        x0, top, x1, bottom = self.located.region if self.located else (0, 0, 1, 1)
        return f"{x0:g} {top:g} {x1 - x0:g} {bottom - top:g}"


def locate(renderer: Renderer, locator: Locator, doc: Doc | None, part: Part) -> Located:
    """The part's value on its page (RenderError when the page cannot be shown)."""
    if doc is None or not doc.path:
        raise RenderError("unknown document")
    if not part.page:
        raise RenderError("this value has no page")
    renderer.verify(doc.path, doc.sha256)
    loc = locator.locate(doc.path, part.page, part.value, part.bbox, part.snippet, BAND)
    x0, top, x1, bottom = loc.region  # whole points: the crop's pixel rows match the overlay exactly
    region: Box = (math.floor(x0), math.floor(top), math.ceil(x1), math.ceil(bottom))
    return Located(loc.page, loc.width, loc.height, region, loc.context, loc.boxes, loc.exact)


def views(
    renderer: Renderer, locator: Locator, mentions: Mentions, doc: Doc | None, parts: list[Part]
) -> list[PartView]:
    terms = mentions.terms(doc.out_dir, doc.doc_id) if doc else {}
    out = []
    for p in parts:
        located, problem = None, ""
        if not p.page:
            problem = (
                "not printed in this paper" if p.source in ("registry", "rules", "") else "no page known"
            )
        else:
            try:
                located = locate(renderer, locator, doc, p)
            except RenderError as e:
                problem = str(e)
        snippet = render(p.snippet, terms, p.value.rstrip("%")) if p.snippet else None
        out.append(PartView(p, located, problem, snippet))
    return out


def png(renderer: Renderer, doc: Doc, loc: Located) -> bytes:
    """The crop: the run's line or cell tinted, the value's characters outlined."""
    tint = [loc.context] if loc.context and loc.exact else []
    return renderer.png(doc.path, loc.page, list(loc.boxes), None, loc.region, tint)
