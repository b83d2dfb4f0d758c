"""`make accuracy`: run the pipeline on a corpus of PDFs and score every paper that has a gold folder.

Figures per paper (and over all papers): table and text precision / recall / F1, findings recall and
traps flagged, studies found and spurious. `floors.json` in the repo holds the lowest figure each may
reach (and the most traps each may flag); `check_floors` lists every figure that fell past its floor.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from pipeline.evaluate.score import Counts, DocScore, FindingScore, StudyScore, read_run, score_doc

ROOT = Path(__file__).resolve().parents[2]
FLOORS = ROOT / "tests" / "floors" / "accuracy.json"
CORPUS = ROOT.parent / "shared" / "corpus"
GOLD = ROOT.parent / "shared" / "gold"
CEILINGS = ("traps_flagged",)  # figures that must not rise


def run_corpus(corpus: Path, out: Path, jobs: int = 0) -> dict:
    from pipeline.batch import run

    report = run([str(corpus)], out, jobs=jobs, fail_on="never", use_cache=True, cache_dir=out / ".cache")
    failed = [r.doc_id for r in report.records if not r.ok]
    if failed:
        raise RuntimeError(f"documents failed: {', '.join(failed)}")
    return read_run(out)


def score_corpus(gold: Path, frames: dict, any_study: bool = False) -> list[DocScore]:
    docs = sorted({*frames["outcomes"].get("doc_id", []), *frames["studies"].get("doc_id", [])})
    return [score_doc(gold / d, d, frames, any_study) for d in docs if (gold / d).is_dir()]


def figures(s: DocScore) -> dict[str, float]:
    t, x = s.outcomes.by_source["table"], s.outcomes.by_source["text"]
    st = s.studies
    return {
        "table_p": t.precision,
        "table_r": t.recall,
        "table_f1": t.f1,
        "text_p": x.precision,
        "text_r": x.recall,
        "text_f1": x.f1,
        "findings_recall": s.findings.recall,
        "traps_flagged": s.findings.traps_flagged,
        "studies_recall": st.found / st.gold if st.gold else 1.0,
        "studies_precision": 1 - st.spurious / st.predicted if st.predicted else 0.0,
    }


def all_figures(scores: list[DocScore]) -> dict[str, dict[str, float]]:
    return {s.doc_id: {k: round(v, 3) for k, v in figures(s).items()} for s in scores}


def _total(scores: list[DocScore]) -> DocScore:
    tot = DocScore("ALL", scores[0].outcomes.__class__(), StudyScore(), FindingScore())
    tot.outcomes.by_source = {"table": Counts(), "text": Counts()}
    for s in scores:
        for src, c in s.outcomes.by_source.items():
            tot.outcomes.by_source[src].add(c)
        tot.studies.add(s.studies)
        tot.findings.add(s.findings)
    return tot


def format_table(scores: list[DocScore]) -> str:
    head = (
        f"{'paper':<24} {'table P':>7} {'R':>5} {'F1':>5}  {'text P':>6} {'R':>5} {'F1':>5}"
        f"  {'findings':>8} {'traps':>5}  {'studies found':>13} {'spurious':>9}"
    )
    lines = [head, "-" * len(head)]
    for s in [*scores, _total(scores)] if scores else []:
        t, x, f, st = s.outcomes.by_source["table"], s.outcomes.by_source["text"], s.findings, s.studies
        lines.append(
            f"{s.doc_id:<24} {t.precision:7.2f} {t.recall:5.2f} {t.f1:5.2f}  {x.precision:6.2f} {x.recall:5.2f}"
            f" {x.f1:5.2f}  {f.found:>3}/{f.gold:<4} {f.traps_flagged:>2}/{f.traps:<2}"
            f"  {st.found:>6}/{st.gold:<6} {st.spurious:>3}/{st.predicted:<5}"
        )
    lines.append("findings: real gold findings found / all; traps: traps flagged / all traps;")
    lines.append(
        "studies found: gold studies matched / all; spurious: predicted studies matching no gold study"
    )
    return "\n".join(lines)


def format_details(s: DocScore, limit: int = 400) -> str:
    def show(r: dict) -> str:
        who = r.get("trial") or r.get("product") or r.get("study_key") or r.get("study_id")
        bits = [str(who), r.get("cohort", ""), r.get("arm", ""), r.get("subgroup", ""), r.get("metric", "")]
        tp = r.get("timepoint_months", "")
        return " ".join(b for b in bits if b) + f" t={tp} v={r.get('value', '')}{r.get('qualifier', '')}"

    out = [f"== {s.doc_id}"]
    out += [f"  missing study: {k}" for k in s.studies.missing]
    out += [f"  spurious study: {k}" for k in s.studies.spurious_ids]
    for label, rows in (("miss", s.outcomes.misses), ("extra", s.outcomes.extras)):
        out += [f"  {label} {r.get('source')}: {show(r)}" for r in rows[:limit]]
    out += [f"  finding missed: {k}" for k in s.findings.missed]
    out += [f"  trap flagged: {k}" for k in s.findings.flagged]
    for r in s.findings.unmatched_rows[:limit]:
        out.append(
            f"  finding unmatched: {r.get('check')} {r.get('trial')} {r.get('metric')} {r.get('values')}"
        )
    return "\n".join(out)


def score_command(gold: Path, out: Path, details: bool = False) -> int:
    """`trialex score --gold GOLD [OUTPUT]`: GOLD is one paper's folder or a folder of them."""
    gold, frames = Path(gold), read_run(Path(out))
    if frames["outcomes"].empty and frames["studies"].empty:
        print(f"error: no outcomes.csv or studies.csv in {out}", file=sys.stderr)
        return 2
    if (gold / "outcomes.csv").is_file():
        scores = [score_doc(gold, gold.name, frames)]
    else:
        scores = score_corpus(gold, frames)
    if not scores:
        print(f"error: no gold folder in {gold} names a document of {out}", file=sys.stderr)
        return 2
    print(format_table(scores))
    for s in scores if details else []:
        print(format_details(s))
    return 0


def read_floors(path: Path = FLOORS) -> dict[str, dict[str, float]]:
    return json.loads(path.read_text()) if path.is_file() else {}


def check_floors(current: dict[str, dict[str, float]], floors: dict[str, dict[str, float]]) -> list[str]:
    """Every figure below its floor (or a ceiling figure above it), as readable lines."""
    bad = []
    for doc, figs in floors.items():
        for name, floor in figs.items():
            now = current.get(doc, {}).get(name)
            if now is None:
                bad.append(f"{doc} {name}: not measured (floor {floor})")
            elif name in CEILINGS and now > floor:
                bad.append(f"{doc} {name}: {now} above the ceiling {floor}")
            elif name not in CEILINGS and now < floor - 1e-9:
                bad.append(f"{doc} {name}: {now} below the floor {floor}")
    return bad


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m pipeline.evaluate", description=__doc__)
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    ap.add_argument("--gold", type=Path, default=GOLD)
    ap.add_argument("-o", "--out", type=Path, default=ROOT / "output" / "accuracy")
    ap.add_argument("--jobs", type=int, default=0)
    ap.add_argument("--details", action="store_true", help="list misses, extras and unmatched findings")
    ap.add_argument(
        "--any-study", action="store_true", help="diagnostic: outcomes matched whatever their study"
    )
    ap.add_argument("--write-floors", action="store_true", help="raise floors to the figures of this run")
    args = ap.parse_args(argv)
    if not args.corpus.is_dir() or not args.gold.is_dir():
        print(f"error: corpus {args.corpus} or gold {args.gold} not found", file=sys.stderr)
        return 2
    scores = score_corpus(args.gold, run_corpus(args.corpus, args.out, args.jobs), args.any_study)
    print(format_table(scores))
    if args.any_study:
        print("(--any-study: outcomes matched whatever their study; no floors checked)")
        return 0
    if args.details:
        for s in scores:
            print(format_details(s))
    current, floors = all_figures(scores), read_floors()
    if args.write_floors:
        FLOORS.write_text(json.dumps(raise_floors(floors, current), indent=1, sort_keys=True) + "\n")
        print(f"floors written to {FLOORS}")
        return 0
    bad = check_floors(current, floors)
    for line in bad:
        print(f"BELOW FLOOR: {line}")
    return 1 if bad else 0


def raise_floors(floors: dict, current: dict) -> dict:
    """Floors only go up (ceilings only down): the better of the old floor and this run."""
    out: dict[str, dict[str, float]] = {}
    for doc, figs in current.items():
        old = floors.get(doc, {})
        out[doc] = {
            k: (min(v, old.get(k, v)) if k in CEILINGS else max(v, old.get(k, v))) for k, v in figs.items()
        }
    return out
