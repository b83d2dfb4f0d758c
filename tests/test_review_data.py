"""A small hand-written run for the review tests: a two-page PDF (reportlab) with known text and
known boxes, and findings/outcomes/report files pointing into it. Also a real-server helper."""

from __future__ import annotations

import csv
import hashlib
import json
import socket
import threading
import time
from pathlib import Path

from pipeline.outputs.columns import FINDINGS, OUTCOMES

FINDING_COLS = [*FINDINGS, "snippets", "bboxes", "product"]  # schema columns, then the added ones
XSS = "<script>window.__pwned=1</script>"
H = 792.0  # letter page height


def _draw(c, x: float, y_top: float, text: str, size: float = 12) -> str:
    """Draw text whose box top is `y_top` (top-left origin); return the box as `x0,top,x1,bottom`."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    c.setFont("Helvetica", size)
    c.drawString(x, H - y_top - size * 0.8, text)
    return f"{x:.1f},{y_top:.1f},{x + stringWidth(text, 'Helvetica', size):.1f},{y_top + size:.1f}"


def make_pdf(path: Path) -> dict[str, str]:
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path), pagesize=(612, H))
    boxes = {}
    _draw(c, 72, 72, "Trial A enrolled a total of 140 patients.")
    boxes["n_text"] = _draw(c, 72, 100, "140")
    boxes["cr_text"] = _draw(c, 72, 300, "The ORR was 83% (46% of CR). " + XSS)
    c.showPage()
    _draw(c, 72, 72, "Table 1. Trials")
    boxes["n_table"] = _draw(c, 72, 400, "n=128")
    boxes["cr_table"] = _draw(c, 300, 400, "CR: 82.8%")
    c.showPage()
    c.save()
    return boxes


def finding(**kw: str) -> dict[str, str]:
    row = dict.fromkeys(FINDING_COLS, "")
    row.update(doc_id="paper", status="open", product="prod-a", study_id="trial-a", trial="TRIAL-A")
    row.update(kw)
    return row


def outcome(**kw: str) -> dict[str, str]:
    row = dict.fromkeys(OUTCOMES, "")
    row.update(
        doc_id="paper", study_id="trial-a", trial="TRIAL-A", product="prod-a", unit="%", confidence="0.9"
    )
    row.update(kw)
    return row


def write_csv(path: Path, rows: list[dict[str, str]], cols: list[str]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=cols)
        w.writeheader()
        w.writerows(rows)


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def make_run(root: Path) -> Path:
    """root/paper.pdf and root/out/ with 3 findings, 6 outcomes (one below the confidence threshold)."""
    root.mkdir(parents=True, exist_ok=True)
    pdf = root / "paper.pdf"
    b = make_pdf(pdf)
    out = root / "out"
    out.mkdir()
    findings = [
        finding(
            finding_id="f-cr",
            check="text_table_mismatch",
            severity="error",
            metric="CR",
            values="text:46 | table:82.8",
            sources="text | table",
            pages="1 | 2",
            message="CR 46 in the text, 82.8 in Table 1",
            snippets=f"The ORR was 83% (46% of CR). {XSS} | CR: 82.8%",
            bboxes=f"p1:{b['cr_text']} | p2:{b['cr_table']}",
        ),
        finding(
            finding_id="f-n",
            check="n_mismatch",
            severity="warning",
            metric="N",
            values="text:140 | table:128",
            sources="text | table",
            pages="1 | 2",
            message="n 140 in the text, 128 in Table 1",
            snippets="enrolled a total of 140 | n=128",
            bboxes=f"p1:{b['n_text']} | p2:{b['n_table']}",
        ),
        finding(
            finding_id="f-name",
            check="name_variant",
            severity="info",
            values="text:Prod-A",
            sources="text",
            pages="1",
            message="printed name Prod-A normalised to prod-a",
        ),
    ]
    write_csv(out / "findings.csv", findings, FINDING_COLS)
    outcomes = [
        outcome(metric="CR", value="46", source="text", page="1", bbox=b["cr_text"], snippet="46% of CR", n="140"),
        outcome(metric="CR", value="82.8", source="table", table_id="Table 1", page="2", bbox=b["cr_table"], n="128"),
        outcome(metric="N", value="140", unit="patients", source="text", page="1", bbox=b["n_text"], n="140"),
        outcome(metric="N", value="128", unit="patients", source="table", table_id="Table 1", page="2", bbox=b["n_table"], n="128"),
        outcome(metric="ORR", value="83", source="text", page="1", bbox=b["cr_text"], confidence="0.4", snippet="ORR was 83%"),
        outcome(study_id="trial-b", trial="TRIAL-B", metric="ORR", value="70", source="table", page="2", table_id="Table 1"),
    ]  # fmt: skip
    write_csv(out / "outcomes.csv", outcomes, OUTCOMES)
    studies = [
        {"doc_id": "paper", "study_id": "trial-a", "trial": "TRIAL-A", "product": "prod-a", "target": "BCMA",
         "nct_id": "NCT01234567", "phase": "II", "n": "128", "sources": "table+text", "n_table": "128", "n_text": "140"},
        {"doc_id": "paper", "study_id": "trial-b", "trial": "TRIAL-B", "product": "prod-b", "target": "CD19",
         "nct_id": "NCT0123", "phase": "I", "n": "20", "sources": "table", "n_table": "20", "n_text": ""},
    ]  # fmt: skip
    write_csv(out / "studies.csv", studies, list(studies[0]))
    sha = hashlib.sha256(pdf.read_bytes()).hexdigest()
    doc = {"doc_id": "paper", "path": str(pdf), "sha256": sha, "pages": 2, "status": "ok"}
    (out / "report.json").write_text(json.dumps({"documents": [doc]}), encoding="utf-8")
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """uvicorn on 127.0.0.1 and a free port, in a thread; a context manager."""

    def __init__(self, app) -> None:  # type: ignore[no-untyped-def]
        import uvicorn

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Server:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("review server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)
