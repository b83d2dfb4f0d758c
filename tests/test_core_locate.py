"""`Document.locate`: the boxes of a stretch of text, found by bisection over blocks and word spans."""

from __future__ import annotations

from pipeline.model import Block, Box, Document, Span

ALPHA, BETA = Box(1, 10, 100, 40, 110), Box(1, 45, 100, 70, 110)  # one line
GAMMA = Box(1, 10, 120, 50, 130)  # the next line
DELTA = Box(2, 10, 50, 40, 60)  # the next page


def _doc() -> Document:
    doc = Document("d", "d.pdf")
    spans = [Span(0, 5, ALPHA), Span(6, 10, BETA), Span(11, 16, GAMMA)]
    doc.add_block(Block("paragraph", "alpha beta gamma", Box(1, 10, 100, 70, 130)), spans)
    doc.add_block(Block("paragraph", "delta", Box(2, 10, 50, 40, 60)), [Span(0, 5, DELTA)])
    doc.add_block(Block("heading", "omega", Box(3, 10, 10, 90, 20)))  # a block without spans
    return doc


def test_a_word_inside_a_block_is_its_own_box() -> None:
    assert _doc().locate(6, 8) == [BETA]


def test_words_of_one_line_merge_and_a_new_line_starts_a_box() -> None:
    assert _doc().locate(3, 13) == [Box(1, 10, 100, 70, 110), GAMMA]


def test_a_stretch_across_blocks_and_pages() -> None:
    doc = _doc()
    second = doc.blocks[1]
    assert doc.locate(12, second.start + 2) == [GAMMA, DELTA]


def test_the_space_between_words_has_no_box() -> None:
    assert _doc().locate(5, 6) == []


def test_a_block_without_spans_gives_its_own_box() -> None:
    doc = _doc()
    last = doc.blocks[2]
    assert doc.locate(last.start + 1, last.start + 3) == [Box(3, 10, 10, 90, 20)]
