"""The print PDF in, the web e-paper's page images (screen, 2×, thumbnail), per-page PDFs and resized photos out."""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageCms, ImageOps

from ..errors import EpaperError
from ..model import Photo

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
            # Show the trim box only: with --marks the page also holds bleed and crop marks. Setting the crop box
            # (in memory) rather than cropping the bitmap keeps the pixel size the same as without marks.
            tl, tb, tr, tt = page.get_trimbox()
            page.set_cropbox(tl, tb, tr, tt)
            trim_w, trim_h = tr - tl, tt - tb
            images = []
            for w in (width, 2 * width):
                images.append(page.render(scale=w / trim_w).to_pil().convert("RGB"))
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


def _open_photo(path: Path) -> tuple[Image.Image, bytes | None, bool]:
    """The photo upright, as RGB or L on white (no alpha), with the ICC profile to embed and whether it is flat art.

    Browsers honour an embedded profile, so colours are kept by carrying it over; only CMYK is converted (to sRGB
    through its profile when it has one). EXIF is dropped: orientation is applied first, and GPS tags stay private.
    """
    try:
        src = Image.open(path)
        src.load()
    except Exception as exc:  # Pillow raises many types for bad data
        raise EpaperError(f"cannot read {path} for the web e-paper: {exc}") from exc
    with src:
        icc = src.info.get("icc_profile")
        flat = src.mode in ("P", "1")
        im = ImageOps.exif_transpose(src)
        if im.mode == "CMYK":
            if icc:
                try:
                    im = ImageCms.profileToProfile(im, ImageCms.ImageCmsProfile(io.BytesIO(icc)),
                                                   ImageCms.createProfile("sRGB"), outputMode="RGB")
                except (ImageCms.PyCMSError, OSError):
                    im = im.convert("RGB")
            else:
                im = im.convert("RGB")
            icc = None
        elif im.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in im.info:
            rgba = im.convert("RGBA")
            im = Image.new("RGB", rgba.size, (255, 255, 255))
            im.paste(rgba, mask=rgba.getchannel("A"))
        elif im.mode not in ("RGB", "L"):
            im = im.convert("RGB")
        if im.mode == "L" and icc:
            im = im.convert("RGB")  # WebP has no grey mode; a grey profile would not fit RGB pixels
            icc = None
        return im, icc, flat


def write_photo(photo: Photo, dest: Path, stem: str) -> list[Raster]:
    """The photo at up to two sizes (long side 800 and 1,600 px, never enlarged) as WebP.

    Photos are lossy (quality 82); placeholders and palette images are flat art and stay lossless, which is
    smaller for them and keeps their edges clean.
    """
    dest.mkdir(parents=True, exist_ok=True)
    im, icc, flat = _open_photo(photo.path)
    lossless = flat or photo.placeholder
    out: list[Raster] = []
    for side in PHOTO_WIDTHS:
        scale = min(1.0, side / max(im.size))
        size = (max(1, round(im.width * scale)), max(1, round(im.height * scale)))
        if out and size[0] <= out[-1].width:
            break  # the source is no larger than the previous variant
        variant = im if size == im.size else im.resize(size, Image.Resampling.LANCZOS)
        options: dict = {"lossless": True, "method": 4} if lossless else {"quality": 82, "method": 4}
        if icc:
            options["icc_profile"] = icc
        path = dest / f"{stem}-{side}.webp"
        variant.convert("RGB").save(path, "WEBP", **options)
        out.append(Raster(f"{dest.name}/{path.name}", size[0], size[1]))
    return out
