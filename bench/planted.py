"""The 18 plausible bugs of the issue-20 audit that the suite used to miss, each planted alone in a
copy of the package, with the test that must now fail on it.

    python -m bench.planted            # every bug: prints killed / SURVIVED per bug; exit 1 on a survivor
    python -m bench.planted G1 K2      # some of them

Each bug is a textual change (old -> new) in one module; the script first checks that the named test
passes on the unchanged copy, then that it fails with the bug in."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Bug:
    key: str
    what: str
    path: str
    old: str
    new: str
    test: str


BUGS = [
    Bug("H1", "dehyphenation: joined-word threshold raised", "pipeline/ingest/hyphens.py",
        "_JOINED = 200", "_JOINED = 2000",
        "tests/test_core_hyphens.py::test_keep_hyphen_cases"),
    Bug("H2", "dehyphenation: common-word threshold raised", "pipeline/ingest/hyphens.py",
        "_COMMON = 1000", "_COMMON = 10000",
        "tests/test_core_hyphens.py::test_keep_hyphen_cases"),
    Bug("H3", "dehyphenation: combining forms not looked up", "pipeline/ingest/hyphens.py",
        " or lw in _COMBINING:", ":",
        "tests/test_core_hyphens.py::test_keep_hyphen_cases"),
    Bug("H4", "dehyphenation: the document's own spelling ignored", "pipeline/ingest/hyphens.py",
        "!= (joined in vocab):", "!= (joined in vocab) and False:",
        "tests/test_core_hyphens.py::test_keep_hyphen_cases"),
    Bug("G1", "GRIM: k = n rejected (k > n -> k >= n)", "pipeline/quality/grim.py",
        "if n <= 0 or k > n:", "if n <= 0 or k >= n:",
        "tests/test_core_grim.py::test_k_equal_to_n_is_one_hundred_percent"),
    Bug("G2", "GRIM: Python's banker's round() for round-half-up", "pipeline/quality/numbers.py",
        "return math.floor(x * q + 0.5 + 1e-9) / q", "return round(x, d)",
        "tests/test_core_grim.py::test_exact_halves_round_up"),
    Bug("G3", "GRIM: text pairs at the minimum n skipped", "pipeline/quality/grim.py",
        "        if n < self.min_n:", "        if n <= self.min_n:",
        "tests/test_core_grim.py::test_text_pairs_at_the_minimum_n_are_checked"),
    Bug("G4", "GRIM: outcomes at the minimum n skipped", "pipeline/quality/grim.py",
        "if not n or n < self.min_n:", "if not n or n <= self.min_n:",
        "tests/test_core_grim.py::test_outcomes_at_and_below_the_minimum_n"),
    Bug("C1", "cell: a trailing metric borrows from a one-value segment (IndexError)",
        "pipeline/records/cells.py", "len(prev_vals) >= 2", "len(prev_vals) >= 1",
        "tests/test_core_cells.py::test_trailing_metric_without_value_after_one_value"),
    Bug("C2", "cell: a months unit read as no unit", "pipeline/ner/values.py",
        'unit = "%" if u == "%" else "months" if u else ""', 'unit = "%" if u == "%" else ""',
        "tests/test_core_cells.py::test_read_cell_forms"),
    Bug("C3", "cell: the control named first not flipping 'x vs y'", "pipeline/records/cells.py",
        'r.arm = "" if control_first else "control"', 'r.arm = "control"',
        "tests/test_core_cells.py::test_versus_sides"),
    Bug("C4", "cell: 'a% / b%' under two metrics read as one", "pipeline/records/tablecells.py",
        "if len(parts) == len(label.metrics):", "if len(parts) == len(label.metrics) + 1:",
        "tests/test_core_cells.py::test_slash_cell_under_two_metrics"),
    Bug("T1", "continuation: '(continued)' captions never merging", "pipeline/tables/continuation.py",
        "    if b.continued:", "    if b.continued and False:",
        "tests/test_core_continuation.py::test_continued_caption_joins_its_table"),
    Bug("T2", "continuation: a captioned next-page table absorbed", "pipeline/tables/continuation.py",
        "and b.at_top and not b.captioned", "and b.at_top",
        "tests/test_core_continuation.py::test_captioned_next_page_table_is_not_absorbed"),
    Bug("K1", "cache key: document id dropped", "pipeline/batch/cache.py",
        'raw = f"{job.sha256}\\0{job.doc_id}\\0{pw}"', 'raw = f"{job.sha256}\\0{pw}"',
        "tests/test_core_cache.py::test_each_key_component_changes_the_entry"),
    Bug("K2", "cache key: task options dropped", "pipeline/batch/task.py",
        "        tag += hashlib.sha256(args.encode()).hexdigest()[:8]", "        pass",
        "tests/test_core_cache.py::test_task_tag_tells_tasks_and_their_options_apart"),
    Bug("K3", "cache key: password dropped", "pipeline/batch/cache.py",
        'raw = f"{job.sha256}\\0{job.doc_id}\\0{pw}"', 'raw = f"{job.sha256}\\0{job.doc_id}"',
        "tests/test_core_cache.py::test_passwords_differ_from_no_password_and_from_each_other"),
    Bug("K4", "cache key: content hash dropped (a stale path returns another document)",
        "pipeline/batch/cache.py", 'raw = f"{job.sha256}\\0{job.doc_id}\\0{pw}"', 'raw = f"{job.doc_id}\\0{pw}"',
        "tests/test_core_cache.py::test_each_key_component_changes_the_entry"),
]  # fmt: skip


def _pytest(where: Path, test: str) -> bool:
    """True when the test passes in the copy at `where`."""
    env = {**os.environ, "TRIALEX_SHARED": os.environ.get("TRIALEX_SHARED") or str(ROOT.parent / "shared")}
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", "-p", "no:randomly",
                           test], cwd=where, env=env, capture_output=True, text=True, check=False)  # fmt: skip
    return proc.returncode == 0


def main(argv: list[str] | None = None) -> int:
    keys = set(argv if argv is not None else sys.argv[1:])
    bugs = [b for b in BUGS if not keys or b.key in keys]
    survived = 0
    with tempfile.TemporaryDirectory(prefix="planted-") as tmp:
        copy = Path(tmp)
        for name in ("pipeline", "tests", "rules", "bench"):
            shutil.copytree(
                ROOT / name, copy / name, ignore=shutil.ignore_patterns("__pycache__", "*.pdf.cache")
            )
        shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")
        for b in bugs:
            src = (copy / b.path).read_text(encoding="utf-8")
            if src.count(b.old) < 1:
                print(f"{b.key} CANNOT PLANT (text not found: {b.old!r})")
                survived += 1
                continue
            if not _pytest(copy, b.test):
                print(f"{b.key} TEST FAILS WITHOUT THE BUG: {b.test}")
                survived += 1
                continue
            (copy / b.path).write_text(src.replace(b.old, b.new), encoding="utf-8")
            try:
                killed = not _pytest(copy, b.test)
            finally:
                (copy / b.path).write_text(src, encoding="utf-8")
            survived += not killed
            print(f"{b.key} {'killed  ' if killed else 'SURVIVED'} {b.what}: {b.test}", flush=True)
    return 1 if survived else 0


if __name__ == "__main__":
    raise SystemExit(main())
