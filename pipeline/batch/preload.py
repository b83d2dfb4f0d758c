"""Imported once by the local executor's fork server (pipeline.batch.local): the libraries a worker
needs before its first document — the stages with spaCy (`pipeline.process`). Every worker, and the
Data Docs child, is forked from the server with them loaded, so two workers no longer pay the seconds
of those imports each, one after the other on a shared core. Nothing is built here: rules and the
spaCy pipeline are built per worker. The imports run without the cyclic collector and end frozen
(`procs.kept`): a tenth less CPU, and no collection in a child walks (or dirties) the shared objects.

Great Expectations is not preloaded: it took 4.4 s of the server's 5.5 s, during which no worker could
start. The Data Docs child, forked from the server after this preload, imports it while the workers
start ingesting and validates for them (`pipeline.quality.remote`), so a worker starts ingesting after
the stages' imports only.
"""

from __future__ import annotations

from pipeline.batch.procs import kept

with kept():  # the imports without the collector's passes; then frozen, for every child
    import pyarrow.parquet  # noqa: F401 - a worker writes each document's parts (the main process: none)

    import pipeline.batch.task  # noqa: F401
    import pipeline.outputs.arrow  # noqa: F401 - the frames of those parts: pandas
    import pipeline.process  # noqa: F401
