"""An image file or its bytes in; what it is (by its content, never its name), a checked Pillow image, or a
problem saying why it cannot be used. Every stage that reads a photo (loader, preflight, EPUB, web, print and
press PDF) opens it here, so they all agree on what a photo is.

Rules: the format is recognised from the bytes (a TIFF named .png is a TIFF); JPEG, PNG, TIFF, WebP and GIF
are accepted; an image above MAX_PIXELS is refused before its pixels are decoded (a 144-megapixel photo took
40 s and 1.35 GB); screen outputs get CMYK converted to sRGB (through the file's own ICC profile if it has one).
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import re
import warnings
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageCms, ImageFile

from ..derived_cache import DerivedCache, make_key

# 80 megapixels: above every 35 mm camera (61 MP) and four times a whole broadsheet page at 300 ppi (~24 MP),
# which is the most any output uses; decoding one takes ~250 MB as RGB.
MAX_PIXELS = 80_000_000
# Pillow's format name → the name a user knows. MPO is a camera JPEG with a second (preview) picture.
FORMATS = {"JPEG": "JPEG", "MPO": "JPEG", "PNG": "PNG", "TIFF": "TIFF", "WEBP": "WebP", "GIF": "GIF"}
# Colour modes the outputs can convert; others (LAB, HSV, YCbCr TIFFs…) are refused with the mode named.
MODES = {"1", "L", "LA", "La", "P", "PA", "RGB", "RGBA", "RGBa", "RGBX", "CMYK", "I", "I;16", "I;16B", "I;16L"}
# What WeasyPrint embeds as it is (any other file it would re-encode, and CMYK outside JPEG it cannot).
DRAWN_AS_IS = {"JPEG", "MPO", "PNG"}
EXTENSIONS = {"JPEG": (".jpg", ".jpeg", ".jpe"), "MPO": (".jpg", ".jpeg", ".mpo"), "PNG": (".png",),
              "TIFF": (".tif", ".tiff"), "WEBP": (".webp",), "GIF": (".gif",)}


class ImageProblem(ValueError):
    """Why an image cannot be used; `kind` is "unreadable", "truncated", "format" or "too-large"."""

    def __init__(self, kind: str, message: str, size: tuple[int, int] | None = None):
        super().__init__(message)
        self.kind = kind
        self.size = size  # pixel size when the header was read


@dataclass(frozen=True)
class ImageInfo:
    """What an image file holds, by its content: Pillow's format name, colour mode and pixel size."""

    format: str
    mode: str
    width: int
    height: int

    @property
    def kind(self) -> str:
        return FORMATS.get(self.format, self.format)


def _bomb_pixels(message: str) -> int | None:
    m = re.search(r"\((\d+) pixels\)", message)
    return int(m.group(1)) if m else None


def too_large(width: int, height: int) -> str:
    return (f"{width} × {height} pixels ({width * height / 1e6:.3g} megapixels) is more than the limit of "
            f"{MAX_PIXELS / 1e6:.3g} megapixels (a decompression bomb guard)")


# for the loader's message; preflight's E410 carries the same advice as its hint
SCALE_DOWN = "scale it down, e.g. to 8,000 pixels on the long side; no output uses more than 300 ppi"


def open_image(source: Path | bytes) -> Image.Image:
    """The image opened (header read, pixels not yet decoded) after the format, mode and pixel-limit checks."""
    fp = io.BytesIO(source) if isinstance(source, bytes) else source
    try:
        with warnings.catch_warnings():
            # our limit is below Pillow's warning threshold: its raw DecompressionBombWarning is never shown
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im = Image.open(fp)
    except Image.DecompressionBombError as exc:
        pixels = _bomb_pixels(str(exc))
        what = f"{pixels / 1e6:.3g} megapixels" if pixels else "its size"
        raise ImageProblem("too-large", f"{what} is more than the limit of {MAX_PIXELS / 1e6:.3g} megapixels "
                                        "(a decompression bomb guard)") from None
    except Exception as exc:  # Pillow raises many types for bad data
        raise ImageProblem("unreadable", f"not an image Pillow can read ({exc})") from None
    width, height = im.size
    if im.format not in FORMATS:
        im.close()
        raise ImageProblem("format", f"it is a {im.format} file: expected JPEG, PNG, TIFF, WebP or GIF",
                           size=(width, height))
    if width * height > MAX_PIXELS:
        im.close()
        raise ImageProblem("too-large", too_large(width, height), size=(width, height))
    if im.mode not in MODES:
        im.close()
        raise ImageProblem("format", f"it is a {FORMATS[im.format]} in colour mode {im.mode}: save it as RGB "
                                     "or CMYK", size=(width, height))
    return im


def decode_fully(im: Image.Image) -> None:
    """Decode the whole image so that a truncated or corrupt file fails now. Importing WeasyPrint sets Pillow's
    LOAD_TRUNCATED_IMAGES, which would print half a photo and a grey rest."""
    im.draft(im.mode, (max(1, im.size[0] // 8), max(1, im.size[1] // 8)))  # JPEG: 1/8 scale, still every byte
    saved = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        im.load()
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = saved


# Where identify keeps what it found per image content between runs: a DerivedCache folder (the build's
# OUT/.cache/images, pruned with the page images it holds); None: every image is decoded again.
CACHE_DIR: Path | None = None
_CACHE_VERSION = 1  # bump when what identify checks changes
_CACHE_MAX_BYTES = 64 << 20  # a larger file is decoded every time (hashing would hold all of it in memory)


def identify(path: Path) -> ImageInfo:
    """Open and fully decode an image file; ImageProblem says why it cannot be used. With CACHE_DIR, an image
    whose content decoded before is not decoded again (a 12-megapixel PNG takes ~0.1 s): only a content that
    passed is kept, so a broken file is always reported."""
    try:
        if CACHE_DIR is None or Path(path).stat().st_size > _CACHE_MAX_BYTES:
            return _identify(path)
        data = Path(path).read_bytes()
    except OSError:
        return _identify(path)  # as without a cache
    store = DerivedCache(CACHE_DIR)
    key = make_key("identify", _CACHE_VERSION, Image.__version__, MAX_PIXELS, sorted(FORMATS), sorted(MODES), data)
    parts = store.get("identify", key)
    if parts is not None:
        try:
            known = json.loads(parts[0])
            return ImageInfo(str(known["format"]), str(known["mode"]), int(known["width"]), int(known["height"]))
        except (ValueError, KeyError, TypeError, IndexError):
            pass  # an entry of another shape: decoded again
    try:
        info = _identify(data)  # the bytes hashed are the bytes checked, even if the file changes meanwhile
    except ImageProblem:
        return _identify(path)  # reported from the file, as without a cache (Pillow's message names it)
    store.put("identify", key, [json.dumps(dataclasses.asdict(info)).encode()])
    return info


def _identify(source: Path | bytes) -> ImageInfo:
    im = open_image(source)
    info = ImageInfo(im.format, im.mode, *im.size)
    try:
        decode_fully(im)
    except Exception as exc:  # Pillow raises many types for bad data
        message = str(exc)
        truncated = "truncated" in message or "broken data stream" in message or isinstance(exc, (EOFError,
                                                                                                  SyntaxError))
        raise ImageProblem("truncated" if truncated else "unreadable",
                           f"{'the file ends before its data does' if truncated else 'its data is corrupt'} "
                           f"({message})", size=im.size) from None
    finally:
        im.close()
    return info


def name_mismatch(path: Path, info: ImageInfo) -> str:
    """'' if the file's extension fits its content, else what it really is (for a warning)."""
    if path.suffix.lower() in EXTENSIONS.get(info.format, ()):
        return ""
    return f"is named {path.suffix or 'without an extension'} but holds a {info.kind} image"


def to_srgb(im: Image.Image) -> Image.Image:
    """A CMYK image as RGB for screens, through its embedded ICC profile when it has a usable one."""
    if im.mode != "CMYK":
        return im
    icc = im.info.get("icc_profile")
    if icc:
        try:
            return ImageCms.profileToProfile(im, ImageCms.ImageCmsProfile(io.BytesIO(icc)),
                                             ImageCms.createProfile("sRGB"), outputMode="RGB")
        except (ImageCms.PyCMSError, OSError):
            pass  # a broken profile: Pillow's plain conversion below
    return im.convert("RGB")


def for_screen_pdf(data: bytes) -> bytes:
    """A photo's bytes as the reader PDF draws them: JPEG and PNG (not CMYK) unchanged; a CMYK JPEG as an sRGB
    JPEG; anything else (TIFF, WebP, GIF) as PNG. Deterministic, and remembered per content in the process."""
    return _for_screen_pdf(hashlib.sha256(data).hexdigest(), data)


@lru_cache(maxsize=16)
def _for_screen_pdf(digest: str, data: bytes) -> bytes:
    try:
        im = open_image(data)
    except ImageProblem:
        return data  # the loader refused it already; WeasyPrint reports whatever else it is
    with im:
        if im.format in DRAWN_AS_IS and im.mode != "CMYK":
            return data
        im.load()
        out = to_srgb(im)
        if out.mode not in ("1", "L", "LA", "P", "RGB", "RGBA"):
            out = out.convert("RGBA" if "A" in out.mode or "transparency" in out.info else "RGB")
        buf = io.BytesIO()
        if im.format in ("JPEG", "MPO"):
            out.save(buf, "JPEG", quality=92, subsampling=0)
        else:
            out.save(buf, "PNG", compress_level=6)
        return buf.getvalue()
