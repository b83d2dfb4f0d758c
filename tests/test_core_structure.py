"""Table structure from its contract (pipeline.tables.structure.build), on word grids set by hand with
invented cohorts and figures: every printed cell comes back in its row and column; a label wrapped
over two lines stays one row, also when its second line starts with a capital after a line ending
mid-phrase ("... adjuvant or" / "Neoadjuvant ..."); a line opening with a capital under a complete
label opens a row; shading (zebra bands) does not shift the header."""

from __future__ import annotations

import pytest

from pipeline.model import Box, Page, Word
from pipeline.tables.detect import Region
from pipeline.tables.structure import build

XS = (60.0, 260.0, 340.0)


def words(text, x, top, size=8.0, bold=False):
    out = []
    for t in text.split():
        w = 4.4 * len(t)
        out.append(Word(t, Box(1, x, top, x + w, top + size), size, "Helvetica", bold))
        x += w + 2.2
    return out


def page_of(rows, pitch=10.0, top=100.0, bold_rows=()):
    ws = []
    for r, row in enumerate(rows):
        for c, t in enumerate(row):
            if t:
                ws += words(t, XS[c], top + pitch * r, bold=r in bold_rows)
    box = Box(1, 55, top - 4, 420, top + pitch * len(rows) + 2)
    return Page(1, 600, 800, words=ws), box


def grid(page, box, kind):
    g = build(page, Region(box, kind))
    out = [[""] * g.n_cols for _ in range(g.n_rows)]
    for c in g.cells:
        out[c.row][c.col] = c.text
    return g.header_rows, out


HEAD = ["Cohort", "n", "ORR, %"]
BODY = [
    ["Plover A", "31", "48.4"],
    ["Plover B", "27", "55.6"],
    ["Plover C", "19", "36.8"],
    ["Plover D", "22", "40.9"],
]


def booktabs(page, box):
    top, bottom = box.top, box.bottom
    page.rules = [Box(1, 55, top, 420, top + 0.5), Box(1, 55, top + 13, 420, top + 13.5),
                  Box(1, 55, bottom - 0.5, 420, bottom)]  # fmt: skip


@pytest.mark.parametrize("kind", ["whitespace", "booktabs"])
def test_a_label_wrapped_after_a_line_ending_mid_phrase_stays_one_row(kind):
    rows = [HEAD, ["Prior adjuvant or", "31", "48.4"], ["Neoadjuvant therapy", "", ""], *BODY[1:]]
    page, box = page_of(rows)
    if kind == "booktabs":
        booktabs(page, box)
    header, got = grid(page, box, kind)
    assert header == 1
    assert got == [HEAD, ["Prior adjuvant or Neoadjuvant therapy", "31", "48.4"], *BODY[1:]]


@pytest.mark.parametrize("kind", ["whitespace", "booktabs"])
def test_a_capitalised_line_under_a_complete_label_opens_a_row(kind):
    rows = [HEAD, ["Prior therapy", "31", "48.4"], ["Neoadjuvant", "12", "50.0"], *BODY[1:]]
    page, box = page_of(rows)
    if kind == "booktabs":
        booktabs(page, box)
    assert grid(page, box, kind) == (1, rows)


@pytest.mark.parametrize(
    "bands",
    [[(1, 1)], [(1, 1), (3, 3)], [(1, 2)]],
    ids=["one-band", "alternating", "two-rows-one-band"],
)
def test_zebra_bands_starting_under_the_header_keep_it_one_row(bands):
    rows = [HEAD, *BODY]
    page, box = page_of(rows, pitch=14.0)
    page.fills = [Box(1, 55, 100 + 14 * a - 2, 420, 100 + 14 * b + 10) for a, b in bands]
    assert grid(page, box, "zebra") == (1, rows)


def test_a_shaded_bold_header_over_zebra_bands():
    rows = [HEAD, *BODY]
    page, box = page_of(rows, pitch=14.0, bold_rows={0})
    page.fills = [Box(1, 55, 98, 420, 110), Box(1, 55, 126, 420, 138)]
    assert grid(page, box, "zebra") == (1, rows)


def test_rows_apart_by_a_wider_gap_keep_their_wrapped_lines_even_when_those_are_not_tight():
    """Lines of a row 0.5 em apart, rows 1.25 em apart: the pitch decides, not the capital."""
    lines = [(100, HEAD), (118, ["Plover A", "31", "48.4"]), (130, ["Second line", "", ""]),
             (148, ["Plover B", "27", "55.6"]), (160, ["Another line", "", ""]), (178, ["Plover C", "19", "36.8"])]  # fmt: skip
    ws = [w for top, row in lines for x, t in zip(XS, row, strict=True) if t for w in words(t, x, top)]
    page, box = Page(1, 600, 800, words=ws), Box(1, 55, 96, 420, 190)
    assert grid(page, box, "whitespace") == (1, [HEAD, ["Plover A Second line", "31", "48.4"],
                                                 ["Plover B Another line", "27", "55.6"], ["Plover C", "19", "36.8"]])  # fmt: skip


def test_a_section_label_spans_its_row():
    label_a, label_b = "Cohorts at the recommended plover dose level", "Cohorts at a lower plover dose"
    rows = [HEAD, [label_a, "", ""], *BODY[:2], [label_b, "", ""], *BODY[2:]]
    page, box = page_of(rows, pitch=12)
    assert grid(page, box, "whitespace") == (1, rows)
    g = build(page, Region(box, "whitespace"))
    spanned = sorted((c.row, c.col, c.spanned_from) for c in g.cells if c.spanned_from)
    assert spanned == [(1, 1, (1, 0)), (1, 2, (1, 0)), (4, 1, (4, 0)), (4, 2, (4, 0))]
