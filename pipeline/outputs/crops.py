"""Page crops for the report: every evidence item of every finding that has a page gets a JPEG of the
band of its page around the value, the value's own characters outlined (found as the review app
finds them: pipeline.pages.locate), written under report_files/crops/ for report.md and report.html.
A document whose PDF is gone or changed since it was read gets no crops (the boxes would lie)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from pipeline.outputs.atomic import atomic_write
from pipeline.outputs.bystudy import evidence, slug
from pipeline.outputs.record import DocRecord

CROPS_DIR = "report_files/crops"
MAX_CROPS = 400  # per run: a report is read by a person; the review app shows the rest
BAND = 40.0  # points above and below the value
SCALE = 1.5

Crops = dict[str, dict[int, str]]  # finding_id -> evidence index -> path relative to the report


def _box(s: str) -> tuple[float, float, float, float] | None:
    try:
        x0, top, x1, bottom = (float(v) for v in str(s).split(","))
    except ValueError:
        return None
    return (x0, top, x1, bottom)


def _readable(rec: DocRecord) -> str:
    path = Path(str(rec.row.get("path") or ""))
    if not rec.ok or not path.is_file():
        return ""
    sha = str(rec.row.get("sha256") or "")
    if sha and hashlib.sha256(path.read_bytes()).hexdigest() != sha:
        return ""
    return str(path)


def _jpeg(img) -> bytes:  # img: PIL.Image.Image
    """JPEG: a fifth of the PNG's size and far quicker to encode; text stays legible at quality 80."""
    import io

    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=80)
    return buf.getvalue()


def write_crops(out: Path, records: list[DocRecord], limit: int = MAX_CROPS) -> Crops:
    from pipeline.pages.locate import Locator
    from pipeline.pages.render import Renderer, RenderError

    folder = out / CROPS_DIR
    made: Crops = {}
    names: set[str] = set()
    renderer, locator = Renderer(scale=SCALE, cache_size=1), Locator(cache_size=4)
    for rec in records:
        path = _readable(rec) if any(evidence(f) for f in rec.findings) else ""
        if not path:
            continue
        for f in rec.findings:
            fid = str(f.get("finding_id", ""))
            for i, e in enumerate(evidence(f)):
                page = int(e.get("page") or 0)
                if not page or len(names) >= limit or str(e.get("source", "")) not in ("text", "table"):
                    continue
                name = f"{slug(rec.doc_id)}-{slug(fid)}-{i}.jpg"
                if rec.row.get("cached") and (folder / name).is_file():
                    # a cached document's findings and PDF (checked by hash above) are those the crop
                    # was made from: rendering it again would cost a cached re-run most of its time
                    names.add(name)
                    made.setdefault(fid, {})[i] = f"{CROPS_DIR}/{name}"
                    continue
                try:
                    loc = locator.locate(path, page, str(e.get("value", "")), _box(str(e.get("bbox", ""))),
                                         str(e.get("snippet", "")), BAND)  # fmt: skip
                    tint = [loc.context] if loc.context and loc.exact else []
                    data = _jpeg(renderer.image(path, page, list(loc.boxes), None, loc.region, tint))
                except RenderError:
                    continue
                except Exception:  # noqa: BLE001 - a crop is a view: it must never cost the run its report
                    continue
                folder.mkdir(parents=True, exist_ok=True)
                atomic_write(folder / name, data)
                names.add(name)
                made.setdefault(fid, {})[i] = f"{CROPS_DIR}/{name}"
    return made
