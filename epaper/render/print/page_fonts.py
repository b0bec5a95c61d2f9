"""WeasyPrint writing a page PDF in, the page PDF without the programs of the fonts the join embeds out: while
deferring_fonts() is on, WeasyPrint neither copies nor subsets a face's program that assemble.py will embed once
for all pages (font_subset.py)."""

from __future__ import annotations

import functools
import threading
from contextlib import contextmanager
from typing import Iterator


# The program of a font that assemble.py replaces (every face fontconfig names a file for) is not subset here: the
# join subsets the file once to the glyphs of all pages, and WeasyPrint's own subset per page (HarfBuzz, about
# 0.05 s a face and page) would be thrown away. The page keeps only a four-byte sfnt version, which tells
# WeasyPrint (and the join) whether the face is CFF (FontFile3) or TrueType (FontFile2).
DEFERRED_PROGRAM_MAX = 4


_deferring = threading.local()  # set while this thread writes a page PDF (other WeasyPrint renders subset as usual)


@functools.lru_cache(maxsize=None)
def _joined_file(family: str, weight: int) -> str:
    """The file assemble.py will subset for this face ("" if fontconfig names none: the page keeps its own)."""
    from ...fonts import fc_match_file

    return fc_match_file(family, weight)


class _Unread:
    """A face's program not copied out of HarfBuzz (WeasyPrint copies each face's whole file when it meets the
    face: 16–20 MB for a CJK face, five faces a page): read only if the font is not deferred after all."""

    def __init__(self, hb_face) -> None:
        self.hb_face = hb_face


def _install_deferral() -> None:
    """Wrap WeasyPrint's Font.clean and its reading of a face's program once per process (the fonts are made while
    the PDF is written)."""
    from weasyprint.pdf import fonts

    if getattr(fonts.Font.clean, "_epaper_deferral", False):
        return
    clean = fonts.Font.clean
    face_data = fonts.get_hb_object_data

    def deferred_face_data(hb_object, ot_color=None, glyph=None):
        if getattr(_deferring, "active", False) and ot_color is None and glyph is None:
            return _Unread(hb_object)
        return face_data(hb_object, ot_color, glyph)

    def deferred_clean(font, to_unicode, hinting):
        if (getattr(_deferring, "active", False) and not font.bitmap and not font.used_in_forms
                and "fvar" not in font.tables and _joined_file(font.family, int(font.weight))):
            # the sfnt version WeasyPrint's own subset would start with (a face of a .ttc starts with "ttcf")
            font.file_content = b"OTTO" if ("CFF " in font.tables or "CFF2" in font.tables) else b"\0\1\0\0"
            return
        # Type 3 glyphs, full widths and static instances read the program: WeasyPrint's own path, as it is
        active = getattr(_deferring, "active", False)
        _deferring.active = False
        try:
            if isinstance(font.file_content, _Unread):
                font.file_content = face_data(font.file_content.hb_face)
            clean(font, to_unicode, hinting)
        finally:
            _deferring.active = active

    deferred_clean._epaper_deferral = True
    fonts.Font.clean = deferred_clean
    fonts.get_hb_object_data = deferred_face_data


@contextmanager
def deferring_fonts() -> Iterator[None]:
    """The page PDF written inside the block keeps only the sfnt version of each deferred font's program."""
    _install_deferral()
    _deferring.active = True
    try:
        yield
    finally:
        _deferring.active = False
