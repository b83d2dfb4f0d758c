"""`python -m bench.outdiff A B`: are two `trialex run` output folders the same, timing fields aside?

For checking that a speed change leaves every output as it was (the same inputs run by two versions).
Every file is compared byte for byte; a file that differs is compared again with only its timing
fields set aside: in JSON the keys below, in junit.xml the `time` attributes, in report.md/html the
run's timestamp and the cells holding seconds. The folders' own paths are masked. The cache, Data
Docs (their validation ids are new each run) and review databases are left out. Exit 1 on a real
difference."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

LEFT_OUT = (".cache", "data_docs", "review.db", "curated")
TIMING_KEYS = {"timings", "peak_rss_mb", "elapsed", "started", "finished", "time", "cache", "data_docs"}


def _clean(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items() if k not in TIMING_KEYS}
    if isinstance(obj, list):
        return [_clean(x) for x in obj]
    return obj


def _masked(text: str, root: Path) -> str:
    text = text.replace(str(root), "ROOT")
    text = re.sub(r'time="[\d.]+"', 'time=""', text)
    text = re.sub(r"\d{4}-\d\d-\d\dT[\d:]+\+00:00", "T", text)
    return re.sub(r"(\| |<td[^>]*>)\d+\.\d+( \||</td>)", r"\1S\2", text)  # seconds in table cells


def _files(root: Path) -> list[Path]:
    return sorted(
        p.relative_to(root)
        for p in root.rglob("*")
        if p.is_file() and p.relative_to(root).parts[0] not in LEFT_OUT
    )


def compare(a: Path, b: Path) -> list[str]:
    """The lines of the verdict; the last one counts the files, the real differences first."""
    fa, fb = _files(a), _files(b)
    lines = [f"only in one folder: {p}" for p in sorted(set(fa) ^ set(fb))]
    same = timing = 0
    for rel in sorted(set(fa) & set(fb)):
        x, y = (a / rel).read_bytes(), (b / rel).read_bytes()
        if x == y:
            same += 1
            continue
        if rel.suffix == ".json":
            ok = _clean(json.loads(x)) == _clean(json.loads(y))
        else:
            ok = _masked(x.decode("utf-8"), a) == _masked(y.decode("utf-8"), b)
        timing += ok
        lines.append(f"{'timing only' if ok else 'DIFFERS'}: {rel}")
    real = len(lines) - timing
    lines.append(
        f"{len(fa)} files: {same} byte-identical, {timing} differ in timing fields only, {real} differ"
    )
    return lines


def main() -> int:
    lines = compare(Path(sys.argv[1]), Path(sys.argv[2]))
    print("\n".join(lines))
    return 0 if lines[-1].endswith(" 0 differ") else 1


if __name__ == "__main__":
    raise SystemExit(main())
