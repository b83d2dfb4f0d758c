"""Dask executor: the same per-document task on a Dask distributed cluster.

Each Dask worker keeps a small pool of built tasks (a `Pipeline` per worker thread at most), so rules,
spaCy and Great Expectations load once per worker, not once per document. Paths are absolute and
must be visible to every worker (a shared filesystem); results come back as plain records and are
written by the client, so workers need no access to the output folder.

Timeouts: a thread cannot be killed, so a document past its deadline is reported as `timeout` right
away and its thread finishes in the background (its task object is returned to the pool then).
A worker that dies (segfault, out of memory) is retried by Dask on another worker, then reported as
`crashed` once Dask gives up on it (KilledWorker).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import Future as ThreadFuture
from typing import Any

from pipeline.batch.discover import Job
from pipeline.batch.task import Task, TaskConfig, TaskFactory, job_failed, run_job, task_tag
from pipeline.outputs import DocRecord

_ATTR = "_trialex_tasks"
_REGISTRY_LOCK = threading.Lock()  # guards the per-worker pools dict between worker threads


class _TaskPool:
    """Built tasks of one Dask worker; a thread takes one (building it if none is free)."""

    def __init__(self, factory: TaskFactory, config: TaskConfig) -> None:
        self.factory, self.config = factory, config
        self.free: list[Task] = []
        self.lock = threading.Lock()

    def acquire(self) -> Task:
        with self.lock:
            if self.free:
                return self.free.pop()
        return self.factory(self.config)

    def release(self, task: Task) -> None:
        with self.lock:
            self.free.append(task)


def _pool(factory: TaskFactory, config: TaskConfig) -> _TaskPool:
    from distributed import get_worker

    worker = get_worker()
    pools: dict[Any, _TaskPool] = worker.__dict__.setdefault(_ATTR, {})
    key = (task_tag(factory), config)  # factory objects are unpickled afresh for every task
    with _REGISTRY_LOCK:
        if key not in pools:
            pools[key] = _TaskPool(factory, config)
    return pools[key]


def dask_job(factory: TaskFactory, config: TaskConfig, job: Job, timeout: float) -> DocRecord:
    """Runs on a Dask worker: one document with this worker's task, bounded by `timeout`."""
    pool = _pool(factory, config)
    box: ThreadFuture[DocRecord] = ThreadFuture()

    def work() -> None:
        try:
            task = pool.acquire()
        except Exception as e:  # noqa: BLE001 - reported as a failed document
            box.set_result(job_failed(job, "worker_init", f"{type(e).__name__}: {e}"))
            return
        try:
            box.set_result(run_job(task, job))
        finally:
            pool.release(task)

    threading.Thread(target=work, name=f"trialex-{job.doc_id}", daemon=True).start()
    try:
        return box.result(timeout=timeout)
    except TimeoutError:
        return job_failed(job, "timeout", f"took longer than {timeout:g} s")


class DaskExecutor:
    def __init__(
        self,
        factory: TaskFactory,
        config: TaskConfig,
        timeout: float,
        scheduler: str | None = None,
        client: Any = None,
        jobs: int = 0,
    ) -> None:
        self.factory, self.config, self.timeout = factory, config, timeout
        self.scheduler, self.client, self.jobs = scheduler, client, jobs

    def _connect(self) -> tuple[Any, list[Any]]:
        """The given client, a client of --scheduler, or a local cluster on 127.0.0.1."""
        from distributed import Client, LocalCluster

        if self.client is not None:
            return self.client, []
        if self.scheduler:
            client = Client(self.scheduler, timeout="30s")
            return client, [client]
        cluster = LocalCluster(
            n_workers=self.jobs or None,
            threads_per_worker=1,
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",
        )
        client = Client(cluster)
        return client, [client, cluster]

    def run(self, jobs: list[Job]) -> Iterator[DocRecord]:
        from distributed import as_completed

        client, owned = self._connect()
        futures: dict[Any, Job] = {}
        try:
            futures = {
                client.submit(dask_job, self.factory, self.config, job, self.timeout, pure=False): job
                for job in jobs
            }
            for fut in as_completed(list(futures)):
                job = futures[fut]
                try:
                    yield fut.result()
                except Exception as e:  # noqa: BLE001 - KilledWorker and friends become rows
                    code = "crashed" if type(e).__name__ == "KilledWorker" else "internal"
                    yield job_failed(job, code, f"{type(e).__name__}: {e}")
        finally:
            client.cancel([f for f in futures if not f.done()])
            for obj in owned:
                obj.close()
