"""Stage 4 timing: GX import and context build (once per worker), then Checker.check for one paper
(the development paper through the earlier stages, and the gold records), against the bare
pdfplumber pass over the same pages."""

from __future__ import annotations

import subprocess
import sys
import time

from bench.common import DEV_PDF, ROOT, bare_words, timed


def _gx_import_seconds() -> float:
    """In a fresh interpreter: another bench module may already have imported GX in this one."""
    code = "import os,time;os.environ['GX_ANALYTICS_ENABLED']='False';t=time.perf_counter();import great_expectations;print(time.perf_counter()-t)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    from pipeline import ingest, ner, records, tables
    from pipeline.quality import Checker
    from pipeline.rules import load

    rules = load()
    base = timed(lambda: bare_words(DEV_PDF))
    imp = _gx_import_seconds()
    checker = Checker(rules)
    t0 = time.perf_counter()
    checker.warm()  # builds the GX context and suites (imports GX if not yet)
    build = time.perf_counter() - t0

    doc = ingest.read(DEV_PDF)
    tables.extract(doc)
    ner.Annotator(rules).annotate(doc)
    studies, outcomes = records.build(doc, rules)
    real = timed(lambda: checker.check(doc, studies, outcomes))
    n_real = len(checker.check(doc, studies, outcomes))

    sys.path.insert(0, str(ROOT))
    from tests.conftest import GOLD
    from tests.quality_gold import gold_doc, gold_outcomes, gold_studies

    small = ROOT.parent / "shared" / "real-pdfs" / "rotated-table.pdf"
    one = None
    if small.is_file():  # the batch engineer's slow case: a 1-page PDF
        d1 = ingest.read(small)
        tables.extract(d1)
        ner.Annotator(rules).annotate(d1)
        s1, o1 = records.build(d1, rules)
        one = (timed(lambda: checker.check(d1, s1, o1)), timed(lambda: bare_words(small)), len(s1), len(o1))

    gold = None
    if GOLD.is_dir():
        gs, go = gold_studies(GOLD), gold_outcomes(GOLD)
        gold = timed(lambda: checker.check(gold_doc(), gs, go))

    print(f"bare pdfplumber words ({len(doc.pages)} pages): {base:.3f}s")
    print(f"GX import (fresh interpreter): {imp:.2f}s = {imp / base:.1f}x bare")
    print(f"GX context + suites build (after import, once per worker): {build:.2f}s")
    print(
        f"check, dev paper ({len(studies)} studies, {len(outcomes)} outcomes, {n_real} findings): "
        f"{real:.3f}s = {real / base:.2f}x bare"
    )
    if one is not None:
        print(
            f"check, rotated-table.pdf (1 page, {one[2]} studies, {one[3]} outcomes): {one[0]:.3f}s "
            f"= {one[0] / one[1]:.2f}x its bare pass ({one[1]:.3f}s)"
        )
    if gold is not None:
        print(
            f"check, gold records ({len(gs)} studies, {len(go)} outcomes): {gold:.3f}s = {gold / base:.2f}x bare"
        )
