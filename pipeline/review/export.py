"""Settled decisions out of the store: a gold folder in the format of shared/gold (every curated paper
becomes a regression case for `trialex score`), and Label Studio task JSON (export and import)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from pipeline.review.curated import curate, write_csv
from pipeline.review.runs import read_csv
from pipeline.review.store import ACTIONS, Item, Store, StoreError

GOLD_OUTCOMES = [
    "doc_id", "trial", "cohort", "product", "nct_id", "n", "arm", "subgroup", "metric", "timepoint_months",
    "value", "qualifier", "unit", "source", "table_id", "snippet", "study_key", "note",
]  # fmt: skip
GOLD_FINDINGS = [
    "finding_key", "check", "severity", "trial", "cohort", "metric", "values", "where", "explanation",
    "doc_id", "product", "study_key", "is_error",
]  # fmt: skip
GOLD_STUDIES = [
    "study_key", "trial", "cohort", "product", "target", "nct_id", "nct_id_valid", "phase", "n_table",
    "n_text", "refs", "in_table", "in_text", "phase_text", "note", "doc_id",
]  # fmt: skip


def _settled(store: Store) -> list[Item]:
    return [i for i in store.items(include_stale=True) if i.decision is not None]


def export_gold(
    store: Store, out_dir: Path, dest: Path, id_patterns: list[str] | None = None
) -> dict[str, int]:
    """Write seed-outcomes/-findings/-studies.csv for every document with a settled decision. Rows of
    other documents already in `dest` are kept, so a gold folder grows paper by paper."""
    out_dir, dest = Path(out_dir), Path(dest)
    settled = _settled(store)
    docs = {i.doc_id for i in settled}
    if not docs:
        raise StoreError("no settled decisions to export")
    outcomes, _ = curate(store, out_dir)
    gold_o = [_gold_outcome(o) for o in outcomes if o.get("doc_id") in docs]
    gold_f = [_gold_finding(i) for i in settled if i.kind == "finding"]
    patterns = [re.compile(p) for p in (id_patterns or [r"^NCT\d{8}$"])]
    gold_s = [_gold_study(s, patterns) for s in read_csv(out_dir / "studies.csv") if s.get("doc_id") in docs]
    counts = {}
    for name, rows, cols in (
        ("seed-outcomes.csv", gold_o, GOLD_OUTCOMES),
        ("seed-findings.csv", gold_f, GOLD_FINDINGS),
        ("seed-studies.csv", gold_s, GOLD_STUDIES),
    ):
        kept = [r for r in read_csv(dest / name) if r.get("doc_id") not in docs]
        write_csv(dest / name, kept + rows, cols)
        counts[name] = len(rows)
    return counts


def _gold_outcome(o: dict[str, str]) -> dict[str, str]:
    row = {c: o.get(c, "") for c in GOLD_OUTCOMES}
    row["study_key"] = o.get("study_id", "")
    if o.get("review_status") == "corrected":
        row["note"] = f"curated by {o.get('curator', '')} (extracted {o.get('value_extracted', '')})"
        row["note"] += f": {o['review_note']}" if o.get("review_note") else ""
    elif o.get("review_status") == "confirmed":
        row["note"] = f"confirmed by {o.get('curator', '')}"
    return row


def _gold_finding(item: Item) -> dict[str, str]:
    d = item.decision
    assert d is not None
    subject = ":".join(x for x in (item.study_id or item.trial, item.metric, item.check) if x)
    explanation = item.message + (f" Curator {d.curator}: {d.comment}" if d.comment else "")
    return {
        "finding_key": subject or item.item_id,
        "check": item.check,
        "severity": item.severity,
        "trial": item.trial,
        "cohort": item.cohort,
        "metric": item.metric,
        "values": item.values,
        "where": f"pages {item.pages}" if item.pages else "",
        "explanation": explanation,
        "doc_id": item.doc_id,
        "product": item.product,
        "study_key": item.study_id,
        "is_error": "no" if d.action == "dismiss" else "yes",
    }


def _gold_study(s: dict[str, str], patterns: list[re.Pattern[str]]) -> dict[str, str]:
    sources = s.get("sources", "")
    nct = s.get("nct_id", "")
    return {
        **{c: s.get(c, "") for c in GOLD_STUDIES},
        "study_key": s.get("study_id", ""),
        "nct_id_valid": nct if any(p.match(nct) for p in patterns) else "",
        "in_table": "yes" if "table" in sources else "",
        "in_text": "yes" if "text" in sources else "",
        "note": "",
    }


# -- Label Studio --------------------------------------------------------------------------------

LABEL_CONFIG = """<View>
  <Header value="$check: $message"/>
  <Text name="values" value="$values"/>
  <Text name="snippets" value="$snippets"/>
  <Choices name="decision" toName="values" choice="single" required="true">
    <Choice value="accept_table"/><Choice value="accept_text"/><Choice value="correct"/><Choice value="dismiss"/>
  </Choices>
  <TextArea name="value" toName="values" placeholder="corrected value" maxSubmissions="1"/>
  <TextArea name="comment" toName="values" placeholder="comment" maxSubmissions="1"/>
</View>
"""


def export_label_studio(store: Store, dest: Path) -> int:
    """One task per open-or-settled item (not stale); decisions go along as annotations."""
    tasks = []
    for item in store.items():
        data = {k: getattr(item, k) for k in ("item_id", "doc_id", "check", "severity", "message", "metric")}
        data.update(values=item.values, snippets=item.snippets, pages=item.pages, study_id=item.study_id)
        task: dict[str, Any] = {"id": item.pk, "data": data}
        if item.decision:
            d = item.decision
            result = [_choice("decision", d.action)]
            result += [_textarea("value", d.value)] if d.action == "correct" else []
            result += [_textarea("comment", d.comment)] if d.comment else []
            task["annotations"] = [
                {"result": result, "completed_by": d.curator, "created_at": d.created_at.isoformat()}
            ]
        tasks.append(task)
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(json.dumps(tasks, indent=1, ensure_ascii=False), encoding="utf-8")
    dest.with_name(dest.stem + ".label-config.xml").write_text(LABEL_CONFIG, encoding="utf-8")
    return len(tasks)


def _choice(name: str, value: str) -> dict:
    return {"from_name": name, "to_name": "values", "type": "choices", "value": {"choices": [value]}}


def _textarea(name: str, text: str) -> dict:
    return {"from_name": name, "to_name": "values", "type": "textarea", "value": {"text": [text]}}


def import_label_studio(store: Store, src: Path, curator: str = "") -> int:
    """Decisions from a Label Studio export (JSON list of tasks with annotations); the latest annotation
    of a task wins. Tasks whose item is unknown or whose annotation has no decision are skipped."""
    try:
        tasks = json.loads(Path(src).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        raise StoreError(f"cannot read Label Studio export {src}: {e}") from e
    if not isinstance(tasks, list):
        raise StoreError(f"{src}: expected a JSON list of tasks")
    done = 0
    for task in tasks:
        item_id = (task.get("data") or {}).get("item_id") if isinstance(task, dict) else None
        anns = [a for a in task.get("annotations") or [] if not a.get("was_cancelled")] if item_id else []
        if not anns:
            continue
        ann = anns[-1]
        fields: dict[str, str] = {}
        for r in ann.get("result") or []:
            v = r.get("value") or {}
            got = (v.get("choices") or v.get("text") or [""])[0]
            fields[r.get("from_name", "")] = str(got)
        action = fields.get("decision", "")
        if action not in ACTIONS:
            continue
        who = curator or _who(ann.get("completed_by")) or "label-studio"
        value = fields.get("value", "")
        try:
            current = store.get(item_id).decision
        except StoreError:
            continue  # a task of another store or of a pruned run
        same = current and (current.action, current.curator) == (action, who)
        if same and (action != "correct" or current.value == value.strip()):
            continue  # importing the same export twice adds no history
        store.decide(item_id, action, who, value, fields.get("comment", ""))
        done += 1
    return done


def _who(completed_by: Any) -> str:
    if isinstance(completed_by, dict):
        return str(completed_by.get("email") or completed_by.get("id") or "")
    return str(completed_by or "")
