"""Copy-level text rules: unbalanced quotation marks and brackets, characters a palette font cannot draw, Han."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

# Han covers the CJK blocks plus 〇, which newspapers use as a digit (the importer's character classes build on it).
HAN = "\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
HAN_RE = re.compile(f"[{HAN}]")


def is_han(ch: str) -> bool:
    return bool(ch) and HAN_RE.match(ch) is not None

OPENERS = {"（": "）", "(": ")", "【": "】", "[": "]", "《": "》", "〈": "〉", "「": "」", "『": "』", "〔": "〕",
           "{": "}", "“": "”", "‘": "’", "〖": "〗"}
CLOSERS = {v: k for k, v in OPENERS.items()}
CONTINUED_QUOTES = ("“", "「", "『", "‘")  # a quotation over several paragraphs reopens each, closes at the end
# "1）", "a)", "三）" at the start of a paragraph or after a pause: an enumerator, not half of a pair
ENUMERATOR = re.compile(r"(?:^|[\s，。；：、,;:])(?:\d{1,3}|[A-Za-z]|[一二三四五六七八九十]{1,3})$")


@dataclass(frozen=True)
class Unbalanced:
    offset: int  # index in the text of the offending character
    char: str
    problem: str  # "never closed" or "never opened"


def unbalanced(text: str) -> list[Unbalanced]:
    """Openers never closed and closers never opened, in one paragraph or field."""
    stack: list[tuple[str, int]] = []
    out: list[Unbalanced] = []
    straight: list[int] = []
    for i, ch in enumerate(text):
        if ch == '"':
            straight.append(i)
        elif ch in OPENERS and ch not in CLOSERS:
            stack.append((ch, i))
        elif ch in CLOSERS:
            opener = CLOSERS[ch]
            if stack and stack[-1][0] == opener:
                stack.pop()
            elif any(o == opener for o, _ in stack):
                while stack[-1][0] != opener:
                    o, j = stack.pop()
                    out.append(Unbalanced(j, o, "never closed"))
                stack.pop()
            elif ch == "’" and _is_apostrophe(text, i):
                continue
            elif ch in ")）" and ENUMERATOR.search(text[:i]):
                continue
            else:
                out.append(Unbalanced(i, ch, "never opened"))
    out.extend(Unbalanced(j, o, "never closed") for o, j in stack)
    if len(straight) % 2:
        out.append(Unbalanced(straight[-1], '"', "never closed"))
    return sorted(out, key=lambda u: u.offset)


def _is_apostrophe(text: str, i: int) -> bool:
    before = text[i - 1] if i else ""
    after = text[i + 1] if i + 1 < len(text) else ""
    return (before.isascii() and before.isalnum()) or (after.isascii() and after.isalpha())


def paragraph_unbalanced(paragraphs: list[str]) -> list[tuple[int, Unbalanced]]:
    """(paragraph index, problem) over a body; a quotation running on into a paragraph that reopens it is fine."""
    out = []
    for n, text in enumerate(paragraphs):
        problems = unbalanced(text)
        nxt = paragraphs[n + 1].lstrip() if n + 1 < len(paragraphs) else ""
        for u in problems:
            if u.problem == "never closed" and u.char in CONTINUED_QUOTES and nxt.startswith(u.char):
                continue
            out.append((n, u))
    return out


def position(text: str, offset: int) -> tuple[int, int]:
    """1-based (line, column) of a character offset."""
    line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, col


# --- glyph coverage -----------------------------------------------------------------------------------------

# The one coverage check: `epaper check` (E202, per face that draws the text) and the build (InputError, any
# face of the palette) both ask missing_glyphs, with the faces' cmaps as fontmetrics reads and caches them.

@lru_cache(maxsize=1 << 16)  # asked once per distinct character per field: a build asks ~20,000 times
def needs_glyph(ch: str) -> bool:
    """Whether a character must be in the font: not white space, a control, a format character or a variation
    selector (HarfBuzz draws spaces without a glyph, hides default-ignorables; selectors ride on the base's cmap14)."""
    cp = ord(ch)
    if ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf"):
        return False
    if 0xFE00 <= cp <= 0xFE0F or 0xE0100 <= cp <= 0xE01EF:
        return False
    return True


def missing_glyphs(text: str, covered: Callable[[str], bool]) -> list[str]:
    """Characters of `text` that need a glyph and that `covered` (e.g. FontMetrics.has) lacks, in order of first
    appearance, once each."""
    return [ch for ch in dict.fromkeys(text) if needs_glyph(ch) and not covered(ch)]  # each distinct one once


def describe(ch: str) -> str:
    name = unicodedata.name(ch, "")
    return f"U+{ord(ch):04X} {ch}" + (f" ({name})" if name else "")


# --- invisible characters --------------------------------------------------------------------------------------

# Bidi controls reorder what follows them on screen (the "Trojan Source" trick) and mean nothing in print.
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
JOINERS = frozenset("\u200c\u200d")  # ZWNJ, ZWJ: they shape Arabic and Indic text and join emoji sequences


def _joinable(ch: str) -> bool:
    """A neighbour a joiner may stand beside: a letter, mark or symbol (emoji) that is not Han, kana or Hangul."""
    cp = ord(ch)
    if 0x2E80 <= cp <= 0xA4CF or 0xAC00 <= cp <= 0xD7AF or 0xF900 <= cp <= 0xFAFF or 0xFF00 <= cp <= 0xFFEF \
            or 0x20000 <= cp <= 0x3FFFF:
        return False
    return unicodedata.category(ch)[0] in "LM" or unicodedata.category(ch) in ("So", "Sk")


def invisible_characters(text: str) -> list[int]:
    """Offsets of invisible format characters (Unicode category Cf) that copy must not carry: bidi controls,
    zero-width spaces, word joiners, soft hyphens, a BOM inside the text, tag characters… A ZWJ or ZWNJ is kept
    between two letters or symbols outside CJK (Arabic, Indic, emoji sequences such as 👩‍💻); between Han
    characters or next to a space it does nothing but hide, and is reported too."""
    out: list[int] = []
    start = 0
    for line in text.split("\n"):  # a printable line (most are) holds no Cf character: skip it in C
        end = start + len(line)
        if not line.isprintable():
            out += _invisible_in(text, start, end)
        start = end + 1
    return out


def _invisible_in(text: str, start: int, end: int) -> list[int]:
    out = []
    for i in range(start, end):
        ch = text[i]
        if unicodedata.category(ch) != "Cf":
            continue
        if ch in JOINERS and 0 < i < len(text) - 1 and _joinable(text[i - 1]) and _joinable(text[i + 1]):
            continue
        out.append(i)
    return out


def invisible_message(ch: str) -> str:
    """What an invisible character is and why it is refused."""
    why = "a bidi control, which reorders the text after it on screen" if ch in BIDI_CONTROLS else \
        "an invisible format character, which prints nothing but can split words and searches"
    name = unicodedata.name(ch, "")
    # the character itself is left out of the message: a bidi control would reorder the terminal's line
    return f"invisible character U+{ord(ch):04X}{f' ({name})' if name else ''}: {why}"
