"""Curated outputs: the run's outcomes with decisions applied (`curated/outcomes.csv`) and the findings
with each one's status (`curated/findings.csv`; the status column of the run's findings.csv too)."""

from __future__ import annotations

import csv
import os
import re
import tempfile
from pathlib import Path

from pipeline.review.runs import outcome_id, read_csv
from pipeline.review.store import Item, Store, parts

_VALUE = re.compile(r"^\s*(>=|<=|≥|≤|>|<|~)?\s*(-?\d+(?:\.\d+)?)?\s*([^\d\s].*)?$")
_QUAL = {"≥": ">=", "≤": "<="}
CURATED_COLS = ("value_extracted", "review_status", "review_item", "curator", "decided_at", "review_note")


def parse_value(s: str) -> tuple[str, str]:
    """A printed value as (number, qualifier): "NR" -> ("", "NR"), ">=12" -> ("12", ">="), "46%" -> ("46", "")."""
    s = s.strip()
    if s.upper() in ("NR", "NOT REACHED"):
        return "", "NR"
    m = _VALUE.match(s)
    if not m or m.group(2) is None:
        return s, ""
    q = m.group(1) or ""
    return m.group(2), _QUAL.get(q, q)


def _same_number(a: str, b: str) -> bool:
    try:
        return abs(float(a) - float(b)) < 1e-9
    except ValueError:
        return a.strip() == b.strip()


def _overlap(bbox: str, box: tuple[float, float, float, float]) -> bool:
    try:
        x0, top, x1, bottom = (float(v) for v in bbox.split(","))
    except ValueError:
        return False
    return x0 < box[2] + 1 and box[0] < x1 + 1 and top < box[3] + 1 and box[1] < bottom + 1


def finding_rows(item: Item, outcomes: list[dict[str, str]]) -> list[dict[str, str]]:
    """The outcome rows a finding speaks about: same document, study (or trial+cohort), metric and
    source, pinned by the part's box when it has one, else by its value."""
    if not item.metric:
        return []
    out: list[dict[str, str]] = []
    for part in parts(item):
        if part.label and part.label != item.metric:
            continue  # another quantity the finding cites (the n of a GRIM check, say)
        cands = [
            o
            for o in outcomes
            if o.get("doc_id") == item.doc_id
            and o.get("metric") == item.metric
            and o.get("source") == part.source
            and (
                o.get("study_id") == item.study_id
                if item.study_id
                else (o.get("trial"), o.get("cohort")) == (item.trial, item.cohort)
            )
        ]
        if part.bbox is not None:
            pinned = [
                o
                for o in cands
                if str(o.get("page")) == str(part.page) and _overlap(o.get("bbox", ""), part.bbox)
            ]
        else:
            number, _ = parse_value(part.value)
            pinned = [o for o in cands if _same_number(o.get("value", ""), number)]
        chosen = pinned or (cands if len(cands) == 1 else [])
        out += [o for o in chosen if not any(o is r for r in out)]
    return out


def curate(store: Store, out_dir: Path) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """(outcomes, findings) of a run with the store's decisions applied, in memory."""
    outcomes = read_csv(out_dir / "outcomes.csv")
    findings = read_csv(out_dir / "findings.csv")
    for o in outcomes:
        o.update({c: "" for c in CURATED_COLS})
    items = {i.item_id: i for i in store.items(include_stale=True)}
    by_outcome = {outcome_id(o): o for o in outcomes}
    for f in findings:
        item = items.get(f.get("finding_id", ""))
        d = item.decision if item else None
        f["status"] = item.status if item and d else (f.get("status") or "open")
        f["curated_value"] = d.value if d and d.action != "dismiss" else ""
        f["curator"] = d.curator if d else ""
        f["decided_at"] = d.created_at.isoformat(timespec="seconds") if d else ""
        f["review_note"] = d.comment if d else ""
    for item in items.values():
        d = item.decision
        if d is None or d.action == "dismiss":
            continue
        if item.kind == "outcome":
            rows = [by_outcome[item.item_id]] if item.item_id in by_outcome else []
        else:
            rows = finding_rows(item, outcomes)
        number, qualifier = parse_value(d.value)
        for o in rows:
            if o["review_status"] and o["review_item"] != item.item_id:
                o["review_item"] += f" | {item.item_id}"  # a later decision on the same row wins
            else:
                o["review_item"] = item.item_id
            o["value_extracted"] = o["value_extracted"] or _show(o)
            changed = not _same_number(o.get("value", ""), number) or o.get("qualifier", "") != qualifier
            o["value"], o["qualifier"] = number, qualifier
            if item.metric == "N" and number:
                o["n"] = number
            o["review_status"] = "corrected" if changed else "confirmed"
            o["curator"], o["review_note"] = d.curator, d.comment
            o["decided_at"] = d.created_at.isoformat(timespec="seconds")
    return outcomes, findings


def _show(o: dict[str, str]) -> str:
    return f"{o.get('qualifier', '')}{o.get('value', '')}"


def write_csv(path: Path, rows: list[dict[str, str]], header: list[str] | None = None) -> None:
    """Write atomically, so a reader (or a second server) never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    cols = header or (list(rows[0]) if rows else [])
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, fieldnames=cols, extrasaction="ignore")
            w.writeheader()
            w.writerows(rows)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def apply(store: Store, out_dir: Path) -> Path:
    """Write `out_dir/curated/{outcomes,findings}.csv` and the status column of the run's findings.csv.
    Returns the curated folder."""
    out_dir = Path(out_dir)
    outcomes, findings = curate(store, out_dir)
    cur = out_dir / "curated"
    if (out_dir / "outcomes.csv").is_file():
        header = _header(out_dir / "outcomes.csv") + list(CURATED_COLS)
        write_csv(cur / "outcomes.csv", outcomes, header)
    if (out_dir / "findings.csv").is_file():
        run_header = _header(out_dir / "findings.csv")
        if "status" not in run_header:
            run_header.append("status")
        write_csv(
            cur / "findings.csv",
            findings,
            run_header + ["curated_value", "curator", "decided_at", "review_note"],
        )
        write_csv(out_dir / "findings.csv", findings, run_header)
    return cur


def _header(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8") as f:
        return next(csv.reader(f), [])
