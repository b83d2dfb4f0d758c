"""`trialex check --github`: the GitHub Actions conventions. Findings become workflow-command
annotations (`::error file=PDF,title=...::message`, `::warning ...`) on the PDF they come from, and
a Markdown summary per document and study, errors first, is appended to $GITHUB_STEP_SUMMARY.

Escaping follows GitHub's workflow-command rules: in a message `%`, CR and LF are percent-encoded;
in a property (file, title) also `:` and `,`."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TextIO

import pandas as pd

from pipeline.model import SEVERITIES

LEVEL = {"error": "error", "warning": "warning"}  # info findings are in the summary only
MAX_ANNOTATIONS = 100  # per level: GitHub shows few per step; the summary and findings.csv hold all
MAX_PER_DOCUMENT = 30  # findings listed per document in the summary
MAX_DOCUMENTS = 200  # documents detailed in the summary (the step summary is capped at 1 MiB)


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _md(text: Any) -> str:
    """A table cell or list item: one line, no HTML, no table breaks."""
    s = " ".join(str(text or "").split())
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|")


def relative(path: str, root: Path) -> str:
    """The path as GitHub wants it in `file=`: relative to the repository (the working folder)."""
    p = Path(path)
    if not p.is_absolute():
        return p.as_posix()
    try:
        return p.resolve().relative_to(root.resolve()).as_posix()
    except (ValueError, OSError):
        return p.as_posix()


def _documents(out_dir: Path) -> list[dict[str, Any]]:
    try:
        docs = json.loads((out_dir / "report.json").read_text(encoding="utf-8")).get("documents")
    except (OSError, ValueError, AttributeError):
        return []
    return [d for d in docs if isinstance(d, dict)] if isinstance(docs, list) else []


def _rank(severity: Any) -> int:
    s = str(severity).strip().lower()
    return SEVERITIES.index(s) if s in SEVERITIES else len(SEVERITIES)


def _study(row: pd.Series) -> str:
    label = " ".join(str(row.get(c) or "") for c in ("trial", "cohort")).strip()
    return label or str(row.get("study_id") or "") or "(no study)"


def annotations(findings: pd.DataFrame, docs: list[dict[str, Any]], root: Path) -> Iterable[str]:
    """Workflow commands: failed documents, then error and warning findings, each on its PDF."""
    paths = {str(d.get("doc_id")): relative(str(d.get("path") or ""), root) for d in docs}
    for d in docs:
        if d.get("status") != "ok":
            where = escape_property(paths.get(str(d.get("doc_id")), ""))
            why = f"{d.get('error', 'failed')}: {d.get('error_detail', '')}"
            yield f"::error file={where},title={escape_property('trialex: document failed')}::{escape_data(why)}"
    for level in LEVEL:
        rows = (
            findings[findings["severity"].astype(str).str.lower() == level] if "severity" in findings else []
        )
        for i, (_, f) in enumerate(rows.iterrows() if len(rows) else ()):
            if i == MAX_ANNOTATIONS:
                yield f"::notice::{len(rows) - i} more {level} findings: see the step summary and findings.csv"
                break
            where = escape_property(paths.get(str(f.get("doc_id")), str(f.get("doc_id", ""))))
            title = escape_property(f"trialex {f.get('check', '')}: {_study(f)}")
            yield f"::{LEVEL[level]} file={where},title={title}::{escape_data(str(f.get('message', '')))}"


def summary(findings: pd.DataFrame, docs: list[dict[str, Any]], verdict: str, root: Path) -> str:
    """Markdown for the step summary: the verdict, a table of documents (failed and most errors first),
    then per document its findings grouped by study, errors first."""
    if "severity" not in findings:
        findings = findings.assign(severity=pd.Series(dtype=str))
    sev = findings["severity"].astype(str).str.lower()
    by_doc = {str(k): g for k, g in findings.assign(_rank=sev.map(_rank)).groupby("doc_id", sort=False)}
    ids = [str(d.get("doc_id")) for d in docs] or list(by_doc)
    status = {str(d.get("doc_id")): d for d in docs}

    def counts(doc: str) -> list[int]:
        g = by_doc.get(doc)
        return [int((g["_rank"] == i).sum()) if g is not None else 0 for i in range(len(SEVERITIES))]

    def order(doc: str) -> tuple:
        failed = status.get(doc, {}).get("status", "ok") != "ok"
        return (not failed, *(-c for c in counts(doc)), doc)

    ids.sort(key=order)
    lines = [f"## trialex check: {verdict.split(':', 1)[0]}", "", _md(verdict), ""]
    lines += ["| Document | File | Status | " + " | ".join(s.capitalize() for s in SEVERITIES) + " |"]
    lines += ["|---|---|---|" + "---:|" * len(SEVERITIES)]
    for doc in ids:
        d = status.get(doc, {})
        state = "ok" if d.get("status", "ok") == "ok" else f"**failed**: {_md(d.get('error', ''))}"
        file = _md(relative(str(d.get("path") or ""), root))
        lines.append(f"| `{_md(doc)}` | {file} | {state} | " + " | ".join(map(str, counts(doc))) + " |")
    for doc in ids[:MAX_DOCUMENTS]:
        g = by_doc.get(doc)
        if g is None or g.empty:
            continue
        lines += ["", f"### {_md(doc)}", ""]
        g = g.assign(_study=g.apply(_study, axis=1))
        worst = g.groupby("_study")["_rank"].agg(["min", "size"])
        studies = sorted(worst.index, key=lambda s: (worst.loc[s, "min"], -worst.loc[s, "size"], s))
        listed = 0
        for study in studies:
            rows = g[g["_study"] == study].sort_values(["_rank", "check"], kind="stable")
            lines.append(f"**{_md(study)}**")
            for _, f in rows.iterrows():
                if listed == MAX_PER_DOCUMENT:
                    break
                lines.append(
                    f"- **{_md(f.get('severity'))}** `{_md(f.get('check'))}` {_md(f.get('message'))}"
                )
                listed += 1
            lines.append("")
            if listed == MAX_PER_DOCUMENT:
                lines.append(f"… {len(g) - listed} more findings of this document in findings.csv")
                break
    if len(ids) > MAX_DOCUMENTS:
        lines += ["", f"… {len(ids) - MAX_DOCUMENTS} more documents in findings.csv"]
    return "\n".join(lines) + "\n"


def report(out_dir: Path, findings: pd.DataFrame, verdict: str, stream: TextIO = sys.stdout) -> None:
    """Print the annotations and append the summary to $GITHUB_STEP_SUMMARY (when set)."""
    root, docs = Path.cwd(), _documents(out_dir)
    for line in annotations(findings, docs, root):
        print(line, file=stream)
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if not target:
        print("note: GITHUB_STEP_SUMMARY is not set: no step summary written", file=sys.stderr)
        return
    with open(target, "a", encoding="utf-8") as f:
        f.write(summary(findings, docs, verdict, root))
