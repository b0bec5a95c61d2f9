"""A font file, face index and glyph ids in, the subset font program (glyph ids kept) out, via HarfBuzz-subset.

The page assembler (assemble.py) embeds each face once for the whole issue, so it subsets the original
file to the union of the glyphs every page uses. Glyph ids are retained because the pages' content
streams address glyphs by id (Identity-H, CIDToGIDMap /Identity) exactly as WeasyPrint wrote them.
fontTools would do the same 50× slower on CJK faces, hence our own binding of the C library that
fonts.check_environment already requires.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import cffi

_ffi = cffi.FFI()
_ffi.cdef("""
typedef struct hb_blob_t hb_blob_t;
typedef struct hb_face_t hb_face_t;
typedef struct hb_set_t hb_set_t;
typedef struct hb_subset_input_t hb_subset_input_t;
typedef uint32_t hb_codepoint_t;
hb_blob_t *hb_blob_create_from_file_or_fail (const char *file_name);
void hb_blob_destroy (hb_blob_t *blob);
const char *hb_blob_get_data (hb_blob_t *blob, unsigned int *length);
hb_face_t *hb_face_create (hb_blob_t *blob, unsigned int index);
void hb_face_destroy (hb_face_t *face);
unsigned int hb_face_get_glyph_count (const hb_face_t *face);
hb_blob_t *hb_face_reference_blob (hb_face_t *face);
hb_subset_input_t *hb_subset_input_create_or_fail (void);
void hb_subset_input_destroy (hb_subset_input_t *input);
hb_set_t *hb_subset_input_glyph_set (hb_subset_input_t *input);
hb_set_t *hb_subset_input_set (hb_subset_input_t *input, int set_type);
void hb_subset_input_set_flags (hb_subset_input_t *input, unsigned value);
void hb_set_add_sorted_array (hb_set_t *set, const hb_codepoint_t *sorted, unsigned int num);
hb_face_t *hb_subset_or_fail (hb_face_t *source, const hb_subset_input_t *input);
""")
_hb = _ffi.dlopen("libharfbuzz.so.0")
_hb_subset = _ffi.dlopen("libharfbuzz-subset.so.0")

_NO_HINTING, _RETAIN_GIDS, _DESUBROUTINIZE, _PASSTHROUGH = 0x1, 0x2, 0x4, 0x20
_DROP_TABLE_TAG = 3
# Tables a PDF renderer never reads (layout and colour tables, bitmap strikes): WeasyPrint drops the same set.
_DROP = (b"BASE", b"DSIG", b"EBDT", b"EBLC", b"EBSC", b"GPOS", b"GSUB", b"JSTF", b"LTSH", b"PCLT", b"SVG ")


class SubsetError(RuntimeError):
    pass


@lru_cache(maxsize=16)
def _face(path: str, index: int):
    blob = _hb.hb_blob_create_from_file_or_fail(path.encode())
    if blob == _ffi.NULL:
        raise SubsetError(f"cannot read font file {path}")
    face = _hb.hb_face_create(blob, index)
    _hb.hb_blob_destroy(blob)  # the face holds its own reference
    return _ffi.gc(face, _hb.hb_face_destroy)


def _subset(face, glyphs: list[int], flags: int):
    sub = _ffi.gc(_hb_subset.hb_subset_input_create_or_fail(), _hb_subset.hb_subset_input_destroy)
    if sub == _ffi.NULL:
        raise SubsetError("HarfBuzz could not allocate a subset input")
    _hb.hb_set_add_sorted_array(_hb_subset.hb_subset_input_glyph_set(sub),
                                _ffi.new("hb_codepoint_t[]", glyphs), len(glyphs))
    drop = sorted(int.from_bytes(tag, "big") for tag in _DROP)
    _hb.hb_set_add_sorted_array(_hb_subset.hb_subset_input_set(sub, _DROP_TABLE_TAG),
                                _ffi.new("hb_codepoint_t[]", drop), len(drop))
    _hb_subset.hb_subset_input_set_flags(sub, flags)
    out = _hb_subset.hb_subset_or_fail(face, sub)
    if out == _ffi.NULL:
        raise SubsetError("HarfBuzz could not subset the face")
    return _ffi.gc(out, _hb.hb_face_destroy)


def subset_font(path: Path, index: int, glyphs: set[int]) -> bytes:
    """The face `index` of `path` cut down to `glyphs` (plus .notdef), every kept glyph at its original id."""
    face = _face(str(path), index)
    ids = sorted(glyphs | {0})
    if ids[-1] >= _hb.hb_face_get_glyph_count(face):
        raise SubsetError(f"glyph {ids[-1]} is not in face {index} of {path}: the pages were drawn with another font")
    kept = _subset(face, ids, _RETAIN_GIDS | _PASSTHROUGH | _DESUBROUTINIZE | _NO_HINTING)
    blob = _hb.hb_face_reference_blob(kept)
    try:
        length = _ffi.new("unsigned int *")
        data = _hb.hb_blob_get_data(blob, length)
        return bytes(_ffi.buffer(data, length[0]))
    finally:
        _hb.hb_blob_destroy(blob)
