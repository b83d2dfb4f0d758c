"""Page images for the review app: a PDF page (or a band of it) rendered with pypdfium2, the value's
box highlighted. pdfium is not thread-safe, so one lock guards every render of a `Renderer`."""

from __future__ import annotations

import hashlib
import io
import threading
from collections import OrderedDict
from pathlib import Path

Box = tuple[float, float, float, float]  # x0, top, x1, bottom in PDF points, origin top-left


class RenderError(Exception):
    """The page cannot be shown (file gone, changed since the run, encrypted, page out of range)."""


class Renderer:
    def __init__(self, scale: float = 2.0, cache_size: int = 64) -> None:
        self.scale = scale
        self._lock = threading.Lock()
        self._cache: OrderedDict[tuple, bytes] = OrderedDict()
        self._cache_size = cache_size
        self._verified: dict[tuple[str, float], str] = {}

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

    def _render(
        self, path: str, page: int, boxes: list[Box], band: float | None, region: Box | None, tint: list[Box]
    ) -> bytes:
        import pypdfium2 as pdfium
        from PIL import ImageDraw

        try:
            pdf = pdfium.PdfDocument(path)
        except (pdfium.PdfiumError, OSError) as e:
            raise RenderError(f"cannot open {Path(path).name}: {e}") from e
        try:
            if not 1 <= page <= len(pdf):
                raise RenderError(f"page {page} out of range 1-{len(pdf)}")
            pg = pdf[page - 1]
            img = pg.render(scale=self.scale).to_pil().convert("RGB")
            pg.close()
        finally:
            pdf.close()
        s = self.scale
        overlay = img.copy()
        draw = ImageDraw.Draw(overlay)
        for x0, top, x1, bottom in [*tint, *boxes]:
            draw.rectangle([x0 * s - 3, top * s - 3, x1 * s + 3, bottom * s + 3], fill=(255, 221, 0))
        from PIL import Image

        img = Image.blend(img, overlay, 0.35)
        draw = ImageDraw.Draw(img)
        for x0, top, x1, bottom in boxes:
            draw.rectangle(
                [x0 * s - 4, top * s - 4, x1 * s + 4, bottom * s + 4], outline=(220, 20, 60), width=3
            )
        if region is not None:
            x0, top, x1, bottom = region
            img = img.crop(
                (int(x0 * s), int(top * s), min(img.width, round(x1 * s)), min(img.height, round(bottom * s)))
            )
        elif boxes and band is not None:
            top = max(0.0, min(b[1] for b in boxes) - band) * s
            bottom = min(img.height, (max(b[3] for b in boxes) + band) * s)
            img = img.crop((0, int(top), img.width, int(bottom)))
        buf = io.BytesIO()
        img.save(buf, format="PNG", optimize=False)
        return buf.getvalue()
