"""A font file (TTF/OTF, or one face of a TTC) and the characters an issue draws with it in, a subset OTF/TTF
out; and the book's documents in, the characters each of its font roles draws out."""

from __future__ import annotations

import io
import json
import re
from dataclasses import asdict, dataclass
from functools import lru_cache
from collections.abc import Sequence
from pathlib import Path
from xml.etree import ElementTree

from fontTools import subset
from fontTools.ttLib import TTCollection, TTFont

from ...errors import EnvironmentProblem, EpaperError
from ...model import Paper
from ...paths import FONTS
from ...derived_cache import DerivedCache, file_digest, make_key

# OS/2 fsType bit 1: "Restricted License embedding" — the font must not be embedded at all.
_FS_TYPE_RESTRICTED = 0x0002
# The version of subset_font's options: bump it when they change, so that subsets cached by older code are
# not served as if this code had made them.
VERSION = 1


@dataclass(frozen=True)
class SubsetFont:
    """One embedded face: CSS family and weight, file name inside the package, bytes and media type."""

    family: str
    weight: int
    file_name: str
    data: bytes
    media_type: str


def css_weight(weight: str | int) -> int:
    """'400', 400, 'normal', 'bold' → a numeric CSS weight."""
    named = {"normal": 400, "regular": 400, "bold": 700}
    text = str(weight).strip().lower()
    if text in named:
        return named[text]
    if text.isdigit() and 1 <= int(text) <= 1000:
        return int(text)
    raise ValueError(f"not a CSS font weight: {weight!r}")


def _family_names(font: TTFont) -> set[str]:
    name = font["name"]
    return {n for n in (name.getDebugName(16), name.getDebugName(1), name.getDebugName(4)) if n}


def _open_face(path: Path, family: str) -> TTFont:
    """The face of `path` whose family is `family`; in a TTC (Noto CJK ships SC/TC/JP/KR/HK together) pick by name.

    recalcTimestamp=False keeps head.modified from the source file: fontTools would otherwise stamp
    the wall clock into every subset and the EPUB would never be byte-identical twice.
    """
    if not path.is_file():
        raise EnvironmentProblem(f"the EPUB font for '{family}' is missing: {path}")
    with path.open("rb") as fh:
        is_collection = fh.read(4) == b"ttcf"
    if not is_collection:
        return TTFont(path, recalcTimestamp=False, lazy=False)
    faces = TTCollection(path, lazy=True).fonts
    available: list[str] = []
    for index, face in enumerate(faces):
        names = _family_names(face)
        available.extend(sorted(names))
        if family in names:
            return TTFont(path, fontNumber=index, recalcTimestamp=False, lazy=False)
    raise EnvironmentProblem(f"{path} has no face named '{family}' (it has: {', '.join(dict.fromkeys(available))})")


def _ascii_stem(family: str, weight: int) -> str:
    stem = re.sub(r"[^A-Za-z0-9]+", "", family) or "font"
    return f"{stem}-{weight}"


@lru_cache(maxsize=16)
def subset_font(path: Path, family: str, weight: int, chars: frozenset[str]) -> SubsetFont:
    """Keep exactly the glyphs for `chars` (plus what their layout features reach, e.g. vertical forms).

    The output stays OpenType (CFF → .otf, glyf → .ttf) rather than WOFF2: Kobo's and older Adobe-based
    readers and Kindle's EPUB conversion do not take WOFF/WOFF2, while OTF/TTF work everywhere; EPUB 3.3
    lists font/otf and font/ttf as core media types. Not obfuscated: obfuscation only hinders readers.
    """
    font = _open_face(path, family)
    if "OS/2" in font and font["OS/2"].fsType & _FS_TYPE_RESTRICTED:
        raise EnvironmentProblem(f"{path} ('{family}') forbids embedding (OS/2 fsType restricted licence)")
    options = subset.Options()
    # fontTools' default feature list already keeps what CJK text uses ('vert'/'vrt2' vertical punctuation,
    # 'locl', 'palt'/'halt', 'kern'); '*' would also pull in every 'aalt' alternate, ~6 % more glyphs for nothing.
    options.hinting = False  # readers rasterise CJK at screen sizes without hints; saves 10–20 % on CFF
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6, 16, 17]
    options.notdef_outline = True
    options.recalc_timestamp = False
    options.drop_tables += ["DSIG"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(text="".join(sorted(chars)))
    subsetter.subset(font)
    buf = io.BytesIO()
    font.save(buf)
    is_cff = "CFF " in font or "CFF2" in font
    ext, media_type = (".otf", "font/otf") if is_cff else (".ttf", "font/ttf")
    return SubsetFont(family, weight, _ascii_stem(family, weight) + ext, buf.getvalue(), media_type)


@lru_cache(maxsize=16)
def _font_digest(path: Path, size: int, mtime_ns: int) -> str:
    return file_digest(path)  # a 20–60 MB collection: hashed once per process while it is unchanged


def subset_font_cached(path: Path, family: str, weight: int, chars: frozenset[str],
                       cache: DerivedCache | None = None) -> SubsetFont:
    """subset_font, remembered in `cache` under the font file's bytes, the face and the characters.

    fontTools takes 10–20 s for a Noto CJK face and an issue's 3,000 characters; a rebuild that brings no new
    character (most late corrections) then reuses the subset.
    """
    if cache is None or cache.folder is None:
        return subset_font(path, family, weight, chars)
    try:
        stat = path.stat()
    except OSError:
        return subset_font(path, family, weight, chars)  # which names the missing file
    from fontTools import version as fonttools_version

    key = make_key("epub-font", VERSION, fonttools_version, _font_digest(path, stat.st_size, stat.st_mtime_ns),
                   family, weight, "".join(sorted(chars)))
    parts = cache.get("epub-font", key)
    if parts is not None:
        return SubsetFont(data=parts[1], **json.loads(parts[0]))
    font = subset_font(path, family, weight, chars)
    meta = {k: v for k, v in asdict(font).items() if k != "data"}
    cache.put("epub-font", key, [json.dumps(meta).encode("utf-8"), font.data])
    return font


# --- the book's faces: which characters each role draws, and their subsets ---------------------------------

# The stylesheet sets body text at normal weight and every class="display" element (kicker, title, subtitle,
# byline lead-in, subheads, folios) bold: a face at or above this weight serves the display role.
DISPLAY_WEIGHT = 600
XHTML_NS = "http://www.w3.org/1999/xhtml"


def collect_chars(xhtml_docs: Sequence[bytes]) -> dict[str, set[str]]:
    """The characters drawn in each font role: text inside class="display" elements is 'display', the rest 'text'.

    Only <body> counts: <title> and attribute values (alt, aria-label) are never drawn with our fonts.
    """
    roles: dict[str, set[str]] = {"text": set(), "display": set()}

    def walk(el: ElementTree.Element, role: str) -> None:
        if "display" in (el.get("class") or "").split():
            role = "display"
        roles[role].update(el.text or "")
        for child in el:
            walk(child, role)
            roles[role].update(child.tail or "")

    for doc in xhtml_docs:
        body = ElementTree.fromstring(doc).find(f"{{{XHTML_NS}}}body")
        if body is not None:
            walk(body, "text")
    for chars in roles.values():
        chars.difference_update("\n\r\t")
        chars.add(" ")
    return roles


def default_fonts(paper: Paper) -> list[tuple[str, Path, str]]:
    """The palette's serif (body) and sans (headline) faces, for embed_fonts=True without a font list."""
    from ...fonts import load_palette

    if not (FONTS / "palette.toml").is_file():
        raise EnvironmentProblem("embed_fonts needs fonts/palette.toml or an explicit fonts=[(family, file, weight)]")
    palette = load_palette(FONTS, traditional=paper.is_traditional)
    return [(palette[r].family, palette[r].file, str(palette[r].weight)) for r in ("serif", "sans")]


def subset_fonts(fonts: Sequence[tuple[str, Path, str]], chars: dict[str, set[str]],
                 cache: DerivedCache | None = None) -> list[tuple[str, SubsetFont]]:
    """(role, subset) per requested face: regular faces serve body text, bold ones (≥ 600) the display elements."""
    faces: list[tuple[str, SubsetFont]] = []
    for family, path, weight in fonts:
        w = css_weight(weight)
        role = "display" if w >= DISPLAY_WEIGHT else "text"
        faces.append((role, subset_font_cached(Path(path), family, w, frozenset(chars[role]), cache)))
    names = [f.file_name for _, f in faces]
    if len(set(names)) != len(names):
        raise EpaperError(f"two EPUB fonts share a family and weight: {', '.join(names)}")
    return faces
