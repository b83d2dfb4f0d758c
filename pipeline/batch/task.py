"""The per-document task: what a worker (local process or Dask worker) does with one `Job`.

A task is built once per worker by a factory (`PipelineTask(config)` by default: rules, spaCy and
Great Expectations loaded once) and then called for every job the worker is given. `run_job` wraps
it so that any exception becomes a failed record with its reason rather than a dead batch.
"""

from __future__ import annotations

import hashlib
import json
import resource
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from pipeline.batch.discover import Job, shown
from pipeline.batch.manifest import sources_digest
from pipeline.outputs import DocRecord, failed, from_result
from pipeline.outputs.record import counts

if TYPE_CHECKING:
    from pipeline.model import Result

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
T = TypeVar("T")
# A worker holds a document waiting for its GX verdict while it runs the next one only up to this
# many pages: a long paper's rows would otherwise be in memory beside the next paper's whole run.
HOLD_PAGES = 100


@dataclass(frozen=True)
class TaskConfig:
    rules_dir: str | None = None
    validator: str | None = None  # address of the run's GX validator (local executor), if any


class Task(Protocol):
    def __call__(self, job: Job) -> DocRecord: ...


TaskFactory = Callable[[TaskConfig], Task]


OnStage = Callable[[str, int], None]  # (stage entered, pages known so far): the progress display


class PipelineTask:
    """Every stage over one PDF with a `Pipeline` built once for this worker (rules, the spaCy
    pipeline, the checker and its Great Expectations suites)."""

    reports_stages = True  # called as task(job, on_stage): the worker forwards stages to the parent
    validates = True  # its Checker uses the run's GX validator (TaskConfig.validator) when there is one
    prebuilt = True  # the fork server builds its Pipeline once for the workers (`pipeline.batch.preload`)

    def __init__(self, config: TaskConfig) -> None:
        from pipeline.process import Pipeline  # heavy imports happen in the worker, once
        from pipeline.rules import load

        preload = sys.modules.get("pipeline.batch.preload")  # a worker forked from the fork server
        self.pipeline = (preload and preload.served(config.rules_dir, config.validator)) or Pipeline(
            load(config.rules_dir), validator=config.validator
        )
        # Every check gets a junit.xml case per document, passing when it found nothing.
        self.checks = self.pipeline.checker.check_names

    def __call__(self, job: Job, on_stage: OnStage | None = None) -> DocRecord:
        return self.start(job, on_stage).finish()

    def start(self, job: Job, on_stage: OnStage | None = None) -> Started:
        """The document up to its wait for the run's GX validator; `finish()` makes its record."""
        begun = self.pipeline.begin(job.path, doc_id=job.doc_id, password=job.password, on_stage=on_stage)
        result = begun.result
        if not result.error and result.pages == 0:
            # A file that opens but yields no page (e.g. truncated) has nothing to extract.
            result.error, result.error_detail = (
                "empty",
                f"{shown(Path(job.path).name)}: no pages could be read",
            )
        if result.doc is not None:  # the record reads its mentions, tables and warnings: the rest goes
            result.doc.shed()
        held = begun.waiting and result.pages <= HOLD_PAGES
        return Started(lambda: self.record(job, begun.finish()), held)

    def record(self, job: Job, result: Result) -> DocRecord:
        """The document's record from its pipeline result."""
        rec = from_result(result, job.sha256, consume=True)
        if self.checks:
            rec.row["checks"] = self.checks
        return rec


class Started:
    """A job run up to the point where it may wait on another process (`waiting`); `finish()`
    gives its record. A task with a `start(job, on_stage) -> Started` method is run in these two
    steps by the local executor, which meanwhile gives the worker its next job."""

    def __init__(self, finish: Callable[[], DocRecord], waiting: bool = False) -> None:
        self._finish, self.waiting = finish, waiting

    def finish(self) -> DocRecord:
        return self._finish()


def _where(exc: BaseException) -> str:
    """The innermost frame inside the pipeline package: where to look when a stage breaks."""
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        f = Path(frame.filename)
        if f.is_relative_to(PACKAGE_ROOT):
            return f" (at {f.relative_to(PACKAGE_ROOT.parent)}:{frame.lineno})"
    return ""


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # Linux: KiB


def job_failed(job: Job, error: str, detail: str) -> DocRecord:
    """The failed row of a job (its path shown escaped, so any file name can be written)."""
    return failed(job.doc_id, job.shown, job.sha256, error, shown(detail))


def printable(rec: DocRecord) -> DocRecord:
    """The record itself when it can be written as UTF-8, else a copy with every string shown escaped
    (a non-UTF-8 file name or stray surrogate anywhere must not stop the writers)."""
    if rec.encodable():
        return rec
    return DocRecord.from_json(json.dumps(_shown_all(json.loads(rec.to_json())), ensure_ascii=False))


def _shown_all(obj: Any) -> Any:
    if isinstance(obj, str):
        return shown(obj)
    if isinstance(obj, list):
        return [_shown_all(x) for x in obj]
    if isinstance(obj, dict):
        return {shown(str(k)): _shown_all(v) for k, v in obj.items()}
    return obj


def run_job(task: Task, job: Job, on_stage: OnStage | None = None) -> DocRecord:
    """Call the task; exceptions become failed records. Adds wall time and the worker's peak memory.
    `on_stage` reaches tasks that report their stages (`reports_stages`); others are called as before."""
    return start_job(task, job, on_stage).finish()


def start_job(task: Task, job: Job, on_stage: OnStage | None = None) -> Started:
    """`run_job` in the two steps of a task that has them (`Started`), else in one: the job's time
    is that of its two steps (not the time between them, when the worker did other work)."""
    t0 = time.perf_counter()
    staged = on_stage is not None and getattr(task, "reports_stages", False)
    start = getattr(task, "start", None)
    if start is None:
        call = task if not staged else lambda job: task(job, on_stage)  # type: ignore[call-arg]
        rec = _guarded(job, lambda: call(job))
        return Started(lambda: _completed(job, rec, time.perf_counter() - t0))
    begun = _guarded(job, lambda: start(job, on_stage) if staged else start(job))
    spent = time.perf_counter() - t0
    if isinstance(begun, DocRecord):
        return Started(lambda: _completed(job, begun, spent))

    def finish() -> DocRecord:
        t1 = time.perf_counter()
        rec = _guarded(job, begun.finish)
        return _completed(job, rec, spent + time.perf_counter() - t1)

    return Started(finish, begun.waiting)


def _guarded(job: Job, call: Callable[[], T]) -> T | DocRecord:
    """`call()`, or the job's failed record when it raises."""
    try:
        return call()
    except MemoryError as e:
        return job_failed(job, "out_of_memory", f"MemoryError{_where(e)}")
    except FileNotFoundError as e:
        return job_failed(job, "missing", str(e))
    except Exception as e:  # noqa: BLE001 - one bad document must not end the batch
        return job_failed(job, "internal", f"{type(e).__name__}: {e}{_where(e)}")


def _completed(job: Job, rec: DocRecord, seconds: float) -> DocRecord:
    rec.row["path"] = job.shown
    rec = printable(rec)
    # Counts from the record itself, so that every task (and the report) agrees with the rows.
    rec.row["counts"] = {
        **rec.row.get("counts", {}),
        **counts(rec, tables=rec.row.get("counts", {}).get("tables", 0)),
    }
    rec.row.setdefault("timings", {})["total"] = round(seconds, 4)
    rec.row["peak_rss_mb"] = peak_rss_mb()
    return rec


# Sources that cannot change a document's record: the run machinery, the writers, the review app and
# the CLI. Editing them (or a report layout) keeps the cache; any other module of the package counts.
_NOT_RESULT_SHAPING = ("batch/", "outputs/", "review/", "cli.py", "__main__.py")
_RESULT_SHAPING = ("batch/task.py", "outputs/record.py")
_CODE = (".py", ".yml", ".yaml", ".json", ".jsonl")


def code_version(root: Path = PACKAGE_ROOT) -> str:
    """Hash of the package sources that shape per-document results: a change invalidates the cache."""
    return sources_digest(root, _CODE, skip=_NOT_RESULT_SHAPING, keep=_RESULT_SHAPING)


def task_tag(factory: TaskFactory) -> str:
    """A name for the task in cache keys, so that a different task never reuses another's results."""
    fn = getattr(factory, "func", factory)  # functools.partial
    tag = f"{getattr(fn, '__module__', '')}.{getattr(fn, '__qualname__', repr(fn))}"
    if fn is not factory:
        args = repr((getattr(factory, "args", ()), sorted(getattr(factory, "keywords", {}).items())))
        tag += hashlib.sha256(args.encode()).hexdigest()[:8]
    return tag
