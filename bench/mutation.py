"""`make mutation`: mutation testing of the core mechanisms with mutmut (nightly-style, not in CI).

mutmut copies the package to mutants/, plants one change at a time in the modules of
[tool.mutmut] only_mutate (pyproject.toml) and runs, for each, only the tests that reach the mutated
function (it records which tests call which function). This script runs the mutants named by
`--mutants` globs (default: the core mechanisms below), then writes output/mutation/report.md: the
kill rate per module and every surviving mutant with its diff.

    python -m bench.mutation                      # every core mechanism (long: hours on one core)
    python -m bench.mutation --sample 40          # at most 40 mutants per module, spread evenly
    python -m bench.mutation --sample 25 --budget 60   # ... stop starting batches after 60 minutes
    python -m bench.mutation --rerun-survivors    # run the last run's survivors against today's tests
    python -m bench.mutation --mutants 'pipeline.quality.grim.*'
    python -m bench.mutation --report-only        # rewrite the report from the last run

A change to [tool.mutmut] (the test selection, pytest args) makes mutmut forget every result: add a
test file to the selection before a run, not during one. Added tests in selected files are picked up.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "output" / "mutation"
MUTMUT = [sys.executable, "-m", "mutmut"]

# The core mechanisms (issue 20): whole modules, or the functions named after the module.
CORE = [
    "pipeline.ingest.cleanup.*",
    "pipeline.ingest.hyphens.*",
    "pipeline.ingest.words.*",
    "pipeline.tables.continuation.*",
    "pipeline.tables.structure.*",
    "pipeline.tables.aligned.*",  # split out of structure.py: unruled columns and rows
    "pipeline.tables.rowbreaks.*",  # split out of structure.py: where an unruled row ends
    "pipeline.tables.cells.*",  # split out of structure.py: a cell's text
    "pipeline.ner.values.x_read_cell__*",
    "pipeline.ner.values.x_mass_doses__*",
    "pipeline.records.tablecells.*",
    "pipeline.records.cells.*",
    "pipeline.quality.grim.*",
    "pipeline.quality.logic.*",
    "pipeline.quality.ids.*",
    "pipeline.batch.cache.*",
    "pipeline.batch.discover.*",
    "pipeline.batch.task.x_code_version__*",
    "pipeline.batch.task.x_task_tag__*",
]
_LINE = re.compile(r"^\s+(?P<name>pipeline\.\S+): (?P<status>.+)$")
# mutmut statuses that count as killed (a test failed, the run timed out or crashed)
KILLED = {"killed", "timeout", "segfault", "suspicious"}


def module_of(name: str) -> str:
    return re.split(r"\.x[_ǁ]", name, maxsplit=1)[0]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("TRIALEX_SHARED", str(ROOT.parent / "shared"))
    return env


def results() -> dict[str, str]:
    """mutant name -> status of every mutant mutmut has generated."""
    proc = subprocess.run([*MUTMUT, "results", "--all", "true"], cwd=ROOT, env=_env(),
                          capture_output=True, text=True, check=False)  # fmt: skip
    return {m["name"]: m["status"].strip() for ln in proc.stdout.splitlines() if (m := _LINE.match(ln))}


def selected(names: list[str], globs: list[str]) -> list[str]:
    from fnmatch import fnmatch

    return [n for n in names if any(fnmatch(n, g) for g in globs)]


def sample(names: list[str], per_module: int) -> list[str]:
    """At most `per_module` mutants per module, spread evenly over its functions' mutants."""
    by_mod: dict[str, list[str]] = defaultdict(list)
    for n in sorted(names):
        by_mod[module_of(n)].append(n)
    out = []
    for mod_names in by_mod.values():
        step = max(1, len(mod_names) / per_module)
        out += [mod_names[int(i * step)] for i in range(min(per_module, len(mod_names)))]
    return out


def interleave(names: list[str]) -> list[str]:
    """Round-robin over the modules, so that every batch (and a run stopped by its budget) reaches
    every module instead of the first few in alphabetical order."""
    by_mod: dict[str, list[str]] = defaultdict(list)
    for n in names:
        by_mod[module_of(n)].append(n)
    queues = [by_mod[m] for m in sorted(by_mod)]
    return [q[i] for i in range(max(map(len, queues), default=0)) for q in queues if i < len(q)]


def generate() -> None:
    """Create mutants/ (mutmut generates every mutant before it runs any; running none is cheap)."""
    subprocess.run([*MUTMUT, "run", "--max-children", "1", "pipeline.batch.cache.x_*__mutmut_1"],
                   cwd=ROOT, env=_env(), check=False)  # fmt: skip


def run(names: list[str], children: int, batch: int, deadline: float, on_batch) -> int:
    """Run `names` in batches (one mutmut run each: it runs the batch's tests clean once, then each
    mutant against the tests that reach its function); no new batch after `deadline`. Returns how
    many mutants were submitted."""
    done = 0
    for i in range(0, len(names), batch):
        if time.monotonic() > deadline:
            print(f"budget spent: {len(names) - done} mutants not run", flush=True)
            break
        subprocess.run([*MUTMUT, "run", "--max-children", str(children), *names[i : i + batch]],
                       cwd=ROOT, env=_env(), check=False)  # fmt: skip
        done += len(names[i : i + batch])
        on_batch()
    return done


def diff(name: str) -> str:
    """The mutant's diff (`mutmut show` loads every mutant: slow, so each diff is kept in
    output/mutation/diffs.json, keyed by the mutated file's time: mutmut renumbers a changed file)."""
    cache = OUT / "diffs.json"
    known = json.loads(cache.read_text(encoding="utf-8")) if cache.exists() else {}
    src = ROOT / "mutants" / (module_of(name).replace(".", "/") + ".py")
    key = f"{name}@{src.stat().st_mtime_ns if src.exists() else 0}"
    if key not in known:
        proc = subprocess.run([*MUTMUT, "show", name], cwd=ROOT, env=_env(), capture_output=True, text=True,
                              check=False)  # fmt: skip
        known[key] = "\n".join(ln for ln in proc.stdout.splitlines()[1:] if ln.startswith(("+", "-", "@@"))
                                and not ln.startswith(("+++", "---")))  # fmt: skip
        OUT.mkdir(parents=True, exist_ok=True)
        cache.write_text(json.dumps(known, indent=0), encoding="utf-8")
    return known[key]


def report(status: dict[str, str], names: list[str], judged: dict[str, str]) -> str:
    by_mod: dict[str, Counter] = defaultdict(Counter)
    survivors: dict[str, list[str]] = defaultdict(list)
    for n in names:
        s = status.get(n, "not checked")
        if s in ("not checked", "skipped"):
            by_mod[module_of(n)]["not run"] += 1
            continue
        by_mod[module_of(n)]["killed" if s in KILLED else s] += 1
        if s not in KILLED:
            survivors[module_of(n)].append(n)
    lines = ["# Mutation report (make mutation)", "",
             "| module | run | killed | survived | no tests | kill rate | not run |",
             "|---|---:|---:|---:|---:|---:|---:|"]  # fmt: skip
    total = Counter()
    for mod in sorted(by_mod):
        c = by_mod[mod]
        ran = c["killed"] + c["survived"] + c["no tests"]
        total.update(c)
        rate = f"{100 * c['killed'] / ran:.1f}%" if ran else "-"
        lines.append(
            f"| {mod} | {ran} | {c['killed']} | {c['survived']} | {c['no tests']} | {rate} | {c['not run']} |"
        )
    ran = total["killed"] + total["survived"] + total["no tests"]
    rate = f"{100 * total['killed'] / ran:.1f}%" if ran else "-"
    lines += [f"| **all** | {ran} | {total['killed']} | {total['survived']} | {total['no tests']} | {rate} | {total['not run']} |", ""]  # fmt: skip
    lines += ["## Surviving mutants", ""]
    for mod in sorted(survivors):
        lines.append(f"### {mod}")
        for n in survivors[mod]:
            verdict = judged.get(n, "")
            lines += [f"- `{n}` ({status[n]}){': ' + verdict if verdict else ''}", "```diff", diff(n), "```"]
    killed = [n for n in names if n in judged and status.get(n) in KILLED]
    if killed:
        lines += ["## Survivors of earlier runs killed by a test added for them", ""]
        lines += [f"- `{n}`: {judged[n]}" for n in killed]
    return "\n".join(lines) + "\n"


def load_judged(path: Path) -> dict[str, str]:
    """`name<TAB>verdict` lines (equivalent mutant, or the test that now kills it)."""
    if not path.exists():
        return {}
    rows = (ln.split("\t", 1) for ln in path.read_text(encoding="utf-8").splitlines() if "\t" in ln)
    return {k.strip(): v.strip() for k, v in rows}


def write_report(names_globs: list[str], sampled: bool) -> str:
    status = results()
    names = selected(sorted(status), names_globs)
    if sampled:
        names = [n for n in names if status[n] not in ("not checked", "skipped")]
    OUT.mkdir(parents=True, exist_ok=True)
    text = report(status, names, load_judged(Path(__file__).with_name("mutation-judged.tsv")))
    (OUT / "report.md").write_text(text, encoding="utf-8")
    return text


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mutants", nargs="*", default=CORE, help="mutant name globs")
    ap.add_argument("--sample", type=int, default=0, help="at most this many mutants per module")
    ap.add_argument("--children", type=int, default=1, help="parallel mutant runs")
    ap.add_argument("--batch", type=int, default=70, help="mutants per mutmut run (modules interleaved)")
    ap.add_argument("--budget", type=float, default=0, help="minutes; start no batch after this (0: none)")
    ap.add_argument("--rerun-survivors", action="store_true", help="run the survivors of earlier runs again")
    ap.add_argument("--report-only", action="store_true")
    ap.add_argument("--min-rate", type=float, default=85.0, help="exit 1 below this kill rate (%%)")
    args = ap.parse_args(argv)
    deadline = time.monotonic() + args.budget * 60 if args.budget else float("inf")
    if not args.report_only:
        if not (ROOT / "mutants").is_dir():
            generate()
        status = results()
        names = selected(sorted(status), args.mutants)
        todo = [n for n in names if status[n] == "not checked"]
        if args.sample:  # a spread per module, of the mutants no earlier run has checked
            todo = sample(todo, args.sample)
        if args.rerun_survivors:
            todo = [n for n in names if status[n] not in KILLED | {"not checked", "skipped"}] + todo
        run(interleave(todo), args.children, args.batch, deadline,
            lambda: write_report(args.mutants, bool(args.sample)))  # fmt: skip
    text = write_report(args.mutants, bool(args.sample or args.rerun_survivors))
    print(text.split("## Surviving")[0])
    print(f"report: {OUT / 'report.md'}")
    m = re.search(r"\| \*\*all\*\* \|[^\n]*\| (?P<rate>[\d.]+)% \|", text)
    return 0 if m and float(m.group("rate")) >= args.min_rate else 1


if __name__ == "__main__":
    raise SystemExit(main())
