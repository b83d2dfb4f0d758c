"""The run manifest: a run whose documents, options, rules and code are those of the run that last
wrote the output folder, and whose files are still as that run left them, processes, merges and
renders nothing. It re-reads report.json, updates its run info (times, exit code, `outputs_reused`)
and recomputes the exit code from the severities of the open findings and the failed documents.

report.json then counts every document as
cached, as a run through the cache would. The manifest (`OUT/.trialex-run.json`) holds a stamp of the inputs (each document's content hash,
doc_id, shown path and discovery error in input order, what discovery skipped, the options that shape
an output, the rules digest and a digest of every source and template of the package) and the size
and modification time of every output file. A run removes it when it starts and writes it only when
it ended with outputs a re-run would make again (no document failed for a reason worth a retry, Data
Docs built or not asked for). Only the standard library is imported here: a current run pays for no
pandas, pyarrow, spaCy or Great Expectations.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipeline.batch.discover import Found, Job, check_options, discover, make_jobs

NAME = ".trialex-run.json"
_FORMAT = 1
PACKAGE_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_TASK = "pipeline.batch.task.PipelineTask"  # task_tag(PipelineTask), the task of the CLI
_SOURCES = (".py", ".yml", ".yaml", ".json", ".jsonl", ".html", ".css", ".js", ".j2")


def sources_digest(
    root: Path = PACKAGE_ROOT,
    suffixes: tuple[str, ...] = _SOURCES,
    skip: Iterable[str] = (),
    keep: Iterable[str] = (),
) -> str:
    """Hash of the package's files with one of `suffixes` (relative path and bytes), leaving out those
    whose relative path starts with one of `skip` unless it is one of `keep`."""
    skip, keep = tuple(skip), set(keep)
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.suffix not in suffixes or "__pycache__" in p.parts or not p.is_file():
            continue
        rel = p.relative_to(root).as_posix()
        if skip and rel.startswith(skip) and rel not in keep:
            continue
        h.update(rel.encode() + b"\0" + p.read_bytes())
    return h.hexdigest()[:16]


def stamp(found: Found, jobs: list[Job], rules_digest: str, options: Mapping[str, Any]) -> str:
    """What a run's outputs are made from: documents in input order, skips, options, rules, code."""
    pw = {j.password for j in jobs}
    docs = [[j.doc_id, j.shown, j.sha256, j.error, j.detail] for j in jobs]
    given = {
        "format": _FORMAT,
        "code": sources_digest(),
        "rules": rules_digest,
        "options": {k: str(v) for k, v in sorted(options.items())},
        "password": [hashlib.sha256((p or "").encode("utf-8", "surrogateescape")).hexdigest() for p in pw],
        "skipped": [list(s) for s in found.skipped],
        "docs": docs,
    }
    return hashlib.sha256(
        json.dumps(given, ensure_ascii=False).encode("utf-8", "surrogateescape")
    ).hexdigest()


def options_of(
    *, fail_on: str, allow_failed: bool, data_docs: bool, rules_dir: Path | None, code: str | None, task: str
) -> dict[str, Any]:
    """The options that shape an output file (the others only change report.json's run info)."""
    rules = str(rules_dir.resolve()) if rules_dir else None
    return {"fail_on": fail_on, "allow_failed": allow_failed, "data_docs": data_docs, "rules_dir": rules,
            "code": code, "task": task}  # fmt: skip


def _stat(path: Path) -> list[int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns]


def _outputs(out: Path, docs: Iterable[str]) -> dict[str, list[int] | None]:
    """Every output file a run leaves at the top of `out` and under data_docs/, and each document's
    report.json, with its size and modification time."""
    files = [p for d in (out, out / "data_docs") if d.is_dir() for p in d.iterdir()]
    names = [p.relative_to(out).as_posix() for p in files if p.is_file() and not p.name.startswith(".")]
    return {name: _stat(out / name) for name in sorted({*names, *docs})}


def clear(out: Path) -> None:
    (out / NAME).unlink(missing_ok=True)


def write(out: Path, mark: str, docs: list[str], severities: Iterable[str], failed: int) -> None:
    """Record a finished run: its stamp, its files, and what its exit code is computed from."""
    data = {"stamp": mark, "severities": sorted(severities), "failed": failed, "docs": docs}
    data["files"] = _outputs(out, docs)
    _write(out / NAME, json.dumps(data, ensure_ascii=False))


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")  # swept as any temp file if left behind
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _tag(task: Any) -> str:
    if task is None:
        return DEFAULT_TASK
    from pipeline.batch.task import task_tag

    return task_tag(task)


def replay(paths: list[str], out: Path, **options: Any) -> int | None:
    """The exit code of a run whose outputs in `out` are current (after updating report.json's run
    info), or None when the run has work to do. Raises UsageError as `run` does for bad options."""
    t0 = time.perf_counter()
    started = datetime.now(UTC).isoformat(timespec="seconds")
    out = Path(out)
    if not options.get("use_cache", True) or options.get("client") is not None:
        return None  # --no-cache reads nothing a previous run left
    try:
        data = json.loads((out / NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    fail_on, allow_failed = options.get("fail_on", "error"), bool(options.get("allow_failed", False))
    jobs, executor = options.get("jobs", 0), options.get("executor", "local")
    check_options(jobs, executor, options.get("timeout", 300.0), fail_on)
    from pipeline import rules

    rules_dir = Path(options["rules_dir"]) if options.get("rules_dir") else None
    try:
        digest = rules.digest(rules_dir)
    except OSError:
        return None  # the run itself reports the missing folder
    found = discover(paths or ["input"], exclude=out)
    todo = make_jobs(found.files, options.get("password"))
    given = options_of(
        fail_on=fail_on, allow_failed=allow_failed, data_docs=options.get("data_docs", True),
        rules_dir=rules_dir, code=options.get("code"), task=_tag(options.get("task")),
    )  # fmt: skip
    if data.get("stamp") != stamp(found, todo, digest, given) or data.get("files") != _outputs(
        out, data["docs"]
    ):
        return None
    from pipeline.quality.gate import code_for

    code = code_for(data["severities"], fail_on, int(data["failed"]), allow_failed)
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    unread = {j.doc_id for j in todo if j.error}  # discovery's failed rows: never in the cache
    for doc in report["documents"]:  # as a run that took every document from the cache counts them
        if doc.get("doc_id") not in unread:
            doc["cached"] = True
    report["totals"]["cached"] = sum(bool(d.get("cached")) for d in report["documents"])
    report["timings"] = {}  # a cached document costs nothing in this run
    report["run"].update(
        started=started,
        finished=datetime.now(UTC).isoformat(timespec="seconds"),
        elapsed=round(time.perf_counter() - t0, 3),
        executor=executor,
        jobs=jobs or os.cpu_count(),
        exit_code=code,
        cache_read=True,
        outputs_reused=True,
    )
    _write(out / "report.json", json.dumps(report, indent=2, ensure_ascii=False, default=str))
    data["files"] = _outputs(out, data["docs"])
    _write(out / NAME, json.dumps(data, ensure_ascii=False))
    if options.get("progress", True):
        from pipeline.batch.progress import print_summary

        print_summary(report)
    return code
