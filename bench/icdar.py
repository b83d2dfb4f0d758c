"""`make tables-bench`: the ICDAR 2013 table competition, EU half (../shared/icdar2013-eu/run.py, trialex
only), its figures printed, and a ratchet: exit 1 when adjacency F1 (micro) or detection recall falls
below tests/floors/tables.json. `--write-floors` raises the floors to the figures measured (never lowers).

The whole benchmark takes minutes (one trialex process per PDF), too slow for the test suite; the
suite checks a few documents in process instead (tests/test_tables_icdar.py, same floors file).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ICDAR = ROOT.parent / "shared" / "icdar2013-eu"
FLOORS = ROOT / "tests" / "floors" / "tables.json"
KEY = "icdar2013_eu"
FIGURES = ("adj_f1", "det_recall")


def load_floors() -> dict:
    return json.loads(FLOORS.read_text()) if FLOORS.exists() else {}


def below(figures: dict[str, float], floors: dict[str, float]) -> list[str]:
    """The figures under their floor, as readable lines (empty when all hold)."""
    return [
        f"{k} {figures[k]:.3f} < floor {floors[k]:.3f}"
        for k in FIGURES
        if k in floors and figures.get(k, 0.0) < floors[k] - 1e-9
    ]


def raise_floors(key: str, figures: dict[str, float], extra: dict | None = None) -> dict:
    """Floors of `key` raised to `figures` (rounded down to 3 places); a floor never goes down."""
    data = load_floors()
    old = data.get(key, {})
    new = dict(old, **(extra or {}))
    for k in FIGURES:
        new[k] = max(old.get(k, 0.0), int(figures[k] * 1000) / 1000)
    data[key] = new
    FLOORS.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    return new


def _runner():
    """../shared/icdar2013-eu/run.py as a module (stdlib only; it imports adjacency.py beside it)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("icdar_run", ICDAR / "run.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def score_in_process(stems: list[str]) -> dict[str, float]:
    """Adjacency F1 and detection recall of trialex on some ICDAR documents, run in this process
    (the tables as `trialex tables --format json` gives them, scored by run.py's own code)."""
    from pipeline import ingest, tables
    from pipeline.tables.render import render

    run = _runner()
    docs = {k: v for k, v in run.load_gt(ICDAR).items() if k in stems}
    preds, heights = {}, {}
    for stem, d in docs.items():
        doc = ingest.read(d["pdf"])
        heights[stem] = [p.height for p in doc.pages]
        found = []
        for t in json.loads(render(tables.extract(doc), "json")):
            boxes = [
                {"page": b["page"], "bbox": [float(x) for x in b["bbox"].split(",")]} for b in t["boxes"]
            ]
            found.append({"pages": t["pages"], "boxes": boxes, "cells": t["cells"], "id": t["table_id"]})
        preds[stem] = {"pdf": str(d["pdf"]), "error": None, "tables": found}
    res, _ = run.evaluate("trialex", docs, preds, heights)
    return {"adj_f1": res["adj_f"], "det_recall": res["det_r"]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="/tmp/trialex-icdar2013")
    ap.add_argument("--write-floors", action="store_true")
    ap.add_argument("--failures", action="store_true", help="list trialex's failure kinds")
    a = ap.parse_args(argv)
    runner = ICDAR / "run.py"
    if not runner.is_file():
        print(f"skipped: {runner} is absent (the shared ICDAR 2013 data is not on this machine)")
        return 0
    cmd = [sys.executable, str(runner), "--out", a.out, "--tools", "trialex"]
    cmd += ["--failures"] if a.failures else []
    if subprocess.run(cmd, cwd=ROOT).returncode != 0:
        print("the ICDAR benchmark failed to run", file=sys.stderr)
        return 1
    res = next(r for r in json.loads((Path(a.out) / "results.json").read_text()) if r["tool"] == "trialex")
    figures = {"adj_f1": res["adj_f"], "det_recall": res["det_r"]}
    print(
        f"\ntrialex on ICDAR 2013 EU: adjacency F1 {figures['adj_f1']:.3f}, detection recall {figures['det_recall']:.3f}"
    )
    if a.write_floors:
        print(f"floors now {raise_floors(KEY, figures)}")
        return 0
    bad = below(figures, load_floors().get(KEY, {}))
    for line in bad:
        print(f"BELOW FLOOR: {line}", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
