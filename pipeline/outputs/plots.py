"""Dot plots as hand-written SVG (no plotting dependency): one study's values of one metric, a row
for the text and a row for the tables on one shared axis, so a text value far from the table value
(46 against 82.8) stands apart at a glance. Every text in the SVG is XML-escaped."""

from __future__ import annotations

import math
from html import escape
from pathlib import Path

from pipeline.outputs.atomic import write_view
from pipeline.outputs.bystudy import Point, StudyGroup, slug

PLOTS_DIR = "report_files"

W, ROW, LEFT, RIGHT, TOP = 520, 34, 70, 20, 26
COLOURS = {"text": "#0550ae", "table": "#cf222e"}
OTHER = "#57606a"


def ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """Round tick values covering [lo, hi]."""
    if hi <= lo:
        hi = lo + 1
    raw = (hi - lo) / max(1, n - 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.floor(lo / step) * step
    out = [round(start, 10)]
    while out[-1] < hi - step * 1e-9 or len(out) < 2:  # the last tick at or beyond the largest value
        out.append(round(out[-1] + step, 10))
    return out


def _fmt(v: float) -> str:
    return f"{v:g}"


def dot_plot(title: str, unit: str, points: list[Point]) -> str:
    """The SVG text: rows by source (text, table, then any other), one dot per value, hover titles."""
    sources = sorted(
        {p.source for p in points},
        key=lambda s: (s not in COLOURS, list(COLOURS).index(s) if s in COLOURS else 0, s),
    )
    values = [p.value for p in points]
    lo, hi = min(values + [0.0]), max(values)
    if unit == "%":
        hi = max(hi, 100.0) if hi > 50 else hi
    grid = ticks(lo, hi)
    lo, hi = grid[0], grid[-1]
    height = TOP + ROW * len(sources) + 34

    def x(v: float) -> float:
        return LEFT + (W - LEFT - RIGHT) * (v - lo) / ((hi - lo) or 1)

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="dotplot" width="{W}" height="{height}" '
        f'viewBox="0 0 {W} {height}" role="img" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        f'<text x="4" y="16" font-family="sans-serif" font-size="13" font-weight="bold">{escape(title)}</text>',
    ]
    base = TOP + ROW * len(sources)
    for t in grid:
        out.append(f'<line x1="{x(t):.1f}" y1="{TOP}" x2="{x(t):.1f}" y2="{base}" stroke="#e3e3e3"/>')
        out.append(
            f'<text x="{x(t):.1f}" y="{base + 14}" font-family="sans-serif" font-size="11" '
            f'text-anchor="middle" fill="#555">{escape(_fmt(t))}</text>'
        )
    if unit:
        out.append(
            f'<text x="{W - RIGHT}" y="{base + 28}" font-family="sans-serif" font-size="11" '
            f'text-anchor="end" fill="#555">{escape(unit)}</text>'
        )
    for i, src in enumerate(sources):
        y = TOP + ROW * i + ROW / 2
        colour = COLOURS.get(src, OTHER)
        out.append(
            f'<text x="4" y="{y + 4:.1f}" font-family="sans-serif" font-size="12" fill="{colour}">'
            f"{escape(src or 'value')}</text>"
        )
        out.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{W - RIGHT}" y2="{y:.1f}" stroke="#d0d7de"/>')
        for p in sorted((p for p in points if p.source == src), key=lambda p: p.value):
            tip = f"{src} {_fmt(p.value)}{unit if unit == '%' else ''}" + (f" · {p.label}" if p.label else "")
            tip += f" · p. {p.page}" if p.page else ""
            out.append(
                f'<circle class="dot dot-{escape(src)}" cx="{x(p.value):.1f}" cy="{y:.1f}" r="5" '
                f'fill="{colour}" fill-opacity="0.75" stroke="#fff" data-value="{escape(_fmt(p.value))}">'
                f"<title>{escape(tip)}</title></circle>"
            )
    out.append("</svg>")
    return "\n".join(out)


def study_plots(groups: list[StudyGroup]) -> dict[tuple[str, str], tuple[str, str]]:
    """(group anchor, metric) -> (file name under report_files/, SVG) for every metric of a study
    with two values or more (one value has nothing to be compared with)."""
    out: dict[tuple[str, str], tuple[str, str]] = {}
    for g in groups:
        units = {str(o.get("metric", "")): str(o.get("unit") or "") for o in g.outcomes}
        for metric, points in g.points().items():
            if len(points) < 2:
                continue
            name = f"{slug(g.anchor.removeprefix('study-'))}--{slug(metric)}.svg"
            title = f"{g.label or g.study_id} · {metric}"
            out[(g.anchor, metric)] = (name, dot_plot(title, units.get(metric, ""), points))
    return out


def _same(path: Path, text: str) -> bool:
    try:
        return path.read_text(encoding="utf-8") == text
    except (OSError, ValueError):
        return False


def write_plots(
    out: Path, plots: dict[tuple[str, str], tuple[str, str]], fresh: bool = False
) -> dict[tuple[str, str], str]:
    """Write the SVGs beside the report; (anchor, metric) -> path relative to the report. `fresh`:
    `out` is a worker's new staging folder (`write_view`), where no earlier plot can be."""
    folder = out / PLOTS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    for name, svg in plots.values():
        if not fresh and _same(folder / name, svg):  # a cached document's plots, as the last run wrote them
            continue
        write_view(folder / name, svg, fresh)  # a view every run writes again: no fsync
    return {k: f"{PLOTS_DIR}/{name}" for k, (name, _) in plots.items()}
