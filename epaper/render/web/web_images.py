"""The print PDF in; the web e-paper's page images (screen, 2×, zoom, thumbnail), page PDFs and resized photos out."""

from __future__ import annotations

import io
import json
import os
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PIL import Image, ImageCms, ImageOps

from ...errors import EpaperError
from ...source.images import open_image
from ...model import Photo
from ..derived_cache import DerivedCache, make_key, pillow_versions
from ..print.pdf_pages import describe_pages, render_trim

if TYPE_CHECKING:
    from pypdfium2 import PdfPage

SCREEN_WIDTH = 1000  # px: the page image at 1× (a desktop column); the 2× variant is twice as wide
THUMB_WIDTH = 480  # px: 版面导航 and the archive show it at 240 CSS px or less, so it is sharp at 2×
# The zoom image (loaded only when a reader zooms in) is drawn at 2 image px per CSS px at the zoom where body
# text is ZOOM_TEXT_PX CSS px high; its width comes from the layout (zoom_width), this is the fallback.
ZOOM_TEXT_PX = 12
ZOOM_WIDTH = 3000
PHOTO_WIDTHS = (800, 1600)  # px: long side of the article page's photo variants
# Page images are lossless WebP at a fast effort (method 1, quality 10): the type stays exact, and on the bench
# pages (bench/README.md, "Page images") it encodes 3× faster than method 4 at quality 80, for files about 1.5×
# larger; lossy WebP at a size this small (q90, SSIM 0.999 on body text) was slower still, AVIF 4–10× slower, JPEG
# fast but 2–3× larger with ringing around the strokes. Photos and the downscaled thumbnail are lossy, where
# compression costs nothing visible.
LOSSLESS = {"lossless": True, "method": 1, "quality": 10}
LOSSY = {"quality": 82, "method": 4}
# The version of the renditions below: bump it when their code changes, so that files cached by older code
# are not served as if this code had made them.
VERSION = 3


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
    zoom: Raster  # for zooming in: 2 image px per CSS px where body text is 12 CSS px (see zoom_width)
    trim_w: float  # pt
    trim_h: float  # pt

    @property
    def sx(self) -> float:
        """Screen-image pixels per point, horizontally."""
        return self.screen.width / self.trim_w

    @property
    def sy(self) -> float:
        return self.screen.height / self.trim_h


def _webp(im: Image.Image, *, lossless: bool, icc: bytes | None = None) -> bytes:
    options = dict(LOSSLESS if lossless else LOSSY)
    if icc:
        options["icc_profile"] = icc
    buf = io.BytesIO()
    im.save(buf, "WEBP", **options)
    return buf.getvalue()


# --- page images ------------------------------------------------------------------------------------------------

def zoom_width(trim_w_pt: float, body_pt: float, text_px: float = ZOOM_TEXT_PX) -> tuple[int, int]:
    """(CSS px, image px): the page's width at which body text of body_pt is text_px CSS px high, and the zoom
    image's width, twice that, so that the text is sharp there (2 image px per CSS px)."""
    css = -(-int(trim_w_pt * text_px * 100) // int(body_pt * 100))  # ceil without float drift
    return css, 2 * css


def _page_images(page: PdfPage, width: int, thumb_width: int,
                 zoom: int) -> tuple[bytes, Image.Image, Image.Image, Image.Image, Image.Image]:
    """A pypdfium2 page's meta JSON and its images to encode: screen, 2×, thumbnail, zoom.

    The meta records the trim size PDFium reports and the pixel sizes, so a cached page needs no PDFium at all.
    """
    screen, trim_w, trim_h = render_trim(page, width)
    hidpi, _, _ = render_trim(page, 2 * width)
    thumb_h = max(1, round(thumb_width * screen.height / screen.width))
    # From the 1× image: resampling from the 2× one was measured twice as slow and looks the same at 480 px.
    thumb = screen.resize((thumb_width, thumb_h), Image.Resampling.LANCZOS)
    big, _, _ = render_trim(page, zoom)
    meta = {"trim": [trim_w, trim_h], "sizes": [list(im.size) for im in (screen, hidpi, thumb, big)]}
    return json.dumps(meta).encode("utf-8"), screen, hidpi, thumb, big


def _page_task(pdf: str | bytes, index: int, width: int, thumb_width: int, zoom: int) -> list[bytes]:
    """One page's files, in another process: it opens the PDF itself (a few milliseconds), so any process pool
    can run it, e.g. the print stage's warm page renderers."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(pdf)
    try:
        page = doc[index]
        try:
            meta, screen, hidpi, thumb, big = _page_images(page, width, thumb_width, zoom)
        finally:
            page.close()
    finally:
        doc.close()
    return [meta, _webp(screen, lossless=True), _webp(hidpi, lossless=True), _webp(thumb, lossless=False),
            _webp(big, lossless=True)]


def available_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _render_in_threads(pdf: Path | bytes, indexes: list[int], width: int, thumb_width: int, zoom: int,
                       threads: int) -> dict[int, list[bytes]]:
    """PDFium draws the pages one after the other here (it is not thread-safe), while the WebP encoders, which
    release the GIL, run in `threads` threads: drawing a page takes a tenth of the time its files take to encode.
    At most two pages wait for their encoders, which bounds the memory (about 70 MB of pixels a page)."""
    import pypdfium2 as pdfium

    out: dict[int, list[bytes]] = {}
    pending: list[tuple[int, bytes, list[Future[bytes]]]] = []

    def finish_oldest() -> None:
        i, meta, futures = pending.pop(0)
        out[i] = [meta, *(f.result() for f in futures)]

    doc = pdfium.PdfDocument(pdf)
    try:
        # The zoom images encode one at a time: a lossless encode of one takes about 130 MB besides its pixels,
        # and two at once made the web stage the build's peak of memory; the smaller files share the other lane.
        with ThreadPoolExecutor(max_workers=threads) as pool, ThreadPoolExecutor(max_workers=1) as zoom_lane:
            for i in indexes:
                page = doc[i]
                try:
                    meta, screen, hidpi, thumb, big = _page_images(page, width, thumb_width, zoom)
                finally:
                    page.close()
                # the largest files first: they are the longest encodes, so they should not be left running last
                big_file = zoom_lane.submit(_webp, big, lossless=True)
                hidpi_file = pool.submit(_webp, hidpi, lossless=True)
                screen_file = pool.submit(_webp, screen, lossless=True)
                thumb_file = pool.submit(_webp, thumb, lossless=False)
                pending.append((i, meta, [screen_file, hidpi_file, thumb_file, big_file]))
                del screen, hidpi, thumb, big  # the encoders hold them now: freed as soon as each file is done
                # one page encodes while the next is drawn: drawing takes a tenth of the encoding, so a deeper
                # queue would not keep the cores busier, only hold more pages of pixels (about 70 MB each)
                if len(pending) > 1:
                    finish_oldest()
            while pending:
                finish_oldest()
    finally:
        doc.close()
    return out


def rasterise(pdf: Path | bytes, dest: Path, stems: list[str], *, width: int = SCREEN_WIDTH,
              thumb_width: int = THUMB_WIDTH, zoom: int = ZOOM_WIDTH, cache: Path | None = None,
              page_keys: Sequence[str] | None = None,
              executor: ProcessPoolExecutor | None = None) -> list[PageImages]:
    """Render every page's trim box (bleed and crop marks cut off) with PDFium at 1× and 2×, a thumbnail, and
    `zoom` px wide for zooming in.

    Files are `dest/<stem>.webp`, `<stem>@2x.webp`, `<stem>-thumb.webp` and `<stem>@zoom.webp`; hrefs are
    relative to dest's parent.
    cache: a folder of earlier builds' page images; a page whose key and geometry are unchanged is copied from
    it instead of rendered. page_keys: one string per page that the caller guarantees to change whenever the
    page's drawing changes (its own per-page cache key); without them a key is derived from the page's content
    stream and the fonts, images and forms it names (exact, but a font subset that grew for another page's new
    character changes every page that uses the font). The files are the same bytes whether they come from the
    cache or not.

    Pages are drawn here one after another while their files are encoded in threads (one per CPU), or, given a
    process pool as `executor` (spawn context), there when more than one page is to be drawn. On the 8-page
    issue and 2 idle cores both kept the two cores busy (1.85–1.95 CPU seconds per second) and took 3.2–4.1 s;
    a pool pays for starting (unless it is already running), pickling the files back, and opening the PDF in
    every process.
    """
    store = DerivedCache(cache)
    infos = describe_pages(pdf, content=page_keys is None and store.folder is not None)
    if len(infos) != len(stems):
        raise EpaperError(f"the PDF has {len(infos)} pages but the issue has {len(stems)}")
    if page_keys is not None and len(page_keys) != len(stems):
        raise EpaperError(f"{len(page_keys)} page keys for {len(stems)} pages")
    keys = [make_key("web-page", VERSION, pillow_versions(), _pdfium_version(), width, thumb_width, zoom,
                     LOSSLESS, LOSSY,
                     info.geometry, page_keys[i] if page_keys is not None else info.content_key)
            for i, info in enumerate(infos)]
    files: dict[int, list[bytes]] = {}
    for i, key in enumerate(keys):
        parts = store.get("web-page", key)
        if parts is not None:
            files[i] = parts
    missing = [i for i in range(len(stems)) if i not in files]
    rendered: dict[int, list[bytes]] = {}
    if executor is not None and len(missing) > 1:
        source = pdf if isinstance(pdf, bytes) else str(pdf)
        futures = {i: executor.submit(_page_task, source, i, width, thumb_width, zoom) for i in missing}
        rendered = {i: f.result() for i, f in futures.items()}
    elif missing:
        rendered = _render_in_threads(pdf, missing, width, thumb_width, zoom, available_cpus())
    for i, parts in rendered.items():
        store.put("web-page", keys[i], parts)
    files.update(rendered)

    dest.mkdir(parents=True, exist_ok=True)
    out: list[PageImages] = []
    for i, stem in enumerate(stems):
        meta, *data = files[i]
        info = json.loads(meta)
        rasters = []
        for blob, suffix, size in zip(data, ("", "@2x", "-thumb", "@zoom"), info["sizes"]):
            path = dest / f"{stem}{suffix}.webp"
            path.write_bytes(blob)
            rasters.append(Raster(f"{dest.name}/{path.name}", *size))
        out.append(PageImages(*rasters, trim_w=info["trim"][0], trim_h=info["trim"][1]))
    return out


def _pdfium_version() -> str:
    import pypdfium2

    return f"{pypdfium2.PDFIUM_INFO} {pypdfium2.PYPDFIUM_INFO}"


def split_pages(pdf: Path | bytes, targets: list[Path]) -> None:
    """One PDF per page: the print PDF's page copied as it is, with only the fonts, images and forms it uses.

    WeasyPrint gives every page one shared resource dictionary, so a page copied whole would carry every photo
    of the issue. The file identifier is derived from the content (PDFium's was random): the same page gives
    the same file.
    """
    import pikepdf

    with pikepdf.open(io.BytesIO(pdf) if isinstance(pdf, bytes) else pdf) as src:
        for index, target in enumerate(targets):
            with pikepdf.new() as single:
                single.pages.append(src.pages[index])
                single.pages[0].remove_unreferenced_resources()
                target.parent.mkdir(parents=True, exist_ok=True)
                single.save(target, deterministic_id=True)


# --- photos -----------------------------------------------------------------------------------------------------

def _open_photo(data: bytes, path: Path) -> tuple[Image.Image, bytes | None, bool]:
    """The photo upright, as RGB or L on white (no alpha), with the ICC profile to embed and whether it is flat art.

    Browsers honour an embedded profile, so colours are kept by carrying it over; only CMYK is converted (to sRGB
    through its profile when it has one). EXIF is dropped: orientation is applied first, and GPS tags stay private.
    """
    try:
        src = open_image(data)  # by content, within the pixel limit (epaper.source.images)
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


def _photo_files(data: bytes, path: Path, placeholder: bool) -> list[bytes]:
    """[meta JSON (side, width, height per variant), WebP per variant]: the unit that is cached."""
    im, icc, flat = _open_photo(data, path)
    lossless = flat or placeholder
    variants: list[list[int]] = []
    blobs: list[bytes] = []
    for side in PHOTO_WIDTHS:
        scale = min(1.0, side / max(im.size))
        size = (max(1, round(im.width * scale)), max(1, round(im.height * scale)))
        if variants and size[0] <= variants[-1][1]:
            break  # the source is no larger than the previous variant
        variant = im if size == im.size else im.resize(size, Image.Resampling.LANCZOS)
        blobs.append(_webp(variant if variant.mode == "RGB" else variant.convert("RGB"), lossless=lossless, icc=icc))
        variants.append([side, *size])
    return [json.dumps(variants).encode("utf-8"), *blobs]


def write_photo(photo: Photo, dest: Path, stem: str, *, cache: DerivedCache | None = None) -> list[Raster]:
    """The photo at up to two sizes (long side 800 and 1,600 px, never enlarged) as WebP.

    Photos are lossy (quality 82); placeholders and palette images are flat art and stay lossless, which is
    smaller for them and keeps their edges clean. With a cache, a source file seen before (by its bytes) is not
    decoded again.
    """
    try:
        data = photo.path.read_bytes()
    except OSError as exc:
        raise EpaperError(f"cannot read {photo.path} for the web e-paper: {exc.strerror or exc}") from exc
    store = cache or DerivedCache(None)
    key = make_key("web-photo", VERSION, pillow_versions(), data, PHOTO_WIDTHS, LOSSLESS, LOSSY, photo.placeholder)
    parts = store.get("web-photo", key)
    if parts is None:
        parts = _photo_files(data, photo.path, photo.placeholder)
        store.put("web-photo", key, parts)
    variants, blobs = json.loads(parts[0]), parts[1:]
    dest.mkdir(parents=True, exist_ok=True)
    out: list[Raster] = []
    for (side, w, h), blob in zip(variants, blobs):
        path = dest / f"{stem}-{side}.webp"
        path.write_bytes(blob)
        out.append(Raster(f"{dest.name}/{path.name}", w, h))
    return out
