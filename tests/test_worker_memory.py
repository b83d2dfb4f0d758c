"""A worker's memory on a long paper: the per-item model objects carry no instance dict, the record is
flattened from a document that lets go of what it no longer needs, the record's encodability is
checked without its whole JSON text, and the spelling check keeps a bounded number of places per form.

Not timed: each test checks a structure or an allocation count (tracemalloc), not a duration.
"""

from __future__ import annotations

import tracemalloc
from dataclasses import replace
from pathlib import Path

import pytest

from pipeline.batch.task import printable
from pipeline.model import Block, Box, Cell, Document, Mention, Outcome, Page, Result, Span, Study, Word
from pipeline.outputs.record import DocRecord, from_result


def test_per_item_model_objects_have_no_instance_dict():
    box = Box(1, 10.0, 20.0, 30.0, 40.0)
    items = [
        box,
        Word("valbotamab", box),
        Span(0, 10, box),
        Page(1, 595.0, 842.0),
        Block("paragraph", "text", box),
        Cell(0, 0, "173", box),
        Mention("PRODUCT", "valbotamab", "valbotamab", 0, 10, box=box),
        Study("d", "s1", trial="KESTREL-4"),
        Outcome("d", "s1", "ORR", 41.5, "%", "text"),
    ]
    assert [type(x).__name__ for x in items if hasattr(x, "__dict__")] == []


def _result() -> Result:
    doc = Document("d", "d.pdf")
    box = Box(3, 10.0, 20.0, 30.0, 40.0)
    doc.add_block(
        Block("paragraph", "In KESTREL-4, valbotamab gave an ORR of 41.5%.", box), [Span(0, 9, box)]
    )
    doc.mentions = [
        Mention("TRIAL", "KESTREL-4", "KESTREL-4", 3, 12, page=3, box=box),
        Mention("PRODUCT", "valbotamab", "valbotamab", 14, 24, page=3, attrs={"variant": False}),
        Mention("VALUE", "41.5%", "41.5", 40, 45, page=3, attrs={"value": 41.5, "unit": "%"}),
    ]
    doc.warnings = [{"page": 2, "code": "thin_text", "detail": "page 2: 9 characters"}]
    return Result(
        "d",
        "d.pdf",
        doc=doc,
        studies=[Study("d", "s1", trial="KESTREL-4", n=173)],
        outcomes=[
            Outcome("d", "s1", "ORR", 41.5, "%", "text", trial="KESTREL-4"),
            Outcome("d", "s1", "CR", 12.0, "%", "text", trial="KESTREL-4"),
        ],
        pages=3,
    )


def test_a_consumed_result_gives_the_same_record_and_lets_go_of_its_rows():
    kept = from_result(_result(), "abc")
    result = _result()
    result.doc.shed()
    rec = from_result(result, "abc", consume=True)
    assert rec.as_dict() == kept.as_dict()
    assert [m["text"] for m in rec.mentions] == ["KESTREL-4", "valbotamab", "41.5%"]  # printed order
    assert [m["bbox"] for m in rec.mentions] == ["10.0,20.0,30.0,40.0", "", ""]
    assert [o["metric"] for o in rec.outcomes] == ["ORR", "CR"]
    assert rec.row["failed_pages"] == [2]
    # the rows were taken out of the result; the pages, blocks and text went before
    assert result.outcomes == [] and result.doc.mentions == []
    assert (result.doc.text, result.doc.blocks, result.doc.pages) == ("", [], [])
    assert result.studies and result.doc.warnings  # what the record reads besides stays


def test_an_encodable_record_is_kept_without_its_whole_json(monkeypatch):
    rec = from_result(_result(), "abc")
    rec.mentions[0]["sentence"] = "dose 5 µg/kg — 95% CI"  # not ASCII, but UTF-8 encodable

    def whole_json(self):
        raise AssertionError("the whole record's JSON was built")

    monkeypatch.setattr(DocRecord, "to_json", whole_json)
    assert printable(rec) is rec


def test_a_stray_surrogate_anywhere_in_a_record_is_shown_escaped():
    rec = from_result(_result(), "abc")
    rec.mentions[2]["attrs"]["unit"] = "m\udcffg"  # a lone surrogate deep in a mention's attrs
    out = printable(rec)
    assert out is not rec
    assert out.mentions[2]["attrs"]["unit"] == "m\\xffg"
    assert out.mentions[0]["text"] == "KESTREL-4"
    out.to_json().encode("utf-8")  # now writable


@pytest.fixture(scope="module")
def checker(rules):
    from pipeline.quality import Checker

    checks = {"misspelling": rules["checks"]["checks"]["misspelling"]}  # that check alone
    return Checker(replace(rules, data={**rules.data, "checks": {**rules["checks"], "checks": checks}}))


def test_spelling_keeps_a_few_places_per_form_not_one_per_word(checker):
    from tests.quality_docs import text_doc

    def peak(n: int) -> tuple[int, set[str]]:
        # a long paper repeats its ordinary words: n paragraphs of the same few forms
        names = "Patients on valbotamab, valbotamab and valbotamab; once valbotamib. "
        doc = text_doc(
            [names] + ["Patients on the study drug responded and patients responded again. " * 6] * n
        )
        tracemalloc.start()
        try:
            found = checker.check(doc, [], [])
            return tracemalloc.get_traced_memory()[1], {e.value for f in found for e in f.evidence}
        finally:
            tracemalloc.stop()

    (small, found_small), (large, found_large) = peak(150), peak(300)
    assert "valbotamib" in found_small and found_small == found_large  # the typo still found
    # one kept place per printed word would make the larger paper's peak about twice the smaller's
    assert large < 1.5 * small


def test_a_long_record_goes_to_the_parent_in_pieces_and_arrives_whole():
    import multiprocessing as mp
    import threading

    from pipeline.batch.local import PIECE, _Slot, light

    rec = from_result(_result(), "abc")
    rec.mentions = [
        {"doc_id": "d", "label": "VALUE", "text": f"{i}.5%", "start": i} for i in range(2 * PIECE + 7)
    ]
    whole = rec.as_dict()
    ours, theirs = mp.Pipe()
    sent: list[DocRecord] = []
    sender = threading.Thread(target=lambda: sent.append(light(ours, rec)))
    sender.start()
    slot, pieces = _Slot(proc=None, conn=theirs), []  # type: ignore[arg-type]
    while sender.is_alive() or theirs.poll():
        if theirs.poll(0.1):
            kind, (name, part) = theirs.recv()
            assert kind == "rows" and len(part) <= PIECE
            pieces.append(name)
            slot.rows.setdefault(name, []).extend(part)
    sender.join()
    assert pieces == ["mentions"] * 3  # the short lists stay in the record's own message
    assert sent[0].mentions == [] and sent[0].outcomes == rec.outcomes
    assert rec.as_dict() == whole  # the worker's record is left whole (it writes its outputs next)
    assert slot.whole(sent[0]).as_dict() == whole and slot.rows == {}


def test_a_workers_outputs_of_a_long_record_are_written_without_its_text_in_memory(tmp_path):
    """`stage` streams the mentions to the part and copies them to docs/<id>/: writing four times
    as many mentions takes hardly more memory, where holding their text (and its UTF-8 bytes) would
    take more than twice the text's growth."""
    import json

    from pipeline.outputs.parts import stage

    def peak(n: int) -> tuple[int, int, bytes]:
        rec = from_result(_result(), "abc")
        rec.row["path"] = ""  # no PDF: no crops
        rec.mentions = [
            {"doc_id": "d", "label": "VALUE", "text": f"{i}.5%", "start": i, "end": i + 5, "page": i // 90 + 1,
             "attrs": {"value": i + 0.5, "unit": "%"}, "bbox": f"{i % 500}.0,20.0,{i % 500 + 30}.0,31.5"}
            for i in range(n)
        ]  # fmt: skip
        text = sum(len(json.dumps(m, ensure_ascii=False)) + 1 for m in rec.mentions)
        (tmp_path / str(n)).mkdir()
        tracemalloc.start()
        try:
            base = tracemalloc.get_traced_memory()[0]
            staged = stage(tmp_path / str(n), rec, 0)
            grown = tracemalloc.get_traced_memory()[1] - base
        finally:
            tracemalloc.stop()
        written = (Path(staged.folder) / "docs" / "d" / "mentions.jsonl").read_bytes()
        assert written == (Path(staged.folder) / "doc.mentions.jsonl").read_bytes()
        assert written.count(b"\n") == n
        return grown, text, written

    peak(10)  # imports and first-use caches outside the traced calls
    (small, small_text, _), (large, large_text, lines) = peak(1_000), peak(4_000)
    assert lines.startswith(b'{"doc_id": "d", "label": "VALUE", "text": "0.5%", "start": 0,')
    assert large - small < 0.2 * (large_text - small_text)
