"""Imported once by the local executor's fork server (pipeline.batch.local): the libraries a worker
needs before its first document — the stages with spaCy (`pipeline.process`). Every worker, and the
Data Docs child, is forked from the server with them loaded, so two workers no longer pay the seconds
of those imports each, one after the other on a shared core. The imports run without the cyclic
collector and end frozen (`procs.kept`): a tenth less CPU, and no collection in a child walks (or
dirties) the shared objects.

When the main process knows the run's rules as it starts the server (`procs.context(prebuild=True)`:
the folder in the server's environment, `procs.PREBUILD`), the workers' `Pipeline` (rules, the spaCy
pipeline, the record cues: some 0.6 s of CPU) is built here too, once, instead of once per worker:
`served` hands it to a worker whose rules are the same folder with the same content; any other
worker builds its own, as before. It is built without GX (`warm=False`): the worker tells it the
run's validator (`Pipeline.use`).

Great Expectations is not preloaded: it took 4.4 s of the server's 5.5 s, during which no worker could
start. The Data Docs child imports it while the workers start ingesting and validates for them
(`pipeline.quality.remote`), so a worker starts ingesting after the stages' imports only.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import os
import sys
import types
from collections.abc import Iterator
from typing import Any

from pipeline.batch.procs import PREBUILD, kept


@contextlib.contextmanager
def spacy_cli_deferred() -> Iterator[None]:
    """spaCy's package imports its command line (`from .cli.info import info`: typer, weasel,
    requests, httpx and every command's module, some 0.4 s of the preload) though a pipeline never
    uses it. spaCy imported meanwhile gets a deferred `spacy.cli`: the real one is imported on
    first use of any of its names (`spacy.info` included)."""
    spec = importlib.util.find_spec("spacy")
    if "spacy" in sys.modules or spec is None or not spec.submodule_search_locations:
        yield
        return
    cli = types.ModuleType("spacy.cli")
    cli.__path__ = [os.path.join(spec.submodule_search_locations[0], "cli")]  # its commands still found
    info = types.ModuleType("spacy.cli.info")

    def real() -> types.ModuleType:
        for name, stub in (("spacy.cli.info", info), ("spacy.cli", cli)):
            if sys.modules.get(name) is stub:
                del sys.modules[name]
        return importlib.import_module("spacy.cli")

    def info_(*args: Any, **kwargs: Any) -> Any:
        return real().info(*args, **kwargs)

    info.info = info_  # type: ignore[attr-defined]

    def attribute(name: str) -> Any:
        if name.startswith("__"):  # what a look at every module asks (`__file__`): not a use
            raise AttributeError(name)
        return getattr(real(), name)

    cli.__getattr__ = attribute  # type: ignore[method-assign]
    sys.modules["spacy.cli"], sys.modules["spacy.cli.info"] = cli, info
    try:
        yield
    finally:
        spacy = sys.modules.get("spacy")
        if spacy is not None and "cli" not in vars(spacy):  # as an import of it would have set it
            spacy.cli = cli  # type: ignore[attr-defined]


with kept(), spacy_cli_deferred():  # the imports without the collector's passes; then frozen
    import pyarrow.parquet  # noqa: F401 - a worker writes each document's parts (the main process: none)

    import pipeline.batch.task  # noqa: F401
    import pipeline.outputs.arrow  # noqa: F401 - the frames of those parts: pandas
    from pipeline.process import Pipeline
    from pipeline.rules import digest, folder, load


def build(rules_dir: str | None) -> Pipeline | None:
    """The workers' pipeline for `rules_dir` ("" or None: the default rules), its GX suites left to
    the run; None when it cannot be built (a worker then builds its own and says why)."""
    try:
        return Pipeline(load(rules_dir or None), warm=False)
    except Exception:  # noqa: BLE001 - the server must start whatever the rules hold
        return None


def served(rules_dir: str | None, validator: str | None) -> Pipeline | None:
    """The pipeline built at the server's start, now checking through `validator`, when a worker
    given `rules_dir` would build the same one (the same folder, its files unchanged since: same
    digest); else None. Called once, by the worker the server forked, which then owns it."""
    if PREBUILT is None:
        return None
    try:
        root = folder(rules_dir)
        same = root.resolve() == PREBUILT.rules.root.resolve() and digest(root) == PREBUILT.rules.digest
    except OSError:  # the folder has gone (FileNotFoundError is one): the worker says so
        return None
    return PREBUILT.use(validator) if same else None


PREBUILT: Pipeline | None = None  # the pipeline built for the workers, when the server was asked to
if os.environ.get(PREBUILD) is not None:
    with kept():
        PREBUILT = build(os.environ[PREBUILD])
