"""`run`: discover PDFs, take what the cache has, process the rest on an executor, write each
document's outputs as it finishes (and cache it), then the merged tables and reports."""

from __future__ import annotations

import functools
import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.batch import manifest
from pipeline.batch.cache import TRANSIENT, Cache
from pipeline.batch.discover import Job, UsageError, check_options, discover, make_jobs
from pipeline.batch.docs import Child, DataDocs
from pipeline.batch.progress import BatchProgress
from pipeline.batch.task import PipelineTask, TaskConfig, TaskFactory, code_version, job_failed, task_tag
from pipeline.outputs import DocRecord, Frames, Parts, read_frames, sweep_temp, write_reports
from pipeline.outputs.parts import Staged
from pipeline.outputs.record import Summary
from pipeline.outputs.tables import doc_dir
from pipeline.quality.gate import code_for
from pipeline.quality.gate import run_exit_code as gate_code
from pipeline.rules import Rules, RulesError
from pipeline.rules import load as load_rules
from pipeline.rules import validate as validate_rules

if TYPE_CHECKING:  # the main process never builds a frame: the workers make each document's tables
    import pandas as pd


@dataclass
class BatchReport:
    out: Path
    summary: dict[str, Any]  # the content of report.json (its documents read back when asked for)
    exit_code: int

    @functools.cached_property
    def records(self) -> list[DocRecord]:
        """Each document's report row (`DocRecord.row`; no tables), read back from report.json."""
        return [DocRecord(row=row) for row in self.summary["documents"]]

    @functools.cached_property
    def frames(self) -> Frames:
        """The merged tables, read back from the output folder."""
        return read_frames(self.out)

    @property
    def failed(self) -> list[DocRecord]:
        return [r for r in self.records if not r.ok]


def exit_code(findings: pd.DataFrame, fail_on: str, failed: int = 0, allow_failed: bool = False) -> int:
    """The rule of `trialex check`: 3 when a document failed (unless `allow_failed`), else 1 when a
    finding reaches `fail_on` (error < warning; never: no finding fails), else 0."""
    return gate_code(findings, fail_on, failed=failed, allow_failed=allow_failed)


def _load_rules(rules_dir: Path | None) -> Rules:
    try:  # loaded and checked here too so that a broken rules folder is a usage error
        return validate_rules(load_rules(rules_dir))
    except FileNotFoundError as e:
        raise UsageError(str(e)) from e
    except RulesError as e:
        raise UsageError(f"rules folder {rules_dir or 'rules/'} is not valid: {e}") from e
    except ValueError as e:  # YAML and JSON errors
        raise UsageError(f"rules folder {rules_dir or 'rules/'} cannot be read: {e}") from e


def _resolved(rules_dir: Path | None) -> str | None:
    """The rules folder as the workers are given it."""
    return str(rules_dir.resolve()) if rules_dir else None


def _unreadable(job: Job) -> DocRecord | None:
    """The failed row of a file discovery could not read (never sent to a worker)."""
    return job_failed(job, job.error, job.detail) if job.error else None


def _keep(
    out: Path, parts: Parts, key: int, rec: DocRecord, write: bool = True, staged: Staged | None = None
) -> Summary:
    """Hand a finished document to disk (its docs/<id>/ folder unless `write` is false, and its parts
    of the batch tables); the parent keeps only the returned summary. With `staged` (what a worker
    already wrote for it) the files are moved into place; else (a cache hit, the dask executor) the
    parent writes them."""
    if staged is not None:
        try:
            return parts.adopt(key, rec, staged, write)
        except OSError:
            pass  # a staged file went missing: write them all here
    return parts.put(key, rec, doc=out if write else None)  # docs/<id>/ copied from the parts


def _all_in(
    parts: Parts, order: list[int], docs: DataDocs | None, done: dict[str, Summary], todo: list[Job]
) -> list[Summary]:
    """Every document is in: the batch CSVs (in input order) are closed and the Data Docs asked for
    (`docs`; the child reads those CSVs and builds them while the rest is merged). Returns the
    documents' summaries in input order."""
    parts.merge(order, csv_only=True)
    records = [done[j.doc_id] for j in todo]
    if docs is not None:
        docs.request(records)
    return records


def _make_executor(name: str, factory: TaskFactory, config: TaskConfig, jobs: int, timeout: float, **kw: Any):
    if name == "dask":
        from pipeline.batch.dask_exec import DaskExecutor

        return DaskExecutor(
            factory, config, timeout, scheduler=kw.get("scheduler"), client=kw.get("client"), jobs=jobs
        )
    from pipeline.batch.local import LocalExecutor

    return LocalExecutor(
        factory, config, jobs or os.cpu_count() or 1, timeout, on_stage=kw.get("on_stage"),
        stage_to=kw.get("stage_to"), budget=kw.get("budget"), settled=kw.get("settled"),
    )  # fmt: skip


def run(
    paths: list[str] | None = None,
    out: str | Path = "output",
    *,
    jobs: int = 0,
    executor: str = "local",
    scheduler: str | None = None,
    timeout: float = 300.0,
    fail_on: str = "error",
    use_cache: bool = True,
    rules_dir: str | Path | None = None,
    password: str | None = None,
    cache_dir: str | Path | None = None,
    task: TaskFactory = PipelineTask,
    client: Any = None,
    code: str | None = None,
    progress: bool = True,
    data_docs: bool = True,
    allow_failed: bool = False,
    child: Child | None = None,
) -> BatchReport:
    """Process PDFs (files, folders, globs; default input/) into `out`. Raises `UsageError` for bad
    options or when no PDF is found, KeyboardInterrupt when interrupted (finished documents are
    kept: their outputs and cache entries are whole, and the next run continues from there).
    `child`: the run's GX validator / Data Docs process when already made (`docs.head_start`)."""
    t0 = time.perf_counter()
    started = datetime.now(UTC).isoformat(timespec="seconds")
    check_options(jobs, executor, timeout, fail_on)
    out = Path(out)
    rules_dir = Path(rules_dir) if rules_dir else None
    rules = _load_rules(rules_dir)
    found = discover(paths or ["input"], exclude=out)
    todo = make_jobs(found.files, password)
    out.mkdir(parents=True, exist_ok=True)
    sweep_temp(out)
    given = manifest.options_of(
        fail_on=fail_on, allow_failed=allow_failed, data_docs=data_docs, rules_dir=rules_dir, code=code, task=task_tag(task)
    )  # fmt: skip
    mark = manifest.stamp(found, todo, rules.digest, given)
    manifest.clear(out)  # written again once this run's outputs are whole
    code = code or code_version()
    # use_cache=False (--no-cache) reads nothing from the cache but still writes it: the next run hits.
    cache = Cache(Path(cache_dir or out / ".cache"), rules.digest, code, task_tag(task))

    # each finished document's tables go to disk; `done` keeps summaries only
    parts = Parts(out, total=len(todo))
    keys = {j.doc_id: i for i, j in enumerate(todo)}
    order = [keys[j.doc_id] for j in todo]
    parts.stream(order)  # the batch files are written as the documents come, in input order
    done: dict[str, Summary] = {}
    by_id = {j.doc_id: j for j in todo}
    misses = []
    for job in todo:
        hit = _unreadable(job) or (cache.get(job) if use_cache else None)
        if hit:
            complete = (doc_dir(out, job.doc_id) / "report.json").is_file()
            done[job.doc_id] = _keep(out, parts, keys[job.doc_id], hit, write=not complete)
        else:
            if not misses and executor == "local":
                from pipeline.batch.procs import context, prebuilds

                # the fork server imports the stages and builds the pipeline while the cached documents are written
                context(prebuilds(task), _resolved(rules_dir))
            misses.append(job)
    if misses and executor == "local":  # its Parquet files merged by a helper forked from the server:
        from pipeline.batch.procs import fork  # the main process never imports pyarrow

        parts.offload(fork)
    # the validator / Data Docs child: forked from the workers' server when that runs (after its preload)
    child = child or Child(rules_dir, forked=bool(misses) and executor == "local")
    docs = DataDocs(out, rules, rules_dir, code, child=child)
    # the workers' validator (local executor: same machine) and the Data Docs are one child process
    validate = (
        bool(misses) and executor == "local" and getattr(getattr(task, "func", task), "validates", False)
    )
    if validate or (data_docs and not docs.current(list(done.values()))):
        docs.start()  # imports Great Expectations in a child while the documents are processed
    else:
        docs.close(graceful=False)  # one started ahead of the cache's answer is not needed
    validator = docs.address if validate else None  # a Dask worker elsewhere could not reach it
    config = TaskConfig(rules_dir=_resolved(rules_dir), validator=validator)
    # (an exception below closes the pipe when `docs` goes; the child, a daemon, then ends)
    records: list[Summary] | None = None  # every document's summary, in input order, once all are in
    with parts:  # the staging folder goes when the reports are written, or on an error
        with BatchProgress(len(todo), enabled=progress, to_process=len(misses)) as ui:
            for where, why in found.skipped:
                ui.skipped(where, why)
            for job in todo:
                if job.doc_id in done:
                    ui.done(done[job.doc_id])
            if misses:
                n = min(jobs or os.cpu_count() or 1, len(misses))
                ex = _make_executor(
                    executor, task, config, n, timeout, scheduler=scheduler, client=client, on_stage=ui.stage,
                    stage_to=parts.folder, budget=lambda job: parts.share(keys[job.doc_id]),
                    settled=docs.settled if validator else None,
                )  # fmt: skip
                staged: dict[str, Staged] = getattr(ex, "staged", {})  # what workers wrote (local)
                results = ex.run(misses)
                try:
                    for rec in results:
                        # Cache first: a docs/<id>/report.json then always has its cache entry, and a
                        # cache hit whose folder is incomplete (interrupted here) gets it rewritten above.
                        cache.put(by_id[rec.doc_id], rec)
                        keep = staged.pop(rec.doc_id, None)
                        done[rec.doc_id] = _keep(out, parts, keys[rec.doc_id], rec, staged=keep)
                        ui.done(rec)
                        if len(done) == len(todo):  # the last: docs asked for while the workers stop
                            records = _all_in(parts, order, docs if data_docs else None, done, todo)
                finally:
                    results.close()  # stops the workers, also on Ctrl-C
            if records is None:  # no document went to a worker
                records = _all_in(parts, order, docs if data_docs else None, done, todo)

        parts.merge(order)
        severities = sorted(frozenset().union(*(r.severities for r in records)))  # of open findings
        failed = sum(not r.ok for r in records)
        code_exit = code_for(severities, fail_on, failed, allow_failed)
        run_info = {
            "started": started,
            "finished": datetime.now(UTC).isoformat(timespec="seconds"),
            "elapsed": round(time.perf_counter() - t0, 3),
            "executor": executor,
            "jobs": jobs or os.cpu_count(),
            "fail_on": fail_on,
            "allow_failed": allow_failed,
            "exit_code": code_exit,
            "skipped": [{"path": where, "reason": why} for where, why in found.skipped],
            "rules_digest": rules.digest,
            "code_version": code,
            "cache": str(cache.folder),
            "cache_read": use_cache,
        }
        rep = BatchReport(out, {}, code_exit)
        # the Data Docs child reads the merged tables itself (when the docs are not current): the
        # parent's memory stays that of one document however long the batch. The reports are
        # written meanwhile (as built, said again should they fail), report.json once they are done.
        run_info["data_docs"] = docs.expected() if data_docs else "skipped"

        def settle() -> dict[str, Any]:
            state = docs.result(records) if data_docs else "skipped"
            docs.close()
            return {"data_docs": state}

        rep.summary = write_reports(
            out, parts.documents(order), run_info, fail_on, sorted(parts.checks), lambda: parts.sections(order), settle
        )  # fmt: skip
        run_info = rep.summary["run"]
        # a re-run makes the same outputs unless a document failed for a reason worth a retry
        retry = any(
            not r.ok and r.row.get("error") in TRANSIENT and not by_id[r.doc_id].error for r in records
        )
        if not retry and not str(run_info["data_docs"]).startswith(("failed", "not available")):
            docs_at = [(doc_dir(out, j.doc_id) / "report.json").relative_to(out).as_posix() for j in todo]
            manifest.write(out, mark, docs_at, set(severities), failed)
        if progress:
            ui.summary(rep.summary)
        return rep
