"""The print PDF in, the web e-paper's page images (screen, 2×, thumbnail), per-page PDFs and resized photos out."""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from ..errors import EpaperError
from ..model import Photo
from .epub_images import pack_image

SCREEN_WIDTH = 1000  # px: the page image at 1× (a desktop column); the 2× variant is twice as wide
THUMB_WIDTH = 480  # px: 版面导航 and the archive show it at 240 CSS px or less, so it is sharp at 2×
PHOTO_WIDTHS = (800, 1600)  # px: long side of the article page's photo variants


@dataclass(frozen=True)
class Raster:
    """One image file of a page: its path relative to the issue folder and its pixel size."""

    href: str
    width: int
    height: int


@dataclass(frozen=True)
class PageImages:
    """A page's rasters and the mapping from the trim's points to the screen image's pixels."""

    screen: Raster
    hidpi: Raster
    thumb: Raster
    trim_w: float  # pt
    trim_h: float  # pt

    @property
    def sx(self) -> float:
        """Screen-image pixels per point, horizontally."""
        return self.screen.width / self.trim_w

    @property
    def sy(self) -> float:
        return self.screen.height / self.trim_h


def _encode_webp(im: Image.Image, target: Path, *, lossless: bool) -> None:
    # Lossless WebP keeps the type crisp and is smaller than PNG or JPEG at the same sharpness; the thumbnail
    # is downscaled so far that lossy compression costs nothing visible.
    options = {"lossless": True, "method": 4} if lossless else {"quality": 82, "method": 4}
    buf = io.BytesIO()
    im.save(buf, "WEBP", **options)
    target.write_bytes(buf.getvalue())


def rasterise(pdf: Path | bytes, dest: Path, stems: list[str], *, width: int = SCREEN_WIDTH,
              thumb_width: int = THUMB_WIDTH) -> list[PageImages]:
    """Render every page's trim box (bleed and crop marks cut off) with PDFium at 1× and 2×, plus a thumbnail.

    Files are `dest/<stem>.webp`, `<stem>@2x.webp` and `<stem>-thumb.webp`; hrefs are relative to dest's parent.
    """
    import pypdfium2 as pdfium

    dest.mkdir(parents=True, exist_ok=True)
    doc = pdfium.PdfDocument(pdf)
    jobs: list[tuple[Image.Image, Path, bool]] = []
    out: list[PageImages] = []
    try:
        if len(doc) != len(stems):
            raise EpaperError(f"the PDF has {len(doc)} pages but the issue has {len(stems)}")
        for index, stem in enumerate(stems):
            page = doc[index]
            cl, cb, cr, ct = page.get_cropbox()
            tl, tb, tr, tt = page.get_trimbox()
            crop = (max(0.0, tl - cl), max(0.0, tb - cb), max(0.0, cr - tr), max(0.0, ct - tt))
            trim_w, trim_h = tr - tl, tt - tb
            images = []
            for w in (width, 2 * width):
                bitmap = page.render(scale=w / trim_w, crop=crop)
                images.append(bitmap.to_pil().convert("RGB"))
            screen, hidpi = images
            th = max(1, round(thumb_width * screen.height / screen.width))
            thumb = hidpi.resize((thumb_width, th), Image.Resampling.LANCZOS)
            rasters = []
            for im, suffix, lossless in ((screen, "", True), (hidpi, "@2x", True), (thumb, "-thumb", False)):
                path = dest / f"{stem}{suffix}.webp"
                jobs.append((im, path, lossless))
                rasters.append(Raster(f"{dest.name}/{path.name}", im.width, im.height))
            out.append(PageImages(*rasters, trim_w=trim_w, trim_h=trim_h))
            page.close()
    finally:
        doc.close()
    # PDFium is not thread-safe, but Pillow's encoders release the GIL: encode the rendered pages in parallel.
    with ThreadPoolExecutor(max_workers=4) as pool:
        for future in [pool.submit(_encode_webp, im, path, lossless=lossless) for im, path, lossless in jobs]:
            future.result()
    return out


def split_pages(pdf: Path | bytes, targets: list[Path]) -> None:
    """One PDF per page (the print PDF's pages copied as they are, fonts included)."""
    import pypdfium2 as pdfium

    src = pdfium.PdfDocument(pdf)
    try:
        for index, target in enumerate(targets):
            single = pdfium.PdfDocument.new()
            try:
                single.import_pages(src, [index])
                target.parent.mkdir(parents=True, exist_ok=True)
                with open(target, "wb") as fh:
                    single.save(fh)
            finally:
                single.close()
    finally:
        src.close()


def write_photo(photo: Photo, dest: Path, stem: str) -> list[Raster]:
    """The photo at up to two sizes (long side 800 and 1,600 px, never enlarged), smallest encoding each."""
    dest.mkdir(parents=True, exist_ok=True)
    out: list[Raster] = []
    for side in PHOTO_WIDTHS:
        packed = pack_image(photo.path, flat=photo.placeholder, max_side=side)
        if out and packed.width <= out[-1].width:
            break  # the source is no larger than the previous variant
        path = dest / f"{stem}-{side}{packed.ext}"
        path.write_bytes(packed.data)
        out.append(Raster(f"{dest.name}/{path.name}", packed.width, packed.height))
    return out
