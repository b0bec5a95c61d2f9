"""The print HTML in, the press files out: PDF/X for newsprint, the whole issue and one file per page.

What a newspaper's prepress wants and how it is made here:

- **PDF/X.** Without a profile: PDF/X-1a:2003 whose output intent names the registered characterization
  IFRA26 (ISO 12647-3 coldset on newsprint, ICC registry http://www.color.org); PDF/X-1a may name a
  registered condition without embedding its profile. No freely licensed newsprint CMYK profile exists
  (Debian's icc-profiles-free, colord-data and argyll-ref hold none; Ghostscript's default_cmyk.icc is AGPL),
  so none is shipped. A paper (or its printer) that supplies a CMYK profile gets PDF/X-4 with the profile
  embedded as the output intent, and photos separated through it.
- **CMYK only.** layouts/*/press.css restates every colour of print.css in device-cmyk() (text 100 % K);
  the rendered boxes are audited before anything is written (E520 names an element left in RGB).
- **Photos** are separated to CMYK JPEGs with Pillow: through the paper's profile when there is one, else
  with full grey-component replacement (neutrals on the black plate only), compensation for newsprint's
  tone value increase and a 240 % total ink limit; they are downsampled to 300 ppi at their placed size.
- **Trim, bleed and marks.** `@page { bleed }` makes WeasyPrint write TrimBox and BleedBox; the MediaBox is
  then widened by a slug in which crop marks are drawn in registration colour (Separation /All), outside
  the BleedBox. WeasyPrint's own `marks: crop` would draw them in RGB black inside the bleed.
- **Fonts.** PDF/X-1a:2003 and X-3:2003 are PDF 1.4: a CFF font is embedded bare, as FontFile3 /CIDFontType0C.
  WeasyPrint writes FontFile3 /OpenType (PDF 1.6), so the finisher puts each program's CFF table in its place
  (`bare_cff`); `epaper check --output` verifies the font programs against the declared standard (E615).
- **Post-processing** happens in WeasyPrint's `finisher` hook on its pydyf objects (no extra dependency):
  the output intent, the GTS_PDFX keys ISO 15930 asks for (WeasyPrint writes "PDF/X-1a:2003" as the
  version; PDF/X-1a:2003 wants "PDF/X-1:2003"), no annotations (links) on the page, unused Lab colour
  spaces dropped, a reproducible XMP DocumentID.

One render serves every file: the per-page PDFs are `document.copy([page])` of it.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import os
import re
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence
from urllib.parse import quote

import pydyf
from markupsafe import escape
from PIL import Image, ImageChops, ImageCms, ImageMath, ImageOps

from ...codes import finding
from ...errors import Finding, InputError
from ...layout.grid import MM, Layout
from ...layout.types import PageLayout
from ...model import Issue
from ...source.images import ImageProblem, open_image
from . import print_pdf

VARIANTS = ("pdf/x-1a", "pdf/x-3", "pdf/x-4")
REGISTRY = "http://www.color.org"
# Registered characterizations (ICC's characterization data registry) for newsprint that a PDF/X-1a or X-3
# file may name without embedding a profile: identifier → (OutputCondition, Info).
REGISTERED = {
    "IFRA26": ("Coldset offset on standard newsprint (ISO 12647-3:2004)",
               "ISO 12647-3:2004, coldset offset lithography on newsprint, characterization data IFRA26"),
    "IFRA30": ("Coldset offset on improved newsprint (ISO 12647-3:2013)",
               "ISO 12647-3:2013, coldset offset lithography on improved newsprint, characterization data IFRA30"),
}
DEFAULT_CONDITION = "IFRA26"
MARK_LENGTH = 6 * MM  # crop mark length, starting at the bleed edge
SLUG = 10 * MM  # MediaBox beyond the TrimBox: bleed, then the marks
MARK_WIDTH = 0.25  # pt
XMP_MM = b"http://ns.adobe.com/xap/1.0/mm/"  # the XMP Media Management namespace (xmpMM:VersionID)
MARKS_SPACE = "EpaperRegistration"  # colour-space resource name of the /All separation
TVI_40 = 0.26  # ISO 12647-3:2004 tone value increase at a 40 % patch on newsprint
TOTAL_INK = 2.40  # ISO 12647-3 total area coverage limit
MAX_PPI = 300.0


@dataclass(frozen=True)
class PressOptions:
    """How to make the press files. A profile switches to PDF/X-4 with it embedded."""

    profile: Path | None = None  # the paper's CMYK output profile (ICC), e.g. from paper.toml [press] profile
    condition: str | None = None  # output condition identifier; default IFRA26, or the profile's description
    variant: str | None = None  # "pdf/x-1a" or "pdf/x-3" without a profile, "pdf/x-4" with one (the defaults)
    per_page: bool = True  # one PDF per page besides the whole issue
    max_ppi: float = MAX_PPI  # photos are downsampled to this at their placed size (needs `pages`)
    total_ink: float = TOTAL_INK  # photo separation without a profile: total area coverage limit
    jpeg_quality: int = 90


@dataclass
class PressRender:
    """The press document, laid out once; the files are written from it."""

    rendered: print_pdf.Rendered
    options: PressOptions
    variant: str
    condition: str
    profile: bytes | None
    findings: list[Finding]
    _workdir: tempfile.TemporaryDirectory | None = field(default=None, repr=False)
    # WeasyPrint names an image XObject after md5(URL); the separated copies live in a temporary folder, so
    # their names are mapped to the md5 of the photo's path in the issue: the same bytes from any folder.
    image_names: dict[str, str] = field(default_factory=dict)
    # a corrected issue (更正): its version, and each page's plate version (1 + the corrections on that page);
    # an issue never corrected has none, and its files carry no version mark
    issue_version: int = 1
    plate_versions: list[int] = field(default_factory=list)
    modified: str = ""  # the last correction's time, UTC (xmp:ModifyDate), when there is one

    def close(self) -> None:
        if self._workdir is not None:
            self._workdir.cleanup()
            self._workdir = None


@dataclass
class PressResult:
    issue_pdf: Path
    page_pdfs: list[Path]
    variant: str
    condition: str
    findings: list[Finding] = field(default_factory=list)

    @property
    def outputs(self) -> list[Path]:
        return [self.issue_pdf, *self.page_pdfs]


def press_paths(issue: Issue, out_dir: Path) -> tuple[Path, list[Path]]:
    """File names: SLUG-DATE.press.pdf for the issue, SLUG-DATE.pNN.press.pdf per page (NN = 版次)."""
    out_dir = Path(out_dir)
    return (out_dir / f"{issue.slug}.press.pdf",
            [out_dir / f"{issue.slug}.p{page.number:02d}.press.pdf" for page in issue.pages])


def is_press_file(path: Path) -> bool:
    return Path(path).name.endswith(".press.pdf")


# --- options -------------------------------------------------------------------------------------------------

def resolve(options: PressOptions) -> tuple[str, str, bytes | None]:
    """(variant, condition identifier, profile bytes) from the options; a bad profile is an InputError."""
    profile = None
    description = ""
    if options.profile is not None:
        path = Path(options.profile)
        try:
            data = path.read_bytes()
            icc = ImageCms.ImageCmsProfile(path.open("rb"))
        except (OSError, ImageCms.PyCMSError) as exc:
            raise InputError(path, f"the press profile cannot be read as an ICC profile: {exc}",
                             hint="give the CMYK output profile your printer supplies (an .icc file)") from None
        space = icc.profile.xcolor_space.strip()
        if space != "CMYK":
            raise InputError(path, f"the press profile is a {space} profile, not CMYK",
                             hint="a PDF/X output intent for a four-colour press needs a CMYK output profile")
        profile = data
        description = (icc.profile.profile_description or icc.profile.model or path.stem).strip()
    variant = options.variant or ("pdf/x-4" if profile else "pdf/x-1a")
    if variant not in VARIANTS:
        raise InputError(Path("press"), f"unknown PDF/X variant {variant!r}", hint="pdf/x-1a, pdf/x-3 or pdf/x-4")
    if variant == "pdf/x-4" and profile is None:
        raise InputError(Path("press"), "PDF/X-4 needs an embedded CMYK output profile",
                         hint="give the paper's press profile, or use PDF/X-1a naming IFRA26")
    condition = options.condition or (description if profile else DEFAULT_CONDITION)
    if profile is None and condition not in REGISTERED:
        raise InputError(Path("press"), f"output condition {condition!r} is not a registered characterization "
                                        "that a file may name without its profile",
                         hint=f"use one of {', '.join(REGISTERED)} or give the profile")
    return variant, condition, profile


# --- photos --------------------------------------------------------------------------------------------------

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


# --- HTML and render -----------------------------------------------------------------------------------------

def press_stylesheets(layout: Layout) -> list[Path]:
    """press.css along the layout's chain, base first (like print.css)."""
    return [f / "press.css" for f in reversed(layout.folders) if (f / "press.css").is_file()]


def press_html(html: str, layout: Layout, photos: dict[str, str] | None = None) -> str:
    """The print HTML with the press overlay linked last, the layout's bleed, and photo URLs swapped."""
    for old, new in (photos or {}).items():
        html = html.replace(f'src="{escape(old)}"', f'src="{escape(new)}"')
    links = "".join(f'<link rel="stylesheet" href="{escape(s.as_uri())}">\n' for s in press_stylesheets(layout))
    bleed = f"<style>@page {{ bleed: {layout.bleed:.3f}pt; marks: none; }}</style>\n"
    head_end = html.find("</head>")
    if head_end < 0:
        raise ValueError("the print HTML has no </head>")
    return html[:head_end] + links + bleed + html[head_end:]


def render_press(html: str, issue: Issue, layout: Layout, *, pages: Sequence[PageLayout] | None = None,
                 options: PressOptions = PressOptions(), roots: Sequence[Path] = ()) -> PressRender:
    """Separate the photos, render the press document once, audit its colours; nothing is written to out/."""
    variant, condition, profile = resolve(options)
    workdir = tempfile.TemporaryDirectory(prefix="epaper-press-")
    tmp = Path(workdir.name)
    findings: list[Finding] = []
    sizes = photo_sizes(pages, options.max_ppi) if pages else {}
    swap: dict[str, str] = {}
    names: dict[str, str] = {}
    seen: dict[Path, Path] = {}
    for article in issue.articles.values():
        for photo in article.photos:
            if photo.path in seen:
                continue
            dst = tmp / f"{len(seen):03d}-{photo.path.stem}.jpg"
            try:
                separate_photo(photo.path, dst, size=sizes.get(photo.path), profile=profile,
                               total_ink=options.total_ink, quality=options.jpeg_quality)
            except (OSError, ValueError, ImageProblem, ImageCms.PyCMSError) as exc:
                findings.append(finding("E521", f"photo cannot be separated to CMYK: {exc}", where=str(photo.path)))
                continue
            seen[photo.path] = dst
            inside = photo.path.is_relative_to(issue.root)
            rel = photo.path.relative_to(issue.root).as_posix() if inside else photo.path.name
            # the print HTML names a photo by its file: URL; a relative src (from the issue folder) is swapped too
            for old in (photo.path.as_uri(), *((rel, quote(rel)) if inside else ())):
                swap[old] = dst.as_uri()
            names[_md5(dst.as_uri())] = _md5("press:" + rel)
    allowed = [issue.root, *layout.folders, *roots, tmp]
    rendered = print_pdf.render_document(press_html(html, layout, swap), issue.root, allowed)
    findings.extend(rendered.findings)
    findings.extend(audit_colours(rendered.document))
    if pages is not None:
        findings.extend(print_pdf.check_geometry(rendered, list(pages)))
    when = max((c.when for c in issue.corrections), default=None)
    return PressRender(rendered, options, variant, condition, profile, findings, workdir, names,
                       issue.version, plate_versions(issue, pages),
                       when.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") if when else "")


def plate_versions(issue: Issue, pages: Sequence[PageLayout] | None = None) -> list[int]:
    """Each page's plate version: 1, plus one for every correction of an article printed on it (any part of a
    转版 article when the laid-out `pages` are given, else the page plan's lists). Only touched plates are remade."""
    if pages is not None:
        on_page = [{m.article.id for m in p.modules} for p in pages]
    else:
        on_page = [set(p.articles) for p in issue.pages]
    return [1 + sum(c.article in ids for c in issue.corrections) for ids in on_page]


# A version mark drawn in the slug with strokes (a font there would have to be embedded): V and seven-segment
# digits, segments named a–g clockwise from the top with g across the middle, in a unit box (y up).
SEGMENTS = {"0": "abcdef", "1": "bc", "2": "abged", "3": "abgcd", "4": "fgbc", "5": "afgcd", "6": "afgedc",
            "7": "abc", "8": "abcdefg", "9": "abcdfg"}
STROKES = {"a": ((0, 1), (1, 1)), "b": ((1, 1), (1, 0.5)), "c": ((1, 0.5), (1, 0)), "d": ((0, 0), (1, 0)),
           "e": ((0, 0), (0, 0.5)), "f": ((0, 0.5), (0, 1)), "g": ((0, 0.5), (1, 0.5))}
VERSION_MARK = (3 * MM, 1.8 * MM, 0.5)  # height, digit width (pt), line width


def _version_mark(stream: pydyf.Stream, version: int, x: float, top: float) -> None:
    """`V<version>` with its top-left at (x, top), stroked in the current (registration) colour."""
    h, w, line = VERSION_MARK
    stream.set_line_width(line)
    y = top - h
    stream.move_to(x, top)  # V
    stream.line_to(x + w / 2, y)
    stream.line_to(x + w, top)
    for n, digit in enumerate(str(version), 1):
        left = x + n * w * 1.6
        for seg in SEGMENTS[digit]:
            (ax, ay), (bx, by) = STROKES[seg]
            stream.move_to(left + ax * w, y + ay * h)
            stream.line_to(left + bx * w, y + by * h)
    stream.stroke()


def _md5(text: str) -> str:
    import hashlib

    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def _hex(colour) -> str:
    if colour.space == "srgb":
        r, g, b = (round(255 * max(0.0, min(1.0, v))) for v in colour.coordinates)
        return f"#{r:02x}{g:02x}{b:02x}"
    return f"{colour.space}({' '.join(f'{v:g}' for v in colour.coordinates)})"


def audit_colours(document) -> list[Finding]:
    """Every colour the press document paints must be device-cmyk and opaque; every image CMYK."""
    from weasyprint.draw.color import get_color
    from weasyprint.formatting_structure import boxes

    findings: list[Finding] = []
    seen: set[tuple] = set()
    for number, page in enumerate(document.pages, 1):
        for box in page._page_box.descendants(placeholders=True):
            style = box.style
            uses = []
            if isinstance(box, boxes.TextBox):
                uses.append(("color", style["color"]))
                decoration = style["text_decoration_line"]
                if decoration and decoration != "none":
                    uses.append(("text-decoration-color", get_color(style, "text_decoration_color")))
            for side in ("top", "right", "bottom", "left"):
                if style[f"border_{side}_width"] and style[f"border_{side}_style"] not in ("none", "hidden"):
                    uses.append((f"border-{side}-color", get_color(style, f"border_{side}_color")))
            if style["outline_width"] and style["outline_style"] not in ("none", "hidden"):
                uses.append(("outline-color", get_color(style, "outline_color")))
            background = getattr(box, "background", None)
            if background is not None and background.color.alpha > 0:
                uses.append(("background-color", background.color))
            tag = getattr(box, "element_tag", "") or ""
            element = getattr(box, "element", None)
            cls = element.get("class", "") if element is not None and hasattr(element, "get") else ""
            where = f"page {number}, <{tag}{f' class={cls!r}' if cls else ''}>"
            for prop, colour in uses:
                bad = colour.space != "device-cmyk" or 0 < colour.alpha < 1
                key = (prop, str(colour), tag, cls)
                if bad and key not in seen:
                    seen.add(key)
                    what = "translucent" if colour.space == "device-cmyk" else "not CMYK"
                    findings.append(finding("E520", f"{prop} {_hex(colour)} is {what} in the press file",
                                            where=where))
            if isinstance(box, boxes.ReplacedBox):
                mode = getattr(box.replacement, "mode", "vector")
                key = ("image", mode, tag, cls)
                if mode != "CMYK" and key not in seen:
                    seen.add(key)
                    findings.append(finding("E520", f"image in {mode} in the press file", where=where,
                                            hint="press images are separated to CMYK JPEG; SVG is not supported"))
    return findings


# --- writing -------------------------------------------------------------------------------------------------

def _obj(pdf: pydyf.PDF, ref) -> pydyf.Object:
    """The object a pydyf reference (b'12 0 R') points to."""
    text = ref.decode() if isinstance(ref, bytes) else str(ref)
    return pdf.objects[int(text.split()[0])]


def _raw(stream: pydyf.Stream) -> bytes:
    return b"\n".join(pydyf._to_bytes(i) for i in stream.stream if isinstance(i, (bytes, str)))


def _num(value) -> float:
    return float(value)


def _finisher(job: PressRender, doc_id: str, versions: Sequence[int] = (), page_file: bool = False):
    """WeasyPrint's finisher hook: PDF/X keys, output intent, marks, no annotations, reproducible XMP; for a
    corrected issue, the plate `versions` of its pages (in document order) marked in the slug and the metadata."""

    def finish(document, pdf: pydyf.PDF) -> None:
        info = pdf.info
        if versions:  # one page: its plate's version; the whole issue: the issue's, and every page's
            info["IssueVersion"] = pydyf.String(str(job.issue_version))
            info["PlateVersion"] = pydyf.String(",".join(map(str, versions)))
            if job.modified:
                info["ModDate"] = pydyf.String("D:" + re.sub(r"\D", "", job.modified) + "Z")
        if job.variant == "pdf/x-1a":
            info["GTS_PDFXVersion"] = pydyf.String("PDF/X-1:2003")
            info["GTS_PDFXConformance"] = pydyf.String("PDF/X-1a:2003")
        elif job.variant == "pdf/x-3":
            info["GTS_PDFXVersion"] = pydyf.String("PDF/X-3:2003")
            info.pop("GTS_PDFXConformance", None)
        else:
            info.pop("GTS_PDFXVersion", None)
            info.pop("GTS_PDFXConformance", None)
        info["Trapped"] = "/False"
        if "Title" not in info:
            info["Title"] = pydyf.String(document.metadata.title or doc_id)

        intent = pydyf.Dictionary({"Type": "/OutputIntent", "S": "/GTS_PDFX",
                                   "OutputConditionIdentifier": pydyf.String(job.condition)})
        if job.profile is not None:
            icc = pydyf.Stream([job.profile], pydyf.Dictionary({"N": 4}), compress=True)
            pdf.add_object(icc)
            intent["DestOutputProfile"] = icc.reference
            intent["Info"] = pydyf.String(job.condition)
            intent["OutputCondition"] = pydyf.String(job.condition)
        else:
            condition, about = REGISTERED[job.condition]
            intent["RegistryName"] = pydyf.String(REGISTRY)
            intent["OutputCondition"] = pydyf.String(condition)
            intent["Info"] = pydyf.String(about)
        pdf.add_object(intent)
        pdf.catalog["OutputIntents"] = pydyf.Array([intent.reference])

        # Content that might name a Lab space or an image: page streams and form XObjects, never images.
        streams = [o for o in pdf.objects if isinstance(o, pydyf.Stream) and o.extra.get("Subtype") != "/Image"]
        _rename_images(pdf, streams, job.image_names)
        _bare_cff(pdf)
        used = b"\n".join(_raw(s) for s in streams)

        # the registration colour for the marks, a Separation /All over CMYK
        tint = pydyf.Dictionary({"FunctionType": 2, "Domain": pydyf.Array([0, 1]), "C0": pydyf.Array([0, 0, 0, 0]),
                                 "C1": pydyf.Array([1, 1, 1, 1]), "N": 1})
        pdf.add_object(tint)
        registration = pydyf.Array(["/Separation", "/All", "/DeviceCMYK", tint.reference])
        pdf.add_object(registration)
        spaces_done: set[int] = set()
        pages = [o for o in list(pdf.objects) if isinstance(o, pydyf.Dictionary) and o.get("Type") == "/Page"]
        for index, page in enumerate(pages):
            page.pop("Annots", None)  # PDF/X: no annotations on the printed area; links mean nothing on paper
            resources = _obj(pdf, page["Resources"]) if isinstance(page["Resources"], bytes) else page["Resources"]
            spaces = resources.get("ColorSpace")
            spaces = _obj(pdf, spaces) if isinstance(spaces, bytes) else spaces
            if spaces is not None and id(spaces) not in spaces_done:
                spaces_done.add(id(spaces))
                for lab in ("lab-d50", "lab-d65"):
                    if lab in spaces and f"/{lab}".encode() not in used:
                        del spaces[lab]
                spaces[MARKS_SPACE] = registration.reference
            x0, y0, x1, y1 = (_num(v) for v in page["TrimBox"])
            b0, b1, b2, b3 = (_num(v) for v in page["BleedBox"])
            bleed = max(x0 - b0, y0 - b1, b2 - x1, b3 - y1, 0.0)
            slug = max(SLUG, bleed + MARK_LENGTH + 2)
            page["MediaBox"] = pydyf.Array([x0 - slug, y0 - slug, x1 + slug, y1 + slug])
            page["BleedBox"] = pydyf.Array([x0 - bleed, y0 - bleed, x1 + bleed, y1 + bleed])
            marks = pydyf.Stream(compress=True)
            marks.push_state()
            marks.set_color_space(MARKS_SPACE, stroke=True)
            marks.set_color_special(None, True, 1)
            marks.set_line_width(MARK_WIDTH)
            near, far = bleed, bleed + MARK_LENGTH
            for x, y, dx, dy in ((x0, y0, -1, -1), (x1, y0, 1, -1), (x0, y1, -1, 1), (x1, y1, 1, 1)):
                marks.move_to(x + dx * near, y)  # horizontal mark on the line of the horizontal trim edge
                marks.line_to(x + dx * far, y)
                marks.move_to(x, y + dy * near)  # vertical mark on the line of the vertical trim edge
                marks.line_to(x, y + dy * far)
            marks.stroke()
            if versions:  # below the trim, right of the lower-left crop mark: out of the printed area
                _version_mark(marks, versions[index], x0 + MARK_LENGTH, y0 - bleed - 1 * MM)
            marks.pop_state()
            save, restore = pydyf.Stream([b"q"]), pydyf.Stream([b"Q"])
            for s in (save, restore, marks):
                pdf.add_object(s)
            contents = page["Contents"]
            contents = list(contents) if isinstance(contents, pydyf.Array) else [contents]
            page["Contents"] = pydyf.Array([save.reference, *contents, restore.reference, marks.reference])

        metadata = pdf.catalog.get("Metadata")
        if metadata is not None:
            xmp = _obj(pdf, metadata)
            text = b"".join(pydyf._to_bytes(i) for i in xmp.stream)
            stable = f"xmp.did:{uuid.uuid5(uuid.NAMESPACE_URL, 'epaper:' + doc_id)}".encode()
            text = re.sub(rb"xmp\.did:[0-9a-f-]{36}", stable, text)
            text = re.sub(rb' pdfxid:part="\d+"', b"", text)  # not a property of the PDF/X id schema
            # a press file is the original rendition, not a proof of one (WeasyPrint writes proof:pdf)
            text = text.replace(b"<xmpMM:RenditionClass>proof:pdf<", b"<xmpMM:RenditionClass>default<")
            if versions:  # xmpMM:VersionID: the plate's version in a page's file, the issue's in the issue's
                version = versions[0] if page_file else job.issue_version
                text = text.replace(b"</rdf:RDF>", b'<rdf:Description rdf:about="" xmlns:xmpMM="' + XMP_MM
                                    + b'"><xmpMM:VersionID>' + str(version).encode()
                                    + b"</xmpMM:VersionID></rdf:Description></rdf:RDF>", 1)
                if job.modified:
                    text = re.sub(rb"(<xmp:ModifyDate>)[^<]*", rb"\g<1>" + job.modified.encode(), text)
            if job.variant == "pdf/x-1a":
                text = re.sub(rb"(<pdfx:GTS_PDFXVersion>)PDF/X-1a:2003", rb"\1PDF/X-1:2003", text)
                text = re.sub(rb"(<pdfxid:GTS_PDFXVersion>)PDF/X-1a:2003", rb"\1PDF/X-1:2003", text)
            xmp.stream = [text]

    return finish


def bare_cff(font_program: bytes) -> bytes | None:
    """The CFF table of an OpenType (CFF-flavoured) font program, if it is CID-keyed (as Noto CJK is), else None.

    PDF/X-1a:2003 and X-3:2003 are PDF 1.4, which embeds CFF only bare, as FontFile3 /CIDFontType0C (or /Type1C
    for simple fonts); FontFile3 /OpenType, which WeasyPrint writes, came with PDF 1.6. The glyph outlines and
    the charset that maps CIDs to glyphs are the CFF table's own, so every glyph stays where it was.
    """
    from fontTools.ttLib import TTFont

    try:
        font = TTFont(io.BytesIO(font_program), lazy=True)
        if "CFF " not in font:
            return None
        top = font["CFF "].cff.topDictIndex[0]
        if not hasattr(top, "ROS"):
            return None  # name-keyed: no lossless bare form under a CIDFont; the output check reports it (E615)
        return font.reader["CFF "]
    except Exception:  # fontTools raises many types for a damaged program; the output check reports it
        return None


def _bare_cff(pdf: pydyf.PDF) -> None:
    """Every FontFile3 /OpenType stream replaced by its CFF table as /CIDFontType0C (see bare_cff)."""
    for obj in pdf.objects:
        if isinstance(obj, pydyf.Stream) and obj.extra.get("Subtype") == "/OpenType":
            program = b"".join(pydyf._to_bytes(i) for i in obj.stream)
            cff = bare_cff(program)
            if cff is not None:
                obj.stream = [cff]
                obj.extra["Subtype"] = "/CIDFontType0C"


def _rename_images(pdf: pydyf.PDF, streams: list[pydyf.Stream], names: dict[str, str]) -> None:
    """XObject names from the separated copies' URLs back to the originals' (i<md5 of URL><interpolate>)."""
    if not names:
        return
    pattern = re.compile(r"i(" + "|".join(map(re.escape, names)) + r")([01])$")
    renames: dict[str, str] = {}
    for obj in pdf.objects:
        xobjects = obj.get("XObject") if isinstance(obj, pydyf.Dictionary) else None
        if isinstance(xobjects, dict):
            for key in list(xobjects):
                m = pattern.match(key)
                if m:
                    renames[key] = f"i{names[m.group(1)]}{m.group(2)}"
                    xobjects[renames[key]] = xobjects.pop(key)
    if not renames:
        return
    swaps = [(f"/{old} Do", f"/{new} Do") for old, new in renames.items()]
    for stream in streams:
        items = []
        for item in stream.stream:
            if isinstance(item, (bytes, str)):
                is_bytes = isinstance(item, bytes)
                text = item.decode("latin-1") if is_bytes else item
                if " Do" in text:
                    for old, new in swaps:
                        text = text.replace(old, new)
                item = text.encode("latin-1") if is_bytes else text
            items.append(item)
        stream.stream = items


def _write_one(job: PressRender, document, target: Path, doc_id: str, versions: Sequence[int] = (),
               page_file: bool = False) -> None:
    document.write_pdf(target, pdf_variant=job.variant, pdf_identifier=doc_id.encode("utf-8"),
                       uncompressed_pdf=False, finisher=_finisher(job, doc_id, versions, page_file))


def write_press(source: str | PressRender, out_dir: Path, issue: Issue, layout: Layout, *,
                pages: Sequence[PageLayout] | None = None, options: PressOptions | None = None,
                roots: Sequence[Path] = ()) -> PressResult:
    """Write SLUG-DATE.press.pdf and (per_page) SLUG-DATE.pNN.press.pdf into out_dir.

    `source` is the print HTML (print_pdf.render_html) or a PressRender from render_press: render first when
    the caller gates on findings before writing anything (the render's options then apply; `pages`, `options`
    and `roots` are for rendering here). Nothing checks the findings here. Files are written beside their
    targets and moved into place only when all of them were written.
    """
    if isinstance(source, PressRender):
        job = source
    else:
        job = render_press(source, issue, layout, pages=pages, options=options or PressOptions(), roots=roots)
    options = job.options
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    issue_pdf, page_pdfs = press_paths(issue, out_dir)
    document = job.rendered.document
    if len(document.pages) != len(page_pdfs):
        page_pdfs = page_pdfs[:len(document.pages)]
    # a corrected issue: every page's plate version (none for an issue never corrected: its bytes as before)
    plates = (job.plate_versions or [1] * len(document.pages)) if job.issue_version > 1 else []
    targets = [(issue_pdf, document, issue.slug, plates[:len(document.pages)], False)]
    if options.per_page:
        targets += [(path, document.copy([page]), f"{issue.slug}/p{n:02d}", plates[i:i + 1], True)
                    for i, (path, page, n) in enumerate(zip(page_pdfs, document.pages, [p.number for p in issue.pages]))]
    else:
        page_pdfs = []
    temps: list[tuple[Path, Path]] = []
    try:
        for target, doc, doc_id, versions, page_file in targets:
            fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=out_dir)
            os.close(fd)
            temps.append((Path(name), target))
            _write_one(job, doc, Path(name), doc_id, versions, page_file)
        for tmp, target in temps:
            os.chmod(tmp, 0o644)
            os.replace(tmp, target)
    finally:
        for tmp, _ in temps:
            tmp.unlink(missing_ok=True)
        if not isinstance(source, PressRender):
            job.close()
    return PressResult(issue_pdf, page_pdfs, job.variant, job.condition, list(job.findings))
