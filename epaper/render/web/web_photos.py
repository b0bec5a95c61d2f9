"""A photo file in, its web renditions out: WebP at up to two sizes (long side 800 and 1,600 px), cached by content."""

from __future__ import annotations

import io
import json
from pathlib import Path

from PIL import Image, ImageCms, ImageOps

from ...errors import EpaperError
from ...model import Photo
from ...source.images import open_image
from ...derived_cache import DerivedCache, make_key, pillow_versions
from .web_images import LOSSLESS, LOSSY, VERSION, Raster, _webp

PHOTO_WIDTHS = (800, 1600)  # px: long side of the article page's photo variants


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
