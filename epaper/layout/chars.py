"""A character and a font's metrics in, its kind (Han, punctuation, Latin, space) and its advances and blanks in em
out; also the width of a ruby text."""

from __future__ import annotations

from functools import lru_cache

from . import kinsoku
from .fontmetrics import FontMetrics

HAN, PUNCT, LATIN, SPACE = 0, 1, 2, 3
RUBY_SIZE = 0.5  # of the text size


def char_kind(ch: str) -> tuple[int, bool]:
    """(kind, is a Han-like letter that takes a Han–Latin gap)."""
    o = ord(ch)
    if ch == " ":
        return SPACE, False
    if ch in kinsoku.POSTFIX and o < 0xFF00:
        return LATIN, False
    if o < 0x2000:
        return (PUNCT, False) if ch == "·" else (LATIN, False)
    if o <= 0x206F or ch in kinsoku.INSEPARABLE:
        return PUNCT, False
    if o < 0x2E80 or o == 0x3000:
        return HAN, False  # symbols: ① → ※ ○, and the ideographic space
    if o < 0x3040:
        if o < 0x3000 or 0x3005 <= o <= 0x3007 or 0x3021 <= o <= 0x3029 or 0x3038 <= o <= 0x303B:
            return HAN, True
        return PUNCT, False
    if o < 0x3100:
        return (PUNCT, False) if o in (0x30FB, 0x30A0) else (HAN, True)
    if o < 0xA000 or 0xAC00 <= o < 0xD800 or 0xF900 <= o < 0xFB00 or 0x20000 <= o < 0x40000:
        return HAN, True
    if 0xFE10 <= o < 0xFE70 or 0xFFE0 <= o <= 0xFFEE:
        return PUNCT, False
    if 0xFF01 <= o <= 0xFF60:
        if 0xFF10 <= o <= 0xFF19 or 0xFF21 <= o <= 0xFF3A or 0xFF41 <= o <= 0xFF5A:
            return HAN, False
        return PUNCT, False
    return HAN, False


@lru_cache(maxsize=65536)
def char_info(metrics: FontMetrics, ch: str,
              compress: bool) -> tuple[int, bool, bool, bool, float, float, float, float]:
    """(kind, han, latin alnum, contextual, advance, advance in a Latin run, left blank, right blank); em."""
    kind, han = char_kind(ch)
    alnum = kind == LATIN and (ch.isalnum() or ch == "%")
    blanks = metrics.blanks(ch) if compress and kind == PUNCT else None
    bl, br = blanks if blanks else (0.0, 0.0)
    return kind, han, alnum, metrics.contextual(ch), metrics.advance(ch), metrics.latin_advance(ch), bl, br


def latin_run(ch: str) -> bool:
    """True if `ch` belongs to a Latin run (letters, digits, Latin punctuation and spaces) rather than to CJK text."""
    return char_kind(ch)[0] in (LATIN, SPACE)


def ruby_width(ruby: str, size: float, metrics: FontMetrics) -> float:
    """Natural width in pt of a ruby text over text of `size` (Latin letters proportional, the rest full width)."""
    rs = RUBY_SIZE * size
    total = 0.0
    for ch in ruby:
        info = char_info(metrics, ch, False)
        total += (info[5] if info[0] in (LATIN, SPACE) else info[4]) * rs
    return total
