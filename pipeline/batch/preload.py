"""Imported once by the local executor's fork server (pipeline.batch.local): the libraries a worker
needs before its first document — the stages with spaCy (`pipeline.process`) and Great Expectations
(`pipeline.quality.expectations`). Every worker, and the Data Docs child, is forked from the server
with them loaded, so two workers no longer pay the seconds of those imports each, one after the other
on a shared core. Nothing is built here: rules, the spaCy pipeline and the suites are built per worker.
"""

from __future__ import annotations

import os

# GX reads this when imported (Suites sets it too, for in-process use): no network calls from a batch.
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")

import great_expectations  # noqa: E402, F401

import pipeline.process  # noqa: E402, F401
import pipeline.quality.expectations  # noqa: E402, F401
