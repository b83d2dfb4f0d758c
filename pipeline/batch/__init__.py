"""Batch runs: every stage over many PDFs, on a local process pool or a Dask cluster, with a
content-hash cache, per-document failure isolation and timeouts.

Public:
- `run(paths, out, *, jobs, executor, scheduler, timeout, fail_on, use_cache, rules_dir, password,
  cache_dir, task, client) -> BatchReport` — the library entry;
- `run_command(...) -> int` — the same for the CLI: prints errors, returns the exit code
  (0 ok, 1 a finding reached --fail-on, 2 usage error, 3 a document failed, 130 interrupted);
- `UsageError`, `Job`, `TaskConfig`, `PipelineTask` (the default per-worker task), `code_version`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from pipeline.batch.discover import Job, UsageError
from pipeline.batch.runner import BatchReport, exit_code, run
from pipeline.batch.task import PipelineTask, TaskConfig, code_version, log_imports

__all__ = [
    "BatchReport",
    "Job",
    "PipelineTask",
    "TaskConfig",
    "UsageError",
    "code_version",
    "exit_code",
    "run",
    "run_command",
]


def run_command(paths: list[str], out: Path, **options: Any) -> int:
    """`trialex run`: `run` with the CLI's options; returns the exit code (usage errors 2)."""
    try:
        report = run(paths, out, **options)
    except UsageError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(
            "interrupted: finished documents are saved under docs/ and in the cache; run again to continue",
            file=sys.stderr,
        )
        return 130
    except OSError as e:  # e.g. an output folder that cannot be written
        print(f"error: {e}", file=sys.stderr)
        return 2
    log_imports("parent")
    return report.exit_code
