"""One document through every stage: ingest -> tables -> ner -> records -> quality.

`Pipeline` holds what is costly to build (rules, the spaCy pipeline, the checker) so that a worker
builds it once and reuses it for every document it is given.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from pathlib import Path

from pipeline import ingest, ner, quality, records, tables
from pipeline.model import Result
from pipeline.rules import Rules, name_words
from pipeline.rules import load as load_rules

OnStage = Callable[[str, int], None]  # (stage entered, pages of the document so far known)
STAGES = ("ingest", "tables", "ner", "records", "quality")


class Pipeline:
    def __init__(self, rules: Rules | None = None, validator: str | None = None, warm: bool = True) -> None:
        """`validator`: the address of a batch's validator process, which runs the GX suites.
        `warm=False`: not even then are the suites built here (a pipeline built before its run's
        validator is known, by the fork server: `use` tells it)."""
        self.rules = rules or load_rules()
        self.names = name_words(self.rules)  # line-end hyphens of known names (ingest)
        self.annotator = ner.Annotator(self.rules)
        self.builder = records.Builder(self.rules)
        ingest.warm()  # the English word list of line-end hyphens, read once per process
        self.checker = quality.Checker(self.rules, validator)
        # Without a validator: GX import and suites once per worker, at its start, not inside the
        # first document (whose timeout would pay for it). With one, this process never imports GX.
        if validator is None and warm:
            self.checker.warm()
        # What is built here lives as long as the worker: out of the collector's sight, so that the
        # full collections a document's many small objects set off do not walk it again each time
        # (some 300k objects of spaCy and the rules: a tenth of a document's CPU time).
        gc.collect()
        gc.freeze()

    def use(self, validator: str | None) -> Pipeline:
        """This pipeline checking through the run's `validator` (None: its own suites, built now,
        as `Pipeline(rules)` would): for a pipeline built with `warm=False` before the run knew it."""
        self.checker.validator = validator
        if validator is None:
            self.checker.warm()
        return self

    def process(
        self,
        path: str | Path,
        doc_id: str | None = None,
        password: str | None = None,
        on_stage: OnStage | None = None,
    ) -> Result:
        """Every stage over one PDF; `on_stage(stage, pages)` is called as each stage starts."""
        return self.begin(path, doc_id, password, on_stage).finish()

    def begin(
        self,
        path: str | Path,
        doc_id: str | None = None,
        password: str | None = None,
        on_stage: OnStage | None = None,
    ) -> Begun:
        """`process` up to the quality checks' verdicts from the run's GX validator: `finish()` waits
        for them and gives the result (a worker may run its next document meanwhile)."""
        path = Path(path)
        result = Result(doc_id=doc_id or path.stem, path=str(path))
        t = result.timings
        stage = on_stage or (lambda name, pages: None)
        try:
            stage("ingest", 0)
            t0 = time.perf_counter()
            doc = ingest.read(path, password=password, doc_id=result.doc_id, names=self.names)
            t["ingest"] = time.perf_counter() - t0
        except ingest.IngestError as e:
            result.error, result.error_detail = e.code, str(e)
            return Begun(result)
        result.doc, result.pages = doc, len(doc.pages)
        stage("tables", result.pages)
        t0 = time.perf_counter()
        tables.extract(doc)
        t["tables"] = time.perf_counter() - t0
        stage("ner", result.pages)
        t0 = time.perf_counter()
        self.annotator.annotate(doc)
        t["ner"] = time.perf_counter() - t0
        stage("records", result.pages)
        t0 = time.perf_counter()
        result.studies, result.outcomes = self.builder.build(doc)
        t["records"] = time.perf_counter() - t0
        stage("quality", result.pages)
        t0 = time.perf_counter()
        checked = self.checker.start(doc, result.studies, result.outcomes)
        t["quality"] = time.perf_counter() - t0
        return Begun(result, checked)


class Begun:
    """A document through every stage but the quality checks' verdicts (`waiting`: still to come
    from the run's validator); `finish()` the whole result. The document is no longer read."""

    def __init__(self, result: Result, checked: quality.Checked | None = None) -> None:
        self.result, self.checked = result, checked

    @property
    def waiting(self) -> bool:
        return self.checked is not None and self.checked.waiting

    def finish(self) -> Result:
        if self.checked is not None:
            t0 = time.perf_counter()
            self.result.findings = self.checked.finish()
            self.result.timings["quality"] += time.perf_counter() - t0
            self.checked = None
        return self.result
