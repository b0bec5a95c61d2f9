"""A built EPUB (or .kepub.epub) in; the e-reader delivery findings (8xx) out: what Send-to-Kindle, Kobo and Apple
Books are documented to refuse, mangle or ignore although EPUBCheck accepts it.

Each rule names its source in the code table (epaper/codes.py, the 8xx block); the limits are the documented ones:
- Send-to-Kindle by e-mail: 50 MB in all (Amazon help, "Using Your Send to Kindle Email Address");
- Apple Books Asset Guide, Images: no image over 5.6 million pixels; Languages: Chinese needs zh-Hans / zh-Hant;
  Text Directions: vertical writing is read from html or body;
- Kindle Publishing Guidelines: images up to 5 MB each; NCX/nav nesting of two levels; embedded fonts OpenType or
  TrueType; vertical writing declared by <meta name="primary-writing-mode">;
- Kobo EPUB specification (kobolabs/epub-spec): 10 MB per content document; the cover listed in the OPF
  (meta name="cover", cover-image) and not a GIF; SVG images scaled by transforms may not show on eInk; font
  obfuscation supported (the IDPF algorithm); com.kobobooks.display-options.xml fixed-layout flag;
- kepub: Kobo's kepub engine needs koboSpans and the book-columns/book-inner wrappers (what kepubify adds).
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree

from ..codes import finding
from ..errors import Finding

MB = 1024 * 1024
KINDLE_MAIL_BYTES = 50 * MB
APPLE_MAX_PIXELS = 5_600_000
KINDLE_IMAGE_BYTES = 5 * MB
KOBO_DOCUMENT_BYTES = 10 * MB
NAV_DEPTH = 2
IDPF_OBFUSCATION = "http://www.idpf.org/2008/embedding"
NS = {"opf": "http://www.idpf.org/2007/opf", "dc": "http://purl.org/dc/elements/1.1/",
      "c": "urn:oasis:names:tc:opendocument:xmlns:container", "x": "http://www.w3.org/1999/xhtml",
      "ops": "http://www.idpf.org/2007/ops", "enc": "http://www.w3.org/2001/04/xmlenc#",
      "svg": "http://www.w3.org/2000/svg", "ncx": "http://www.daisy.org/z3986/2005/ncx/"}
LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")
VERTICAL = re.compile(r"([^{}]*)\{[^{}]*?(?<![-\w])(?:-epub-|-webkit-)?writing-mode\s*:\s*vertical-(?:rl|lr)", re.S)


def check_reader_quirks(path: Path) -> list[Finding]:
    """Every 8xx finding for one EPUB; a file that is not a readable EPUB gives none (EPUBCheck reports it)."""
    try:
        zf = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile):
        return []
    with zf:
        out: list[Finding] = []
        try:
            book = _Book(zf, path)
            for rule in (_size, _language, _images, _documents, _fonts, _cover, _nav_depth, _fixed_layout, _series,
                         _vertical, _kepub):
                out.extend(rule(book))
        except (KeyError, ElementTree.ParseError, ValueError):  # a part missing or broken: E601 (check_package)
            return []
    return out


class _Book:
    """The parts of the package the rules read: the OPF, its manifest and the ZIP."""

    def __init__(self, zf: zipfile.ZipFile, path: Path) -> None:
        self.zf, self.path = zf, path
        container = ElementTree.fromstring(zf.read("META-INF/container.xml"))
        rootfile = container.find(".//c:rootfile", NS)
        if rootfile is None:
            raise ValueError("no rootfile")
        self.opf_name = rootfile.get("full-path", "")
        self.base = posixpath.dirname(self.opf_name)
        self.opf = ElementTree.fromstring(zf.read(self.opf_name))
        self.items = {}
        for item in self.opf.findall("opf:manifest/opf:item", NS):
            self.items[item.get("id", "")] = item
        self.metadata = self.opf.find("opf:metadata", NS)
        if self.metadata is None:
            raise ValueError("no metadata")

    def unique_identifier(self) -> str:
        uid = self.opf.get("unique-identifier", "")
        element = next((e for e in self.metadata.findall("dc:identifier", NS) if e.get("id") == uid), None)
        return (element.text or "") if element is not None else ""

    def where(self, name: str = "") -> str:
        return f"{self.path}/{name}" if name else str(self.path)

    def full(self, href: str) -> str:
        return posixpath.normpath(posixpath.join(self.base, href)) if self.base else posixpath.normpath(href)

    def read(self, href: str) -> bytes:
        return self.zf.read(self.full(href))

    def of_type(self, *prefixes: str) -> list[ElementTree.Element]:
        return [i for i in self.items.values() if i.get("media-type", "").startswith(prefixes)]

    def meta(self, prop: str) -> list[ElementTree.Element]:
        return [m for m in self.metadata.findall("opf:meta", NS) if m.get("property") == prop]

    def named(self, name: str) -> str | None:
        m = next((m for m in self.metadata.findall("opf:meta", NS) if m.get("name") == name), None)
        return m.get("content") if m is not None else None


def _size(book: _Book) -> list[Finding]:
    size = book.path.stat().st_size
    if size > KINDLE_MAIL_BYTES:
        return [finding("W801", f"the book is {size / MB:.1f} MB; Send-to-Kindle by e-mail takes 50 MB in all",
                        where=book.where())]
    return []


def _language(book: _Book) -> list[Finding]:
    tags = [(e.text or "").strip() for e in book.metadata.findall("dc:language", NS)]
    if not tags or not tags[0]:
        return [finding("E802", "the package has no dc:language", where=book.where(book.opf_name))]
    out = []
    tag = tags[0]
    if not LANGUAGE_TAG.match(tag):
        out.append(finding("E802", f"dc:language {tag!r} is not a BCP 47 language tag", where=book.where(book.opf_name)))
    parts = tag.lower().split("-")
    # zh-CN/zh-SG imply Simplified and zh-TW/zh-HK/zh-MO Traditional (CLDR likely subtags); a bare zh or another
    # region leaves readers to guess, and Apple Books and Kindle then may pick the wrong glyphs and fonts.
    implied = {"cn", "sg", "tw", "hk", "mo"}
    if parts[0] == "zh" and not any(p in ("hans", "hant") or p in implied for p in parts[1:]):
        out.append(finding("W803", f"dc:language {tag!r} does not tell Simplified from Traditional; "
                                   "write zh-Hans or zh-Hant", where=book.where(book.opf_name)))
    return out


def _images(book: _Book) -> list[Finding]:
    from PIL import Image

    out = []
    for item in book.of_type("image/"):
        href = item.get("href", "")
        try:
            data = book.read(href)
        except KeyError:
            continue
        if len(data) > KINDLE_IMAGE_BYTES:
            out.append(finding("W805", f"{href} is {len(data) / MB:.1f} MB; Kindle takes images up to 5 MB",
                               where=book.where(book.full(href))))
        if item.get("media-type") == "image/svg+xml":
            continue
        try:
            with Image.open(io.BytesIO(data)) as im:
                pixels = im.width * im.height
                size = f"{im.width} × {im.height}"
        except Exception:  # PIL raises many kinds on damaged data; EPUBCheck reports the image itself
            continue
        if pixels > APPLE_MAX_PIXELS:
            out.append(finding("E804", f"{href} is {size} = {pixels / 1e6:.1f} million pixels; Apple Books refuses "
                                       "images over 5.6 million", where=book.where(book.full(href))))
    return out


def _documents(book: _Book) -> list[Finding]:
    out = []
    for item in book.of_type("application/xhtml+xml"):
        info = book.zf.getinfo(book.full(item.get("href", "")))
        if info.file_size > KOBO_DOCUMENT_BYTES:
            out.append(finding("W806", f"{item.get('href')} is {info.file_size / MB:.1f} MB; Kobo advises at most "
                                       "10 MB per content document", where=book.where(info.filename)))
    return out


def _fonts(book: _Book) -> list[Finding]:
    out = []
    obfuscated: set[str] = set()  # ZIP paths of fonts obfuscated the IDPF way
    try:
        encryption = ElementTree.fromstring(book.zf.read("META-INF/encryption.xml"))
    except KeyError:
        encryption = None
    if encryption is not None:
        for data in encryption.findall("enc:EncryptedData", NS):
            method = data.find("enc:EncryptionMethod", NS)
            algorithm = method.get("Algorithm", "") if method is not None else ""
            ref = data.find(".//enc:CipherReference", NS)
            uri = ref.get("URI", "?") if ref is not None else "?"
            if algorithm != IDPF_OBFUSCATION:
                out.append(finding("E807", f"{uri} is encrypted with {algorithm or 'an unnamed algorithm'}; readers "
                                           "decode only IDPF font obfuscation", where=book.where("META-INF/encryption.xml")))
            else:
                obfuscated.add(uri)
    for item in book.of_type("font/", "application/font", "application/vnd.ms-opentype", "application/x-font"):
        href = item.get("href", "")
        try:
            data = book.read(href)
        except KeyError:
            continue
        if book.full(href) in obfuscated:
            data = _deobfuscate(data, book.unique_identifier())
            if data[:4] not in (b"\x00\x01\x00\x00", b"OTTO", b"true", b"wOFF", b"wOF2"):
                out.append(finding("E807", f"{href} is obfuscated with a key other than the book's unique identifier: "
                                           "every reader shows its fallback font", where=book.where(book.full(href))))
                continue
        if data[:4] in (b"wOFF", b"wOF2"):
            out.append(finding("W808", f"{href} is WOFF; Kindle embeds only OpenType and TrueType fonts",
                               where=book.where(book.full(href))))
            continue
        fs_type = _fs_type(data)
        if fs_type is not None and fs_type & 0x000F == 0x0002:
            out.append(finding("W808", f"{href}: the font's licence flags (OS/2 fsType 0x{fs_type:04X}) forbid "
                                       "embedding", where=book.where(book.full(href))))
    return out


def _deobfuscate(data: bytes, identifier: str) -> bytes:
    """EPUB OCF 3.3 font obfuscation undone: the first 1040 bytes XORed with SHA-1 of the unique identifier
    (whitespace removed)."""
    import hashlib

    key = hashlib.sha1("".join(ch for ch in identifier if ch not in " \t\r\n").encode("utf-8")).digest()
    head = bytes(b ^ key[i % len(key)] for i, b in enumerate(data[:1040]))
    return head + data[1040:]


def _fs_type(data: bytes) -> int | None:
    """OS/2 fsType of an sfnt font (None when the bytes are obfuscated or not a font)."""
    if data[:4] not in (b"\x00\x01\x00\x00", b"OTTO", b"true"):
        return None
    try:
        count = int.from_bytes(data[4:6], "big")
        for i in range(count):
            rec = data[12 + 16 * i: 28 + 16 * i]
            if rec[:4] == b"OS/2":
                offset = int.from_bytes(rec[8:12], "big")
                return int.from_bytes(data[offset + 8: offset + 10], "big")
    except (IndexError, ValueError):
        return None
    return None


def _cover(book: _Book) -> list[Finding]:
    out = []
    flagged = [i for i in book.items.values() if "cover-image" in (i.get("properties") or "").split()]
    named = book.named("cover")
    if not flagged and named is None:
        return []  # a book without a cover: readers draw their own; nothing is lost
    if named is None:
        out.append(finding("W809", "the cover is not named by <meta name=\"cover\">, where Kindle and Kobo look",
                           where=book.where(book.opf_name)))
    elif named not in book.items:
        out.append(finding("W809", f"<meta name=\"cover\"> names {named!r}, which is not in the manifest",
                           where=book.where(book.opf_name)))
    for item in flagged:
        if item.get("media-type") not in ("image/jpeg", "image/png"):
            out.append(finding("W810", f"the cover {item.get('href')} is {item.get('media-type')}; give a JPEG or PNG",
                               where=book.where(book.full(item.get("href", "")))))
    for item in book.items.values():
        if "svg" not in (item.get("properties") or "").split():
            continue
        try:
            root = ElementTree.fromstring(book.read(item.get("href", "")))
        except (KeyError, ElementTree.ParseError):
            continue
        for image in root.iter(f"{{{NS['svg']}}}image"):
            if image.get("transform") or any(g.get("transform") for g in root.iter(f"{{{NS['svg']}}}g")):
                out.append(finding("W810", f"{item.get('href')} scales its SVG image with a transform, which Kobo's "
                                           "eInk and desktop readers may not show", where=book.where(book.full(item.get("href", "")))))
                break
    return out


def _nav_depth(book: _Book) -> list[Finding]:
    nav = next((i for i in book.items.values() if "nav" in (i.get("properties") or "").split()), None)
    if nav is None:
        return []
    try:
        root = ElementTree.fromstring(book.read(nav.get("href", "")))
    except (KeyError, ElementTree.ParseError):
        return []
    toc = next((n for n in root.iter(f"{{{NS['x']}}}nav") if n.get(f"{{{NS['ops']}}}type") == "toc"), None)
    if toc is None:
        return []

    def depth(el: ElementTree.Element) -> int:
        inner = [depth(c) for c in el]
        here = 1 if el.tag == f"{{{NS['x']}}}ol" else 0
        return here + max(inner, default=0)

    levels = depth(toc)
    if levels > NAV_DEPTH:
        return [finding("W811", f"the table of contents nests {levels} levels; Kindle shows two",
                        where=book.where(book.full(nav.get("href", ""))))]
    return []


def _fixed_layout(book: _Book) -> list[Finding]:
    layout = next(((m.text or "").strip() for m in book.meta("rendition:layout")), "reflowable")
    flags = {}
    for name in ("META-INF/com.apple.ibooks.display-options.xml", "META-INF/com.kobobooks.display-options.xml"):
        try:
            root = ElementTree.fromstring(book.zf.read(name))
        except (KeyError, ElementTree.ParseError):
            continue
        for option in root.iter("option"):
            if option.get("name") == "fixed-layout":
                flags[name] = (option.text or "").strip() == "true"
    fixed = layout == "pre-paginated"
    out = [finding("W812", f"{name.split('/')[-1]} says fixed-layout {str(flag).lower()}, the package "
                           f"rendition:layout {layout}", where=book.where(name))
           for name, flag in flags.items() if flag != fixed]
    if fixed and book.named("fixed-layout") != "true":
        out.append(finding("W812", "a pre-paginated book without <meta name=\"fixed-layout\" content=\"true\"/>: "
                                   "Kindle reflows it", where=book.where(book.opf_name)))
    return out


def _series(book: _Book) -> list[Finding]:
    collections = [m for m in book.meta("belongs-to-collection")]
    calibre, index = book.named("calibre:series"), book.named("calibre:series_index")
    where = book.where(book.opf_name)
    if not collections and calibre is None:
        return []  # not a periodical (epaper's own books always carry both: tests/test_kepub.py)
    if not collections or calibre is None:
        missing = "belongs-to-collection" if not collections else "calibre:series"
        return [finding("W813", f"the series lacks {missing}: calibre reads calibre:series, EPUB 3 readers "
                                "belongs-to-collection", where=where)]
    series = collections[0]
    name = (series.text or "").strip()
    refines = f"#{series.get('id')}"
    position = next(((m.text or "").strip() for m in book.meta("group-position") if m.get("refines") == refines), None)
    out = []
    if name != calibre.strip():
        out.append(finding("W813", f"belongs-to-collection {name!r} and calibre:series {calibre!r} differ", where=where))
    if position is not None and index is not None and _number(position) != _number(index):
        out.append(finding("W813", f"group-position {position} and calibre:series_index {index} differ", where=where))
    return out


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _vertical(book: _Book) -> list[Finding]:
    selectors: list[str] = []
    for item in book.of_type("text/css"):
        try:
            css = book.read(item.get("href", "")).decode("utf-8", "replace")
        except KeyError:
            continue
        css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
        selectors += [s.strip() for m in VERTICAL.finditer(css) for s in m.group(1).split(",")]
    if not selectors:
        return []
    out = []
    where = book.where(book.opf_name)
    if book.named("primary-writing-mode") not in ("vertical-rl", "vertical-lr"):
        out.append(finding("W814", "vertical writing without <meta name=\"primary-writing-mode\">: Kindle sets the "
                                   "book horizontally", where=where))
    if not any(re.fullmatch(r"(html|body|:root)", s) for s in selectors):
        out.append(finding("W814", f"vertical writing is set on {', '.join(selectors[:3])}, not on html or body, "
                                   "where Apple Books reads it", where=where))
    spine = book.opf.find("opf:spine", NS)
    if spine is not None and spine.get("page-progression-direction") != "rtl":
        out.append(finding("W814", "vertical-rl text with pages turning left to right: set the spine's "
                                   "page-progression-direction=\"rtl\"", where=where))
    return out


def _kepub(book: _Book) -> list[Finding]:
    if not book.path.name.endswith(".kepub.epub"):
        return []
    out = []
    for item in book.of_type("application/xhtml+xml"):
        if "nav" in (item.get("properties") or "").split() or "svg" in (item.get("properties") or "").split():
            continue
        text = book.read(item.get("href", ""))
        if b'id="book-columns"' not in text or b'id="book-inner"' not in text:
            out.append(finding("W815", f"{item.get('href')} lacks the book-columns/book-inner wrappers",
                               where=book.where(book.full(item.get("href", "")))))
        elif b'class="koboSpan"' not in text:
            out.append(finding("W815", f"{item.get('href')} has no koboSpan", where=book.where(book.full(item.get("href", "")))))
    return out
