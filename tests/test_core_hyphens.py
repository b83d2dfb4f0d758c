"""Line-end hyphens and page furniture from their contracts (pipeline/ingest/hyphens.py, cleanup.py).

The English word list is pyspellchecker's (pinned); the boundary cases below sit on its counts: a
joined word of 200 is English (199 is not), a word of 1000 is common (999 is not)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.ingest.cleanup import running_lines, vocabulary
from pipeline.ingest.hyphens import keep_hyphen
from pipeline.model import Box, Word
from tests.conftest import SHARED

KEEP, JOIN = True, False


@pytest.mark.parametrize(
    ("left", "right", "vocab", "keep"),
    [
        # 1. the document's own spelling decides
        ("kestrel", "based", {"kestrel-based"}, KEEP),
        ("kestrel", "based", {"kestrelbased"}, JOIN),
        ("anti-velbo", "treated", {"anti-velbo-treated"}, KEEP),
        ("velbrutinib", "refractory", {"velbrutinib", "refractory"}, KEEP),  # both halves its words
        ("velbrutinib", "refractory", set(), JOIN),
        ("velb", "refractory", {"velb", "refractory"}, KEEP),  # 4 letters: long enough
        ("(posi", "tioning", {"posi-tioning"}, KEEP),  # the word printed hyphenated elsewhere
        ("anti-posi", "tioning", {"anti-posi-tioning"}, KEEP),  # ... with its prefix
        ("anti-posi", "tioning", set(), JOIN),
        # 2. shape
        ("T", "cell", set(), KEEP),
        ("4", "1BB", set(), KEEP),
        ("GPRC5D", "specific", set(), KEEP),
        ("mAb", "treated", set(), KEEP),
        ("anti", "BCMA", set(), KEEP),
        ("UNI", "VERSAL", set(), JOIN),  # a heading set in capitals
        ("RES", "PONSE", set(), JOIN),
        ("KESTREL", "ARM", set(), KEEP),
        ("(", "x", set(), KEEP),
        ("x", ")", set(), KEEP),
        # 3. the English word list
        ("posi", "tioning", set(), JOIN),
        ("re", "sponse", set(), JOIN),
        ("grind", "stone", set(), JOIN),  # joined word of count 200: English
        ("time", "piece", set(), JOIN),
        ("book", "lets", set(), KEEP),  # joined word of count 199 and two common words
        ("guard", "house", set(), KEEP),
        ("micro", "environment", set(), JOIN),  # a combining form
        ("equi", "librium", set(), JOIN),
        ("follow", "up", set(), KEEP),  # two common words
        ("all", "treated", set(), KEEP),
        ("ex", "wife", set(), KEEP),  # a two-letter common word is a word
        ("long", "niche", set(), KEEP),  # right word of count 1000: common
        ("long", "kebab", set(), JOIN),  # ... 999: not
        ("niche", "up", set(), KEEP),  # left word of count 1000
        ("kebab", "up", set(), JOIN),
        ("zorb", "based", set(), KEEP),  # a long part that joins into no word, then a common word
        ("zor", "based", set(), JOIN),  # a 3-letter part is no word of its own
        ("zorb", "up", set(), JOIN),  # a 2-letter common word after it
    ],
)
def test_keep_hyphen_cases(left, right, vocab, keep):
    assert keep_hyphen(f"{left}-", right, vocab) is keep


def _hyphen_cases() -> list[tuple[str, str, str]]:
    folder = SHARED / "fidelity"
    if not folder.is_dir():
        return []
    out = []
    for f in sorted(folder.glob("*.hyphens.tsv")):
        for line in f.read_text(encoding="utf-8").splitlines():
            if "\t" in line:
                split, joined = line.split("\t")[:2]
                out.append((f.name.split(".")[0], split, joined))
    return out


def test_fidelity_hyphen_cases_without_document_vocabulary():
    """Every hand-checked line-end hyphen of ../shared/fidelity, decided from the word alone (no
    document vocabulary): at least 95% right, and at most 10% of compounds lose their hyphen."""
    cases = _hyphen_cases()
    if not cases:
        pytest.skip(f"shared fidelity folder not present ({SHARED / 'fidelity'})")
    right, wrong = 0, []
    for paper, split, joined in cases:
        left, rest = split.split("-/", 1)
        if keep_hyphen(f"{left}-", rest, set()) == ("-" in joined):
            right += 1
        else:
            wrong.append((paper, split, joined))
    assert len(cases) >= 100
    assert right / len(cases) >= 0.95, wrong
    compounds = [c for c in cases if "-" in c[2]]
    lost = [c for c in compounds if c in wrong]
    assert len(compounds) >= 10 and len(lost) <= 0.1 * len(compounds), lost


word_part = st.text(alphabet="abcdefghijklmnoprstuvwy", min_size=1, max_size=9)


@settings(max_examples=200, deadline=None)
@given(words=st.lists(word_part, min_size=1, max_size=8))
def test_vocabulary_holds_every_unhyphenated_word_unchanged(words):
    """Dehyphenation evidence never alters a word printed without a line-end hyphen."""
    ws = [Word(f"{t}.", Box(1, 10 * i, 10, 10 * i + 8, 20), 9.0) for i, t in enumerate(words)]
    assert vocabulary(ws) == set(words)


def test_vocabulary_splits_compounds_and_leaves_line_end_fragments_out():
    ws = [Word(t, Box(1, 0, 0, 1, 1)) for t in ("Kestrel-based", "“Velbo”", "posi-", "(Tern),", "—")]
    assert vocabulary(ws) == {"kestrel-based", "kestrel", "based", "velbo", "tern", "—"}


# --- running heads and feet --------------------------------------------------------------------------
def _row(text: str, page: int, top: float, x0: float = 60.0) -> list[Word]:
    out, x = [], x0
    for t in text.split():
        out.append(Word(t, Box(page, x, top, x + 6 * len(t), top + 8), 8.0))
        x += 6 * len(t) + 4
    return out


def _pages(n: int, head: str | None, foot: str | None, height: float = 800.0):
    pages = []
    for p in range(1, n + 1):
        rows = []
        if head is not None:
            rows.append(_row(head.replace("#", str(p)), p, 30))
        rows += [_row(f"Body line {k} of page {p} with plovers", p, 150 + 20 * k) for k in range(5)]
        if foot is not None:
            rows.append(_row(foot.replace("#", str(p)), p, 770))
        pages.append((rows, height))
    return pages


def test_running_head_and_page_numbers_found_body_kept():
    found = running_lines(_pages(4, "Journal of Plover Studies", "Page # of 4"))
    kinds = sorted({(b.kind, b.text.replace("1", "#").replace("2", "#").replace("3", "#")) for b in found})
    assert ("header", "Journal of Plover Studies") in kinds
    assert any(k == "footer" and t.startswith("Page") for k, t in kinds)
    assert not any("Body" in b.text for b in found)
    assert len(found) == 8


def test_a_line_on_one_page_only_is_no_running_line():
    assert running_lines(_pages(1, None, None)) == []
    once = _pages(4, None, None)
    once[0][0].insert(0, _row("Received 3 May; accepted 9 June", 1, 30))
    assert running_lines(once) == []


def test_lone_page_numbers_in_the_margin_go_even_without_repetition():
    pages = _pages(1, None, "7")
    (b,) = running_lines(pages)
    assert (b.kind, b.text) == ("footer", "7")


def test_body_rows_far_from_the_margins_are_never_furniture():
    pages = [([_row("Repeated plover sentence", p, 400)], 800.0) for p in range(1, 6)]
    assert running_lines(pages) == []


def _with_head(n: int, on: set[int], head: str, top: float = 30.0, height: float = 800.0):
    pages = _pages(n, None, None, height)
    for p in on:
        pages[p - 1][0].insert(0, _row(head.replace("#", str(p)), p, top))
    return pages


@pytest.mark.parametrize(("n", "on", "found"), [(10, 2, False), (10, 3, True), (4, 2, True), (3, 1, False)])
def test_a_running_line_needs_three_tenths_of_the_pages_and_at_least_two(n, on, found):
    pages = _with_head(n, set(range(1, on + 1)), "Plover Review vol #")
    heads = [b for b in running_lines(pages) if b.kind == "header"]
    assert (len(heads) == on) is found and (not heads) is (not found)


def test_beyond_the_page_number_margin_only_the_very_same_text_on_three_pages_counts():
    # top at 9% of the page: in the page-number margin, digits ignored
    assert len(running_lines(_with_head(4, {1, 2}, "Plover Review vol #", top=72.0))) == 2
    # top at 11%: only in the wider repeat margin; numbers differ per page -> not the same text
    assert running_lines(_with_head(4, {1, 2, 3}, "Plover Review vol #", top=88.0)) == []
    # the very same text on two pages is not enough there; on three it is
    assert running_lines(_with_head(4, {1, 2}, "Plover Review", top=88.0)) == []
    assert len(running_lines(_with_head(4, {1, 2, 3}, "Plover Review", top=88.0))) == 3
    # below the repeat margin: body
    assert running_lines(_with_head(4, {1, 2, 3, 4}, "Plover Review", top=120.0)) == []


def test_running_items_split_at_wide_gaps_and_keep_their_box_and_size():
    pages = _pages(3, None, None)
    for p in (1, 2, 3):
        row = _row("Plover Review", p, 30) + _row(str(p), p, 30, x0=500.0)
        pages[p - 1][0].insert(0, row)
    found = sorted(running_lines(pages), key=lambda b: (b.box.page, b.box.x0))
    assert [(b.box.page, b.text) for b in found] == [(1, "Plover Review"), (1, "1"), (2, "Plover Review"),
                                                    (2, "2"), (3, "Plover Review"), (3, "3")]  # fmt: skip
    head = found[0]
    assert (head.box.x0, head.box.x1, head.box.top, head.box.bottom) == (60.0, 60 + 36 + 4 + 36, 30, 38)
    assert head.font_size == 8.0 and head.kind == "header"


def test_a_lone_url_in_the_margin_goes_only_in_a_document_of_several_pages():
    one = _pages(1, None, "https://doi.example/plover.42")
    assert running_lines(one) == []  # a one-page document's only link may be its content
    pages = _pages(3, None, None)
    pages[0][0].append(_row("https://doi.example/plover.42", 1, 770))
    assert [b.text for b in running_lines(pages)] == ["https://doi.example/plover.42"]
    pages = _pages(3, None, None)
    pages[0][0].append(_row("plover.example", 1, 770))
    assert running_lines(pages) == []


@pytest.mark.parametrize(
    "printed", ["12", "Page 3", "p. 4", "Pag. 3 / 10", "Page 3 of 10", "xii", "Seite 2 von 9"]
)
def test_page_numbers_in_the_margin_go_whatever_their_count(printed):
    (b,) = running_lines(_pages(1, printed, None))
    assert (b.kind, b.text) == ("header", printed)


def test_only_the_first_and_last_rows_are_searched():
    pages = []
    for p in (1, 2, 3):
        rows = [_row(f"Line {k} of plover text", p, 20 + 3 * k) for k in range(4)]
        rows.append(_row("Plover Review", p, 45))  # fifth row from the top, still in the margin
        rows += [_row(f"Body line {k}", p, 300 + 20 * k) for k in range(5)]
        pages.append((rows, 800.0))
    assert not any(b.text == "Plover Review" for b in running_lines(pages))


@pytest.mark.parametrize(("gap", "items"), [(16.0, ["Plover Review"]), (17.0, ["Plover", "Review"])])
def test_a_margin_row_splits_only_at_gaps_wider_than_two_em(gap, items):
    pages = _pages(3, None, None)
    for p in (1, 2, 3):
        a = Word("Plover", Box(p, 60.0, 30.0, 96.0, 38.0), 8.0)
        b = Word("Review", Box(p, 96.0 + gap, 30.0, 132.0 + gap, 38.0), 8.0)
        pages[p - 1][0].insert(0, [a, b])
    assert sorted({b.text for b in running_lines(pages)}) == items


def test_a_known_name_spelt_one_way_decides_its_line_end_hyphen():
    assert keep_hyphen("Velbo-", "tamab", set(), {"velbotamab"}) is False
    assert keep_hyphen("Velbo-", "tamab", set(), {"velbo-tamab", "velbo", "tamab"}) is True


def test_warm_reads_the_english_word_list_once_for_the_documents_after_it():
    from pipeline import ingest
    from pipeline.ingest.hyphens import english

    english.cache_clear()
    ingest.warm()
    loaded = english.cache_info()
    assert loaded.currsize == 1 and loaded.misses == 1
    # a decision the document cannot make reads the list: the one already loaded
    keep_hyphen("zorvane", "lintide", set())
    after = english.cache_info()
    assert after.misses == 1 and after.hits > loaded.hits
