"""Page crops for the report: every evidence item of every finding that has a page gets a JPEG of the
band of its page around the value, the value's own characters outlined (found as the review app
finds them: pipeline.pages.locate), written under report_files/crops/ for report.md and report.html.
A document whose PDF is gone or changed since it was read gets no crops (the boxes would lie)."""

from __future__ import annotations

import contextlib
import hashlib
from dataclasses import dataclass
from pathlib import Path

from pipeline.outputs.atomic import write_view
from pipeline.outputs.bystudy import evidence, slug
from pipeline.outputs.record import DocRecord

CROPS_DIR = "report_files/crops"
MAX_CROPS = 400  # per run: a report is read by a person; the review app shows the rest
SHARE_MIN = 100  # crops a document shows at least, when the run's budget reaches it
BAND = 40.0  # points above and below the value
SCALE = 1.5

Crops = dict[str, dict[int, str]]  # finding_id -> evidence index -> path relative to the report


def share(index: int, total: int, budget: int | None = None) -> int:
    """The crops the document at `index` of a run's `total` (in input order) may show: the run's
    budget split evenly, but no share under SHARE_MIN (drawing a page's crops costs mostly the page,
    so a few crops on each of many documents cost far more than many on a few): the first documents
    take the budget. Fixed by the input order, so a report is the same whichever document finishes
    first and however many workers run."""
    budget = MAX_CROPS if budget is None else budget
    if total <= 0:
        return budget
    each = max(budget // total, min(SHARE_MIN, budget))
    shares = budget // each  # documents with a share
    spare = budget - each * min(shares, total)
    return each + (index < spare) if index < shares else 0


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


@dataclass(frozen=True)
class _Item:
    fid: str
    index: int
    page: int
    name: str
    evidence: dict


def _items(rec: DocRecord) -> list[_Item]:
    """The evidence items of a document that get a crop, in report order."""
    out = []
    for f in rec.findings:
        fid = str(f.get("finding_id", ""))
        for i, e in enumerate(evidence(f)):
            page = int(e.get("page") or 0)
            if page and str(e.get("source", "")) in ("text", "table"):
                out.append(_Item(fid, i, page, f"{slug(rec.doc_id)}-{slug(fid)}-{i}.jpg", e))
    return out


def write_crops(out: Path, records: list[DocRecord], limit: int = MAX_CROPS, fresh: bool = False) -> Crops:
    """The crops of the first `limit` evidence items (in report order) that can be drawn. They are
    drawn in page order, so that each page is read and rendered once, not once per value on it.
    `fresh`: `out` is a worker's new staging folder (`write_view`)."""
    folder = out / CROPS_DIR
    made: Crops = {}
    names: set[str] = set()
    for rec in records:
        # past the budget nothing is drawn: the PDF is not read (hashed) either
        drawable = len(names) < limit and any(evidence(f) for f in rec.findings)
        path = _readable(rec) if drawable else ""
        items = _items(rec) if path else []
        if items and fresh:
            folder.mkdir(parents=True, exist_ok=True)
        start = 0
        with _Drawer(path) as drawer:
            while start < len(items) and len(names) < limit:
                batch = items[start : start + limit - len(names)]
                start += len(batch)
                drawn = {}
                for item in sorted(batch, key=lambda it: it.page):  # stable: report order within a page
                    if rec.row.get("cached") and (folder / item.name).is_file():
                        # a cached document's findings and PDF (checked by hash above) are those the crop
                        # was made from: rendering it again would cost a cached re-run most of its time
                        drawn[item.name] = True
                        continue
                    data = drawer.jpeg(item.page, item.evidence)
                    if data is not None:
                        write_view(folder / item.name, data, fresh)  # a view the next run makes again
                        drawn[item.name] = True
                for item in batch:  # the budget and the report follow report order
                    if item.name in drawn:
                        names.add(item.name)
                        made.setdefault(item.fid, {})[item.index] = f"{CROPS_DIR}/{item.name}"
    return made


def first_crops(drawn: Crops, limit: int) -> Crops:
    """The first `limit` of crops drawn in report order (what `write_crops` with that limit shows)."""
    out: Crops = {}
    for fid, by_item in drawn.items():
        for index, path in by_item.items():
            if limit <= 0:
                return out
            out.setdefault(fid, {})[index] = path
            limit -= 1
    return out


class _Drawer:
    """Locates values on the pages of one document and draws the band around each: the document is
    opened once, and each page loaded once for both its characters and its image (values come in
    page order), so the page's content is parsed once, not once per value or per reader."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._stack = contextlib.ExitStack()
        self._pdf = None
        self._page: tuple[int, object] = (0, None)  # the last page: (number, (PageIndex, image) or error)

    def __enter__(self) -> _Drawer:
        return self

    def __exit__(self, *exc: object) -> None:
        self._page = (0, None)
        self._stack.close()

    def _load(self, page: int):  # -> tuple[PageIndex, PIL.Image.Image]
        from pipeline.pages.locate import PageIndex, read_chars
        from pipeline.pages.render import load_page, page_image, pdfium_document

        if self._pdf is None:
            self._pdf = self._stack.enter_context(pdfium_document(self.path))
        with load_page(self._pdf, page) as pg:
            return PageIndex(read_chars(pg)), page_image(pg, SCALE)

    def _page_of(self, page: int):  # -> tuple[PageIndex, PIL.Image.Image]
        if self._page[0] != page:
            try:
                got: object = self._load(page)
            except Exception as e:  # noqa: BLE001 - raised again for each value of the page
                got = e
            self._page = (page, got)
        got = self._page[1]
        if isinstance(got, Exception):
            raise got
        return got

    def jpeg(self, page: int, e: dict) -> bytes | None:
        """The crop as JPEG, or None when the page cannot be drawn."""
        from pipeline.pages.locate import locate_on
        from pipeline.pages.render import draw

        try:
            ix, img = self._page_of(page)
            loc = locate_on(ix, page, str(e.get("value", "")), _box(str(e.get("bbox", ""))),
                            str(e.get("snippet", "")), BAND)  # fmt: skip
            tint = [loc.context] if loc.context and loc.exact else []
            return _jpeg(draw(img, SCALE, list(loc.boxes), None, loc.region, tint))
        except Exception:  # noqa: BLE001 - a crop is a view: it must never cost the run its report
            return None  # (RenderError included: the file went or the page is out of range)
