"""Text forms of extracted tables for `trialex tables`: Markdown, long CSV (one line per cell, with
page and bbox), JSON."""

from __future__ import annotations

import csv
import io
import json

from pipeline.model import Table


def render(tables: list[Table], fmt: str) -> str:
    if fmt == "json":
        return json.dumps([_as_dict(t) for t in tables], indent=2, ensure_ascii=False)
    if fmt == "csv":
        buf = io.StringIO()
        out = csv.writer(buf, lineterminator="\n")
        out.writerow(["table_id", "row", "col", "header", "page", "bbox", "text", "refs"])
        for t in tables:
            for c in sorted(t.cells, key=lambda c: (c.row, c.col)):
                page = c.box.page if c.box else ""
                out.writerow(
                    [
                        t.table_id,
                        c.row,
                        c.col,
                        int(c.row < t.header_rows),
                        page,
                        c.box or "",
                        c.text,
                        ",".join(c.refs),
                    ]
                )
        return buf.getvalue()
    return "\n\n".join(_markdown(t) for t in tables) if tables else "(no tables found)"


def _markdown(t: Table) -> str:
    title = f"### {t.table_id} (page{'s' if len(t.pages) > 1 else ''} {', '.join(map(str, t.pages))})"
    lines = [title]
    if t.caption:
        lines.append(t.caption)
    lines.append("")
    grid = [[_md(x) for x in row] for row in t.grid()]
    head = [_md(x) for x in t.header()] if t.header_rows else [""] * t.n_cols
    lines.append("| " + " | ".join(head) + " |")
    lines.append("|" + "---|" * t.n_cols)
    for row in grid[t.header_rows :]:
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def _md(s: str) -> str:
    return s.replace("|", "\\|").replace("\n", " ")


def _as_dict(t: Table) -> dict:
    return {
        "table_id": t.table_id,
        "caption": t.caption,
        "pages": t.pages,
        "n_rows": t.n_rows,
        "n_cols": t.n_cols,
        "header_rows": t.header_rows,
        "ruled": t.ruled,
        "boxes": [{"page": b.page, "bbox": str(b)} for b in t.boxes],
        "header": t.header(),
        # A spanning cell appears once, at its top-left position, with its spans; the positions it
        # covers are left out (Table.grid() still repeats a group header over its columns).
        "cells": [
            {
                "row": c.row,
                "col": c.col,
                "rowspan": c.rowspan,
                "colspan": c.colspan,
                "text": c.text,
                "refs": c.refs,
                "page": c.box.page if c.box else None,
                "bbox": str(c.box) if c.box else None,
            }
            for c in t.cells
            if c.spanned_from is None
        ],
    }
