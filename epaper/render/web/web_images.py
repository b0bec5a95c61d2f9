"""The print PDF in; the web e-paper's page images (screen, 2×, zoom, thumbnail; planned or drawn) and the
publisher's logo out."""

from __future__ import annotations

import io
import json
import math
import os
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator

from PIL import Image

from ...errors import EpaperError
from ...derived_cache import DerivedCache, make_key, pillow_versions
from ..print.pdf_pages import describe_pages, render_trim

if TYPE_CHECKING:
    from pypdfium2 import PdfPage

SCREEN_WIDTH = 1000  # px: the page image at 1× (a desktop column); the 2× variant is twice as wide
THUMB_WIDTH = 480  # px: 版面导航 and the archive show it at 240 CSS px or less, so it is sharp at 2×
# The zoom image (loaded only when a reader zooms in) is drawn at 2 image px per CSS px at the zoom where body
# text is ZOOM_TEXT_PX CSS px high; its width comes from the layout (zoom_width), this is the fallback.
ZOOM_TEXT_PX = 12
ZOOM_WIDTH = 3000
# Page images (bench/README.md, "Page images: which encoding"): the screen image, which every reader loads first,
# is lossless WebP at a fast effort (method 1, quality 10): exact type, smallest file. The 2× and zoom images are
# JPEG at quality 90 with full-resolution colour (4:4:4): on the bench pages no pixel is off by more than 32 levels
# (mean 0.9–1.0), so strokes stay crisp, and they encode 7× faster than lossless WebP (a tenth of their former
# share of a cold build), for files about 1.7× larger. The thumbnail and photos are lossy WebP.
LOSSLESS = {"lossless": True, "method": 1, "quality": 10}
LOSSY = {"quality": 82, "method": 4}
PAGE_JPEG = {"quality": 90, "subsampling": 0}  # baseline, not optimised: a progressive scan costs 6× the time
# Each page image: its suffix on the page's stem, its file type and how it is encoded.
VARIANTS = (("", ".webp"), ("@2x", ".jpg"), ("-thumb", ".webp"), ("@zoom", ".jpg"))
# The version of the renditions below: bump it when their code changes, so that files cached by older code
# are not served as if this code had made them.
VERSION = 4  # 4: the 2× and zoom images are JPEG


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


def _jpeg(im: Image.Image) -> bytes:
    buf = io.BytesIO()
    im.save(buf, "JPEG", **PAGE_JPEG)
    return buf.getvalue()


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


# How each page image is encoded, in the order of VARIANTS: screen, 2×, thumbnail, zoom.
ENCODERS: tuple[Callable[[Image.Image], bytes], ...] = (
    lambda im: _webp(im, lossless=True), _jpeg, lambda im: _webp(im, lossless=False), _jpeg)


def _page_images(page: PdfPage, width: int, thumb_width: int,
                 zoom: int) -> Iterator[tuple[int, Image.Image, tuple[float, float]]]:
    """A pypdfium2 page's images, drawn one at a time: (its place in VARIANTS, the image, the trim's width and
    height in pt as PDFium reports them). A caller that encodes each before taking the next holds one image's
    pixels at once (the zoom image's 35 MB), not all four."""
    screen, trim_w, trim_h = render_trim(page, width)
    trim = (trim_w, trim_h)
    # From the 1× image: resampling from the 2× one was measured twice as slow and looks the same at 480 px.
    thumb_h = max(1, round(thumb_width * screen.height / screen.width))
    thumb = screen.resize((thumb_width, thumb_h), Image.Resampling.LANCZOS)
    yield 0, screen, trim
    del screen
    yield 2, thumb, trim
    del thumb
    yield 1, render_trim(page, 2 * width)[0], trim
    yield 3, render_trim(page, zoom)[0], trim


def _meta(trim: tuple[float, float], sizes: list[list[int]]) -> bytes:
    """The meta JSON of a page's images: the trim PDFium reports and the pixel sizes, so that a cached page needs
    no PDFium at all."""
    return json.dumps({"trim": list(trim), "sizes": sizes}).encode("utf-8")


def page_files(pdf: str | bytes, index: int, width: int, thumb_width: int, zoom: int, *,
               front_logo: tuple | None = None, store: DerivedCache | None = None) -> list[bytes]:
    """One page's files (its meta, then VARIANTS' files), in another process: it opens the PDF itself (a few
    milliseconds), so any process pool can run it, e.g. the print stage's page renderers. Each image is encoded
    before the next is drawn. front_logo: (masthead zone, cache key): the logo (logo()) is cut from the 2× pixels
    too and put in `store`."""
    import pypdfium2 as pdfium

    sizes: list[list[int]] = [[]] * len(VARIANTS)
    files: list[bytes] = [b""] * len(VARIANTS)
    doc = pdfium.PdfDocument(pdf)
    try:
        page = doc[index]
        try:
            for slot, im, trim in _page_images(page, width, thumb_width, zoom):
                sizes[slot], files[slot] = list(im.size), ENCODERS[slot](im)
                if slot == 1 and front_logo is not None and store is not None:
                    zone, logo_key = front_logo
                    store.put("web-logo", logo_key, [_logo_png(im, logo_box(zone, im.width, trim[0]))])
                del im
        finally:
            page.close()
    finally:
        doc.close()
    return [_meta(trim, sizes), *files]


def available_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _render_in_threads(pdf: Path | bytes, indexes: list[int], width: int, thumb_width: int, zoom: int,
                       threads: int) -> dict[int, list[bytes]]:
    """PDFium draws the pages one after the other here (it is not thread-safe), while the encoders, which
    release the GIL, run in `threads` threads. At most two pages wait for their encoders, which bounds the memory
    (about 70 MB of pixels a page)."""
    import pypdfium2 as pdfium

    out: dict[int, list[bytes]] = {}
    pending: list[tuple[int, bytes, list[Future[bytes]]]] = []

    def finish_oldest() -> None:
        i, meta, futures = pending.pop(0)
        out[i] = [meta, *(f.result() for f in futures)]

    doc = pdfium.PdfDocument(pdf)
    try:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            for i in indexes:
                page = doc[i]
                sizes: list[list[int]] = [[]] * len(VARIANTS)
                files: list[Future[bytes] | None] = [None] * len(VARIANTS)
                try:
                    for slot, im, trim in _page_images(page, width, thumb_width, zoom):
                        sizes[slot], files[slot] = list(im.size), pool.submit(ENCODERS[slot], im)
                        del im  # the encoder holds it now: freed as soon as its file is done
                finally:
                    page.close()
                pending.append((i, _meta(trim, sizes), files))
                # one page encodes while the next is drawn: a deeper queue would not keep the cores busier, only
                # hold more pages of pixels (about 70 MB each)
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
              executor: ProcessPoolExecutor | None = None,
              pending: Sequence[Future[None]] = ()) -> list[PageImages]:
    """Render every page's trim box (bleed and crop marks cut off) with PDFium at 1× and 2×, a thumbnail, and
    `zoom` px wide for zooming in.

    Files are `dest/<stem>.webp`, `<stem>@2x.jpg`, `<stem>-thumb.webp` and `<stem>@zoom.jpg` (VARIANTS); hrefs are
    relative to dest's parent.
    pending: web_prefetch.prefetch()'s drawing of these images into `cache`, waited for first.
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
    for job in pending:
        job.result()
    store = DerivedCache(cache)
    infos = describe_pages(pdf, content=page_keys is None and store.folder is not None)
    if len(infos) != len(stems):
        raise EpaperError(f"the PDF has {len(infos)} pages but the issue has {len(stems)}")
    if page_keys is not None and len(page_keys) != len(stems):
        raise EpaperError(f"{len(page_keys)} page keys for {len(stems)} pages")
    keys = page_image_keys(infos, page_keys, width, thumb_width, zoom)
    files: dict[int, list[bytes]] = {}
    for i, key in enumerate(keys):
        parts = store.get("web-page", key)
        if parts is not None:
            files[i] = parts
    missing = [i for i in range(len(stems)) if i not in files]
    rendered: dict[int, list[bytes]] = {}
    if executor is not None and len(missing) > 1:
        source = pdf if isinstance(pdf, bytes) else str(pdf)
        futures = {i: executor.submit(page_files, source, i, width, thumb_width, zoom) for i in missing}
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
        images = _page_images_of(dest.name, stem, json.loads(meta))
        for blob, raster in zip(data, (images.screen, images.hidpi, images.thumb, images.zoom)):
            (dest / Path(raster.href).name).write_bytes(blob)
        out.append(images)
    return out


def _page_images_of(folder: str, stem: str, meta: dict) -> PageImages:
    """A page's PageImages from its meta (trim and pixel sizes, see _meta), files under `folder`."""
    rasters = [Raster(f"{folder}/{stem}{suffix}{ext}", *size) for (suffix, ext), size in zip(VARIANTS, meta["sizes"])]
    return PageImages(*rasters, trim_w=meta["trim"][0], trim_h=meta["trim"][1])


def plan(pdf: Path | bytes, folder: str, stems: list[str], *, width: int = SCREEN_WIDTH,
         thumb_width: int = THUMB_WIDTH, zoom: int = ZOOM_WIDTH, cache: Path | None = None) -> list[PageImages]:
    """Every page's images as rasterise() into a folder named `folder` will make them, files and pixel sizes,
    read from the PDF's page boxes without drawing a pixel: the pages that show them can be written while they
    are drawn. rasterise() makes the same sizes (_size is how PDFium sizes its bitmap); its caller compares.
    cache: sizes by page geometry, as PDFium loading a page takes 20 ms (most of this function's time)."""
    store = DerivedCache(cache)
    infos = describe_pages(pdf, content=False)
    if len(infos) != len(stems):
        raise EpaperError(f"the PDF has {len(infos)} pages but the issue has {len(stems)}")
    out: list[PageImages] = []
    doc = None
    try:
        for i, (stem, info) in enumerate(zip(stems, infos)):
            key = make_key("web-plan", VERSION, _pdfium_version(), width, thumb_width, zoom, info.geometry)
            parts = store.get("web-plan", key)
            if parts is None:
                import pypdfium2 as pdfium

                doc = doc or pdfium.PdfDocument(pdf)
                parts = [json.dumps(_planned(doc[i], width, thumb_width, zoom)).encode("utf-8")]
                store.put("web-plan", key, parts)
            out.append(_page_images_of(folder, stem, json.loads(parts[0])))
    finally:
        if doc is not None:
            doc.close()
    return out


def _planned(page: PdfPage, width: int, thumb_width: int, zoom: int) -> dict:
    """A page's meta as _page_images draws it (trim, pixel sizes), without rendering."""
    try:
        tl, tb, tr, tt = page.get_trimbox()
        page.set_cropbox(tl, tb, tr, tt)
        trim_w, trim_h = tr - tl, tt - tb
        screen, hidpi, big = (_size(page, w / trim_w) for w in (width, 2 * width, zoom))
    finally:
        page.close()
    thumb = [thumb_width, max(1, round(thumb_width * screen[1] / screen[0]))]
    return {"trim": [trim_w, trim_h], "sizes": [screen, hidpi, thumb, big]}


def _size(page: PdfPage, scale: float) -> list[int]:
    # pypdfium2's PdfPage.render: ceil(page size × scale), the page size being its crop box (set to the trim)
    return [math.ceil(page.get_width() * scale), math.ceil(page.get_height() * scale)]


def page_image_keys(infos: list, page_keys: Sequence[str] | None, width: int, thumb_width: int,
                     zoom: int) -> list[str]:
    return [make_key("web-page", VERSION, pillow_versions(), _pdfium_version(), width, thumb_width, zoom,
                     LOSSLESS, LOSSY, PAGE_JPEG,
                     info.geometry, page_keys[i] if page_keys is not None else info.content_key)
            for i, info in enumerate(infos)]


# --- the publisher's logo: the 报头 cut from the front page's 2× image -------------------------------------------

LOGO_MAX_WIDTH = 600  # px: schema.org's logo guideline for news publishers


def logo_box(zone: tuple[float, float, float, float], hidpi_width: int, trim_w: float) -> tuple[int, ...]:
    """The masthead zone (x, y, w, h in pt from the trim's top-left) as a box of the 2× image, and the logo's
    size: (left, top, right, bottom, width, height), at most LOGO_MAX_WIDTH wide."""
    x, y, w, h = zone
    k = hidpi_width / trim_w
    box = (round(x * k), round(y * k), round((x + w) * k), round((y + h) * k))
    width, height = box[2] - box[0], box[3] - box[1]
    if width > LOGO_MAX_WIDTH:
        width, height = LOGO_MAX_WIDTH, max(1, round(height * LOGO_MAX_WIDTH / width))
    return (*box, width, height)


def _logo_png(hidpi: Image.Image, box: tuple[int, ...]) -> bytes:
    """The logo from the exact 2× pixels (PDFium's render, not the JPEG file: its edges stay clean)."""
    cut = hidpi.crop(box[:4])
    if cut.size != box[4:]:
        cut = cut.resize(box[4:], Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    cut.save(buf, "PNG", optimize=True)
    return buf.getvalue()


def logo_key(page_key: str, geometry: str, width: int, zone: tuple[float, float, float, float]) -> str:
    return make_key("web-logo", VERSION, pillow_versions(), _pdfium_version(), page_key, geometry, width, zone)


def logo(pdf: Path | bytes, zone: tuple[float, float, float, float], hidpi_width: int, trim_w: float, *,
         page_key: str | None = None, cache: Path | None = None, width: int = SCREEN_WIDTH) -> bytes:
    """The front page's logo PNG (the masthead zone cut from its 2× image, see logo_box), from the cache when
    web_prefetch.prefetch() made it with the page's images, else drawn here. page_key: as rasterise()'s
    page_keys (else derived from the page's content)."""
    store = DerivedCache(cache)
    info, = describe_pages(pdf, content=page_key is None, only=[0])
    key = logo_key(page_key or info.content_key, info.geometry, width, zone)
    parts = store.get("web-logo", key)
    if parts is not None and len(parts) == 1:
        return parts[0]
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(pdf)
    try:
        page = doc[0]
        try:
            hidpi, _, _ = render_trim(page, 2 * width)
        finally:
            page.close()
    finally:
        doc.close()
    data = _logo_png(hidpi, logo_box(zone, hidpi_width, trim_w))
    store.put("web-logo", key, [data])
    return data


def _pdfium_version() -> str:
    import pypdfium2

    return f"{pypdfium2.PDFIUM_INFO} {pypdfium2.PYPDFIUM_INFO}"
