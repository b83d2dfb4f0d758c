"""Glyphs -> rows of words from its contract (pipeline.ingest.words), on synthetic glyph dicts: a word
ends at a gap wider than a tenth of an em, a row holds glyphs whose tops are within a third of an em,
a gap of more than an em splits a row into segments, a small raised number is a citation (moved to
`refs`) unless it follows "10" (an exponent), glyphs off the page or not upright are dropped,
ligatures are expanded, a fake-bold second print is dropped. Invented text."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.ingest.words import Pool, expand_refs, is_bold, rows

W, H = 600.0, 800.0
ADV = 0.5  # advance of a glyph, in em


def glyph(text, x0, top, size=10.0, font="Helvetica", upright=True, width=None):
    w = size * ADV if width is None else width
    return {"text": text, "x0": x0, "x1": x0 + w, "top": top, "bottom": top + size, "size": size,
            "fontname": font, "upright": upright}  # fmt: skip


def line(text, x0=72.0, top=100.0, size=10.0, gap=0.3, font="Helvetica"):
    """Glyphs of `text` set left to right; a space is a gap of `gap` em (no space glyph)."""
    out, x = [], x0
    for ch in text:
        if ch == " ":
            x += gap * size
            continue
        out.append(glyph(ch, x, top, size, font))
        x += size * ADV
    return out


def texts(chars, page=1):
    return [[w.text for w in row] for row in rows(chars, page, W, H)]


# --- words and rows -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("gap", "words"),
    [(0.0, ["kestrelvale"]), (0.05, ["kestrelvale"]), (0.09, ["kestrelvale"]), (0.14, ["kestrel", "vale"]),
     (0.5, ["kestrel", "vale"]), (0.95, ["kestrel", "vale"])],
)  # fmt: skip
def test_a_word_ends_at_a_gap_wider_than_a_tenth_of_an_em(gap, words):
    assert texts(line("kestrel vale", gap=gap)) == [words]


def test_space_glyphs_end_words_too():
    chars = line("ab") + [glyph(" ", 82.0, 100.0)] + line("cd", x0=82.0)
    assert texts(chars) == [["ab", "cd"]]


def test_gap_of_more_than_an_em_splits_segments_but_keeps_the_row():
    (row,) = rows(line("Plover") + line("31.4", x0=72 + 30 + 15), 1, W, H)
    assert [w.text for w in row] == ["Plover", "31.4"]
    assert row[1].box.x0 == pytest.approx(117.0)


@pytest.mark.parametrize(("dy", "n_rows"), [(0.0, 1), (2.0, 1), (3.4, 1), (3.6, 2), (12.0, 2)])
def test_glyph_tops_within_a_third_of_an_em_share_a_row(dy, n_rows):
    chars = line("alpha") + line("beta", x0=200.0, top=100.0 + dy)
    assert len(rows(chars, 1, W, H)) == n_rows


def test_rows_run_top_to_bottom_and_words_left_to_right():
    chars = line("third", top=300.0) + line("second", x0=300.0, top=200.0) + line("first", top=100.0)
    chars += line("left", x0=20.0, top=200.0)
    assert texts(chars) == [["first"], ["left", "second"], ["third"]]


def test_word_box_size_font_and_page():
    (row,) = rows(line("Wren 42", size=12.0, font="ABCDEF+Palatino-Roman"), 7, W, H)
    w = row[0]
    assert (w.text, w.box.page, w.font, w.size, w.bold) == ("Wren", 7, "Palatino-Roman", 12.0, False)
    assert (w.box.x0, w.box.top, w.box.x1, w.box.bottom) == pytest.approx((72.0, 100.0, 96.0, 112.0))


@pytest.mark.parametrize(
    "keep",
    [
        {"x0": -10.0, "x1": -1.0},  # left of the page
        {"x0": W + 1, "x1": W + 8},  # right of it
        {"top": -20.0, "bottom": -5.0},  # above
        {"top": H + 2, "bottom": H + 12},  # below
        {"upright": False},
        {"text": ""},
    ],
)
def test_glyphs_off_the_page_or_not_upright_are_dropped(keep):
    stray = {**glyph("Q", 72.0, 400.0), **keep}
    assert texts(line("kept") + [stray]) == [["kept"]]


def test_glyphs_on_the_page_edges_are_kept():
    edge = [glyph("L", -2.0, 400.0), glyph("R", W - 3, 420.0), glyph("T", 300.0, -3.0)]
    assert sorted(t for r in texts(edge) for t in r) == ["L", "R", "T"]


def test_ligatures_are_expanded():
    chars = [glyph("e", 72, 100), glyph("ﬃ", 77, 100), glyph("c", 82, 100), glyph("ﬂ", 87, 100)]
    assert texts(chars) == [["efficfl"]]


def test_fake_bold_second_print_is_dropped_but_real_double_letters_stay():
    m1, m2 = glyph("M", 72.0, 100.0), glyph("M", 72.6, 100.2)  # printed again 0.6 pt aside
    assert texts([m1, m2, glyph("e", 77.6, 100.0)]) == [["Me"]]
    assert texts([glyph("o", 72.0, 100.0), glyph("o", 77.0, 100.0)]) == [["oo"]]  # a full glyph apart
    assert texts([glyph("M", 72.0, 100.0), glyph("M", 72.6, 103.0)]) == [["MM"]]  # not at the same top


@pytest.mark.parametrize(
    ("fonts", "bold"),
    [(["Helvetica-Bold"] * 3, True), (["Helvetica-Bold", "Helvetica-Bold", "Helvetica"], True),
     (["Helvetica-Bold", "Helvetica", "Helvetica"], False), (["Helvetica-Bold", "Helvetica"], False)],
)  # fmt: skip
def test_a_word_is_bold_when_most_of_its_glyphs_are(fonts, bold):
    chars = [glyph("x", 72 + 5 * i, 100, font=f) for i, f in enumerate(fonts)]
    ((w,),) = rows(chars, 1, W, H)
    assert w.bold is bold


@pytest.mark.parametrize(
    ("font", "bold"),
    [("ABCDEF+Helvetica-Bold", True), ("Arial-Black", True), ("Minion-Semibold", True),
     ("Frutiger-Medium", True), ("Univers,Bold", True), ("Times-Roman", False),
     ("Helvetica", False), ("Mediaeval-Roman", False), ("BoldFace+Times-Roman", False)],
)  # fmt: skip
def test_is_bold_by_the_font_name_after_the_subset_tag(font, bold):
    assert is_bold(font) is bold


# --- superscripts ----------------------------------------------------------------------------------
def sup(text, x0, base_top=100.0, size=10.0, small=0.6, raised=0.35):
    """Small glyphs raised above a base line set at `base_top` with `size`."""
    s = size * small
    bottom = base_top + size - raised * size
    return [glyph(ch, x0 + i * s * ADV, bottom - s, s) for i, ch in enumerate(text)]


@pytest.mark.parametrize(
    ("marker", "refs"),
    [("3", ("3",)), ("12,14", ("12", "14")), ("5-7", ("5", "6", "7")), ("2,4-5", ("2", "4", "5"))],
)
def test_raised_small_numbers_are_citations(marker, refs):
    chars = line("kittiwake") + sup(marker, 117.0)
    ((w,),) = rows(chars, 1, W, H)
    assert (w.text, w.refs) == ("kittiwake", refs)
    assert w.box.x1 > 117.0  # the marker's glyphs stay in the word's box
    assert w.size == 10.0  # the size of the body glyphs, not the marker's


def test_raised_digits_after_ten_are_an_exponent():
    ((w,),) = rows(line("450x10") + sup("6", 102.0), 1, W, H)
    assert (w.text, w.refs) == ("450x10^6", ())
    ((w,),) = rows(line("4x10") + sup("−9", 92.0), 1, W, H)
    assert w.text == "4x10^-9"


def test_a_raised_number_after_other_digits_is_a_citation():
    ((w,),) = rows(line("2010") + sup("4", 92.0), 1, W, H)
    assert (w.text, w.refs) == ("2010", ("4",))


def test_raised_letters_and_signs_stay_inline():
    ((w,),) = rows(line("CD19") + sup("+", 92.0), 1, W, H)
    assert (w.text, w.refs) == ("CD19+", ())


@pytest.mark.parametrize(
    ("small", "raised", "is_ref"),
    [(0.6, 0.35, True), (0.84, 0.35, True), (0.9, 0.35, False), (0.6, 0.1, False), (0.6, 0.0, False)],
)
def test_a_superscript_is_small_and_raised(small, raised, is_ref):
    ((w, *_),) = rows(line("gull") + sup("8", 92.0, small=small, raised=raised), 1, W, H)
    assert (w.refs == ("8",)) is is_ref
    assert (w.text == "gull") is is_ref


def test_a_marker_apart_from_its_word_joins_the_word_before():
    chars = line("heron") + sup("9", 72 + 25 + 1.5)  # 0.15 em after the word
    ((w,),) = rows(chars, 1, W, H)
    assert (w.text, w.refs) == ("heron", ("9",))
    assert w.box.x1 == pytest.approx(72 + 25 + 1.5 + 3.0)


def test_a_raised_note_letter_before_a_word_is_a_word_of_its_own():
    chars = sup("a", 72.0) + line("Adjusted", x0=75.0)
    assert texts(chars) == [["a", "Adjusted"]]
    chars = sup("ab", 72.0) + line("Adjusted", x0=78.0)
    assert texts(chars) == [["ab", "Adjusted"]]
    chars = sup("abc", 72.0) + line("Adjusted", x0=81.0)  # three letters: not a marker
    assert texts(chars) == [["abcAdjusted"]]
    chars = sup("A", 72.0) + line("djusted", x0=75.0)  # upper case: not a note letter
    assert texts(chars) == [["Adjusted"]]


def test_a_lowered_subscript_joins_its_row():
    chars = line("CO") + [glyph("2", 82.0, 106.0, 6.0)] + line("level", x0=90.0)
    assert texts(chars) == [["CO2", "level"]]


def test_small_text_standing_apart_keeps_its_own_row():
    body = line("body text here", top=100.0)
    aside = line("aside", x0=400.0, top=104.0, size=6.0)
    assert texts(body + aside) == [["body", "text", "here"], ["aside"]]


# --- two lines printed over each other --------------------------------------------------------------
def test_two_lines_printed_over_each_other_are_two_rows():
    a = line("Licensedcopynotforsale", top=700.0, size=8.0, font="Arial")
    b = [{**g, "top": g["top"] + 1.0, "bottom": g["bottom"] + 1.0, "x0": g["x0"] + 1.0, "x1": g["x1"] + 1.0}
         for g in line("Runningfootplover", top=700.0, size=9.0, font="Times")]  # fmt: skip
    out = texts(a + b)
    assert sorted(map(tuple, out)) == [("Licensedcopynotforsale",), ("Runningfootplover",)]


def test_an_accent_over_its_letter_is_not_an_overprint():
    chars = line("cafe") + [glyph("´", 87.0, 99.0, 10.0, font="Symbol")]
    assert len(rows(chars, 1, W, H)) == 1


# --- citations ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("printed", "refs"),
    [("5", ["5"]), ("5-6", ["5", "6"]), ("1,3-5", ["1", "3", "4", "5"]), ("7,", ["7"]), ("2,9", ["2", "9"]),
     ("2-32", [str(n) for n in range(2, 33)]), ("2-33", ["2", "33"]), ("9-3", ["9", "3"])],
)  # fmt: skip
def test_expand_refs(printed, refs):
    assert expand_refs(printed) == refs


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 400), st.integers(1, 30))
def test_expand_refs_of_a_short_range_lists_every_number(lo, span):
    assert expand_refs(f"{lo}-{lo + span}") == [str(n) for n in range(lo, lo + span + 1)]


# --- the pool ------------------------------------------------------------------------------------
def test_pool_shares_equal_values_and_keeps_their_types():
    p = Pool()
    a, b = "".join(["pl", "over"]), "".join(["plo", "ver"])
    assert a is not b and p.text(a) is p.text(b)
    x, y = float("72.25"), float("7225") / 100
    assert p.num(x) is p.num(y)
    assert type(p.num(3)) is int and p.num(3) == 3
    nan = float("nan")
    assert p.num(nan) is nan
    assert str(p.num(-0.0)) == "-0.0"


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from("abcdefgh"), min_size=1, max_size=5).map("".join),
       st.lists(st.sampled_from("stuvwxyz"), min_size=1, max_size=5).map("".join),
       st.floats(0.15, 0.9))  # fmt: skip
def test_any_two_words_apart_by_more_than_the_word_gap_are_read_back(a, b, gap):
    assert texts(line(f"{a} {b}", gap=gap)) == [[a, b]]


def test_a_marker_grouped_with_the_other_columns_line_goes_back_to_its_own():
    """A raised marker after a right-column word whose top is nearer the left column's line above."""
    left = line("alpha", x0=72.0, top=100.0)
    right = line("beta", x0=300.0, top=104.0)
    marker = [glyph("4", 320.0, 101.0, 6.0)]  # bottom 107: raised 7 pt above the word's bottom (114)
    out = rows(left + right + marker, 1, W, H)
    assert [[w.text for w in r] for r in out] == [["alpha"], ["beta"]]
    assert out[1][0].refs == ("4",)


def test_every_marker_grouped_with_the_other_columns_line_goes_back():
    chars = []
    for top, word, ref in ((100.0, "beta", "4"), (130.0, "gamma", "7")):
        chars += line("alpha", x0=72.0, top=top) + line(word, x0=300.0, top=top + 4.0)
        chars += [glyph(ref, 300.0 + 5 * len(word), top + 1.0, 6.0)]
    out = rows(chars, 1, W, H)
    assert [[(w.text, w.refs) for w in r] for r in out] == [
        [("alpha", ())],
        [("beta", ("4",))],
        [("alpha", ())],
        [("gamma", ("7",))],
    ]


def test_the_overprinted_line_is_the_font_that_collides_with_the_rows_main_font():
    """The row's main font is the one with most glyphs; a third font that collides with nothing
    stays with the main font's line."""
    body = line("Licensedcopy", x0=72.0, top=700.0, size=8.0, font="Arial")
    body += line("plover", x0=140.0, top=700.0, size=8.0, font="Courier")
    stamp = [{**g, "top": g["top"] + 1.0, "bottom": g["bottom"] + 1.0, "x0": g["x0"] + 1.0, "x1": g["x1"] + 1.0}
             for g in line("Overprint", x0=72.0, top=700.0, size=9.0, font="Times")]  # fmt: skip
    out = texts(body + stamp)
    assert sorted(map(tuple, out)) == [("Licensedcopy", "plover"), ("Overprint",)]


def test_a_glyph_that_does_not_say_whether_it_is_upright_is_kept():
    chars = [{k: v for k, v in g.items() if k != "upright"} for g in line("wren")]
    assert texts(chars) == [["wren"]]
