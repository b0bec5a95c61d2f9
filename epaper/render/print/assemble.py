"""Single-page PDFs (page_pdfs.py) in, the issue's one PDF out: pages joined, each font embedded once, bookmarks,
named destinations and jump-line links across pages restored.

Each page PDF embeds its own subset of every face it uses. Joining them as they are would repeat the CJK
faces on every page, so fonts with the same resource name (WeasyPrint names a font by a hash of its face
description, the same in every page document) become one font: one program subset to the union of the
glyphs all pages use (glyph ids unchanged, see font_subset.py), one width array, one ToUnicode map.
"""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pikepdf
from pikepdf import Array, Dictionary, Name

from ...layout.types import PageLayout
from ...derived_cache import DerivedCache, make_key
from . import tagging
from .font_subset import subset_font
from .page_fonts import DEFERRED_PROGRAM_MAX
from .page_pdfs import PageOut


@dataclass(frozen=True)
class Face:
    """Where a font of the pages comes from: the file and the face index in it (a .ttc holds several)."""

    path: Path
    index: int


@dataclass(frozen=True)
class Link:
    """A link to add after joining: a rectangle on a page (pt, from the trim box's top-left) to a named destination."""

    page: int  # 0-based
    x: float
    y: float
    w: float
    h: float
    dest: str
    text: str  # the jump line as read aloud: the annotation's /Contents (PDF/UA)


def _font_dicts(resources: pikepdf.Object, seen: set) -> list[pikepdf.Dictionary]:
    """Every /Font resource dictionary reachable from a resource dictionary, form XObjects included."""
    out = []
    if not isinstance(resources, Dictionary) or resources.objgen in seen and resources.objgen != (0, 0):
        return out
    seen.add(resources.objgen)
    if "/Font" in resources:
        out.append(resources.Font)
    for xobject in resources.get("/XObject", Dictionary()).values():
        if xobject.get("/Subtype") == "/Form" and "/Resources" in xobject:
            out.extend(_font_dicts(xobject.Resources, seen))
    return out


def _widths(w: pikepdf.Array) -> dict[int, float]:
    """A CIDFont /W array of the form [first [w1 w2 …] …] (what WeasyPrint writes) as glyph -> width."""
    out: dict[int, float] = {}
    items = list(w)
    k = 0
    while k < len(items):
        first = int(items[k])
        if isinstance(items[k + 1], Array):
            for n, width in enumerate(items[k + 1]):
                out[first + n] = float(width)
            k += 2
        else:  # [first last width]
            for gid in range(first, int(items[k + 1]) + 1):
                out[gid] = float(items[k + 2])
            k += 3
    return out


_BFCHAR = re.compile(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]*)>")


def _to_unicode(stream: pikepdf.Stream) -> dict[int, str]:
    data = stream.read_bytes()
    out: dict[int, str] = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", data, re.S):
        for gid, hexa in _BFCHAR.findall(block):
            out.setdefault(int(gid, 16), bytes.fromhex(hexa.decode()).decode("utf-16-be", "replace"))
    return out


def _cmap(to_unicode: dict[int, str]) -> bytes:
    lines = [b"/CIDInit /ProcSet findresource begin", b"12 dict begin", b"begincmap",
             b"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
             b"/CMapName /Adobe-Identity-UCS def", b"/CMapType 2 def",
             b"1 begincodespacerange", b"<0000> <ffff>", b"endcodespacerange"]
    items = sorted(to_unicode.items())
    for start in range(0, len(items), 100):  # a bfchar block holds at most 100 entries
        batch = items[start:start + 100]
        lines.append(f"{len(batch)} beginbfchar".encode())
        lines += [f"<{gid:04x}> <{text.encode('utf-16-be').hex()}>".encode() for gid, text in batch]
        lines.append(b"endbfchar")
    lines += [b"endcmap", b"CMapName currentdict /CMap defineresource pop", b"end", b"end"]
    return b"\n".join(lines)


def _w_array(widths: dict[int, float]) -> Array:
    out = Array()
    run: list = []
    previous = None
    for gid in sorted(widths):
        if previous is None or gid != previous + 1:
            run = []
            out.append(gid)
            out.append(Array(run))
        out[-1].append(_number(widths[gid]))
        previous = gid
    return out


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else round(value, 3)


def _check_program(name: str, font: pikepdf.Object) -> None:
    """A font kept as the page drew it must carry its program: page_pdfs leaves it out only for faces joined here."""
    for cid in font.get("/DescendantFonts", Array()):
        descriptor = cid.get("/FontDescriptor", Dictionary())
        for key in ("/FontFile2", "/FontFile3"):
            if key in descriptor and len(descriptor[key].read_bytes()) <= DEFERRED_PROGRAM_MAX:
                raise ValueError(f"font {name}: the page left its program to the join, but no font file is known "
                                 f"for it (fontconfig changed between rendering and joining?)")


def merge_fonts(pdf: pikepdf.Pdf, faces: dict[str, Face], store: DerivedCache | None = None) -> None:
    """Make every font named in `faces` one shared font for all pages (others stay one per page, as drawn).
    store: subset programs by face and glyphs, kept between builds (an edit that adds no new character to the
    issue subsets nothing: about 0.03 s a CJK face)."""
    groups: dict[str, list[tuple[pikepdf.Dictionary, pikepdf.Object]]] = {}
    seen: set = set()
    for page in pdf.pages:
        for fonts in _font_dicts(page.obj.get("/Resources", Dictionary()), seen):
            for name, font in fonts.items():
                groups.setdefault(name, []).append((fonts, font))
    for name, uses in sorted(groups.items()):
        face = faces.get(name.lstrip("/"))
        first = uses[0][1]
        if face is None or first.get("/Subtype") != "/Type0":
            _check_program(name, first)
            continue
        widths: dict[int, float] = {}
        to_unicode: dict[int, str] = {}
        for _, font in uses:
            cid = font.DescendantFonts[0]
            widths.update(_widths(cid.get("/W", Array())))
            for gid, text in _to_unicode(font.ToUnicode).items():
                to_unicode.setdefault(gid, text)
        cid_first = first.DescendantFonts[0]
        descriptor = cid_first.FontDescriptor
        program_key = "/FontFile3" if "/FontFile3" in descriptor else "/FontFile2"
        program = _subset_cached(face, set(widths), store or DerivedCache(None))
        extra = Dictionary(Subtype=Name.OpenType) if program_key == "/FontFile3" else Dictionary(Length1=len(program))
        stream = pikepdf.Stream(pdf, program, extra)
        new_descriptor = pdf.make_indirect(Dictionary({k: v for k, v in descriptor.items() if k != "/CIDSet"}))
        new_descriptor[program_key] = stream
        bbox = [float(v) for v in descriptor.FontBBox]
        new_descriptor.FontBBox = Array([_number(bbox[0]), _number(bbox[1]),
                                         _number(max(widths.values(), default=0)), _number(bbox[3])])
        new_cid = pdf.make_indirect(Dictionary({k: v for k, v in cid_first.items()}))
        new_cid.W = _w_array(widths)
        new_cid.FontDescriptor = new_descriptor
        new_font = pdf.make_indirect(Dictionary({k: v for k, v in first.items()}))
        new_font.DescendantFonts = Array([new_cid])
        new_font.ToUnicode = pikepdf.Stream(pdf, _cmap(to_unicode))
        for fonts, _ in uses:
            fonts[name] = new_font


def _subset_cached(face: Face, glyphs: set[int], store: DerivedCache) -> bytes:
    key = make_key("font-subset", _code_version(), str(face.path), face.index, _stat(face.path), sorted(glyphs))
    hit = store.get("font-subset", key)
    if hit is not None and len(hit) == 1:
        return hit[0]
    program = subset_font(face.path, face.index, glyphs)
    store.put("font-subset", key, [program])
    return program


def _outline(items, copy) -> list[tuple[str, pikepdf.Object | None, list]]:
    """Bookmarks as (title, destination, children), destinations passed through `copy`."""
    return [(item.title, None if item.destination is None else copy(item.destination), _outline(item.children, copy))
            for item in items]


def _fill_outline(parent_list, items) -> None:
    for title, destination, children in items:
        item = pikepdf.OutlineItem(title, destination=destination)
        _fill_outline(item.children, children)
        parent_list.append(item)


class _StructureMerge:
    """Tagged pages (PDF/UA): the structure trees of the page documents become one, in page order.

    Each page document has a StructTreeRoot whose top element (Document) holds that page's Art elements; joined,
    the elements of later pages go under the first page's Document element. The parent tree, keyed from 0 in
    every page document, is rebuilt once everything is in place (tagging.rebuild_parent_tree)."""

    def __init__(self, pdf: pikepdf.Pdf):
        self.root = pdf.Root.get("/StructTreeRoot")
        if self.root is None:
            return
        self.document = self.root.K[0] if isinstance(self.root.K, Array) else self.root.K
        if not isinstance(self.document.get("/K"), Array):
            self.document.K = Array([self.document.K] if "/K" in self.document else [])

    def add(self, source: pikepdf.Pdf, copy) -> None:
        source_root = source.Root.get("/StructTreeRoot")
        if (self.root is None) != (source_root is None):
            raise ValueError("tagged and untagged pages cannot be joined")
        if source_root is None:
            return
        document = source_root.K[0] if isinstance(source_root.K, Array) else source_root.K
        for kid in document.K if isinstance(document.get("/K"), Array) else [document.K]:
            new = copy(kid)  # its /Pg and marked content map to the page copied before
            if isinstance(new, Dictionary):
                new.P = self.document
            self.document.K.append(new)


def join(pages: list[bytes]) -> pikepdf.Pdf:
    """The page PDFs as one document: the first page's catalog, metadata and info carry over; destinations
    and bookmarks of all pages are merged, in page order."""
    out = pikepdf.open(io.BytesIO(pages[0]))
    sources = [pikepdf.open(io.BytesIO(data)) for data in pages[1:]]
    with out.open_outline() as outline_of_first:
        outline = _outline(outline_of_first.root, lambda d: d)
    dests: dict[str, pikepdf.Object] = {}
    if "/Names" in out.Root and "/Dests" in out.Root.Names:
        dests.update(pikepdf.NameTree(out.Root.Names.Dests).items())
    tree = _StructureMerge(out)
    for source in sources:
        out.pages.extend(source.pages)  # copies the page and what it uses; QPDF remembers the copies

        def copy(obj: pikepdf.Object, source: pikepdf.Pdf = source) -> pikepdf.Object:
            # QPDF copies indirect objects only; a page it has copied already maps to that copy
            return out.copy_foreign(obj if obj.is_indirect else source.make_indirect(obj))

        tree.add(source, copy)

        with source.open_outline() as source_outline:
            outline += _outline(source_outline.root, copy)
        if "/Names" in source.Root and "/Dests" in source.Root.Names:
            for name, dest in pikepdf.NameTree(source.Root.Names.Dests).items():
                dests.setdefault(name, copy(dest))
    with out.open_outline() as merged:
        merged.root.clear()
        _fill_outline(merged.root, outline)
    if dests:
        names = pikepdf.NameTree.new(out)
        for name in sorted(dests):
            names[name] = dests[name]
        if "/Names" not in out.Root:
            out.Root.Names = Dictionary()
        out.Root.Names.Dests = names.obj
    out._epaper_sources = sources  # foreign objects are copied lazily: the sources must outlive the save
    return out


def add_links(pdf: pikepdf.Pdf, links: list[Link]) -> None:
    """Link annotations to named destinations: the jump lines (转版), which a page rendered alone cannot resolve.

    In a tagged file each jump line already has its Link element (tagging.link_elements, in reading order,
    which is the plan's order of `links`); the annotation is attached to it by an object reference."""
    names = pikepdf.NameTree(pdf.Root.Names.Dests) if "/Names" in pdf.Root and "/Dests" in pdf.Root.Names else {}
    missing = [link.dest for link in links if link.dest not in names]
    if missing:
        raise ValueError(f"jump lines lead to {', '.join(missing)}, which no page has")
    tagged = "/StructTreeRoot" in pdf.Root
    elements = list(tagging.link_elements(pdf)) if tagged else []
    if tagged and len(elements) != len(links):
        raise ValueError(f"{len(links)} jump lines in the plan, {len(elements)} Link elements in the pages")
    for n, link in enumerate(links):
        page = pdf.pages[link.page]
        box = page.obj.get("/TrimBox", page.obj.MediaBox)
        left, top = float(box[0]), float(box[3])
        rect = Array([_number(round(left + link.x, 3)), _number(round(top - link.y - link.h, 3)),
                      _number(round(left + link.x + link.w, 3)), _number(round(top - link.y, 3))])
        annot = pdf.make_indirect(Dictionary(Type=Name.Annot, Subtype=Name.Link, Rect=rect, Border=Array([0, 0, 0]),
                                             F=4, Dest=pikepdf.String(link.dest), Contents=pikepdf.String(link.text)))
        if "/Annots" not in page.obj:
            page.obj.Annots = Array()
        page.obj.Annots.append(annot)
        if tagged:
            element = elements[n]
            if not isinstance(element.get("/K"), Array):
                element.K = Array([element.K] if "/K" in element else [])
            element.K.append(Dictionary(Type=Name.OBJR, Obj=annot, Pg=page.obj))


def save(pdf: pikepdf.Pdf) -> bytes:
    """Bytes that depend on the content only (the file identifier is a hash of it, no dates added)."""
    buf = io.BytesIO()
    if "/ID" in pdf.trailer:
        del pdf.trailer.ID  # QPDF would keep the first page's first ID; both halves come from the content here
    pdf.save(buf, deterministic_id=True, compress_streams=True,
             object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return buf.getvalue()


def assemble(pages: list[bytes], faces: dict[str, Face], links: list[Link] = (), *,
             cache: Path | None = None) -> bytes:
    """Join the pages, embed each font once, add the cross-page links; the PDF's bytes.

    cache: a DerivedCache folder; the joined file is kept by everything it is made of (the pages' bytes, the font
    files, the links, this code), so a rebuild that changed nothing does not merge and subset the fonts again."""
    store = DerivedCache(cache)
    key = make_key("joined-pdf", _code_version(), pikepdf.__version__, [hashlib.sha256(p).digest() for p in pages],
                   sorted((name, str(f.path), f.index, _stat(f.path)) for name, f in faces.items()), list(links))
    hit = store.get("joined-pdf", key)
    if hit is not None and len(hit) == 1:
        return hit[0]
    pdf = join(pages)
    merge_fonts(pdf, faces, store)
    add_links(pdf, list(links))
    if "/StructTreeRoot" in pdf.Root:
        tagging.rebuild_parent_tree(pdf)  # keys for every page and link of the joined file
    data = save(pdf)
    store.put("joined-pdf", key, [data])
    return data


def _stat(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_size, st.st_mtime_ns


@lru_cache(maxsize=1)
def _code_version() -> str:
    """The sources the joined file's bytes depend on beyond its inputs."""
    here = Path(__file__).resolve().parent
    return make_key(*(path.read_bytes() for path in (here / "assemble.py", here / "font_subset.py",
                                                     here / "tagging.py")))


def faces_of(rendered: list[PageOut]) -> dict[str, Face]:
    """The font files the pages drew with, by font resource name: fontconfig's choice for the family and weight."""
    from ...fonts import fc_match_file

    faces = {}
    for out in rendered:
        for name, (family, weight, index) in out.faces.items():
            file = fc_match_file(family, weight)
            if file:
                faces[name] = Face(Path(file), index)
    return faces


def jump_links(pages: list[PageLayout]) -> list[Link]:
    """The jump lines (转版) of the plan as links to the other part: pages rendered alone cannot resolve them."""
    links = []
    for index, page in enumerate(pages):
        for m in page.modules:
            for box in m.boxes:
                for n, line in enumerate(box.lines):
                    if line.href.startswith("#"):
                        links.append(Link(index, box.rect.x, box.rect.y + n * box.line_height, box.rect.w,
                                          box.line_height, line.href[1:],
                                          "".join(piece.text for piece in line.line.pieces)))
    return links
