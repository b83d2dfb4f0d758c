"""Table continuation from its contract: a piece at the foot of one page and a piece at the head of
the next are one table when nothing says otherwise; a "(continued)" caption joins its table even
with another column count; a next-page table with its own caption is another table."""

from __future__ import annotations

import pytest

from pipeline.model import Box, Cell, Page, Table, Word
from pipeline.tables.continuation import Piece, edges, merge, strip_footer

X = [60.0, 200.0, 320.0, 440.0]  # left edges of up to four columns, 100 pt wide


def table(rows, page, table_id="Table 4", caption="Table 4. Responses by cohort.", xs=None):
    xs = xs or X[: len(rows[0])]
    cells = [
        Cell(r, c, t, Box(page, xs[c], 120 + 20 * r, xs[c] + 100, 134 + 20 * r))
        for r, row in enumerate(rows)
        for c, t in enumerate(row)
    ]
    box = Box(page, xs[0], 120, xs[-1] + 100, 134 + 20 * (len(rows) - 1))
    return Table(table_id, caption, len(rows), len(rows[0]), cells, 1, [page], [box])


HEAD = ["Cohort", "n", "ORR, %"]
FIRST = [HEAD, ["Plover A", "31", "48.4"], ["Plover B", "27", "55.6"]]
NEXT = [["Plover C", "19", "36.8"], ["Plover D", "22", "40.9"]]


def piece(t, top=True, bottom=True, captioned=False, continued=False, footer=False):
    return Piece(t, top, bottom, captioned, continued, footer)


def uncaptioned(rows, page, k=1, xs=None):
    return table(rows, page, f"Table p{page}.{k}", "", xs)


def test_uncaptioned_piece_at_the_head_of_the_next_page_joins():
    a, b = table(FIRST, 3), uncaptioned(NEXT, 4)
    (merged,) = merge([piece(a, top=False), piece(b, bottom=False)])
    assert merged.pages == [3, 4] and merged.n_rows == 5 and len(merged.boxes) == 2
    assert [r[0] for r in merged.grid()] == ["Cohort", "Plover A", "Plover B", "Plover C", "Plover D"]


def test_repeated_header_is_dropped():
    a, b = table(FIRST, 3), uncaptioned([HEAD, *NEXT], 4)
    (merged,) = merge([piece(a, top=False), piece(b, bottom=False)])
    assert [r[0] for r in merged.grid()] == ["Cohort", "Plover A", "Plover B", "Plover C", "Plover D"]
    assert merged.n_rows == 5


def test_header_repeated_over_two_rows_is_dropped():
    two = [["Cohort", "n", "ORR,"], ["", "", "%"]]
    a = table([*two, *FIRST[1:]], 3)
    a.header_rows = 2
    b = uncaptioned([["Cohort", "n", "ORR, %"], *NEXT], 4)
    (merged,) = merge([piece(a, top=False), piece(b, bottom=False)])
    assert [r[0] for r in merged.grid()] == ["Cohort", "", "Plover A", "Plover B", "Plover C", "Plover D"]


def test_continued_caption_joins_its_table():
    a = table(FIRST, 3)
    b = table(NEXT, 4, "Table 4", "Table 4 (continued)")
    (merged,) = merge([piece(a, top=False), piece(b, top=False, bottom=False, continued=True)])
    assert merged.pages == [3, 4] and merged.n_rows == 5


def test_continued_caption_joins_across_a_different_column_count():
    a = table([["Cohort", "n", "ORR, %", "CR, %"], ["Plover A", "31", "48.4", "22.6"]], 3)
    xs = [X[0], X[2], X[3]]  # the "n" column is empty on this page and was lost
    b = table([["Plover C", "36.8", "15.8"]], 4, "Table 4", "Table 4 (continued)", xs=xs)
    (merged,) = merge([piece(a, top=False), piece(b, continued=True)])
    assert merged.n_cols == 4 and merged.grid()[-1] == ["Plover C", "", "36.8", "15.8"]


def test_continued_caption_of_another_table_does_not_join_an_uncaptioned_one():
    a = uncaptioned(FIRST, 3)
    b = table(NEXT, 4, "Table 5", "Table 5 (continued)")
    assert len(merge([piece(a, top=False), piece(b, continued=True)])) == 2


def test_captioned_next_page_table_is_not_absorbed():
    a = table(FIRST, 3)
    b = table(NEXT, 4, "Table 5", "Table 5. Safety by cohort.")
    got = merge([piece(a, top=False), piece(b, bottom=False, captioned=True)])
    assert [t.table_id for t in got] == ["Table 4", "Table 5"]
    assert got[0].n_rows == 3 and got[0].pages == [3]


def test_pieces_that_do_not_touch_the_page_break_stay_apart():
    a, b = table(FIRST, 3), uncaptioned(NEXT, 4)
    assert len(merge([piece(a, bottom=False), piece(b)])) == 2  # text below the first piece
    assert len(merge([piece(a), piece(b, top=False)])) == 2  # text above the second piece


def test_pieces_on_non_adjacent_pages_stay_apart():
    a, b = table(FIRST, 3), uncaptioned(NEXT, 5)
    assert len(merge([piece(a), piece(b)])) == 2


def test_a_different_column_count_without_a_sign_stays_apart():
    a = table(FIRST, 3)
    b = uncaptioned([["Plover C", "19"], ["Plover D", "22"]], 4)
    assert len(merge([piece(a), piece(b)])) == 2


def test_a_footer_saying_continued_is_a_sign_for_another_column_count():
    a = table(FIRST, 3)
    b = uncaptioned([["Plover C", "36.8"]], 4, xs=[X[0], X[2]])
    (merged,) = merge([piece(a, bottom=False, footer=True), piece(b)])
    assert merged.grid()[-1] == ["Plover C", "", "36.8"]


def test_columns_that_do_not_line_up_stay_apart():
    a = table(FIRST, 3)
    b = uncaptioned([["x", "y"]], 4, xs=[5.0, 600.0])
    assert len(merge([piece(a, footer=True), piece(b)])) == 2


def test_three_pages_make_one_table():
    a, b, c = table(FIRST, 3), uncaptioned(NEXT, 4), uncaptioned([["Plover E", "12", "41.7"]], 5)
    (merged,) = merge([piece(a), piece(b), piece(c)])
    assert merged.pages == [3, 4, 5] and merged.n_rows == 6


@pytest.mark.parametrize(
    "text",
    ["Continued on next page", "(continued)", "(cont'd)", "Table 4 continued overleaf", "continues below…"],
)
def test_strip_footer_drops_a_row_that_only_says_it_goes_on(text):
    t = table([*FIRST, [text, "", ""]], 3)
    assert strip_footer(t) is True
    assert t.n_rows == 3 and all(c.row < 3 for c in t.cells)


@pytest.mark.parametrize("text", ["Plover E", "Continued treatment in 4 patients", ""])
def test_strip_footer_keeps_a_data_row(text):
    t = table([*FIRST, [text, "12", ""]], 3)
    assert strip_footer(t) is False and t.n_rows == 4


def test_strip_footer_keeps_a_one_row_table():
    t = table([["(continued)", "", ""]], 3)
    assert strip_footer(t) is False and t.n_rows == 1


def _page(words, height=800.0):
    return Page(
        4, 600.0, height, words=[Word(w, Box(4, x0, top, x0 + 40, top + 10), 9.0) for w, x0, top in words]
    )


def test_edges_see_text_above_and_below_in_the_same_column_only():
    t = table(FIRST, 4)
    assert edges(_page([]), t) == (True, True)
    assert edges(_page([("Running head", 80, 20)]), t) == (True, True)  # a running head
    assert edges(_page([("Body", 80, 90)]), t) == (False, True)
    assert edges(_page([("Body", 80, 400)]), t) == (True, False)
    assert edges(_page([("Foot", 80, 780)]), t) == (True, True)  # a running foot
    assert edges(_page([("Other", 560, 90), ("Col", 560, 400)]), t) == (True, True)  # the other column


def test_two_columns_of_the_next_piece_in_one_column_are_joined_with_a_space():
    a = table([["Cohort", "n", "ORR, %"], ["Plover A", "31", "48.4"]], 3, xs=[60.0, 200.0, 320.0])
    # on the next page the cohort column is split in two narrow columns inside the first
    b = table([["Plover", "C", "19", "36.8"]], 4, "Table 4", "Table 4 (continued)",
              xs=[60.0, 110.0, 200.0, 320.0])  # fmt: skip
    for c in b.cells:
        if c.col < 2:
            c.box = Box(4, 60.0 + 50 * c.col, c.box.top, 60.0 + 50 * c.col + 45, c.box.bottom)
    (merged,) = merge([piece(a, top=False), piece(b, continued=True)])
    assert merged.n_cols == 3 and merged.grid()[-1] == ["Plover C", "19", "36.8"]


def test_a_repeated_header_printed_with_other_spacing_is_dropped():
    a = table([["Cohort", "n", "ORR (%)"], *FIRST[1:]], 3)
    b = uncaptioned([["Cohort", "n", "ORR(%)"], *NEXT], 4)
    (merged,) = merge([piece(a, top=False), piece(b, bottom=False)])
    assert [r[0] for r in merged.grid()] == ["Cohort", "Plover A", "Plover B", "Plover C", "Plover D"]


def test_a_word_reaching_to_within_one_point_of_the_table_top_is_not_text_above_it():
    """The region's top edge may cut a hair (≤ 1 pt) through the table's own first line: a word
    ending that close is part of the table's edge, one ending further up is text above it."""
    t = table(FIRST, 4)  # its region starts at y = 120
    assert edges(_page([("Edge", 80, 109.5)]), t) == (True, True)  # ends at 119.5
    assert edges(_page([("Body", 80, 108.5)]), t) == (False, True)  # ends at 118.5
