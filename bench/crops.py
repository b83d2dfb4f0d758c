"""`python -m bench.crops [REPEAT]`: CPU seconds of the report's page crops as workers draw them
(`outputs.crops.write_crops`, one document at a time, the run's budget of 400 passed on, into a fresh
staging folder) for 3 distinct copies of the development paper, whose crops use up the budget. The
records are made once (the whole pipeline in this process); only the crops are timed. Not part of
`make bench` (its records cost a minute)."""

from __future__ import annotations

import hashlib
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.bench_batch import _copies
from pipeline.batch.discover import Job
from pipeline.batch.task import PipelineTask, TaskConfig, run_job
from pipeline.outputs.crops import MAX_CROPS, write_crops
from pipeline.outputs.record import DocRecord


def _records(paths: list[Path]) -> list[DocRecord]:
    task = PipelineTask(TaskConfig())
    return [run_job(task, Job(str(p), p.stem, hashlib.sha256(p.read_bytes()).hexdigest())) for p in paths]


def _draw(out: Path, recs: list[DocRecord]) -> tuple[list[float], int]:
    """CPU seconds per document and crops drawn."""
    shutil.rmtree(out, ignore_errors=True)
    left, cpu = MAX_CROPS, []
    for i, rec in enumerate(recs):
        folder = out / f"doc-{i}"
        folder.mkdir(parents=True)
        t = time.process_time()
        made = write_crops(folder, [rec], limit=left, fresh=True)
        cpu.append(time.process_time() - t)
        left -= sum(len(by_item) for by_item in made.values())
    return cpu, MAX_CROPS - left


def main(repeat: int = 5) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-crops-") as tmp:
        recs = _records(_copies(Path(tmp) / "in", 3))
        _draw(Path(tmp) / "out", recs)  # imports and pdfium's first load
        runs = [_draw(Path(tmp) / "out", recs) for _ in range(repeat)]
    totals = [sum(cpu) for cpu, _ in runs]
    best = min(runs, key=lambda r: sum(r[0]))[0]
    print(
        f"crops: {runs[0][1]} drawn, CPU per run median {statistics.median(totals):.2f} s "
        f"(min {min(totals):.2f}); per document {', '.join(f'{c:.2f}' for c in best)} s"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
