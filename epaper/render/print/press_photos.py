"""An issue's photos in, CMYK JPEGs for newsprint out (beside a map from the print HTML's photo URLs to them).

Photos are separated with Pillow: through the paper's profile when there is one, else with full grey-component
replacement (neutrals on the black plate only), compensation for newsprint's tone value increase and a 240 %
total ink limit; they are downsampled to 300 ppi at their placed size.
"""

from __future__ import annotations

import hashlib
import io
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence
from urllib.parse import quote

from PIL import Image, ImageChops, ImageCms, ImageMath, ImageOps

from ...codes import finding
from ...errors import Finding
from ...layout.types import PageLayout
from ...model import Issue
from ...source.images import ImageProblem, open_image

TVI_40 = 0.26  # ISO 12647-3:2004 tone value increase at a 40 % patch on newsprint
TOTAL_INK = 2.40  # ISO 12647-3 total area coverage limit
MAX_PPI = 300.0


@dataclass
class Separated:
    """The separated copies of an issue's photos, and how the press render finds them."""

    swap: dict[str, str] = field(default_factory=dict)  # a photo's URL in the print HTML → its copy's file: URL
    # WeasyPrint names an image XObject after md5(URL); the copies live in a temporary folder, so their names are
    # mapped to the md5 of the photo's path in the issue: the same bytes from any folder
    names: dict[str, str] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)  # E521: a photo that cannot be separated


def _tvi_lut(tvi40: float = TVI_40) -> list[int]:
    """Plate value for a wanted printed tone: inverse of printed = 1 − (1 − t)^g, g fitted to the TVI at 40 %."""
    g = math.log(1 - 0.4 - tvi40) / math.log(0.6)
    return [round(255 * (1 - (1 - v / 255) ** (1 / g))) for v in range(256)]


def separate_newsprint(rgb: Image.Image, total_ink: float = TOTAL_INK) -> Image.Image:
    """RGB → CMYK for newsprint without a profile: full GCR, TVI compensation, total ink limit.

    Neutral greys print on the black plate only (stable on a coldset press, no colour cast from register);
    each plate is lightened by the inverse of the standard's tone value increase, so that a 50 % grey does
    not print as 77 %; colour under the ink limit is scaled down, black kept. Needs Pillow ≥ 10.3.
    """
    r, g, b = rgb.split()
    light = ImageChops.lighter(ImageChops.lighter(r, g), b)  # max(R, G, B)
    k = ImageOps.invert(light)  # K = min(C′, M′, Y′): the whole grey component goes to the black plate
    # what is left of each colour under that black: C = (C′ − K) / (1 − K) = (max − R) / max
    c, m, y = (ImageMath.lambda_eval(
        lambda a: a["convert"](a["float"](a["light"] - a["ch"]) * 255.0 / a["max"](a["light"], 1), "L"),
        light=light, ch=ch) for ch in (r, g, b))
    lut = _tvi_lut()
    c, m, y, k = (ch.point(lut) for ch in (c, m, y, k))
    limit = round(total_ink * 255)
    total = ImageMath.lambda_eval(lambda a: a["c"] + a["m"] + a["y"] + a["k"], c=c, m=m, y=y, k=k)
    if total.getextrema()[1] > limit:  # dark saturated colours (deep blue: C and M full over a heavy K)
        scale = ImageMath.lambda_eval(
            lambda a: a["min"](a["float"](limit - a["k"]) / a["max"](a["c"] + a["m"] + a["y"], 1), 1.0),
            c=c, m=m, y=y, k=k)
        c, m, y = (ImageMath.lambda_eval(lambda a: a["convert"](a["ch"] * a["s"], "L"), ch=ch, s=scale)
                   for ch in (c, m, y))
    return Image.merge("CMYK", (c, m, y, k))


def separate_photo(src: Path, dst: Path, *, size: tuple[int, int] | None = None, profile: bytes | None = None,
                   total_ink: float = TOTAL_INK, quality: int = 90) -> None:
    """One photo to a CMYK JPEG: EXIF orientation applied, transparency flattened on white, optionally resized.

    A photo that already is CMYK is passed through (resized if asked): it was separated by someone who knew
    the press. RGB goes through the paper's profile (perceptual) when there is one, else separate_newsprint.
    """
    with open_image(src) as im:  # by content, within the pixel limit
        im = ImageOps.exif_transpose(im)
        if im.mode == "CMYK":
            image = im.copy()
        else:
            rgba = im.convert("RGBA")
            image = Image.new("RGB", rgba.size, (255, 255, 255))
            image.paste(rgba, mask=rgba.getchannel("A"))
    if size and size != image.size:
        image = image.resize(size, Image.Resampling.LANCZOS)
    if image.mode == "RGB" and profile is not None:
        target = ImageCms.ImageCmsProfile(io.BytesIO(profile))
        image = ImageCms.profileToProfile(image, ImageCms.createProfile("sRGB"), target,
                                          renderingIntent=ImageCms.Intent.PERCEPTUAL, outputMode="CMYK")
    elif image.mode == "RGB":
        image = separate_newsprint(image, total_ink)
    image.save(dst, format="JPEG", quality=quality, optimize=True)


def photo_sizes(pages: Iterable[PageLayout], max_ppi: float) -> dict[Path, tuple[int, int]]:
    """Pixel size each photo needs at `max_ppi` where it is placed (object-fit: cover), if smaller than the file."""
    sizes: dict[Path, tuple[int, int]] = {}
    for page in pages:
        for module in page.modules:
            for ph in module.photos:
                photo = ph.photo
                scale = max(ph.rect.w / photo.width_px, ph.rect.h / photo.height_px)  # pt per pixel
                ppi = 72 / scale if scale else math.inf
                factor = min(1.0, max_ppi / ppi)
                want = (max(1, round(photo.width_px * factor)), max(1, round(photo.height_px * factor)))
                old = sizes.get(photo.path, (0, 0))
                sizes[photo.path] = (max(old[0], want[0]), max(old[1], want[1]))
    return sizes


def separate_photos(issue: Issue, folder: Path, *, pages: Sequence[PageLayout] | None = None,
                    profile: bytes | None = None, max_ppi: float = MAX_PPI, total_ink: float = TOTAL_INK,
                    quality: int = 90) -> Separated:
    """Every photo of the issue, once, into `folder` as NNN-<stem>.jpg (at `max_ppi` where `pages` place it)."""
    sizes = photo_sizes(pages, max_ppi) if pages else {}
    out = Separated()
    seen: dict[Path, Path] = {}
    for article in issue.articles.values():
        for photo in article.photos:
            if photo.path in seen:
                continue
            dst = folder / f"{len(seen):03d}-{photo.path.stem}.jpg"
            try:
                separate_photo(photo.path, dst, size=sizes.get(photo.path), profile=profile,
                               total_ink=total_ink, quality=quality)
            except (OSError, ValueError, ImageProblem, ImageCms.PyCMSError) as exc:
                out.findings.append(finding("E521", f"photo cannot be separated to CMYK: {exc}",
                                            where=str(photo.path)))
                continue
            seen[photo.path] = dst
            inside = photo.path.is_relative_to(issue.root)
            rel = photo.path.relative_to(issue.root).as_posix() if inside else photo.path.name
            # the print HTML names a photo by its file: URL; a relative src (from the issue folder) is swapped too
            for old in (photo.path.as_uri(), *((rel, quote(rel)) if inside else ())):
                out.swap[old] = dst.as_uri()
            out.names[_md5(dst.as_uri())] = _md5("press:" + rel)
    return out


def _md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()
