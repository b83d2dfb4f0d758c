"""Small PDFs for tests, built with reportlab: text runs at coordinates, lines, rectangles, pages.

Coordinates are in points with the origin at the TOP-left, like pdfplumber's `top`; a text run's `y`
is its baseline. `words(...)` places each word as its own run with no space characters between
them, as pdfTeX does, so word boundaries exist only as gaps.

    pdf = PdfSpec()
    pdf.text(72, 100, "Hello world", size=12, font="Times-Bold")
    pdf.words(72, 120, "no space characters here", size=10, gap=0.2)
    pdf.line(72, 130, 520, 130); pdf.rect(72, 140, 300, 200, fill=True)
    pdf.new_page()
    path = pdf.save(tmp_path / "x.pdf", password=None)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from reportlab.lib.pdfencrypt import StandardEncryption
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

A4 = (595.0, 842.0)
DEJAVU = Path("/usr/share/fonts/truetype/dejavu")


def unicode_font(bold: bool = False) -> str | None:
    """Register DejaVu Sans (Greek letters, ligature glyphs) with reportlab; None when not installed."""
    name = "DejaVuSans-Bold" if bold else "DejaVuSans"
    path = DEJAVU / f"{name}.ttf"
    if not path.is_file():
        return None
    if name not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(name, str(path)))
    return name


@dataclass
class _Op:
    kind: str
    args: tuple
    opts: dict = field(default_factory=dict)


@dataclass
class PdfSpec:
    width: float = A4[0]
    height: float = A4[1]
    pages: list[list[_Op]] = field(default_factory=lambda: [[]])

    def new_page(self) -> PdfSpec:
        self.pages.append([])
        return self

    def text(self, x: float, y: float, s: str, size: float = 10, font: str = "Times-Roman") -> float:
        """One run (spaces written as space characters); returns the x where it ends."""
        self.pages[-1].append(_Op("text", (x, y, s), {"size": size, "font": font}))
        return x + stringWidth(s, font, size)

    def words(
        self, x: float, y: float, s: str, size: float = 10, font: str = "Times-Roman", gap: float = 0.25
    ) -> float:
        """Each word its own run, `gap` em apart, no space characters; returns the end x."""
        for i, w in enumerate(s.split()):
            if i:
                x += gap * size
            x = self.text(x, y, w, size, font)
        return x

    def line(self, x0: float, y0: float, x1: float, y1: float, width: float = 0.5) -> None:
        self.pages[-1].append(_Op("line", (x0, y0, x1, y1), {"width": width}))

    def rect(self, x0: float, top: float, x1: float, bottom: float, fill: bool = False) -> None:
        self.pages[-1].append(_Op("rect", (x0, top, x1, bottom), {"fill": fill}))

    def save(self, path: Path, password: str | None = None) -> Path:
        enc = StandardEncryption(password, ownerPassword=password + "-owner") if password else None
        c = canvas.Canvas(str(path), pagesize=(self.width, self.height), encrypt=enc)
        c.setTitle(path.stem)
        for ops in self.pages:
            for op in ops:
                self._draw(c, op)
            c.showPage()
        c.save()
        return path

    def _draw(self, c: canvas.Canvas, op: _Op) -> None:
        h = self.height
        if op.kind == "text":
            x, y, s = op.args
            c.setFont(op.opts["font"], op.opts["size"])
            c.drawString(x, h - y, s)
        elif op.kind == "line":
            x0, y0, x1, y1 = op.args
            c.setLineWidth(op.opts["width"])
            c.line(x0, h - y0, x1, h - y1)
        elif op.kind == "rect":
            x0, top, x1, bottom = op.args
            if op.opts["fill"]:
                c.setFillGray(0.85)
            c.rect(
                x0,
                h - bottom,
                x1 - x0,
                bottom - top,
                stroke=0 if op.opts["fill"] else 1,
                fill=int(op.opts["fill"]),
            )
            c.setFillGray(0)


def paragraph(
    spec: PdfSpec,
    x: float,
    y: float,
    lines: list[str],
    size: float = 10,
    leading: float = 1.25,
    font: str = "Times-Roman",
    gap: float | None = None,
    width: float | None = None,
    justify_last: bool = False,
) -> float:
    """Lines of text one under the other (as words without spaces when `gap` is set); with `width`,
    every line but the last (all with `justify_last`: the text goes on elsewhere) is justified to
    that width (words spread, no space characters), as in typeset articles. Returns the baseline below the last line."""
    for i, ln in enumerate(lines):
        words = ln.split()
        if width is not None and (justify_last or i < len(lines) - 1) and len(words) > 1:
            ink = sum(stringWidth(w, font, size) for w in words)
            spec.words(x, y, ln, size, font, (width - ink) / (len(words) - 1) / size)
        elif gap is None:
            spec.text(x, y, ln, size, font)
        else:
            spec.words(x, y, ln, size, font, gap)
        y += size * leading
    return y
