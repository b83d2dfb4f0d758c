"""Page images for the review app and the report's crops: a PDF page (or a band of it) rendered with
pypdfium2, the value's box highlighted. pdfium is not thread-safe, so one lock guards every render
of a `Renderer`."""

from __future__ import annotations

import contextlib
import hashlib
import io
import math
import threading
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

Box = tuple[float, float, float, float]  # x0, top, x1, bottom in PDF points, origin top-left


class RenderError(Exception):
    """The page cannot be shown (file gone, changed since the run, encrypted, page out of range)."""


@contextlib.contextmanager
def pdfium_document(path: str) -> Iterator[Any]:
    """A PDF opened with pypdfium2, closed on exit; a file that cannot be opened is a `RenderError`."""
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(path)
    except (pdfium.PdfiumError, OSError) as e:
        raise RenderError(f"cannot open {Path(path).name}: {e}") from e
    with contextlib.closing(pdf):
        yield pdf


@contextlib.contextmanager
def load_page(pdf: Any, page: int) -> Iterator[Any]:
    """Page `page` (1-based) of an open document, closed on exit; out of range is a `RenderError`."""
    if not 1 <= page <= len(pdf):
        raise RenderError(f"page {page} out of range 1-{len(pdf)}")
    with contextlib.closing(pdf[page - 1]) as pg:
        yield pg


@contextlib.contextmanager
def pdfium_page(path: str, page: int) -> Iterator[Any]:
    """Page `page` (1-based) of a PDF opened with pypdfium2; the page and its document are closed on
    exit. A file that cannot be opened or a page out of range is a `RenderError`."""
    with pdfium_document(path) as pdf, load_page(pdf, page) as pg:
        yield pg


def page_image(pg: Any, scale: float):  # -> PIL.Image.Image
    """A loaded page rendered whole at `scale`, as RGBX: pdfium writes the bytes in RGB order with an
    unused fourth byte, the layout PIL keeps an RGB image in, so the image shares pdfium's buffer (a
    three-byte render would be copied into that layout, a pass over the page's pixels for nothing).
    The colours are those of the three-byte render, pixel for pixel; JPEG takes RGBX as RGB (the
    same bytes, sooner). Only the whole page: pdfium clips what it draws to the bitmap, and a band rendered on
    its own differs from the same band of the page by a few pixels' anti-aliasing (a shape cut by
    the band's edge), so a crop is always cut from a whole-page render."""
    img = pg.render(scale=scale, rev_byteorder=True, prefer_bgrx=True).to_pil()
    return img if img.mode in ("RGB", "RGBX") else img.convert("RGB")


def draw(
    page: Any,
    scale: float,
    boxes: list[Box],
    band: float | None = None,
    region: Box | None = None,
    tint: list[Box] | None = None,
):  # -> PIL.Image.Image
    """The crop of a page image (`page_image`) with `boxes` outlined and tinted and `tint` boxes
    tinted only; with `region` (points), only that part of the page; with `band`, only the strip
    from `band` points above the first box to `band` points below the last."""
    from PIL import Image, ImageDraw

    tint = tint or []
    img, s = page, scale
    if region is not None:  # crop first: drawing on the band costs less than on the page
        x0, top, x1, bottom = region
        crop = (
            int(x0 * s),
            int(top * s),
            min(img.width, round(x1 * s)),
            min(img.height, round(bottom * s)),
        )
    elif boxes and band is not None:
        top = max(0.0, min(b[1] for b in boxes) - band) * s
        bottom = min(img.height, (max(b[3] for b in boxes) + band) * s)
        crop = (0, int(top), img.width, int(bottom))
    else:
        crop = (0, 0, img.width, img.height)
    img = img.crop(crop)  # in the page's mode: RGBX from `page_image` (JPEG takes it as RGB)
    ox, oy = crop[0], crop[1]

    def px(b: Box, pad: float) -> list[float]:
        return [b[0] * s - pad - ox, b[1] * s - pad - oy, b[2] * s + pad - ox, b[3] * s + pad - oy]

    filled = [px(b, 3) for b in [*tint, *boxes]]
    if filled:
        overlay = img.copy()
        pen = ImageDraw.Draw(overlay)
        for r in filled:
            pen.rectangle(r, fill=(255, 221, 0))
        # Blending the crop with its overlay leaves every pixel outside the filled boxes as it was
        # (a + 0.35 * (a - a)): only the part of the crop that holds them is blended.
        part = _bounds(filled, img.width, img.height)
        if part is not None:
            img.paste(Image.blend(img.crop(part), overlay.crop(part), 0.35), part[:2])
    pen = ImageDraw.Draw(img)
    for b in boxes:
        pen.rectangle(px(b, 4), outline=(220, 20, 60), width=3)
    return img


def _bounds(rects: list[list[float]], width: int, height: int) -> tuple[int, int, int, int] | None:
    """The pixels (left, top, right, bottom, the last two excluded) that rectangles drawn at these
    coordinates may touch (PIL takes a coordinate's integer part), within the image; None if none."""
    x0 = max(0, math.floor(min(r[0] for r in rects)) - 1)
    y0 = max(0, math.floor(min(r[1] for r in rects)) - 1)
    x1 = min(width, math.ceil(max(r[2] for r in rects)) + 2)
    y1 = min(height, math.ceil(max(r[3] for r in rects)) + 2)
    return (x0, y0, x1, y1) if x0 < x1 and y0 < y1 else None


class Renderer:
    def __init__(self, scale: float = 2.0, cache_size: int = 64) -> None:
        self.scale = scale
        self._lock = threading.Lock()
        self._cache: OrderedDict[tuple, bytes] = OrderedDict()
        self._cache_size = cache_size
        self._verified: dict[tuple[str, float], str] = {}
        self._pages: dict[tuple, object] = {}  # rendered pages, oldest first (used under the lock)

    def png(
        self,
        path: str,
        page: int,
        boxes: list[Box] | None = None,
        band: float | None = None,
        region: Box | None = None,
        tint: list[Box] | None = None,
    ) -> bytes:
        """The page as PNG with `boxes` outlined and tinted and `tint` boxes tinted only; with
        `region` (points), only that part of the page; with `band`, only the strip from `band` points
        above the first box to `band` points below the last (the crop a curator needs)."""
        key = (path, page, tuple(boxes or ()), band, region, tuple(tint or ()))
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
            data = self._render(path, page, boxes or [], band, region, tint or [])
            self._cache[key] = data
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
            return data

    def verify(self, path: str, sha256: str) -> None:
        """Refuse a PDF that changed since the run: its boxes would point at the wrong place."""
        p = Path(path)
        if not p.is_file():
            raise RenderError(f"PDF not found: {p.name}")
        if not sha256:
            return
        key = (str(p), p.stat().st_mtime)
        if key not in self._verified:
            self._verified[key] = hashlib.sha256(p.read_bytes()).hexdigest()
        if self._verified[key] != sha256:
            raise RenderError(f"{p.name} changed since the run (sha256 differs)")

    def _page_image(self, path: str, page: int):  # -> PIL.Image.Image
        """The whole page rendered at `scale`, the last few kept (a report crops many values of one page)."""
        key = ("page", path, page)
        hit = self._pages.get(key)
        if hit is not None:
            return hit
        with pdfium_page(path, page) as pg:
            img = page_image(pg, self.scale)
        self._pages[key] = img
        while len(self._pages) > 4:
            self._pages.pop(next(iter(self._pages)))
        return img

    def _render(
        self, path: str, page: int, boxes: list[Box], band: float | None, region: Box | None, tint: list[Box]
    ) -> bytes:
        buf = io.BytesIO()
        self.image(path, page, boxes, band, region, tint).save(buf, format="PNG", optimize=False)
        return buf.getvalue()

    def image(
        self,
        path: str,
        page: int,
        boxes: list[Box],
        band: float | None = None,
        region: Box | None = None,
        tint: list[Box] | None = None,
    ):  # -> PIL.Image.Image
        """The crop as an image (`png` encodes it); call it from one thread (or under `png`'s lock)."""
        img = draw(self._page_image(path, page), self.scale, boxes, band, region, tint)
        return img if img.mode == "RGB" else img.convert("RGB")  # PNG has no RGBX
