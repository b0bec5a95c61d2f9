"""An image file, image bytes or a PDF page in; resized, metadata-free bytes and their media type out, for the EPUB."""

from __future__ import annotations

import io
import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

from PIL import Image, ImageCms, ImageOps

from ...errors import EpaperError
from ...source.images import open_image
from ...derived_cache import DerivedCache, make_key, pillow_versions

# Long side of any image in the package. 1,600 px is sharp on a phone or tablet at full width and keeps a
# photo around 150–300 KB; Apple Books and Kindle both downscale larger images anyway.
MAX_SIDE = 1600
JPEG_QUALITY = 82
# zlib level 8, not 9 (optimize=True): on a rendered front page's palette PNG level 9 took 270 ms against 80 ms
# for 0.4 % fewer bytes.
PNG_LEVEL = 8
COVER_WIDTH = 1200  # px: the printed front page as the cover (pack_pdf_page), wide enough for a tablet
# The version of the packing below: bump it when its code changes, so that entries cached by older code are
# not served as if this code had made them.
VERSION = 2


@dataclass(frozen=True)
class PackedImage:
    """One image ready for the package: encoded bytes, extension (".jpg"/".png"), media type and pixel size."""

    data: bytes
    ext: str
    media_type: str
    width: int
    height: int


def _to_srgb(im: Image.Image) -> Image.Image:
    """Convert through an embedded ICC profile so colours survive dropping the profile (metadata is stripped)."""
    icc = im.info.get("icc_profile")
    if not icc or im.mode not in ("RGB", "RGBA", "CMYK"):
        return im  # grey images keep their values: a grey profile shifts tone only slightly
    try:
        src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        out_mode = "RGBA" if im.mode == "RGBA" else "RGB"
        return ImageCms.profileToProfile(im, src, ImageCms.createProfile("sRGB"), outputMode=out_mode)
    except (ImageCms.PyCMSError, OSError):  # a broken profile: keep the pixels as they are
        return im


def _flatten(im: Image.Image) -> Image.Image:
    """RGB or L without alpha: transparent areas become white, as on paper (and JPEG has no alpha)."""
    if im.mode == "P":
        im = im.convert("RGBA" if "transparency" in im.info else "RGB")
    if im.mode in ("LA", "La"):
        im = im.convert("RGBA")
    if im.mode in ("RGBA", "RGBa"):
        background = Image.new("RGB", im.size, (255, 255, 255))
        background.paste(im, mask=im.getchannel("A"))
        return background
    if im.mode in ("L", "RGB"):
        return im
    return im.convert("RGB")  # CMYK, I;16, F, 1…


def _encode(im: Image.Image, fmt: str, **options: object) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **options)
    return buf.getvalue()


def _open(data: bytes, what: str) -> tuple[Image.Image, int | None]:
    """The image upright, in sRGB, without alpha and without metadata; and its colour count if it is a palette image."""
    try:
        opened = open_image(data)  # by content, within the pixel limit (epaper.source.images)
        opened.load()
    except Exception as exc:  # Pillow raises many types for bad data, including DecompressionBombError
        raise EpaperError(f"cannot read {what} for the EPUB: {exc}") from exc
    with opened:
        colours = opened.convert("RGB").getcolors(256) if opened.mode in ("P", "1") else None
        im = ImageOps.exif_transpose(opened)  # a phone photo's rotation lives in EXIF, which we drop
        im = _flatten(_to_srgb(im))
    if im is opened:
        im = im.copy()  # not the file's image object, whose info the line below would clear
    im.info = {}  # no EXIF, ICC, text chunks or dpi: Pillow would otherwise copy some of them across
    return im, len(colours) if colours else None


def _pack_pixels(im: Image.Image, *, flat: bool, colours: int | None, max_side: int) -> PackedImage:
    """Fit the long side within max_side and keep the smallest of JPEG (q82) and a PNG."""
    if max(im.size) > max_side:
        scale = max_side / max(im.size)
        size = (max(1, round(im.width * scale)), max(1, round(im.height * scale)))
        im = im.resize(size, Image.Resampling.LANCZOS)
    def png() -> bytes:
        if (flat or colours) and im.mode == "RGB":
            # Few source colours (a placeholder has ~8): twice as many, at least 16, keep resampled edges smooth.
            # The full-colour PNG is not tried: the palette one holds the same pixels, or a function of them, in a
            # third of the bytes (a rendered front page: 386 KB against 1,044 KB), and it took 170–480 ms.
            palette = min(256, max(16, 2 * colours)) if colours else 256
            quantised = im.quantize(colors=palette, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
            return _encode(quantised, "PNG", compress_level=PNG_LEVEL)
        return _encode(im, "PNG", compress_level=PNG_LEVEL)

    # the two encodings at once (Pillow lets go of the GIL while it quantises and encodes): the cover of a rebuilt
    # front page waits for both
    with ThreadPoolExecutor(max_workers=1) as lane:
        png_job = lane.submit(png)
        # Baseline, not progressive: some e-ink readers (Adobe RMSDK) decode progressive JPEG slowly or not at all.
        jpeg = _encode(im, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=False, subsampling=2)
        candidates = [(jpeg, ".jpg", "image/jpeg"), (png_job.result(), ".png", "image/png")]
    # Smallest wins; on a tie the later (PNG, lossless) candidate is kept.
    data, ext, media_type = min(reversed(candidates), key=lambda c: len(c[0]))
    return PackedImage(data, ext, media_type, im.width, im.height)


def _to_parts(packed: PackedImage) -> list[bytes]:
    meta = {k: v for k, v in asdict(packed).items() if k != "data"}
    return [json.dumps(meta).encode("utf-8"), packed.data]


def _from_parts(parts: list[bytes]) -> PackedImage:
    return PackedImage(data=parts[1], **json.loads(parts[0]))


def pack_image(source: Path | bytes, *, flat: bool = False, max_side: int = MAX_SIDE,
               cache: DerivedCache | None = None) -> PackedImage:
    """Open, orient, fit the long side within max_side, and keep the smaller of JPEG (q82) and PNG.

    `flat` marks graphics with few colours (placeholders, a rendered page), as does a palette source: their
    PNG candidate is requantised to a palette after resampling, which keeps flat art smaller than JPEG.
    With a cache, the result is remembered under the source's bytes and these parameters. A file is read
    once: its bytes make the key and, on a miss, are what is decoded.
    """
    if isinstance(source, bytes):
        data = source
    else:
        try:
            data = Path(source).read_bytes()
        except OSError as exc:
            raise EpaperError(f"cannot read {source} for the EPUB: {exc.strerror or exc}") from exc
    store = cache or DerivedCache(None)
    key = make_key("epub-image", VERSION, pillow_versions(), data, flat, max_side, JPEG_QUALITY, PNG_LEVEL)
    parts = store.get("epub-image", key)
    if parts is not None:
        return _from_parts(parts)
    im, colours = _open(data, "the cover image" if isinstance(source, bytes) else str(source))
    packed = _pack_pixels(im, flat=flat, colours=colours, max_side=max_side)
    store.put("epub-image", key, _to_parts(packed))
    return packed


def pack_pdf_page(pdf: Path | bytes, *, index: int = 0, page_key: str | None = None, width: int = COVER_WIDTH,
                  max_side: int = MAX_SIDE, cache: DerivedCache | None = None) -> PackedImage:
    """A page of the print PDF (the front page, as the cover): its trim box rasterised by PDFium at `width` px
    and packed as flat art, without rendering it again with WeasyPrint or going through a PNG file.

    page_key: a string that changes whenever the page's drawing does (the print stage's per-page key); without
    it the key is derived from the page's content (see pdf_pages.describe_pages).
    """
    import pypdfium2 as pdfium

    from ..print.pdf_pages import describe_pages, render_trim

    store = cache or DerivedCache(None)
    info, = describe_pages(pdf, content=page_key is None and store.folder is not None, only=[index])
    drawing = page_key if page_key is not None else info.content_key
    key = make_key("epub-page", VERSION, pillow_versions(), f"{pdfium.PDFIUM_INFO} {pdfium.PYPDFIUM_INFO}", width,
                   max_side, JPEG_QUALITY, PNG_LEVEL, info.geometry, drawing)
    parts = store.get("epub-page", key)
    if parts is not None:
        return _from_parts(parts)
    doc = pdfium.PdfDocument(pdf)
    try:
        page = doc[index]
        try:
            im, _, _ = render_trim(page, width)
        finally:
            page.close()
    finally:
        doc.close()
    packed = _pack_pixels(im, flat=True, colours=None, max_side=max_side)
    store.put("epub-page", key, _to_parts(packed))
    return packed
