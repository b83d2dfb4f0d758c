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

import json
import os
import sys
from pathlib import Path
from typing import Any

from pipeline.batch.discover import Job, UsageError

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

# The runner (pandas, the writers) and the task load on first use: `run_command` first asks the run
# manifest whether the outputs are current, and a run that has nothing to do imports neither.
_LAZY = {
    "BatchReport": "pipeline.batch.runner",
    "exit_code": "pipeline.batch.runner",
    "run": "pipeline.batch.runner",
    "PipelineTask": "pipeline.batch.task",
    "TaskConfig": "pipeline.batch.task",
    "code_version": "pipeline.batch.task",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


IMPORTS_LOG = "TRIALEX_IMPORTS_LOG"  # diagnostics: a file each process appends its top-level modules to


def log_imports(who: str) -> None:
    """With TRIALEX_IMPORTS_LOG=FILE, append one JSON line: who (parent or worker), its pid and the
    top-level modules it imported, so a test can tell which process paid for which library."""
    path = os.environ.get(IMPORTS_LOG)
    if path:
        mods = sorted({m.split(".")[0] for m, mod in list(sys.modules.items()) if mod is not None})
        with open(path, "a", encoding="utf-8") as f:
            f.write(json.dumps({"who": who, "pid": os.getpid(), "modules": mods}) + "\n")


def run_command(paths: list[str], out: Path, **options: Any) -> int:
    """`trialex run`: `run` with the CLI's options; returns the exit code (usage errors 2). A run
    whose outputs are current (`pipeline.batch.manifest`) only updates report.json's run info."""
    from pipeline.batch.manifest import replay

    child = None
    try:
        code = replay(paths, out, **options)
        if code is None:
            from pipeline.batch.docs import head_start

            child = head_start(out, options)  # the fork server's preload overlaps with the runner's imports
            from pipeline.batch.runner import run

            code = run(paths, out, child=child, **options).exit_code
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
    finally:
        if child is not None:
            child.close(graceful=False)  # the run has closed it, unless it ended early
    log_imports("parent")
    return code
