"""NER time for the whole development paper against ingestion (and the bare pdfplumber pass)."""

from __future__ import annotations

import copy
import time

from bench.common import DEV_PDF, bare_words, timed


def main() -> None:
    from pipeline import ingest, tables
    from pipeline.ner import Annotator
    from pipeline.rules import load

    t0 = time.perf_counter()
    annotator = Annotator(load())
    build = time.perf_counter() - t0
    bare = timed(lambda: bare_words(DEV_PDF))
    t_ingest = timed(lambda: ingest.read(DEV_PDF), repeat=2)
    doc = ingest.read(DEV_PDF)
    tables.extract(doc)
    t_ner = timed(lambda: annotator.annotate(copy.copy(doc)))
    n = len(annotator.annotate(doc))
    cells = sum(len(t.cells) for t in doc.tables)
    print(
        f"pages {len(doc.pages)}, {len(doc.text)} chars, {len(doc.tables)} tables / {cells} cells, {n} mentions"
    )
    print(f"Annotator build (once per worker): {build:.3f}s")
    print(f"bare pdfplumber words: {bare:.3f}s   ingest: {t_ingest:.3f}s   ner: {t_ner:.3f}s")
    print(f"ner / ingest = {t_ner / t_ingest:.2f}   ner / bare words = {t_ner / bare:.2f}")


if __name__ == "__main__":
    main()
