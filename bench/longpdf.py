"""A generated long paper for the memory bench: two columns of running text and one ruled results
table per page (invented trial names and numbers), written with reportlab into a folder the caller
owns (a temporary directory: nothing is kept in the repository)."""

from __future__ import annotations

from pathlib import Path

_TEXT = (
    "patients received the study drug within the dose escalation phase and the overall response "
    "rate was assessed by independent review after the planned follow-up of the cohort while "
    "adverse events of grade three or higher were recorded in every treatment arm of the trial"
)
_WORDS = _TEXT.split(" ")
_HEAD = ["Study", "N", "ORR %", "CR %", "PFS mo"]


def _line(page: int, i: int, n: int = 11) -> str:
    k = (page * 7 + i * 3) % len(_WORDS)
    words = (_WORDS[k:] + _WORDS[:k])[:n]
    return f"{' '.join(words)} {page}.{i}"


def long_pdf(folder: Path, pages: int = 300) -> Path:
    """`pages` A4 pages, each a heading, two columns of 30 lines and a 7 x 5 ruled table."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    path = folder / f"long-{pages}p.pdf"
    c = canvas.Canvas(str(path), pagesize=A4)
    width, height = A4
    for p in range(1, pages + 1):
        c.setFont("Helvetica-Bold", 11)
        c.drawString(50, height - 50, f"Section {p}: results of the QUILLON-{p % 40 + 1} cohort")
        c.setFont("Times-Roman", 9)
        for col, x in enumerate((50, 310)):
            for i in range(30):
                c.drawString(x, height - 75 - i * 11.5, _line(p, i + 30 * col, 8))
        top = height - 440
        c.setFont("Helvetica", 8)
        xs = [50, 170, 250, 330, 410, 490]
        for r in range(8):
            y = top - r * 16
            c.line(xs[0], y, xs[-1], y)
            if r == 7:
                break
            cells = _HEAD if r == 0 else [f"ZELVA-{p}{r}", str(40 + p % 50 + r), f"{30 + r}.{p % 10}",
                                          f"{10 + r}.{(p + r) % 10}", f"{5 + r}.{p % 7}"]  # fmt: skip
            for x, t in zip(xs, cells, strict=False):
                c.drawString(x + 4, y - 11, t)
        for x in xs:
            c.line(x, top, x, top - 7 * 16)
        c.setFont("Times-Roman", 9)
        for i in range(20):
            c.drawString(50, top - 140 - i * 11.5, _line(p, i + 60, 16))
        c.showPage()
    c.save()
    return path
