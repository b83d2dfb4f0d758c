"""Stage 3 speed: records.build on the development paper (after ingest, tables and NER, done once),
as a ratio of the bare pdfplumber extract_words pass over the same pages in the same run."""

from __future__ import annotations

from bench.common import DEV_PDF, bare_words, timed


def main() -> None:
    from pipeline import ingest, ner, tables
    from pipeline.records import Builder
    from pipeline.rules import load

    rules = load()
    doc = ingest.read(DEV_PDF)
    tables.extract(doc)
    ner.Annotator(rules).annotate(doc)
    builder = Builder(rules)
    base = timed(lambda: bare_words(DEV_PDF))
    build = timed(lambda: builder.build(doc))
    setup = timed(lambda: Builder(rules), repeat=1)
    studies, outcomes = builder.build(doc)
    print(f"records: {len(doc.pages)} pages, {len(studies)} studies, {len(outcomes)} outcomes")
    print(f"records.build     {build:7.3f}s  {build / base:6.2f}x bare extract_words ({base:.3f}s)")
    print(f"Builder(rules)    {setup:7.3f}s  {setup / base:6.2f}x (once per worker)")


if __name__ == "__main__":
    main()
