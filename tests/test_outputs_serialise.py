"""The record's flat serialiser (`outputs.record.plain`) and the per-document files written a table
at a time (`write_part`, `write_doc`): the same data `dataclasses.asdict` and pandas' `to_csv` give."""

from __future__ import annotations

from collections import defaultdict, namedtuple
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.model import Box, Evidence, Finding, Mention, Outcome, Study
from pipeline.outputs.columns import frame, table_columns, typed
from pipeline.outputs.parts import write_part
from pipeline.outputs.record import DocRecord, mention_dict, plain
from pipeline.outputs.tables import TABLES, frames, write_body, write_doc

Pair = namedtuple("Pair", "left right")


class Tag(str):
    """A str subclass: asdict deep-copies it rather than passing it through."""


@dataclass(frozen=True, slots=True)
class Inner:
    x: float
    label: str = "q"


@dataclass
class Every:
    text: str = "tovelimab 12 mg"
    count: int = 173
    ratio: float = 0.417
    flag: bool = True
    nothing: None = None
    maybe: int | None = None
    words: list[str] = field(default_factory=lambda: ["KESTREL-4", "arm B"])
    pair: tuple[int, str] = (3, "c")
    named: Pair = Pair(Inner(1.5), [Inner(2.5, "r")])
    attrs: dict[str, Any] = field(default_factory=lambda: {"value": 61.2, "parts": ["a", "b"], "n": {"k": 1}})
    boxed: Inner | None = field(default_factory=lambda: Inner(9.25))
    inners: list[Inner] = field(default_factory=lambda: [Inner(0.5), Inner(1.0, "s")])
    keyed: dict[str, list[int]] = field(default_factory=lambda: {"p": [4, 5], "q": []})
    seen: set[str] = field(default_factory=lambda: {"x", "y"})
    tag: str = Tag("valbotamab")


def test_plain_equals_asdict_on_every_field_type() -> None:
    rec = Every()
    got = plain(rec)
    assert got == asdict(rec)
    assert list(got) == list(asdict(rec))
    assert type(got["named"]) is Pair and type(got["pair"]) is tuple and type(got["tag"]) is Tag
    # a defaultdict keeps its factory (as asdict does from Python 3.12)
    keyed = plain(defaultdict(list, {"p": [Inner(4.0)]}))
    assert type(keyed) is defaultdict and keyed.default_factory is list
    assert keyed == {"p": [{"x": 4.0, "label": "q"}]}


def test_plain_copies_containers_like_asdict() -> None:
    rec = Every()
    got = plain(rec)
    got["words"].append("changed")
    got["attrs"]["parts"].append("changed")
    got["seen"].add("changed")
    assert rec.words == ["KESTREL-4", "arm B"]
    assert rec.attrs["parts"] == ["a", "b"]
    assert rec.seen == {"x", "y"}


def test_plain_equals_asdict_on_the_model_rows() -> None:
    study = Study("d1", "kestrel-4", trial="KESTREL-4", n=173, n_table=None)
    outcome = Outcome("d1", "kestrel-4", "ORR", 41.7, "%", "table", n=173, timepoint_months=12.0, page=3)
    ev = [Evidence("text", "41.7", "text", 2, "ORR 41.7%", "1.0,2.0,3.0,4.0", "o-1"), Evidence("n", "173")]
    finding = Finding("f1", "d1", "cr_le_orr", "error", "CR above ORR", evidence=ev).pack()
    for row in (study, outcome, finding):
        assert plain(row) == asdict(row)
        assert list(plain(row)) == list(asdict(row))


def test_mention_row_is_its_fields_with_the_box_as_bbox_text_last() -> None:
    box = Box(2, 10.0, 20.5, 30.0, 40.25)
    m = Mention("PRODUCT", "valbotamab", "valbotamab", 5, 15, page=2, box=box,
                attrs={"generic": True, "parts": ["a"]})  # fmt: skip
    got = mention_dict("d1", m)
    old = asdict(m)
    del old["box"]
    assert got == {"doc_id": "d1", **old, "bbox": str(box)}
    assert list(got) == ["doc_id", *old, "bbox"]
    assert mention_dict("d1", Mention("N", "173", "173", 0, 3))["bbox"] == ""


def _record() -> DocRecord:
    tricky = 'ORR, "best" 41.7%\nsecond line'
    return DocRecord(
        row={"doc_id": "d1", "status": "ok", "counts": {}, "timings": {}},
        studies=[{"doc_id": "d1", "study_id": "kestrel-4", "trial": "KESTREL-4", "n": 173, "population": tricky}],
        outcomes=[{"doc_id": "d1", "study_id": "kestrel-4", "metric": "ORR", "value": 41.7, "unit": "%",
                   "source": "text", "n": None, "snippet": tricky, "outcome_id": "o-1"}],
        findings=[{"finding_id": "f1", "doc_id": "d1", "check": "c", "severity": "error", "message": tricky,
                   "outcome_ids": "o-1;o-2", "evidence": [{"label": "t", "value": "1", "outcome_id": "o-1"}]}],
        mentions=[{"doc_id": "d1", "label": "N", "text": "173"}],
    )  # fmt: skip


def test_a_parts_files_are_pandas_csv_rows_and_the_mentions_lines(tmp_path: Path) -> None:
    rec = _record()
    f = frames([rec])
    files = write_part(tmp_path, "k", rec)
    for name in TABLES:
        df = getattr(f, name)
        assert len(df) > 0
        assert files[name].read_text(encoding="utf-8") == df.to_csv(index=False, header=False)
    assert files["mentions"].read_text(encoding="utf-8") == '{"doc_id": "d1", "label": "N", "text": "173"}\n'


def test_rows_written_a_chunk_at_a_time_equal_the_whole_text(tmp_path: Path) -> None:
    """pandas writes a file in chunks of rows (about 100,000 cells each): a table longer than one
    chunk gives the bytes of its whole CSV text."""
    rec = _record()
    o = rec.outcomes[0]
    rec.outcomes = [{**o, "outcome_id": f"o-{i}", "value": i / 8, "n": i % 7 or None} for i in range(10_000)]
    df = frames([rec]).outcomes
    write_body(tmp_path / "o.csv", df)
    assert (tmp_path / "o.csv").read_bytes() == df.to_csv(index=False, header=False).encode("utf-8")


def test_per_document_files_hold_the_same_text_as_the_frames(tmp_path: Path) -> None:
    rec = _record()
    f = frames([rec])
    folder = write_doc(tmp_path, rec)
    copied = write_doc(tmp_path / "b", rec, write_part(tmp_path, "k", rec))  # from a part's files
    for name in TABLES:
        text = getattr(f, name).to_csv(index=False)
        assert (folder / f"{name}.csv").read_text(encoding="utf-8") == text
        assert (copied / f"{name}.csv").read_text(encoding="utf-8") == text
    mentions = '{"doc_id": "d1", "label": "N", "text": "173"}\n'
    assert (folder / "mentions.jsonl").read_text(encoding="utf-8") == mentions
    assert (copied / "mentions.jsonl").read_text(encoding="utf-8") == mentions
    assert (copied / "report.json").read_bytes() == (folder / "report.json").read_bytes()


def _frame_of_objects(rows: list[dict], name: str) -> pd.DataFrame:
    """The former way: a pandas frame of the rows (pandas infers each column), then typed."""
    return typed(pd.DataFrame(rows, columns=table_columns(name)), name)


def test_a_table_built_column_by_column_equals_the_frame_of_its_rows() -> None:
    rows = [
        {"doc_id": "d1", "study_id": "kestrel-4", "trial": "KESTREL-4", "n": 173, "phase": 3, "refs": None,
         "population": float("nan"), "n_table": "173", "sources": ["text", "table"]},
        {"doc_id": "d1", "study_id": "document", "n": None, "phase": 2, "pages": "2, 4", "n_text": 12.0},
        {"doc_id": "d1", "study_id": "heron-2", "phase": 1.0, "design": {"arms": 2}, "extra": "not written"},
    ]  # fmt: skip
    got, want = frame(rows, "studies"), _frame_of_objects(rows, "studies")
    pd.testing.assert_frame_equal(got, want)
    assert got.to_csv(index=False) == want.to_csv(index=False)
    assert got["phase"].tolist() == ["3.0", "2.0", "1.0"]  # numbers only: as pandas infers them
    outcomes = [{"doc_id": "d1", "metric": "ORR", "value": "41.7", "page": 3.0, "timepoint_months": None},
                {"doc_id": "d1", "metric": "CR", "value": 12, "unit": "%"}]  # fmt: skip
    pd.testing.assert_frame_equal(frame(outcomes, "outcomes"), _frame_of_objects(outcomes, "outcomes"))
    for name in TABLES:
        pd.testing.assert_frame_equal(frame([], name), _frame_of_objects([], name))


def _json_encodes(rec: DocRecord) -> bool:
    try:
        rec.to_json().encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def test_a_record_is_encodable_exactly_when_its_json_encodes_as_utf8() -> None:
    bad = "bad-\udce9-name"  # a lone surrogate: what a non-UTF-8 file name decodes to
    cases = [
        lambda r: None,
        lambda r: r.row.update(path=f"/in/{bad}.pdf"),
        lambda r: r.mentions.append({"doc_id": "d1", "text": "café ✓", "attrs": {"parts": ["ß"]}}),
        lambda r: r.findings[0]["evidence"].append({"label": bad}),
        lambda r: r.studies[0].update({bad: 1}),
        lambda r: r.row.update(where=Path(f"/in/{bad}")),  # written as str(): json's default=str
        lambda r: r.row.update(where=Path("/in/été"), pages=(1, 2.5, None, True)),
    ]
    got = []
    for change in cases:
        rec = _record()
        change(rec)
        assert rec.encodable() == _json_encodes(rec)
        got.append(rec.encodable())
    assert got == [True, False, True, False, False, False, True]
