"""`pytest --empty-stage=STAGE`: the suite with one stage's public entry patched to return nothing.

Shows that no test passes when the stage it tests yields empty output (bench/empty_stage.py runs it
per stage). A patched entry counts its calls; a test "reaches" the stage when the entry was called
during its setup or call, or by a fixture it uses. Per test the outcome and whether it reached the
stage go to output/empty-stage/<stage>.json (or --empty-stage-report)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

STAGES = ("ingest", "tables", "ner", "records", "quality", "outputs")
_calls = [0]
_stage: list[str] = []  # the stage patched in this session, if any
_fixtures_reaching: set[str] = set()
_results: dict[str, dict[str, Any]] = {}


def _counted(fn: Callable[..., Any]) -> Callable[..., Any]:
    def empty(*args: Any, **kwargs: Any) -> Any:
        _calls[0] += 1
        return fn(*args, **kwargs)

    return empty


def _empty_doc(path, password=None, doc_id=None):
    from pipeline.model import Document

    return Document(doc_id or Path(path).stem, str(path))


def _no_tables(doc):
    doc.tables = []
    return []


def _no_mentions(self, doc):
    doc.mentions = []
    return []


def _no_records(*args, **kwargs):
    return [], []


def _nothing_written(out, records, run, fail_on="error", checks=None):
    from pipeline.outputs import frames

    return {}, frames([])


def _patches(stage: str) -> list[tuple[Any, str, Callable[..., Any]]]:
    """(owner, attribute, replacement) of the stage's public entry."""
    import pipeline.ingest
    import pipeline.ner
    import pipeline.outputs
    import pipeline.quality
    import pipeline.records
    import pipeline.tables

    return {
        "ingest": [(pipeline.ingest, "read", _empty_doc)],
        "tables": [(pipeline.tables, "extract", _no_tables)],
        "ner": [(pipeline.ner.Annotator, "annotate", _no_mentions),
                (pipeline.ner.Annotator, "find", lambda self, text, header="": [])],
        "records": [(pipeline.records.Builder, "build", lambda self, doc: ([], [])),
                    (pipeline.records, "build", _no_records)],
        "quality": [(pipeline.quality.Checker, "check", lambda self, doc, studies, outcomes: [])],
        "outputs": [(pipeline.outputs, "write_batch", _nothing_written),
                    (pipeline.outputs, "write_doc", lambda out, rec: None)],
    }[stage]  # fmt: skip


def addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--empty-stage", choices=STAGES, help="patch this stage's public entry to return nothing"
    )
    parser.addoption("--empty-stage-report", default="", help="where to write the per-test outcomes (JSON)")


def configure(config: pytest.Config) -> None:
    stage = config.getoption("--empty-stage", default=None)
    if not stage:
        return
    _stage[:] = [stage]
    for owner, name, repl in _patches(stage):
        original = getattr(owner, name)
        patched = _counted(repl)
        setattr(owner, name, patched)
        for mod in list(sys.modules.values()):  # names already imported elsewhere (`from x import read`)
            if (
                getattr(mod, "__name__", "").startswith(("pipeline", "tests"))
                and getattr(mod, name, None) is original
            ):
                setattr(mod, name, patched)


@pytest.hookimpl(hookwrapper=True)
def pytest_fixture_setup(fixturedef, request):
    before = _calls[0]
    yield
    if _calls[0] > before:
        _fixtures_reaching.add(fixturedef.argname)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    before = _calls[0]
    yield
    if not _stage:
        return
    row = _results.setdefault(item.nodeid, {"outcome": "passed"})
    row["reached"] = _calls[0] > before or bool(set(item.fixturenames) & _fixtures_reaching)


def logreport(report: pytest.TestReport) -> None:
    if not _stage:
        return
    row = _results.setdefault(report.nodeid, {"outcome": "passed"})
    if report.failed:
        row["outcome"] = "failed"
    elif report.skipped and row["outcome"] == "passed":
        row["outcome"] = "skipped"


def finish(config: pytest.Config) -> None:
    if not _stage or hasattr(config, "workerinput"):
        return
    stage = _stage[0]
    path = Path(config.getoption("--empty-stage-report") or Path("output/empty-stage") / f"{stage}.json")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"stage": stage, "tests": _results}, indent=1), encoding="utf-8")
