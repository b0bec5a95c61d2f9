"""WeasyPrint's pydyf objects of a press document in, a PDF/X file's objects out (WeasyPrint's `finisher` hook).

Post-processing happens in the finisher on WeasyPrint's pydyf objects (no extra dependency): the output intent,
the GTS_PDFX keys ISO 15930 asks for (WeasyPrint writes "PDF/X-1a:2003" as the version; PDF/X-1a:2003 wants
"PDF/X-1:2003"), no annotations (links) on the page, unused Lab colour spaces dropped, the slug with its marks
(press_marks), a reproducible XMP DocumentID.

Fonts: PDF/X-1a:2003 and X-3:2003 are PDF 1.4, where a CFF font is embedded bare, as FontFile3 /CIDFontType0C.
WeasyPrint writes FontFile3 /OpenType (PDF 1.6), so the finisher puts each program's CFF table in its place
(`bare_cff`); `epaper check --output` verifies the font programs against the declared standard (E615).
"""

from __future__ import annotations

import io
import re
import uuid
from typing import Any, Callable, Sequence

import pydyf

from .press_marks import MARKS_SPACE, mark_page, registration_space
from .press_options import REGISTERED, REGISTRY

XMP_MM = b"http://ns.adobe.com/xap/1.0/mm/"  # the XMP Media Management namespace (xmpMM:VersionID)


def _obj(pdf: pydyf.PDF, ref) -> pydyf.Object:
    """The object a pydyf reference (b'12 0 R') points to."""
    text = ref.decode() if isinstance(ref, bytes) else str(ref)
    return pdf.objects[int(text.split()[0])]


def _raw(stream: pydyf.Stream) -> bytes:
    return b"\n".join(pydyf._to_bytes(i) for i in stream.stream if isinstance(i, (bytes, str)))


def finisher(doc_id: str, *, variant: str, condition: str, profile: bytes | None,
             image_names: dict[str, str] | None = None, versions: Sequence[int] = (), page_file: bool = False,
             issue_version: int = 1, modified: str = "") -> Callable[[Any, pydyf.PDF], None]:
    """WeasyPrint's finisher hook: PDF/X keys for `variant`, the output intent (`profile` embedded, else the
    registered `condition` named), marks, no annotations, reproducible XMP; `image_names` renames the separated
    photos' XObjects (press_photos.Separated.names). For a corrected issue, the plate `versions` of its pages
    (in document order) are marked in the slug and the metadata with the `issue_version` and the `modified` time."""

    def finish(document: Any, pdf: pydyf.PDF) -> None:
        info = pdf.info
        if versions:  # one page: its plate's version; the whole issue: the issue's, and every page's
            info["IssueVersion"] = pydyf.String(str(issue_version))
            info["PlateVersion"] = pydyf.String(",".join(map(str, versions)))
            if modified:
                info["ModDate"] = pydyf.String("D:" + re.sub(r"\D", "", modified) + "Z")
        if variant == "pdf/x-1a":
            info["GTS_PDFXVersion"] = pydyf.String("PDF/X-1:2003")
            info["GTS_PDFXConformance"] = pydyf.String("PDF/X-1a:2003")
        elif variant == "pdf/x-3":
            info["GTS_PDFXVersion"] = pydyf.String("PDF/X-3:2003")
            info.pop("GTS_PDFXConformance", None)
        else:
            info.pop("GTS_PDFXVersion", None)
            info.pop("GTS_PDFXConformance", None)
        info["Trapped"] = "/False"
        if "Title" not in info:
            info["Title"] = pydyf.String(document.metadata.title or doc_id)

        intent = pydyf.Dictionary({"Type": "/OutputIntent", "S": "/GTS_PDFX",
                                   "OutputConditionIdentifier": pydyf.String(condition)})
        if profile is not None:
            icc = pydyf.Stream([profile], pydyf.Dictionary({"N": 4}), compress=True)
            pdf.add_object(icc)
            intent["DestOutputProfile"] = icc.reference
            intent["Info"] = pydyf.String(condition)
            intent["OutputCondition"] = pydyf.String(condition)
        else:
            registered, about = REGISTERED[condition]
            intent["RegistryName"] = pydyf.String(REGISTRY)
            intent["OutputCondition"] = pydyf.String(registered)
            intent["Info"] = pydyf.String(about)
        pdf.add_object(intent)
        pdf.catalog["OutputIntents"] = pydyf.Array([intent.reference])

        # Content that might name a Lab space or an image: page streams and form XObjects, never images.
        streams = [o for o in pdf.objects if isinstance(o, pydyf.Stream) and o.extra.get("Subtype") != "/Image"]
        _rename_images(pdf, streams, image_names or {})
        _bare_cff(pdf)
        used = b"\n".join(_raw(s) for s in streams)

        registration = registration_space(pdf)
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
            mark_page(pdf, page, versions[index] if versions else None)

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
                version = versions[0] if page_file else issue_version
                text = text.replace(b"</rdf:RDF>", b'<rdf:Description rdf:about="" xmlns:xmpMM="' + XMP_MM
                                    + b'"><xmpMM:VersionID>' + str(version).encode()
                                    + b"</xmpMM:VersionID></rdf:Description></rdf:RDF>", 1)
                if modified:
                    text = re.sub(rb"(<xmp:ModifyDate>)[^<]*", rb"\g<1>" + modified.encode(), text)
            if variant == "pdf/x-1a":
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
