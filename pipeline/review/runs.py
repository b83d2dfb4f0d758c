"""Import a run into the store: every finding and every low-confidence outcome becomes a queue item.
New items are added, existing ones keep their decisions, items a re-run no longer produces are marked
stale (never deleted, so their decisions stay in the history)."""

from __future__ import annotations

import csv
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from pipeline.review.store import Doc, Item, Store, StoreError, now

OUTCOME_KEY = ("doc_id", "study_id", "metric", "arm", "subgroup", "timepoint_months", "source", "table_id")
FINDING_FIELDS = (
    "doc_id",
    "check",
    "severity",
    "message",
    "study_id",
    "trial",
    "cohort",
    "product",
    "metric",
)
FINDING_FIELDS += ("values", "sources", "pages", "snippets", "bboxes")


@dataclass
class SyncReport:
    added: int = 0
    updated: int = 0
    stale: int = 0
    revived: int = 0
    documents: int = 0

    def __str__(self) -> str:
        return (
            f"{self.added} new, {self.updated} kept, {self.stale} stale, {self.revived} back; "
            f"{self.documents} documents"
        )


def read_csv(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        return []
    try:
        with path.open(newline="", encoding="utf-8") as f:
            return [{k: (v or "") for k, v in row.items() if k is not None} for row in csv.DictReader(f)]
    except (UnicodeDecodeError, csv.Error) as e:
        raise StoreError(f"cannot read {path}: {e}") from e


def outcome_id(row: dict[str, str]) -> str:
    """Stable across re-runs: the outcome's subject and value, not its page geometry."""
    key = "|".join(row.get(k, "") for k in OUTCOME_KEY + ("value", "qualifier"))
    return "o-" + hashlib.sha1(key.encode()).hexdigest()[:12]


def _subject(row: dict[str, str]) -> tuple[str, ...]:
    return tuple(
        row.get(k, "") for k in ("doc_id", "study_id", "metric", "arm", "subgroup", "timepoint_months")
    )


def _show(row: dict[str, str]) -> str:
    q, v = row.get("qualifier", ""), row.get("value", "")
    return f"{q}{v}" if v else (q or "")


def outcome_fields(row: dict[str, str], others: list[dict[str, str]]) -> dict[str, str]:
    """The outcome as an item: its value first, then the same subject's value from the other source
    (when there is one), so the curator sees both side by side."""
    rows = [row] + [o for o in others if o is not row and o.get("source") != row.get("source")][:1]
    return {
        "values": " | ".join(f"{r.get('source', '')}:{_show(r)}" for r in rows),
        "sources": " | ".join(r.get("source", "") for r in rows),
        "pages": " | ".join(r.get("page", "") for r in rows),
        "snippets": " | ".join(r.get("snippet", "").replace(" | ", " / ") for r in rows),
        "bboxes": " | ".join(
            f"p{r.get('page', '')}:{r.get('bbox', '')}" if r.get("bbox") else "" for r in rows
        ),
    }


def _float(s: str, default: float) -> float:
    try:
        return float(s)
    except ValueError:
        return default


def read_run(out_dir: Path, threshold: float) -> tuple[list[dict], list[dict]]:
    """(items, documents) of an output folder, as plain dicts."""
    items: list[dict] = []
    for row in read_csv(out_dir / "findings.csv"):
        if not row.get("finding_id"):
            continue
        fields = {k: row.get(k, "") for k in FINDING_FIELDS}
        items.append(
            {"item_id": row["finding_id"], "kind": "finding", "confidence": None, "row": row, **fields}
        )
    outcomes = read_csv(out_dir / "outcomes.csv")
    by_subject: dict[tuple[str, ...], list[dict[str, str]]] = {}
    for row in outcomes:
        by_subject.setdefault(_subject(row), []).append(row)
    for row in outcomes:
        conf = _float(row.get("confidence", ""), 1.0)
        if conf >= threshold:
            continue
        items.append(
            {
                "item_id": outcome_id(row),
                "kind": "outcome",
                "doc_id": row.get("doc_id", ""),
                "check": "low_confidence",
                "severity": "info",
                "message": f"{row.get('metric', '')} extracted with confidence {conf:g} (< {threshold:g})",
                "study_id": row.get("study_id", ""),
                "trial": row.get("trial", ""),
                "cohort": row.get("cohort", ""),
                "product": row.get("product", ""),
                "metric": row.get("metric", ""),
                "confidence": conf,
                "row": row,
                **outcome_fields(row, by_subject[_subject(row)]),
            }
        )
    docs = []
    report = out_dir / "report.json"
    if report.is_file():
        try:
            docs = json.loads(report.read_text(encoding="utf-8")).get("documents", [])
        except (json.JSONDecodeError, AttributeError) as e:
            raise StoreError(f"cannot read {report}: {e}") from e
    return items, [d for d in docs if isinstance(d, dict) and d.get("doc_id")]


def _pdf_path(raw: str, out_dir: Path) -> str:
    """report.json paths are as the run was given them: relative to where it ran, or to the folder."""
    p = Path(raw)
    if p.is_absolute():
        return str(p)
    for base in (Path.cwd(), out_dir.parent, out_dir):
        if (base / p).is_file():
            return str((base / p).resolve())
    return str(p.resolve())


def sync(store: Store, out_dir: Path, threshold: float = 0.7) -> SyncReport:
    out_dir = Path(out_dir)
    if not any((out_dir / f).is_file() for f in ("findings.csv", "outcomes.csv", "report.json")):
        raise StoreError(f"{out_dir} holds no run (findings.csv, outcomes.csv or report.json)")
    items, docs = read_run(out_dir, threshold)
    rep = SyncReport(documents=len(docs))
    t = now()
    # documents covered by this run: a vanished item is stale only if its document was re-run
    run_docs = {d["doc_id"] for d in docs} | {i["doc_id"] for i in items}
    with store.session(write=True) as s:
        for d in docs:
            doc = s.get(Doc, d["doc_id"]) or Doc(doc_id=d["doc_id"])
            doc.path = _pdf_path(str(d.get("path", "")), out_dir)
            doc.sha256 = str(d.get("sha256", "") or "")
            doc.pages = int(d.get("pages") or 0)
            doc.out_dir = str(out_dir.resolve())
            s.add(doc)
        existing = {i.item_id: i for i in s.scalars(select(Item).where(Item.doc_id.in_(run_docs)))}
        seen = set()
        for fields in items:
            if fields["item_id"] in seen:
                continue  # a duplicated row in the CSV
            seen.add(fields["item_id"])
            item = existing.get(fields["item_id"])
            if item is None:
                item = s.scalar(select(Item).where(Item.item_id == fields["item_id"]))
            if item is None:
                s.add(Item(**fields, status="open", stale=False, first_seen=t, last_seen=t))
                rep.added += 1
                continue
            for k, v in fields.items():
                setattr(item, k, v)
            rep.revived += item.stale
            rep.updated += not item.stale
            item.stale, item.last_seen = False, t
        for item_id, item in existing.items():
            if item_id not in seen and not item.stale:
                item.stale = True
                rep.stale += 1
    return rep
