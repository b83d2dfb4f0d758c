"""Table structure from its contract (pipeline.tables.structure.build), on word grids set by hand with
invented cohorts and figures: every printed cell comes back in its row and column; a label wrapped
over two lines stays one row, also when its second line starts with a capital after a line ending
mid-phrase ("... adjuvant or" / "Neoadjuvant ..."); a line opening with a capital under a complete
label opens a row; shading (zebra bands) does not shift the header."""

from __future__ import annotations

import pytest

from pipeline.model import Box, Page, Word
from pipeline.tables.cells import join_lines
from pipeline.tables.detect import Region
from pipeline.tables.geometry import Line
from pipeline.tables.rowbreaks import figures
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


def test_a_row_whose_label_wraps_right_under_a_section_label_is_a_row_of_its_own():
    """Rows apart by a wider gap, wrapped lines tight: the line right under a section label opens a
    row even when its first line holds no figure yet ("Plover A with" / "prior surgery  31  48.4")."""
    label = "Cohorts at the recommended plover dose level"
    lines = [(100, HEAD), (118, [label, "", ""]), (130, ["Plover A with", "", ""]),
             (142, ["prior surgery", "31", "48.4"]), (160, ["Plover B", "27", "55.6"]), (178, ["Plover C", "19", "36.8"])]  # fmt: skip
    ws = [w for top, row in lines for x, t in zip(XS, row, strict=True) if t for w in words(t, x, top)]
    page, box = Page(1, 600, 800, words=ws), Box(1, 55, 96, 420, 190)
    assert grid(page, box, "whitespace") == (1, [HEAD, [label, "", ""], ["Plover A with prior surgery", "31", "48.4"],
                                                 ["Plover B", "27", "55.6"], ["Plover C", "19", "36.8"]])  # fmt: skip


def test_a_section_label_spans_its_row():
    label_a, label_b = "Cohorts at the recommended plover dose level", "Cohorts at a lower plover dose"
    rows = [HEAD, [label_a, "", ""], *BODY[:2], [label_b, "", ""], *BODY[2:]]
    page, box = page_of(rows, pitch=12)
    assert grid(page, box, "whitespace") == (1, rows)
    g = build(page, Region(box, "whitespace"))
    spanned = sorted((c.row, c.col, c.spanned_from) for c in g.cells if c.spanned_from)
    assert spanned == [(1, 1, (1, 0)), (1, 2, (1, 0)), (4, 1, (4, 0)), (4, 2, (4, 0))]


# -- ruled grids: rows and cells come from the drawn rules -------------------------------------------

COLS = (55.0, 200.0, 280.0, 420.0)  # the vertical rules of a three-column ruled grid


def ruled_page(bands, refs=None, open_header=False, at=None):
    """A fully ruled grid: one horizontal rule around every band (a band is a list of lines, a line a
    tuple of cell texts, set at `at[text]` or 5 pt into its column), a vertical rule at every column edge (none between the last two columns in the header band
    when `open_header`); `refs` gives superscript citations to the words of a text."""
    ws, ys, y = [], [100.0], 100.0
    for band in bands:
        y += 4
        for ln in band:
            for c, t in enumerate(ln):
                for w in words(t, (at or {}).get(t, COLS[c] + 5), y) if t else []:
                    ws.append(Word(w.text, w.box, w.size, w.font, w.bold, tuple((refs or {}).get(t, ()))))
            y += 10
        y += 2
        ys.append(y)
    hs = [Box(1, COLS[0], v, COLS[-1], v + 0.5) for v in ys]
    vs = [Box(1, x, ys[1] if open_header and 1 < i < len(COLS) - 1 else ys[0], x + 0.5, ys[-1])
          for i, x in enumerate(COLS)]  # fmt: skip
    return Page(1, 600, 800, words=ws, rules=hs + vs), Box(
        1, COLS[0] - 1, ys[0] - 1, COLS[-1] + 1, ys[-1] + 1
    )


def test_a_ruled_grid_of_four_bands_keeps_a_two_line_cell_in_its_band():
    """Four ruled bands (header and three rows): the band drawn around a two-line row is one row,
    not two rows read from baselines (that reading is for grids of at most three bands, whose rules
    are only the header and bottom rules)."""
    bands = [[("Endpoint", "Plover", "Control")], [("Median PFS, mo", "7.4", "5.1"), ("Range", "2.1-15.0", "1.0-9.8")],
             [("ORR, %", "48.4", "30.2")], [("DCR, %", "81.0", "66.3")]]  # fmt: skip
    page, box = ruled_page(bands)
    assert grid(page, box, "ruled") == (1, [["Endpoint", "Plover", "Control"],
                                            ["Median PFS, mo Range", "7.4 2.1-15.0", "5.1 1.0-9.8"],
                                            ["ORR, %", "48.4", "30.2"], ["DCR, %", "81.0", "66.3"]])  # fmt: skip


@pytest.mark.parametrize(
    "listed",
    [
        [("Arvala", "31", "48.4"), ("Brenmark", "27", "55.6"), ("Corvath", "19", "36.8")],
        # the column with a value on every line may be the last one (the middle one left blank)
        [("Arvala", "", "48.4"), ("Brenmark", "27", "55.6"), ("Corvath", "", "36.8")],
    ],
    ids=["every-column", "last-column"],
)
def test_a_ruled_band_listing_rows_without_rules_between_them_is_split_at_the_gaps_between_lines(listed):
    """A ruled band of three lines, each with a first-column label and a value in a column on every
    line: rows drawn without rules between them (a list of countries), split half-way between lines."""
    bands = [[("Country", "n", "ORR, %")], listed, [("Total", "77", "47.1")], [("Unknown", "7", "14.3")]]
    page, box = ruled_page(bands)
    expected = [
        ["Country", "n", "ORR, %"],
        *map(list, listed),
        ["Total", "77", "47.1"],
        ["Unknown", "7", "14.3"],
    ]
    assert grid(page, box, "ruled") == (1, expected)
    g = build(page, Region(box, "ruled"))
    rows = {c.row: c.box for c in g.cells if c.col == 0 and 1 <= c.row <= 3}
    # the inferred boundaries sit in the gaps: every line's words inside its own row's box
    for r, (label, _, _) in enumerate(listed, start=1):
        w = next(w for w in page.words if w.text == label)
        assert rows[r].top <= w.box.top and w.box.bottom <= rows[r].bottom


def test_a_spanning_group_header_gives_its_citation_to_every_column_below_it():
    bands = [[("Endpoint", "Plover cohorts", "")], [("", "A", "B")], [("ORR, %", "48.4", "55.6")],
             [("DCR, %", "81.0", "66.3")]]  # fmt: skip
    page, box = ruled_page(
        bands, refs={"Plover cohorts": ("12",)}, open_header=True, at={"Plover cohorts": 280.3}
    )
    g = build(page, Region(box, "ruled"))
    head = sorted((c.col, c.text, c.refs, c.spanned_from) for c in g.cells if c.row == 0 and c.col > 0)
    assert head == [(1, "Plover cohorts", ["12"], None), (2, "Plover cohorts", ["12"], (0, 1))]
    assert g.header_rows == 2


@pytest.mark.parametrize(
    ("text", "part", "joined"),
    [
        ("Pa-", "tients", "Patients"),  # a capitalised word broken after its second letter
        ("with a-", "nemia", "with anemia"),  # broken after its first letter
        ("anti-", "body", "antibody"),
        ("KX-", "217", "KX-217"),  # a code broken at its own hyphen
        ("CD19-", "directed", "CD19-directed"),
    ],
)
def test_a_line_end_hyphen_between_lower_case_letters_is_dropped(text, part, joined):
    assert join_lines(text, part) == joined


def _line(*cells: tuple[str, float]) -> Line:
    return Line([Word(t, Box(1, x, 100, x + 5 * len(t), 108), 8.0, "Helvetica", False) for t, x in cells])


def test_figures_are_the_columns_after_the_first_that_hold_one():
    def col(w: Word) -> int:
        return sum(w.box.x0 > b for b in (150.0, 250.0))

    lines = [_line(("2019", 60), ("31", 200), ("NR", 300)), _line(("12", 60), ("Plover", 200))]
    assert figures(lines, col) == {1, 2}
    assert figures([_line(("2019", 60), ("Plover", 200))], col) == set()


def test_a_first_column_cell_over_two_ruled_bands_covers_the_lower_one():
    """No rule under "Plover A" in the first column (the rule starts at the second): the label spans
    both bands, and the lower band's first cell is the span's, empty."""
    bands = [
        [("Cohort", "n", "ORR, %")],
        [("Plover A", "31", "48.4")],
        [("", "27", "55.6")],
        [("Plover C", "19", "36.8")],
    ]
    page, box = ruled_page(bands)
    y = sorted({r.top for r in page.rules if r.width > 100})[2]  # the rule between the two Plover A bands
    page.rules = [r for r in page.rules if not (r.width > 100 and r.top == y)] + [
        Box(1, COLS[1], y, COLS[-1], y + 0.5)
    ]
    g = build(page, Region(box, "ruled"))
    cells = {(c.row, c.col): c for c in g.cells}
    assert (cells[1, 0].text, cells[1, 0].rowspan) == ("Plover A", 2)
    assert (cells[2, 0].text, cells[2, 0].spanned_from) == ("", (1, 0))
    assert [cells[2, c].text for c in (1, 2)] == ["27", "55.6"]


def test_a_header_set_over_two_lines_in_the_first_shaded_band_is_one_header_row():
    """Zebra shading whose first band holds a two-line header ("Study" / "cohort"): both lines are
    the header, not a header and a body row."""
    rows = [["Study", "Patients", "ORR"], ["cohort", "n", "%"], *BODY]
    page, box = page_of(rows, pitch=10.0)
    page.fills = [Box(1, 55, 96, 420, 118), Box(1, 55, 127, 420, 137), Box(1, 55, 147, 420, 157)]
    assert grid(page, box, "zebra") == (1, [["Study cohort", "Patients n", "ORR %"], *BODY])


@pytest.mark.parametrize("pitch", [10.0, 14.0])
def test_a_table_set_all_in_bold_keeps_its_rows(pitch):
    """Bold tells the header from the body only when the body is not bold too: a table printed all
    in bold has the one-line header of any unruled table and its rows apart."""
    rows = [HEAD, *BODY]
    page, box = page_of(rows, pitch=pitch, bold_rows=set(range(len(rows))))
    assert grid(page, box, "whitespace") == (1, rows)
