"""An image file (or PNG bytes) in; resized, recompressed, metadata-free bytes with their media type out, for the EPUB."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageCms, ImageOps

from ..errors import EpaperError

# Long side of any image in the package. 1,600 px is sharp on a phone or tablet at full width and keeps a
# photo around 150–300 KB; Apple Books and Kindle both downscale larger images anyway.
MAX_SIDE = 1600
JPEG_QUALITY = 82


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
    clean = im.copy()
    clean.info = {}  # no EXIF, ICC, text chunks or dpi: Pillow would otherwise copy some of them across
    clean.save(buf, fmt, **options)
    return buf.getvalue()


def pack_image(source: Path | bytes, *, flat: bool = False, max_side: int = MAX_SIDE) -> PackedImage:
    """Open, orient, fit the long side within max_side, and keep the smaller of JPEG (q82) and PNG.

    `flat` marks graphics with few colours (placeholders, a rendered page), as does a palette source: their
    PNG candidate is requantised to a palette after resampling, which keeps flat art smaller than JPEG.
    """
    try:
        opened = Image.open(io.BytesIO(source) if isinstance(source, bytes) else source)
        opened.load()
    except Exception as exc:  # Pillow raises many types for bad data, including DecompressionBombError
        what = "the cover image" if isinstance(source, bytes) else str(source)
        raise EpaperError(f"cannot read {what} for the EPUB: {exc}") from exc
    with opened:
        colours = opened.convert("RGB").getcolors(256) if opened.mode in ("P", "1") else None
        im = ImageOps.exif_transpose(opened)  # a phone photo's rotation lives in EXIF, which we drop
        im = _flatten(_to_srgb(im))
    if max(im.size) > max_side:
        scale = max_side / max(im.size)
        size = (max(1, round(im.width * scale)), max(1, round(im.height * scale)))
        im = im.resize(size, Image.Resampling.LANCZOS)
    candidates: list[tuple[bytes, str, str]] = [
        # Baseline, not progressive: some e-ink readers (Adobe RMSDK) decode progressive JPEG slowly or not at all.
        (_encode(im, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=False, subsampling=2),
         ".jpg", "image/jpeg"),
        (_encode(im, "PNG", optimize=True), ".png", "image/png"),
    ]
    if flat or colours:
        # Few source colours (a placeholder has ~8): twice as many, at least 16, keep resampled edges smooth.
        palette = min(256, max(16, 2 * len(colours))) if colours else 256
        quantised = im.quantize(colors=palette, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE) \
            if im.mode == "RGB" else im
        candidates.append((_encode(quantised, "PNG", optimize=True), ".png", "image/png"))
    # Smallest wins; on a tie the later (PNG, lossless) candidate is kept.
    data, ext, media_type = min(reversed(candidates), key=lambda c: len(c[0]))
    return PackedImage(data, ext, media_type, im.width, im.height)
