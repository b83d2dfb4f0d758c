"""The run's child processes, standard library only (so that the main process can start them before it
imports pandas, pyarrow and the writers): the fork server the workers (and the GX validator of a run
that starts it late) come from, with the stages preloaded and, for the run's rules, the workers'
Pipeline built; the validator forked from the main process itself (`fork_here`, before it starts a
thread) or spawned (when no worker runs); and how each child ends with the run.

forkserver: workers fork from a clean single-threaded server (safe with the progress bar's thread in
the parent, unlike fork) that has the batch modules, pandas and the stages with spaCy imported once
(pipeline.batch.preload), so that starting or replacing a worker costs milliseconds, not an
interpreter start (as spawn would) nor seconds of imports and set-up per worker. `trialex run`
starts it before the main process imports pandas and the writers, and forks the GX validator from
the main process once those imports are done: its GX imports then take the core the main process
leaves while the server ends its preload, neither the preload's core nor, later, the workers'.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import multiprocessing as mp
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection
from multiprocessing.context import BaseContext
from multiprocessing.process import BaseProcess
from typing import Any

CTX = mp.get_context("forkserver")
SPAWN = mp.get_context("spawn")
PRELOAD = ["pipeline.batch.preload"]  # which imports pipeline.batch.task and the stages
PREBUILD = "TRIALEX_PREBUILD"  # set for the fork server: the rules folder it builds a Pipeline for
_PR_SET_PDEATHSIG = 1
_PR_SET_NAME = 15
VALIDATOR_NAME = "trialex-gx"  # the GX validator / Data Docs child, as /proc/PID/comm shows it


@contextlib.contextmanager
def kept() -> Iterator[None]:
    """For what a process imports or builds to keep for its whole life (the fork server's preload,
    the validator's GX and suites): no cyclic garbage collection meanwhile (its many passes over an
    ever larger heap cost a tenth of the imports), then one collection, and what is left is moved
    out of the collector's sight (`gc.freeze`), so that no later collection, in this process or in
    a child forked from it, walks it again (nor writes into its pages, shared with the children)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.collect()
        gc.freeze()
        if enabled:
            gc.enable()


@contextlib.contextmanager
def environ(name: str, value: str | None) -> Iterator[None]:
    """Children started meanwhile get `name=value` in their environment (None: without `name`);
    this process's environment is as before afterwards."""
    before = os.environ.get(name)
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = before


def safe_path() -> contextlib.AbstractContextManager[None]:
    """Children started meanwhile keep the working folder off their import path: Python puts it
    first on the path of `python -c` (how the fork server and spawned children start), so a `glob.py`
    there would shadow the standard module in every worker, or run inside it."""
    return environ("PYTHONSAFEPATH", "1")


def prebuilds(task: Any) -> bool:
    """Whether the fork server builds the Pipeline of a run's task factory (None: the default task)
    once for its workers: a factory marked `prebuilt` (`PipelineTask`), or a partial of one."""
    return task is None or bool(getattr(getattr(task, "func", task), "prebuilt", False))


def context(prebuild: bool = False, rules_dir: str | None = None) -> BaseContext:
    """The forkserver context, its server running with the batch modules preloaded (started once).
    Started with `prebuild`, the server also builds the workers' `Pipeline` for the rules of
    `rules_dir` (None: the default rules) once, before any worker is forked: a worker of a run with
    those same rules takes it (`preload.served`) instead of building its own."""
    from multiprocessing import forkserver

    CTX.set_forkserver_preload(PRELOAD)
    with safe_path(), environ(PREBUILD, (rules_dir or "") if prebuild else None):
        forkserver.ensure_running()
    return CTX


def spawn(target: Callable[..., None], args: tuple[Any, ...]) -> BaseProcess:
    """Start `target(*args)` in a fresh interpreter (a daemon: it ends with the run) that ignores
    Ctrl-C from its first instruction on: SIGINT is blocked while it starts, a mask the child keeps
    (the main process decides what stops); the main process's own Ctrl-C is delivered right after."""
    return _started(SPAWN.Process(target=target, args=args, daemon=True))


def fork_here(target: Callable[..., None], args: tuple[Any, ...]) -> BaseProcess:
    """Start `target(*args)` (a daemon) forked from this process, with what it has imported, at
    once (Ctrl-C blocked as with `spawn`); spawned where fork is not available. For a child that
    must start now and has no thread of this process to fear (this process has started none)."""
    if "fork" not in mp.get_all_start_methods():
        return spawn(target, args)
    return _started(mp.get_context("fork").Process(target=target, args=args, daemon=True))


def _started(proc: BaseProcess) -> BaseProcess:
    with safe_path():
        try:
            old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        except (AttributeError, ValueError, OSError):  # no signal masks here
            old = None
        try:
            proc.start()
        finally:
            if old is not None:
                signal.pthread_sigmask(signal.SIG_SETMASK, old)
    return proc


def fork(target: Callable[..., None], args: tuple[Any, ...]) -> BaseProcess:
    """Start `target(*args)` (a daemon) forked from the fork server, with its preload (pandas, the
    stages): this waits until the server has done its imports, so the child's own start never takes
    the cores the preload needs."""
    proc = context().Process(target=target, args=args, daemon=True)
    proc.start()
    return proc


def die_with_parent() -> None:
    """Linux: the kernel kills this child when its parent (the fork server, or the main process for a
    spawned child) dies. The server exits when no process holds its "alive" pipe, which every forked
    child inherits: the child lets go of it, so the main process dying ends the server and so the
    worker. Elsewhere the worker's own timeout still bounds it."""
    from multiprocessing import forkserver

    server = forkserver._forkserver  # the only handle on the inherited pipe end
    if server._forkserver_alive_fd is not None:
        with contextlib.suppress(OSError):
            os.close(server._forkserver_alive_fd)
        server._forkserver_alive_fd = None
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() == 1:  # the parent died before the signal was armed
        os._exit(1)


def name_process(name: str) -> None:
    """Linux: the name `ps`, `top` and /proc/PID/comm show for this process (at most 15 bytes), so
    that a child forked from the fork server (which shares its command line) can be told apart."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_NAME, name.encode()[:15], 0, 0, 0)


def no_named_semaphores() -> None:
    """tqdm (the progress bars of Great Expectations) makes a multiprocessing lock, a named
    semaphore registered with the resource tracker: a child that is killed (a worker at a timeout or
    at Ctrl-C) or ends at once (`os._exit`) leaves it behind ("leaked semaphore" at exit). A child
    draws no bars, so a thread lock does."""
    with contextlib.suppress(ImportError):
        from tqdm import tqdm

        tqdm.set_lock(threading.RLock())


def stop(proc: BaseProcess, conn: Connection, graceful: bool) -> None:
    """End a child: asked to (None on its pipe) when `graceful`, killed if it is still there."""
    if graceful and proc.is_alive():
        with contextlib.suppress(OSError):
            conn.send(None)
        proc.join(timeout=2)
    if proc.is_alive():
        proc.kill()
    proc.join(timeout=5)
    conn.close()


def quick_exit(code: int) -> None:
    """End the program (the `trialex` command, once its outputs are written) without the seconds of
    teardown: the fork server is killed (its workers are gone; left to end by itself it would tear
    down an interpreter with spaCy and pandas loaded, holding the command's output streams open
    meanwhile), the exit handlers run (multiprocessing's, temporary folders'), the streams are
    flushed, and the process ends without freeing every module of pandas and pyarrow one by one."""
    import atexit
    from multiprocessing import forkserver

    pid = getattr(forkserver._forkserver, "_forkserver_pid", None)
    if pid:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)
