"""A PDF in; per page its geometry, a key that changes with its drawing (pikepdf), trim-box bitmaps (PDFium) and
one-page PDFs out."""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PIL import Image

from ...errors import EpaperError

if TYPE_CHECKING:
    from pypdfium2 import PdfPage

# A name token in a content stream (/F1, /Im3, /GS0): the resources a page uses are among these.
_NAME = re.compile(rb"/([^\s/\[\]()<>{}%]*)")
_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
# Keys that point back up the tree or at other pages (following them would hash the whole document), and a
# font's /ToUnicode, which only serves copying text: WeasyPrint writes it in first-use order across the document.
_SKIP = frozenset({"/Parent", "/P", "/Dest", "/A", "/StructParent", "/StructParents", "/ToUnicode"})


@dataclass(frozen=True)
class PageInfo:
    """One page's boxes (what a rendering of its trim box depends on besides its drawing) and its content key."""

    geometry: str  # MediaBox, CropBox, TrimBox, Rotate, UserUnit as the PDF states them
    content_key: str  # "" when not asked for


def _open_pikepdf(pdf: Path | bytes):
    import pikepdf

    try:
        return pikepdf.open(io.BytesIO(pdf) if isinstance(pdf, bytes) else pdf)
    except Exception as exc:  # pikepdf.PdfError and friends
        raise EpaperError(f"cannot read the PDF{'' if isinstance(pdf, bytes) else f' {pdf}'}: {exc}") from exc


def _inherited(page, name: str):
    node = page
    while node is not None:
        if name in node:
            return node[name]
        node = node.get("/Parent")
    return None


class _Hasher:
    """Digests of PDF objects by value (not by object number, which shifts when another page changes), each
    indirect object once per document."""

    def __init__(self) -> None:
        self.memo: dict[tuple[int, int], bytes] = {}

    def digest(self, obj) -> bytes:
        import pikepdf

        if not isinstance(obj, pikepdf.Object):
            return repr(obj).encode()  # pikepdf hands out numbers and booleans as Python values
        og = obj.objgen if obj.is_indirect else None
        if og is not None and og in self.memo:
            return self.memo[og]
        if og is not None:
            self.memo[og] = b"cycle"  # a reference loop hashes to a constant instead of recursing forever
        h = hashlib.sha256()
        if isinstance(obj, pikepdf.Stream):
            h.update(b"stream")
            h.update(self._container(obj.stream_dict))
            h.update(obj.read_raw_bytes())
        elif isinstance(obj, (pikepdf.Dictionary, pikepdf.Array)):
            h.update(self._container(obj))
        else:
            h.update(obj.unparse())
        out = h.digest()
        if og is not None:
            self.memo[og] = out
        return out

    def _container(self, obj) -> bytes:
        import pikepdf

        flat = obj.unparse()
        if b" R" not in flat:
            return flat  # no indirect references inside: the serialisation is the value (qpdf sorts keys)
        h = hashlib.sha256()
        if isinstance(obj, pikepdf.Array):
            h.update(b"[")
            for item in obj:
                h.update(self.digest(item))
        else:
            h.update(b"<<")
            for key in sorted(obj.keys()):
                if key not in _SKIP:
                    h.update(key.encode("utf-8", "surrogateescape") + b"\0" + self.digest(obj[key]))
        return h.digest()


def _used_names(content: bytes) -> set[str]:
    return {_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), n).decode("latin-1") for n in _NAME.findall(content)}


def _content_key(page, hasher: _Hasher) -> str:
    """The page's content streams, the resources they name, and the appearance of its annotations.

    A resource whose name occurs in no content stream is left out: the shared resource dictionary WeasyPrint
    writes lists every page's images, and another page's photo must not change this page's key. Names that are
    not plain ASCII are always included, since their spelling in the stream may not match.
    """
    import pikepdf

    h = hashlib.sha256()
    contents = page.get("/Contents")
    streams = list(contents) if isinstance(contents, pikepdf.Array) else [contents] if contents is not None else []
    data = b"".join(s.read_bytes() for s in streams)
    h.update(len(data).to_bytes(8, "big") + data)
    used = _used_names(data)
    resources = _inherited(page, "/Resources")
    if resources is not None:
        for category in sorted(resources.keys()):
            sub = resources[category]
            if isinstance(sub, pikepdf.Dictionary):
                for name in sorted(sub.keys()):
                    if name[1:] in used or not name.isascii():
                        h.update(f"{category}{name}".encode("utf-8", "surrogateescape") + hasher.digest(sub[name]))
            else:
                h.update(category.encode() + hasher.digest(sub))  # /ProcSet and the like
    if "/Group" in page:
        h.update(b"/Group" + hasher.digest(page["/Group"]))  # the page's transparency group (blending space)
    for annot in page.get("/Annots") or []:
        # PDFium draws an annotation's appearance stream at its rectangle; links (no appearance) draw nothing.
        for key in ("/Subtype", "/Rect", "/F", "/AP"):
            if key in annot:
                h.update(key.encode() + hasher.digest(annot[key]))
    return h.hexdigest()


def _text(value: object) -> str:
    import pikepdf

    if isinstance(value, pikepdf.Object):
        return value.unparse(resolved=True).decode("latin-1")
    return "-" if value is None else repr(value)  # pikepdf hands out numbers as Python values


def describe_pages(pdf: Path | bytes, *, content: bool = True, only: list[int] | None = None) -> list[PageInfo]:
    """Every page's (or the pages in `only`'s) geometry, and with `content` a key derived from what it draws.

    The key costs a few milliseconds per page: content streams are decompressed and scanned for names, and each
    font, image and form it names is hashed once per document (raw, still compressed bytes).
    """
    hasher = _Hasher()
    out = []
    with _open_pikepdf(pdf) as doc:
        indexes = range(len(doc.pages)) if only is None else only
        for index in indexes:
            page = doc.pages[index].obj
            boxes = [_inherited(page, "/MediaBox"), _inherited(page, "/CropBox"), page.get("/TrimBox"),
                     _inherited(page, "/Rotate"), page.get("/UserUnit")]
            geometry = " ".join(_text(b) for b in boxes)
            out.append(PageInfo(geometry, _content_key(page, hasher) if content else ""))
    return out


def page_count(pdf: Path | bytes) -> int:
    with _open_pikepdf(pdf) as doc:
        return len(doc.pages)


def render_trim(page: PdfPage, width: int) -> tuple[Image.Image, float, float]:
    """A pypdfium2 page's trim box (bleed and crop marks cut off) as RGB, `width` pixels wide; and the trim in pt.

    Setting the crop box (in memory) rather than cropping the bitmap keeps the pixel size the same as without marks.
    """
    tl, tb, tr, tt = page.get_trimbox()
    page.set_cropbox(tl, tb, tr, tt)
    trim_w, trim_h = tr - tl, tt - tb
    im = page.render(scale=width / trim_w).to_pil()
    return im if im.mode == "RGB" else im.convert("RGB"), trim_w, trim_h


def split_pages(pdf: Path | bytes, targets: list[Path]) -> None:
    """One PDF per page: the print PDF's page copied as it is, with only the fonts, images and forms it uses.

    WeasyPrint gives every page one shared resource dictionary, so a page copied whole would carry every photo
    of the issue. The file identifier is derived from the content (PDFium's was random): the same page gives
    the same file.
    """
    import pikepdf

    with pikepdf.open(io.BytesIO(pdf) if isinstance(pdf, bytes) else pdf) as src:
        for index, target in enumerate(targets):
            with pikepdf.new() as single:
                single.pages.append(src.pages[index])
                single.pages[0].remove_unreferenced_resources()
                target.parent.mkdir(parents=True, exist_ok=True)
                single.save(target, deterministic_id=True)
