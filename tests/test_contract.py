"""The data contract as a curator's SQL tool sees it: DuckDB reads the CSV and the Parquet outputs of a
real run with the same nulls, types and values; findings join to outcomes by id; the data dictionary
describes every written column (and the Parquet schema carries its descriptions)."""

from __future__ import annotations

import importlib.util
import json
import multiprocessing
import os
import random
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import fields
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.parquet as pq
import pytest

from pipeline.model import Finding, Mention, Outcome, Study
from pipeline.outputs import DocRecord, Parts, failed, write_batch, write_doc, write_reports, write_tables
from pipeline.outputs import dictionary as dd
from pipeline.outputs.columns import table_columns
from pipeline.outputs.tables import TABLES, csv_head
from tests.pdfgen import unicode_font

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "unseen-review" / "review.py"


@pytest.fixture(scope="module")
def run_out(tmp_path_factory) -> Path:
    """One real run (every stage) over the generated unseen-review PDF, which plants a text/table
    conflict and an ORR/CR contradiction."""
    if unicode_font() is None:
        pytest.skip("DejaVu Sans not installed (needed for ≥ in the fixture)")
    from pipeline.batch import run

    spec = importlib.util.spec_from_file_location("unseen_review", FIXTURE)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    base = tmp_path_factory.mktemp("contract")
    (base / "in").mkdir()
    mod.build(base / "in" / "review.pdf")
    rep = run([str(base / "in")], base / "out", jobs=1, progress=False, data_docs=False, fail_on="never")
    assert [r.ok for r in rep.records] == [True]
    return base / "out"


def _sql(con: duckdb.DuckDBPyConnection, q: str) -> list[tuple]:
    return con.sql(q).fetchall()


def _csv(out: Path, name: str, hinted: bool = True) -> str:
    types = f", types={dd.sql_types(name)!r}" if hinted else ""
    return f"read_csv('{out / name}.csv', header=true{types})"


def _pq(out: Path, name: str) -> str:
    return f"read_parquet('{out / name}.parquet')"


def test_csv_and_parquet_read_alike_nulls_types_values(run_out):
    con = duckdb.connect()
    for name in TABLES:
        csv_cols = _sql(con, f"DESCRIBE SELECT * FROM {_csv(run_out, name)}")
        pq_types = dict((r[0], r[1]) for r in _sql(con, f"DESCRIBE SELECT * FROM {_pq(run_out, name)}"))
        cols = [r[0] for r in csv_cols]
        assert cols == dd.columns(name), name
        assert cols == list(pq_types)[: len(cols)], name  # Parquet: the CSV's columns first, in order
        assert [(c, t) for c, t, *_ in csv_cols] == [(c, pq_types[c]) for c in cols], name
        for c in cols:
            q = f'SELECT count(*) FROM {{}} WHERE "{c}" IS NULL'
            n_csv = _sql(con, q.format(_csv(run_out, name)))[0][0]
            assert n_csv == _sql(con, q.format(_pq(run_out, name)))[0][0], (name, c)
        sel = ", ".join(f'"{c}"' for c in cols)
        for a, b in ((_csv(run_out, name), _pq(run_out, name)), (_pq(run_out, name), _csv(run_out, name))):
            assert _sql(con, f"SELECT {sel} FROM {a} EXCEPT ALL SELECT {sel} FROM {b}") == [], name
    # the nulls are real in Parquet too: no empty strings anywhere, and missing text is NULL
    for c in ("qualifier", "table_id", "subgroup"):
        assert _sql(con, f"SELECT count(*) FROM {_pq(run_out, 'outcomes')} WHERE {c} = ''") == [(0,)]
    assert _sql(con, f"SELECT count(*) FROM {_pq(run_out, 'outcomes')} WHERE qualifier IS NULL")[0][0] > 0
    # numbers need no hints: DuckDB's own detection gives the Parquet types
    auto = dict((r[0], r[1]) for r in _sql(con, f"DESCRIBE SELECT * FROM {_csv(run_out, 'outcomes', False)}"))
    assert (auto["value"], auto["page"], auto["confidence"]) == ("DOUBLE", "BIGINT", "DOUBLE")


def test_findings_join_outcomes_by_id(run_out):
    con = duckdb.connect()
    links, outcomes, findings = (_pq(run_out, n) for n in ("finding_outcomes", "outcomes", "findings"))
    assert _sql(con, f"SELECT count(*) FROM {links} ANTI JOIN {outcomes} USING (outcome_id)") == [(0,)]
    assert _sql(con, f"SELECT count(DISTINCT outcome_id) = count(*) FROM {outcomes}") == [(True,)]
    # the text/table conflict joins to one text and one table outcome of its own metric and study
    rows = _sql(
        con,
        f"""SELECT f.finding_id, f.metric, o.metric, o.source, f.study_id = o.study_id
            FROM {findings} f JOIN {links} l USING (finding_id) JOIN {outcomes} o USING (outcome_id)
            WHERE f.check_name = 'text_table_mismatch'""",
    )
    assert rows and {r[3] for r in rows} == {"text", "table"}
    assert all(r[1] == r[2] and r[4] for r in rows)
    # the long table and the Parquet list column say the same
    listed = _sql(con, f"SELECT finding_id, unnest(outcome_id_list) AS o FROM {findings} ORDER BY ALL")
    assert listed == _sql(con, f"SELECT finding_id, outcome_id FROM {links} ORDER BY ALL")
    assert _sql(con, f'SELECT count(*) FROM {findings} WHERE "check" IS DISTINCT FROM check_name') == [(0,)]


def test_parquet_structured_columns_match_the_flat_ones(run_out):
    con = duckdb.connect()
    out = _pq(run_out, "outcomes")
    boxed = _sql(con, f"SELECT page, bbox, box FROM {out} WHERE bbox IS NOT NULL")
    assert boxed
    for page, bbox, box in boxed:
        assert box["page"] == page
        assert [f"{box[k]:.1f}" for k in ("x0", "top", "x1", "bottom")] == bbox.split(",")
    for pages, page_list, ev in _sql(
        con, f"SELECT pages, page_list, evidence_items FROM {_pq(run_out, 'findings')}"
    ):
        assert [int(p) if p else None for p in pages.split(" | ")] == page_list == [e["page"] for e in ev]
    studies = _sql(con, f"SELECT sources, source_list, pages, page_list FROM {_pq(run_out, 'studies')}")
    for sources, source_list, pages, page_list in studies:
        assert "+".join(source_list) == sources
        assert all(str(p) in pages for p in page_list)


def test_dictionary_describes_every_written_column(run_out):
    for name in TABLES:
        t = dd.table(name)
        assert pq.read_schema(run_out / f"{name}.parquet").names == t.names(dd.PARQUET)
        header = (run_out / f"{name}.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
        assert header == t.names(dd.CSV)
        schema = pq.read_schema(run_out / f"{name}.parquet")
        for f in schema:
            assert f.metadata[b"description"].decode() == t.column(f.name).description
        entry = json.loads(schema.metadata[b"trialex.dictionary"])
        assert entry["table"] == name and len(entry["columns"]) == len(t.columns)
    keys = {k for line in (run_out / "mentions.jsonl").read_text().splitlines() for k in json.loads(line)}
    assert keys and keys <= set(dd.table("mentions").names())
    # every field the model can emit is described (a new field fails here until it is documented)
    for name, model in (("studies", Study), ("outcomes", Outcome), ("findings", Finding)):
        assert {f.name for f in fields(model)} <= set(dd.table(name).names()), name
    assert {f.name for f in fields(Mention)} - {"box"} <= set(dd.table("mentions").names())
    for c in (c for n in dd.table_names() for c in dd.table(n).columns):
        assert c.description.strip() and c.type, c.name


def _record(doc_id: str, k: int) -> DocRecord:
    """Invented records with every kind of cell: None, "", numbers, evidence citing outcomes."""
    oid = f"o-{doc_id}-{k}"
    ev = [{"label": "text", "value": str(40 + k), "source": "text", "page": 2, "snippet": "ORR of x%",
           "bbox": "10.0,20.0,30.0,40.0", "outcome_id": oid},
          {"label": "table", "value": "61.5", "source": "table", "page": 0, "snippet": "", "bbox": "",
           "outcome_id": ""}]  # fmt: skip
    return DocRecord(
        row={"doc_id": doc_id, "path": f"/in/{doc_id}.pdf", "sha256": "", "pages": 3, "status": "ok",
             "error": "", "error_detail": "", "timings": {"total": 1.0}, "counts": {},
             "checks": ["grim", "text_table_mismatch"]},
        studies=[{"doc_id": doc_id, "study_id": "kestrel-4", "trial": "KESTREL-4", "n": 173 + k,
                  "sources": "table+text", "pages": "table:2; text:1,2", "refs": "table:7; text:7,9"}],
        outcomes=[{"doc_id": doc_id, "study_id": "kestrel-4", "metric": "ORR", "value": 40.0 + k, "unit": "%",
                   "source": "text", "page": 2, "bbox": "10.0,20.0,30.0,40.0", "outcome_id": oid},
                  {"doc_id": doc_id, "study_id": "kestrel-4", "metric": "PFS_MEDIAN", "value": None,
                   "qualifier": "NR", "unit": "months", "source": "table", "n": None, "outcome_id": f"{oid}b"}],
        findings=[{"finding_id": f"f-{doc_id}", "doc_id": doc_id, "check": "text_table_mismatch",
                   "severity": "error", "study_id": "kestrel-4", "metric": "ORR", "values": "text:40 | table:61.5",
                   "sources": "text | table", "pages": "2 | ", "message": "differs", "evidence": ev,
                   "outcome_ids": oid}] if k % 2 else [],
        mentions=[{"doc_id": doc_id, "label": "TRIAL", "text": "KESTREL-4", "attrs": {"k": k}}],
    )  # fmt: skip


def _awkward(doc_id: str) -> DocRecord:
    """A record whose cells need CSV quoting: quotes, commas, newlines, a leading space, unicode."""
    rec = _record(doc_id, 1)
    rec.studies[0].update(trial='HERON "B", part 2', n=None, sources="")
    rec.outcomes[0].update(unit="mg/m²", qualifier=" ≥ 2\nlines", value=3)
    rec.findings[0].update(message='said "twice",\r\nthen', values="")
    return rec


def test_streamed_parts_merge_to_the_in_memory_outputs(tmp_path):
    records = [_record(f"d{k:02d}", k) for k in range(7)]
    records.insert(3, failed("broken", "/in/broken.pdf", "", "corrupt", "not a PDF"))
    records.insert(5, _awkward("awk"))  # the merge copies the parts' bytes: no re-quoting of any cell
    run_info = {"finished": "2031-02-03T04:05:06+00:00", "elapsed": 2.5, "fail_on": "error", "exit_code": 3}
    write_batch(tmp_path / "memory", records, run_info, checks=["grim", "text_table_mismatch"])
    order = list(range(len(records)))
    finished = order[:]
    random.Random(7).shuffle(finished)  # documents finish in any order; the merge is in input order
    with Parts(tmp_path / "stream") as parts:
        summaries = {i: parts.put(i, records[i], doc=tmp_path / "stream") for i in finished}
        parts.merge(order)
        checks = sorted(parts.checks)  # gathered from the rows as the documents finished
        write_reports(tmp_path / "stream", parts.documents(order), run_info, "error", checks,
                      lambda: parts.sections(order))  # fmt: skip
        staging = parts.folder
    assert not staging.exists()
    names = [f"{n}.csv" for n in TABLES] + [
        "mentions.jsonl",
        "report.json",
        "report.md",
        "report.html",
        "junit.xml",
    ]
    for n in names:
        assert (tmp_path / "stream" / n).read_bytes() == (tmp_path / "memory" / n).read_bytes(), n
    for n in TABLES:
        a, b = (pq.read_table(tmp_path / d / f"{n}.parquet") for d in ("stream", "memory"))
        assert a.equals(b) and a.schema.metadata == b.schema.metadata, n
    for rec in records:  # docs/<id>/ copied from the parts: the files the writer of one record makes
        written = write_doc(tmp_path / "memory", rec)
        for p in written.iterdir():
            assert (tmp_path / "stream" / "docs" / written.name / p.name).read_bytes() == p.read_bytes(), p
    assert [r["doc_id"] for r in pq.read_table(tmp_path / "stream" / "studies.parquet").to_pylist()] == [
        r.doc_id for r in records if r.studies
    ]
    suite = ET.parse(tmp_path / "stream" / "junit.xml").getroot().find("testsuite[@name='d01']")
    assert [c.get("name") for c in suite] == ["process", "grim", "text_table_mismatch"]
    assert (
        suite.get("failures") == "1"
        and suite.find("testcase[@name='text_table_mismatch']/failure") is not None
    )
    report = json.loads((tmp_path / "stream" / "report.json").read_text())
    assert [d["doc_id"] for d in report["documents"]] == [r.doc_id for r in records]
    assert report["findings_by_severity"]["error"] == 4 and report["totals"]["outcomes"] == 16
    # the parent keeps a summary only: a few row fields with counts, no findings, studies or mentions
    s = summaries[1]
    assert not hasattr(s, "findings") and s.severities == {"error"} and "differs" not in repr(s)
    assert (s.row["counts"]["studies"], s.row["counts"]["outcomes"], s.row["counts"]["findings"]) == (1, 2, 1)


def test_the_merge_writes_the_header_pandas_writes_without_importing_pandas():
    """The merged CSVs start with the header line pandas writes for the table's columns (made with the
    csv module: the main process of a run never imports pandas), quoting included."""
    for name in TABLES:
        cols = tuple(table_columns(name))
        assert csv_head(cols) == pd.DataFrame(columns=list(cols)).to_csv(index=False), name
    odd = ("plain", "with,comma", 'with "quote"', "two\nlines", " space", "")
    assert csv_head(odd) == pd.DataFrame(columns=list(odd)).to_csv(index=False)
    code = "import sys, pipeline.batch.runner, pipeline.outputs; print('pandas' in sys.modules)"
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert shown.stdout.strip() == "False"


def test_the_parents_summary_of_a_document_does_not_grow_with_its_findings(tmp_path):
    """A batch's parent keeps one `Summary` per document: its size does not depend on how many
    findings, outcomes or mentions the document has, and it holds no finding text; the exit code
    reads only the severities of the open findings (a curator's rejected or accepted ones do not gate)."""
    small, big = _record("d-small", 1), _record("d-big", 1)
    f = big.findings[0]
    big.findings = [{**f, "finding_id": f"f{i}", "message": f"valbotamab note {i} " * 20,
                     "severity": ("warning", "info")[i % 2]} for i in range(400)]  # fmt: skip
    big.findings.append({**f, "finding_id": "rejected", "severity": "error", "status": "rejected"})
    big.outcomes = big.outcomes * 200
    big.mentions = big.mentions * 500
    with Parts(tmp_path) as parts:
        a, b = parts.put(0, small), parts.put(1, big)
    assert {x.name for x in fields(b)} == {"row", "severities"}
    assert len(json.dumps(b.row)) - len(json.dumps(a.row)) < 16  # the counts' digits, the doc_id
    assert "valbotamab" not in repr(b) and b.row["counts"]["findings"] == 401
    assert a.severities == {"error"} and b.severities == {"warning", "info"}


def test_a_run_killed_before_the_merge_keeps_the_old_outputs(tmp_path):
    write_tables(tmp_path, [_record("old", 1)])
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    parts = Parts(tmp_path)
    parts.put(0, _record("new", 3))  # killed here: no merge
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()} == before
    left = parts.folder
    left.rename(tmp_path / ".parts-999999999-dead")  # as a process that is gone would leave it
    Parts(tmp_path).close()  # the next run sweeps it
    assert not (tmp_path / ".parts-999999999-dead").exists()


def test_parts_merged_as_they_come_give_the_same_batch_files_and_a_broken_run_keeps_the_old_ones(tmp_path):
    records = [_record(f"d{k:02d}", k) for k in range(9)]
    order = list(range(len(records)))
    finished = order[:]
    random.Random(11).shuffle(finished)
    with Parts(tmp_path / "end") as parts:  # every part first, merged at the end
        for i in finished:
            parts.put(i, records[i])
        parts.merge(order)
    with Parts(tmp_path / "stream") as parts:  # merged while the documents come
        parts.stream(order)
        for i in finished:
            parts.put(i, records[i])
        parts.merge(order, csv_only=True)
        parts.merge(order)
    files = [f"{n}.{x}" for n in TABLES for x in ("csv", "parquet")] + ["mentions.jsonl"]
    for n in files:
        assert (tmp_path / "stream" / n).read_bytes() == (tmp_path / "end" / n).read_bytes(), n
    before = {n: (tmp_path / "stream" / n).read_bytes() for n in files}
    with pytest.raises(KeyboardInterrupt), Parts(tmp_path / "stream") as parts:  # a run stopped half-way
        parts.stream(order)
        for i in finished[:5]:
            parts.put(i, _record(f"x{i:02d}", i))
        raise KeyboardInterrupt
    assert {n: (tmp_path / "stream" / n).read_bytes() for n in files} == before
    assert not [p.name for p in (tmp_path / "stream").iterdir() if ".tmp-" in p.name]


def _helper_fork(started: list):
    """A `Parts.offload` fork that starts the helper as a forked process and keeps it for the test."""

    def fork(target, args):
        proc = multiprocessing.get_context("fork").Process(target=target, args=args, daemon=True)
        proc.start()
        started.append(proc)
        return proc

    return fork


def _dead_fork(started: list):
    """A fork whose helper dies at once (e.g. killed): the main process must merge the files itself."""

    def fork(target, args):
        proc = multiprocessing.get_context("fork").Process(target=os._exit, args=(1,), daemon=True)
        proc.start()
        started.append(proc)
        return proc

    return fork


def _no_fork(target, args):
    raise OSError("no fork server")


def test_parquet_merged_by_a_helper_process_or_here_when_it_fails_gives_the_same_files(tmp_path):
    records = [_record(f"d{k:02d}", k) for k in range(6)]
    records.insert(2, _awkward("awk"))
    order = list(range(len(records)))
    finished = order[:]
    random.Random(5).shuffle(finished)
    files = [f"{n}.{x}" for n in TABLES for x in ("csv", "parquet")] + ["mentions.jsonl"]
    made, started = {}, {"helper": [], "dead": []}
    forks = {"here": None, "helper": _helper_fork(started["helper"]), "dead": _dead_fork(started["dead"])}
    forks["unstarted"] = _no_fork  # e.g. the fork server is gone
    for how, fork in forks.items():
        with Parts(tmp_path / how) as parts:
            parts.stream(order)
            if fork:
                parts.offload(fork)
            for i in finished:
                parts.put(i, records[i])
            parts.merge(order, csv_only=True)
            parts.merge(order)
        made[how] = {n: (tmp_path / how / n).read_bytes() for n in files}
        assert not [p.name for p in (tmp_path / how).iterdir() if ".tmp-" in p.name], how
    assert (
        made["helper"] == made["here"] and made["dead"] == made["here"] and made["unstarted"] == made["here"]
    )
    assert [p.exitcode for p in started["helper"]] == [0]  # one helper, which made the files and ended
    assert [p.exitcode for p in started["dead"]] == [1]
    rows = pq.read_table(tmp_path / "helper" / "outcomes.parquet").to_pylist()
    assert [r["doc_id"] for r in rows] == [r.doc_id for r in records for _ in r.outcomes]


def test_a_run_stopped_while_a_helper_merges_keeps_the_old_files_and_ends_the_helper(tmp_path):
    write_tables(tmp_path, [_record("old", 1)])
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    started: list = []
    with pytest.raises(KeyboardInterrupt), Parts(tmp_path) as parts:
        parts.stream([0, 1, 2])
        parts.offload(_helper_fork(started))
        parts.put(0, _record("new", 3))
        parts.put(1, _record("newer", 4))
        raise KeyboardInterrupt
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()} == before
    assert len(started) == 1 and not started[0].is_alive()  # told to stop: its temp files removed
