"""Imported once by the local executor's fork server (pipeline.batch.local): the libraries a worker
needs before its first document — the stages with spaCy (`pipeline.process`). Every worker, and the
Data Docs child, is forked from the server with them loaded, so two workers no longer pay the seconds
of those imports each, one after the other on a shared core. Nothing is built here: rules and the
spaCy pipeline are built per worker.

Great Expectations is not preloaded: it took 4.4 s of the server's 5.5 s, during which no worker could
start. The Data Docs child, forked from the server after this preload, imports it while the workers
start ingesting and validates for them (`pipeline.quality.remote`), so a worker starts ingesting after
the stages' imports only.
"""

from __future__ import annotations

import pipeline.process  # noqa: F401
