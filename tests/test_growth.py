"""Cost grows with the paper, not with its square: operation counts on an input and on one twice as
long (a pairwise pass over outcomes, words or names would count about 4x; these count about 2x).

Not timed: each test counts calls or list visits of the mechanism that replaced a pairwise one.
"""

from __future__ import annotations

import pytest

from pipeline.model import Block, Box, Document, Outcome, Span
from pipeline.quality import logic
from pipeline.records import from_text
from pipeline.records.from_text import _name_re
from pipeline.records.name_index import NameIndex
from tests.records_helpers import AnnotatedBuilder
from tests.test_records_text import doc_of


class Visits(list):
    """A list that counts the items read from it (iteration and indexing, as bisect does)."""

    count = 0

    def __iter__(self):
        for x in super().__iter__():
            Visits.count += 1
            yield x

    def __getitem__(self, i):
        Visits.count += 1
        return super().__getitem__(i)


def _visits(fn) -> int:
    Visits.count = 0
    fn()
    return Visits.count


def test_locate_reads_the_words_it_covers_not_the_whole_block():
    def run(n: int) -> int:
        doc = Document("d", "d.pdf")
        text = " ".join(f"w{i}" for i in range(n))
        spans, pos = [], 0
        for i, word in enumerate(text.split(" ")):
            spans.append(
                Span(pos, pos + len(word), Box(1 + i // 100, 50, 10 * (i % 100), 90, 10 * (i % 100) + 8))
            )
            pos += len(word) + 1
        block = doc.add_block(Block("paragraph", text, Box(1, 40, 0, 300, 800)), spans)
        block.spans = Visits(block.spans)
        boxes = []

        def every_word():
            boxes.extend(doc.locate(s.start, s.end) for s in list.__iter__(block.spans))

        seen = _visits(every_word)
        assert [b[0] for b in boxes] == [s.box for s in list.__iter__(block.spans)]  # each word's own box
        return seen

    small, large = run(300), run(600)
    assert large < 2.5 * small


def test_timed_pair_compares_values_of_one_timepoint():
    rule = logic.Rule("pfs_over_os", "pair", {"lower": "PFS_RATE", "upper": "OS_RATE", "timed": True})

    def run(n: int) -> tuple[int, list[str]]:
        outs = []
        for t in range(1, n + 1):
            lo = 81.0 if t == 7 else 40.0  # one landmark prints PFS above OS
            outs.append(Outcome("d", "s", "PFS_RATE", lo, "%", "text", timepoint_months=float(t)))
            outs.append(Outcome("d", "s", "OS_RATE", 60.0, "%", "text", timepoint_months=float(t)))
        found: list[str] = []
        seen = _visits(lambda: logic._pair(rule, Visits(outs), lambda r, o, m, why, ev: found.append(why)))
        return seen, found

    (small, found_small), (large, found_large) = run(60), run(120)
    assert found_small == found_large == ["PFS_RATE 81 > OS_RATE 60 at 7 months"]
    assert large < 2.5 * small


@pytest.fixture(scope="module")
def builder(rules):
    return AnnotatedBuilder(rules)


class Calls:
    """Counts the calls of a module's function (set in its place with monkeypatch)."""

    def __init__(self, monkeypatch, module, name: str) -> None:
        self.fn, self.n = getattr(module, name), 0
        monkeypatch.setattr(module, name, self)

    def __call__(self, *args):
        self.n += 1
        return self.fn(*args)

    def count(self, fn) -> int:
        self.n = 0
        fn()
        return self.n


def test_text_values_kept_once_without_comparing_every_pair(builder, monkeypatch):
    same = Calls(monkeypatch, from_text, "_same")

    def run(n: int) -> tuple[int, int]:
        paragraphs = [
            ("paragraph", f"In the KESTREL-4 trial, the ORR was {20 + i % 70}% at {3 + i} months.")
            for i in range(n)
        ]
        paragraphs += paragraphs[:2]  # a passage restated: its values are kept once per snippet
        got: list = []
        calls = same.count(lambda: got.extend(builder.build(doc_of(*paragraphs))[1]))
        return calls, sum(o.metric == "ORR" for o in got)

    (small, orr_small), (large, orr_large) = run(30), run(60)
    assert (orr_small, orr_large) == (30, 60)
    assert large < 2.5 * small


def test_name_index_gives_the_names_whose_pattern_matches():
    names = ["ZELVA-12", "ZELVA 13", "QUILLON NHL-2", "Nhl-2", "ORBIT7", "ZELVA-1"]
    index = NameIndex(names)
    cases = {
        "Patients of zelva 12 and orbit7 (not ORBIT-7) responded.": ["ZELVA-12", "ORBIT7"],
        "In QUILLON NHL2, NHL-2 and xZELVA-13": ["QUILLON NHL-2", "Nhl-2"],
        "The ZELVA-1 cohort": ["ZELVA-1"],
        "No names here.": [],
    }
    for s, want in cases.items():
        got = [n for n in index.candidates(s) if _name_re(n).search(s)]
        assert got == want, s
        # the index never drops a name whose pattern matches (it may keep one that does not)
        assert {n for n in names if _name_re(n).search(s)} <= set(index.candidates(s))


def test_rare_spellings_meet_only_known_names_of_their_shape(rules, monkeypatch):
    from dataclasses import replace

    from pipeline.quality import Checker, spelling
    from tests.quality_docs import text_doc

    checks = {k: v for k, v in rules["checks"]["checks"].items() if k != "value_out_of_range"}  # no GX
    checker = Checker(replace(rules, data={**rules.data, "checks": {**rules["checks"], "checks": checks}}))
    digits = Calls(monkeypatch, spelling, "_digits")

    def run(n: int) -> tuple[int, set[str]]:
        doc = text_doc(
            [f"In HARRIER-{100 + i}, HARRIER-{100 + i} and again HARRIER-{100 + i}; once HARRIERS-{100 + i}."
             for i in range(n)]
        )  # fmt: skip
        fs: list = []
        calls = digits.count(lambda: fs.extend(checker.check(doc, [], [])))
        return calls, {f.evidence[0].value for f in fs if f.check == "name_variant"}

    (small, found_small), (large, found_large) = run(40), run(80)
    assert found_large == {f"HARRIERS-{100 + i}" for i in range(80)} and len(found_small) == 40
    assert large < 2.5 * small


def test_data_docs_count_each_documents_rows_in_one_pass_not_one_comparison_per_document(
    rules, tmp_path, monkeypatch
):
    import pandas as pd

    from pipeline.quality import data_docs

    def frames(docs: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        ids = [f"rev-{i % docs}" for i in range(24)]  # the same 24 rows, over `docs` documents
        studies = pd.DataFrame(
            [{"doc_id": d, "study_id": f"s{i}", "trial": f"WIDGEON-{i}", "n": 40 + i, "sources": "text"}
             for i, d in enumerate(ids)]
        )  # fmt: skip
        outcomes = pd.DataFrame(
            [{"doc_id": d, "study_id": f"s{i}", "metric": "ORR", "value": 20.0 + i, "unit": "%", "source": "text",
              "page": 1} for i, d in enumerate(ids)]
        )  # fmt: skip
        findings = pd.DataFrame(
            [{"finding_id": f"f{i}", "doc_id": d, "check": "n_mismatch", "severity": "warning"}
             for i, d in enumerate(ids)]
        )  # fmt: skip
        return studies, outcomes, findings

    compared = []
    eq = pd.Series.__eq__
    monkeypatch.setattr(pd.Series, "__eq__", lambda self, other: compared.append(1) or eq(self, other))

    def comparisons(docs: int) -> int:
        compared.clear()
        page = data_docs(*frames(docs), tmp_path / str(docs), rules=rules)
        assert page.read_text(encoding="utf-8").count("rev-") >= docs  # every document is on the page
        return len(compared)

    assert comparisons(12) <= comparisons(2)  # a comparison per document and expectation: ~10x more
